r"""Split-conformal calibration of quantile forecasts on a held-out recent period.

Each quantile other than the median is moved away from (or towards) the median in units of
its own distance to the median, so intervals stay narrow at night and wide at noon. For a
lower quantile :math:`q < 0.5` with raw forecast :math:`\hat y_q`, width
:math:`w = \max(\hat y_{0.5} - \hat y_q, w_{\min})` and held-out actuals :math:`y_i`, the scores
are :math:`s_i = (\hat y_{q,i} - y_i) / w_i`; the calibrated forecast is

.. math:: \tilde y_q = \hat y_q - c_q\, w,\qquad
          c_q = s_{(\lceil (n + 1)(1 - q) \rceil)},

the finite-sample split-conformal order statistic, so that :math:`P(y < \tilde y_q) \approx q`
when the held-out period is exchangeable with the forecast period. Upper quantiles mirror
this with :math:`s_i = (y_i - \hat y_{q,i}) / w_i`, :math:`w = \max(\hat y_q - \hat y_{0.5}, w_{\min})`
and :math:`c_q = s_{(\lceil (n+1) q \rceil)}`. :math:`w_{\min}` is :data:`MIN_WIDTH_FRAC` of the
mean held-out load. A negative :math:`c_q` narrows an interval that was too wide.

Scores are kept per group (working days and other days have very different errors); a group
with fewer than :data:`MIN_GROUP_SCORES` scores uses all scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_WIDTH_FRAC = 0.01
MIN_GROUP_SCORES = 48


def conformal_factor(scores: np.ndarray, level: float) -> float:
    """Split-conformal order statistic :math:`s_{(\\lceil (n+1) level \\rceil)}` (the largest if beyond n) [-]."""
    ordered = np.sort(scores[np.isfinite(scores)])
    if ordered.size == 0:
        return 0.0
    rank = min(int(np.ceil((ordered.size + 1) * level)), ordered.size)
    return float(ordered[rank - 1])


@dataclass(frozen=True)
class ConformalCalibration:
    """Calibration factors :math:`c_q` per group and quantile, and the width floor [kW].

    ``factors[group][q]``; ``group`` ``-1`` holds the pooled factors.
    """

    quantiles: tuple[float, ...]
    factors: dict[int, dict[float, float]]
    min_width_kw: float

    @classmethod
    def fit(cls, actual: np.ndarray, raw: np.ndarray, quantiles: tuple[float, ...],
            group: np.ndarray) -> "ConformalCalibration":
        """Factors from held-out actuals [kW], raw quantile forecasts ``(n, len(quantiles))`` [kW] and group labels."""
        actual = np.asarray(actual, dtype=float)
        ok = np.isfinite(actual) & np.isfinite(raw).all(axis=1)
        floor = MIN_WIDTH_FRAC * float(np.mean(np.abs(actual[ok]))) if ok.any() else 0.0
        labels = [-1] + [int(g) for g in np.unique(group[ok])]
        factors: dict[int, dict[float, float]] = {}
        for g in labels:
            sel = ok if g == -1 else ok & (group == g)
            if g != -1 and sel.sum() < MIN_GROUP_SCORES:
                continue
            factors[g] = {q: conformal_factor(_scores(actual[sel], raw[sel], quantiles, q, floor),
                                              1.0 - q if q < 0.5 else q)
                          for q in quantiles if q != 0.5}
        return cls(tuple(quantiles), factors, floor)

    def apply(self, raw: np.ndarray, group: np.ndarray) -> np.ndarray:
        """Calibrated quantile forecasts [kW] from raw ones ``(n, len(quantiles))`` [kW]."""
        out = raw.copy()
        median = raw[:, self.quantiles.index(0.5)]
        for j, q in enumerate(self.quantiles):
            if q == 0.5:
                continue
            factor = np.full(len(raw), self.factors[-1][q])
            for g, by_q in self.factors.items():
                if g != -1:
                    factor[group == g] = by_q[q]
            width = np.maximum(np.abs(raw[:, j] - median), self.min_width_kw)
            out[:, j] = raw[:, j] + (-factor if q < 0.5 else factor) * width
        return out


def _scores(actual: np.ndarray, raw: np.ndarray, quantiles: tuple[float, ...], q: float, floor: float) -> np.ndarray:
    """Normalised nonconformity scores of quantile ``q`` (module equation) [-]."""
    median = raw[:, quantiles.index(0.5)]
    forecast = raw[:, quantiles.index(q)]
    width = np.maximum(np.abs(forecast - median), floor)
    return (forecast - actual) / width if q < 0.5 else (actual - forecast) / width
