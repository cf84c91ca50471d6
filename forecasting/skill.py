r"""Forecast scores: MAE, RMSE, MAPE, pinball loss and skill against a baseline.

.. math::

    \mathrm{MAE} = \overline{|y - \hat y|},\quad
    \mathrm{RMSE} = \sqrt{\overline{(y - \hat y)^2}},\quad
    \mathrm{MAPE} = \overline{|y - \hat y| / y}\ (y > 0.05\,\bar y),

    L_q = \overline{\max(q (y - \hat y_q), (q - 1)(y - \hat y_q))},\quad
    \mathrm{skill} = 1 - \mathrm{MAE} / \mathrm{MAE}_{\text{baseline}}.

The pinball loss reported is the mean of :math:`L_q` over the forecast quantiles; MAPE
skips steps whose actual is below 5 % of the mean (night PV, closed buildings), where a
percentage error means nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAPE_FLOOR_FRAC = 0.05


def pinball(actual: np.ndarray, forecast_q: np.ndarray, q: float) -> float:
    """Mean pinball (quantile) loss of one quantile forecast [unit of the data]."""
    diff = np.asarray(actual) - np.asarray(forecast_q)
    return float(np.nanmean(np.maximum(q * diff, (q - 1.0) * diff)))


def scores(actual: np.ndarray, quantile_forecasts: pd.DataFrame | dict, point_q: float = 0.5) -> dict[str, float]:
    """MAE, RMSE [unit], MAPE [-], mean pinball [unit] and coverage of P10-P90 [-] of one forecast."""
    actual = np.asarray(actual, dtype=float)
    point = np.asarray(quantile_forecasts[point_q], dtype=float)
    ok = np.isfinite(actual) & np.isfinite(point)
    err = actual[ok] - point[ok]
    floor = MAPE_FLOOR_FRAC * np.mean(np.abs(actual[ok])) if ok.any() else 0.0
    big = np.abs(actual[ok]) > floor
    qs = [q for q in quantile_forecasts if isinstance(q, float)]
    out = {
        "n": int(ok.sum()),
        "mae": float(np.mean(np.abs(err))) if ok.any() else np.nan,
        "rmse": float(np.sqrt(np.mean(err**2))) if ok.any() else np.nan,
        "mape": float(np.mean(np.abs(err[big]) / np.abs(actual[ok][big]))) if big.any() else np.nan,
        "pinball": float(np.mean([pinball(actual[ok], np.asarray(quantile_forecasts[q])[ok], q) for q in qs])),
    }
    if min(qs) < 0.5 < max(qs):
        lo, hi = np.asarray(quantile_forecasts[min(qs)])[ok], np.asarray(quantile_forecasts[max(qs)])[ok]
        out["coverage"] = float(np.mean((actual[ok] >= lo) & (actual[ok] <= hi)))
    return out


def skill(mae: float, baseline_mae: float) -> float:
    """Fractional MAE improvement over a baseline [-]: 0.25 means 25 % lower MAE."""
    return float(1.0 - mae / baseline_mae) if baseline_mae > 0 else np.nan
