r"""Day-ahead PV forecasts, their clear-sky-index persistence baseline, scores, and data-quality checks.

* Forecast: the PV chain (:func:`munigrid.forecasting.pv.pv_ac_kw`) run on a weather forecast.
* Baseline, clear-sky-index persistence: yesterday's daily index
  :math:`k_d = \sum_{d-1} P_{meas} / \sum_{d-1} P_{cs}` times today's clear-sky PV,
  :math:`\hat P_t = k_{d} P_{cs,t}`, with :math:`P_{cs}` the chain on clear-sky weather.
* Scores over daylight steps (clear-sky PV > 0): MAE, RMSE [kW] and their ratio to capacity,
  skill against the baseline.
* Data quality: a lasting drop of measured over modelled energy (a fault, soiling, shading)
  is found as the single change point of the daily performance ratio and reported, never fitted;
  a time shift of the measurement against the sun is reported in hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from munigrid.forecasting.pv import PVArraySpec, pv_ac_kw
from munigrid.forecasting.skill import scores, skill
from munigrid.forecasting.solar import clear_sky


def clear_sky_weather(index: pd.DatetimeIndex, latitude_deg: float, longitude_deg: float,
                      temp_air_c: float = 30.0, wind_speed_m_per_s: float = 1.0) -> pd.DataFrame:
    """Ineichen clear sky as a weather frame (constant temperature [degC] and wind [m/s])."""
    cs = clear_sky(index, latitude_deg, longitude_deg)
    return cs.assign(temp_air_c=temp_air_c, wind_speed_m_per_s=wind_speed_m_per_s)


def clear_sky_pv_kw(index: pd.DatetimeIndex, arrays: Sequence[PVArraySpec] | PVArraySpec,
                    latitude_deg: float, longitude_deg: float) -> pd.Series:
    """AC power of the arrays under clear sky [kW]."""
    return pv_ac_kw(clear_sky_weather(index, latitude_deg, longitude_deg), arrays, latitude_deg, longitude_deg)["total"]


def persistence_forecast_kw(measured_kw: pd.Series, clear_sky_kw: pd.Series) -> pd.Series:
    r"""Clear-sky-index persistence: :math:`\hat P_t = k_{d-1} P_{cs,t}` [kW].

    ``measured_kw`` and ``clear_sky_kw`` share one regular index; day :math:`d`'s forecast uses
    only day :math:`d-1`'s measurement. Days after a day without measurement stay NaN.
    """
    day = measured_kw.index.normalize()
    ok = measured_kw.notna()
    measured_day = measured_kw.where(ok).groupby(day).sum(min_count=1)
    clear_day = clear_sky_kw.where(ok).groupby(day).sum()
    k_day = (measured_day / clear_day.where(clear_day > 0)).clip(0.0, 1.2)
    k_prev = k_day.shift(1, freq="D").reindex(day).to_numpy()
    return pd.Series(k_prev * clear_sky_kw.to_numpy(), index=measured_kw.index, name="persistence_kw")


def score_pv_forecasts(measured_kw: pd.Series, forecasts: dict[str, pd.Series], clear_sky_kw: pd.Series,
                       capacity_kwp: float, baseline: str = "persistence") -> pd.DataFrame:
    """MAE, RMSE [kW], normalised by capacity [-], correlation and skill, over daylight steps."""
    daylight = clear_sky_kw > 0
    rows = {}
    for name, fc in forecasts.items():
        ok = daylight & measured_kw.notna() & fc.notna()
        for other in forecasts.values():
            ok &= other.notna()
        s = scores(measured_kw[ok].to_numpy(), {0.5: fc[ok].to_numpy()})
        rows[name] = {"n": s["n"], "mae_kw": s["mae"], "rmse_kw": s["rmse"], "nmae_frac": s["mae"] / capacity_kwp,
                      "nrmse_frac": s["rmse"] / capacity_kwp,
                      "correlation": float(np.corrcoef(measured_kw[ok], fc[ok])[0, 1])}
    table = pd.DataFrame(rows).T
    if baseline in table.index:
        table["skill_vs_persistence"] = [skill(m, table.loc[baseline, "mae_kw"]) for m in table["mae_kw"]]
    return table


@dataclass(frozen=True)
class PerformanceDrop:
    """A lasting loss of output found in a PV measurement (a data-quality finding, not a model input)."""

    start: pd.Timestamp
    ratio_before: float
    ratio_after: float

    @property
    def drop_frac(self) -> float:
        """Relative loss of output after ``start`` [-]."""
        return 1.0 - self.ratio_after / self.ratio_before

    def __str__(self) -> str:
        return (f"PV output per modelled output fell from {self.ratio_before:.2f} to {self.ratio_after:.2f} "
                f"({self.drop_frac:.0%} loss) from {self.start.date()}: a fault, soiling or shading; "
                "flagged as a data-quality problem, not fitted")


def daily_performance_ratio(measured_kw: pd.Series, modelled_kw: pd.Series, min_modelled_frac: float = 0.5) -> pd.Series:
    """Daily measured over modelled energy [-], for days with full data and decent sun."""
    day = measured_kw.index.normalize()
    complete = measured_kw.notna().groupby(day).all()
    meas = measured_kw.groupby(day).sum()
    model = modelled_kw.groupby(day).sum()
    good = complete & (model > min_modelled_frac * model[complete].median())
    return (meas / model)[good]


def detect_performance_drop(measured_kw: pd.Series, modelled_kw: pd.Series, min_drop_frac: float = 0.2,
                            min_days: int = 14) -> PerformanceDrop | None:
    r"""The single change point of the daily performance ratio, if it is a lasting drop.

    Chooses the split day :math:`s` minimising the within-segment absolute deviation from each
    segment's median, with at least ``min_days`` on each side; reports it when the median after
    is at least ``min_drop_frac`` below the median before.
    """
    ratio = daily_performance_ratio(measured_kw, modelled_kw)
    values = ratio.to_numpy()
    if len(values) < 2 * min_days:
        return None
    best, best_cost = None, np.inf
    for s in range(min_days, len(values) - min_days + 1):
        a, b = values[:s], values[s:]
        cost = np.abs(a - np.median(a)).sum() + np.abs(b - np.median(b)).sum()
        if cost < best_cost:
            best, best_cost = s, cost
    before, after = float(np.median(values[:best])), float(np.median(values[best:]))
    if after > (1.0 - min_drop_frac) * before:
        return None
    return PerformanceDrop(ratio.index[best], before, after)
