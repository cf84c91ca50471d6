r"""Features for load forecasting, built so that no value at or after the issue time leaks in.

For a horizon :math:`H` (from the issue time to the end of the last day forecast), the lead
is :math:`L = \lceil H / 1\,\mathrm{day} \rceil` days. The day features of a target at time
:math:`t` on day :math:`D` use whole days :math:`D - L` and earlier only (for a day-ahead
forecast issued at 00:00 of :math:`D`, :math:`L = 1`: exactly what is metered then); only
days with no missing step count as known. ``lag_issue`` and ``level_24h`` also use the part
of a day metered before the issue time. Training rows get the same features as forecasts,
so a model learns exactly the relation it is later used with.

With :math:`y_{d,s}` the load of day :math:`d` at step-of-day :math:`s`, :math:`k(d)` the
occupancy day kind (:mod:`munigrid.forecasting.occupancy_days`) and :math:`d_1 > d_2 > \dots`
the latest known days of kind :math:`k(D)` (of kind Sunday when :math:`D` is a day off: days
off are too rare to have recent profiles of their own, and not used as Sundays), the lagged
features of step :math:`(D, s)` are

* ``lag_issue`` :math:`y_{D-1,s}` where that step is metered before the issue time
  :math:`\tau_D = D + 1\,\mathrm{day} - \max(H, 1\,\mathrm{day})` (the forecast of day :math:`D`
  is issued :math:`H` before its end: at 12:00 of :math:`D-1` for :math:`H = 36` h), else
  missing; ``level_24h`` the mean load of the 24 h before :math:`\tau_D`;
* ``lag_lead`` :math:`y_{D-L,s}`, ``lag_week`` :math:`y_{D-7\lceil L/7\rceil,s}`,
  ``lag_same_kind`` :math:`y_{d_1,s}`, ``lag_workday`` the same step on the latest working day;
* ``profile_kind`` :math:`\frac13\sum_{i=1}^{3} y_{d_i,s}` (recent same-kind profile);
* ``prev_day_mean`` :math:`\bar y_{D-L}`, ``mean_7d`` the mean of days :math:`D-L-6..D-L`;
* ``workday_level`` and ``workday_level_long``: mean load of the last 5 and 20 known working
  days (the ratio tells a semester break or a busy period from the recent data alone);
* ``kind_level``: :math:`\frac13\sum_{i=1}^{3} \bar y_{d_i}`, the recent same-kind level;
* ``saturday_level`` (the Saturday regime): the median, over the last 6 known Saturdays
  :math:`s`, of :math:`\bar y_s` over the mean of the 5 working days before :math:`s`, times
  ``workday_level``: a Saturday follows the week's activity (classes, exams) by a ratio that
  changes slowly, not the level of last Saturday;
* calendar: ``off_days_before``, the previous day's type as the non-working days just
  before :math:`D` (0 when :math:`D-1` was a working day, 2 on a Monday, 3 or more after a
  long weekend or a holiday week; at most 9);
* ``profile_scaled``: the shape of the last :data:`SHAPE_DAYS` same-kind days scaled by the
  level of the last 3,

  .. math:: \hat y_{D,s} = \frac{1}{M}\sum_{i=1}^{M} \frac{y_{d_i,s}}{\bar y_{d_i}}
            \cdot \frac13 \sum_{i=1}^{3} \bar y_{d_i}.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from munigrid.forecasting.occupancy_days import DAY_OFF, N_KINDS, SATURDAY, SUNDAY, WORKDAY, daily_kinds

CALENDAR_COLUMNS = ("hour", "day_of_week", "day_kind", "bridge", "after_day_off", "off_days_before", "month", "temp_air_c")
LAG_COLUMNS = ("lag_issue", "level_24h", "lag_lead", "lag_week", "lag_same_kind", "lag_workday", "profile_kind", "prev_day_mean", "mean_7d",
               "workday_level", "workday_level_long", "kind_level", "saturday_level", "profile_scaled")
FEATURE_COLUMNS = CALENDAR_COLUMNS + LAG_COLUMNS
#: Same-kind days averaged for the profile shape of ``profile_scaled`` [day].
SHAPE_DAYS = 8
#: Same-kind days behind the recent level and profile [day].
LEVEL_DAYS = 3
#: Working days behind ``workday_level`` and ``workday_level_long`` [day].
WORKDAY_LEVEL_DAYS, WORKDAY_LEVEL_LONG_DAYS = 5, 20
#: Saturdays behind the Saturday-to-working-day ratio of ``saturday_level`` [day].
SATURDAY_RATIO_DAYS = 6
#: Longest run of days off counted by ``off_days_before`` [day].
MAX_OFF_DAYS = 9


def lead_days(horizon: pd.Timedelta) -> int:
    """Days between a target and the newest load a forecast of this horizon may use [day]."""
    return max(1, math.ceil(horizon / pd.Timedelta(days=1)))


def issue_times(index: pd.DatetimeIndex, horizon: pd.Timedelta) -> pd.DatetimeIndex:
    """Issue time :math:`\tau_D` of the forecast of each target's day (module docstring)."""
    return index.normalize() + pd.Timedelta(days=1) - max(pd.Timedelta(horizon), pd.Timedelta(days=1))


def _issue_lags(index: pd.DatetimeIndex, grid: pd.DatetimeIndex, values: np.ndarray,
                horizon: pd.Timedelta) -> tuple[np.ndarray, np.ndarray]:
    """``lag_issue`` and ``level_24h`` [kW] of the targets from the load on ``grid`` (NaN where not metered)."""
    step = grid[1] - grid[0]
    issue = issue_times(index, horizon)
    yesterday = index - pd.Timedelta(days=1)
    pos = ((yesterday - grid[0]) // step).to_numpy()
    inside = (pos >= 0) & (yesterday < issue)
    lag = np.where(inside, values[np.clip(pos, 0, len(values) - 1)], np.nan)
    per_day = int(pd.Timedelta(days=1) / step)
    finite = np.isfinite(values)
    total = np.concatenate([[0.0], np.cumsum(np.where(finite, values, 0.0))])
    count = np.concatenate([[0], np.cumsum(finite)])
    end = ((issue - grid[0]) // step).to_numpy()
    ok = (end - per_day >= 0) & (end <= len(values))
    end = np.clip(end, per_day, len(values))
    complete = ok & (count[end] - count[end - per_day] == per_day)
    level = np.where(complete, (total[end] - total[end - per_day]) / per_day, np.nan)
    return lag, level


def _off_days_before(days: pd.DatetimeIndex) -> np.ndarray:
    """Non-working days just before each day (the previous day's type: 0 when it was a working day)."""
    span = pd.date_range(days.min() - pd.Timedelta(days=MAX_OFF_DAYS + 1), days.max(), freq="D")
    kind = daily_kinds(span)["kind"].to_numpy()
    off = (kind != WORKDAY).astype(np.int64)
    run = np.zeros(len(span), dtype=np.int64)  # non-working days ending at each day
    for i in range(1, len(span)):
        run[i] = (run[i - 1] + 1) * off[i]
    before = pd.Series(np.minimum(np.r_[0, run[:-1]], MAX_OFF_DAYS), index=span)
    return before.reindex(days).to_numpy()


def calendar_features(index: pd.DatetimeIndex, temp_air_c: pd.Series | None) -> pd.DataFrame:
    """Calendar columns of :data:`CALENDAR_COLUMNS` for the steps ``index`` (temperature [degC] or NaN)."""
    days = pd.DatetimeIndex(index.normalize())
    unique = pd.DatetimeIndex(days.unique())
    kinds = daily_kinds(unique).reindex(days)
    before = pd.Series(_off_days_before(unique), index=unique).reindex(days)
    return pd.DataFrame({
        "hour": index.hour + index.minute / 60.0,
        "day_of_week": index.day_of_week,
        "day_kind": kinds["kind"].to_numpy(),
        "bridge": kinds["bridge"].to_numpy(),
        "after_day_off": kinds["after_day_off"].to_numpy(),
        "off_days_before": before.to_numpy(),
        "month": index.month,
        "temp_air_c": np.nan if temp_air_c is None else temp_air_c.reindex(index).to_numpy(dtype=float),
    }, index=index)


def _latest_of_kind(kind: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``out[k, p]``: position of the latest known day of kind ``k`` at or before ``p``, -1 if none."""
    pos = np.arange(len(kind))
    out = np.full((N_KINDS, len(kind)), -1, dtype=np.int64)
    for k in range(N_KINDS):
        hit = np.where((kind == k) & known, pos, -1)
        out[k] = np.maximum.accumulate(hit)
    return out


def _previous(latest: np.ndarray, kind: np.ndarray, start: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` latest known days of kind ``kind`` at or before ``start``; -1 where missing."""
    found = np.full((count, len(start)), -1, dtype=np.int64)
    cursor = start.copy()
    for i in range(count):
        ok = cursor >= 0
        found[i, ok] = latest[kind[ok], cursor[ok]]
        cursor = np.where(found[i] >= 0, found[i] - 1, -1)
    return found


def _take(values: np.ndarray, rows: np.ndarray, cols: np.ndarray | None = None) -> np.ndarray:
    """``values[rows(, cols)]`` with NaN where a row is -1."""
    safe = np.clip(rows, 0, None)
    got = values[safe] if cols is None else values[safe, cols]
    return np.where(rows >= 0, got, np.nan)


def _saturday_ratio(latest: np.ndarray, daily_mean: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Per day: a Saturday's mean load over the mean of the :data:`WORKDAY_LEVEL_DAYS` working days before it
    (NaN on other days or when unknown) [-]."""
    pos = np.arange(len(kinds))
    work = _previous(latest, np.full(len(kinds), WORKDAY), pos - 1, WORKDAY_LEVEL_DAYS)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        before = np.nanmean(np.stack([_take(daily_mean, work[i]) for i in range(WORKDAY_LEVEL_DAYS)]), axis=0)
        return np.where(kinds == SATURDAY, daily_mean / before, np.nan)


def build_features(index: pd.DatetimeIndex, load_kw: pd.Series, temp_air_c: pd.Series | None,
                   horizon: pd.Timedelta) -> pd.DataFrame:
    """Feature table (:data:`FEATURE_COLUMNS`) for targets at ``index`` (NaN where not known).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Target steps, on the grid of ``load_kw``.
    load_kw : pandas.Series
        Load history on a regular grid [kW]; only steps before a target's issue time are read
        (module docstring).
    temp_air_c : pandas.Series, optional
        Temperature forecast for the targets [degC].
    horizon : pandas.Timedelta
        Forecast horizon: from the issue time to the end of the last day forecast.
    """
    lead = lead_days(horizon)
    out = calendar_features(index, temp_air_c)
    step = (load_kw.index[1] - load_kw.index[0]) if len(load_kw) > 1 else pd.Timedelta(index.freq or "1h")
    per_day = int(pd.Timedelta(days=1) / step)
    start = min(load_kw.index[0], index[0]).normalize() if len(load_kw) else index[0].normalize()
    days = pd.date_range(start, index[-1].normalize(), freq="D")
    grid = pd.date_range(days[0], periods=len(days) * per_day, freq=step)
    matrix = load_kw.reindex(grid).to_numpy(dtype=float).reshape(len(days), per_day)
    known = np.isfinite(matrix).all(axis=1)
    daily_mean = np.where(known, matrix.mean(axis=1), np.nan)
    kinds = daily_kinds(days)["kind"].to_numpy()
    latest = _latest_of_kind(kinds, known)

    day_pos = ((index.normalize() - days[0]) // pd.Timedelta(days=1)).to_numpy()
    slot = ((index - index.normalize()) // step).to_numpy()
    cutoff = day_pos - lead  # newest day a target may read
    week = 7 * math.ceil(lead / 7)
    same = _previous(latest, np.where(kinds == DAY_OFF, SUNDAY, kinds)[day_pos], cutoff, SHAPE_DAYS)
    work = _previous(latest, np.full(len(index), WORKDAY), cutoff, WORKDAY_LEVEL_LONG_DAYS)

    same_loads = np.stack([_take(matrix, same[i], slot) for i in range(SHAPE_DAYS)])
    same_means = np.stack([_take(daily_mean, same[i]) for i in range(SHAPE_DAYS)])
    lag_days = np.where(cutoff >= 0, cutoff, -1)
    week_days = np.where(day_pos - week >= 0, day_pos - week, -1)
    week_means = np.stack([_take(daily_mean, np.where(cutoff - i >= 0, cutoff - i, -1)) for i in range(7)])
    work_means = np.stack([_take(daily_mean, work[i]) for i in range(WORKDAY_LEVEL_LONG_DAYS)])
    saturday_ratio = _saturday_ratio(latest, daily_mean, kinds)
    saturdays = _previous(latest, np.full(len(index), SATURDAY), cutoff, SATURDAY_RATIO_DAYS)
    sat_ratios = np.stack([_take(saturday_ratio, saturdays[i]) for i in range(SATURDAY_RATIO_DAYS)])
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # means of all-NaN columns are NaN (not known yet)
        shape = np.nanmean(same_loads / same_means, axis=0)
        level = np.nanmean(same_means[:LEVEL_DAYS], axis=0)
        lag_issue, level_24h = _issue_lags(index, grid, matrix.ravel(), horizon)
        lagged = {
            "lag_issue": lag_issue,
            "level_24h": level_24h,
            "lag_lead": _take(matrix, lag_days, slot),
            "lag_week": _take(matrix, week_days, slot),
            "lag_same_kind": same_loads[0],
            "lag_workday": _take(matrix, work[0], slot),
            "profile_kind": np.nanmean(same_loads[:LEVEL_DAYS], axis=0),
            "prev_day_mean": _take(daily_mean, lag_days),
            "mean_7d": np.nanmean(week_means, axis=0),
            "workday_level": np.nanmean(work_means[:WORKDAY_LEVEL_DAYS], axis=0),
            "workday_level_long": np.nanmean(work_means, axis=0),
            "kind_level": level,
            "saturday_level": np.nanmedian(sat_ratios, axis=0) * np.nanmean(work_means[:WORKDAY_LEVEL_DAYS], axis=0),
            "profile_scaled": shape * level,
        }
    for name in LAG_COLUMNS:
        out[name] = lagged[name]
    return out[list(FEATURE_COLUMNS)]
