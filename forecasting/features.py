r"""Features for load forecasting, built so that no value at or after the forecast origin leaks in.

For a horizon :math:`H`, the lead is :math:`L = \lceil H / 1\,\mathrm{day} \rceil` days and every
lagged feature of a target at time :math:`t` uses loads at :math:`t - L` days or earlier:
the same time :math:`L` days before, the same time :math:`7\lceil L/7 \rceil` days before, the
same time on the latest working day at least :math:`L` days before, and the mean load of the
day :math:`L` days before. With forecast origins at midnight this is exactly what is known at
the origin for every step of the horizon.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from munigrid.forecasting.calendar import WORKDAY, day_type, is_holiday

FEATURE_COLUMNS = ("hour", "day_of_week", "day_type", "holiday", "month", "temp_air_c",
                   "lag_lead", "lag_week", "lag_workday", "prev_day_mean")


def lead_days(horizon: pd.Timedelta) -> int:
    """Days between a target and the newest load a forecast of this horizon may use [day]."""
    return max(1, math.ceil(horizon / pd.Timedelta(days=1)))


def latest_workday_lag(index: pd.DatetimeIndex, lead: int) -> np.ndarray:
    """For each step, the number of days back to the latest working day at least ``lead`` days before [day]."""
    days = pd.date_range(index[0].normalize() - pd.Timedelta(days=lead + 14), index[-1].normalize(), freq="D")
    workday = day_type(days) == WORKDAY
    last_work = pd.Series(np.where(workday, np.arange(len(days)), -1)).replace(-1, np.nan).ffill().to_numpy()
    pos = np.arange(len(days))
    back = pos - lead
    lag = np.where(back >= 0, pos - last_work[np.clip(back, 0, None)], np.nan)
    per_day = pd.Series(lag, index=days)
    return per_day.reindex(index.normalize()).to_numpy()


def build_features(index: pd.DatetimeIndex, load_kw: pd.Series, temp_air_c: pd.Series | None,
                   horizon: pd.Timedelta) -> pd.DataFrame:
    """Feature table for targets at ``index`` from the load history (NaN where not known).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Target steps.
    load_kw : pandas.Series
        Load history on a regular grid covering at least the lags [kW]; values at or after the
        forecast origin are never read for ``index`` inside the horizon.
    temp_air_c : pandas.Series, optional
        Temperature forecast for the targets [degC].
    horizon : pandas.Timedelta
        Forecast horizon.
    """
    lead = lead_days(horizon)
    week = 7 * math.ceil(lead / 7)
    full = load_kw.reindex(load_kw.index.union(index))
    dtype = day_type(index)
    out = pd.DataFrame({
        "hour": index.hour + index.minute / 60.0,
        "day_of_week": index.dayofweek,
        "day_type": dtype,
        "holiday": is_holiday(index).astype(np.int8),
        "month": index.month,
        "temp_air_c": np.nan if temp_air_c is None else temp_air_c.reindex(index).to_numpy(),
        "lag_lead": full.reindex(index - pd.Timedelta(days=lead)).to_numpy(),
        "lag_week": full.reindex(index - pd.Timedelta(days=week)).to_numpy(),
    }, index=index)
    back = latest_workday_lag(index, lead)
    stamps = index - pd.to_timedelta(np.nan_to_num(back, nan=0), unit="D")
    out["lag_workday"] = np.where(np.isnan(back), np.nan, full.reindex(stamps).to_numpy())
    daily_mean = full.resample("D").mean()
    out["prev_day_mean"] = daily_mean.reindex(index.normalize() - pd.Timedelta(days=lead)).to_numpy()
    return out[list(FEATURE_COLUMNS)]
