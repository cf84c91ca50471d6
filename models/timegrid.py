"""Time conventions, written once.

munigrid time is a tz-aware :class:`pandas.DatetimeIndex` in Asia/Bangkok (UTC+7, no DST),
labels at the *beginning* of each interval, at a fixed step (15 min or 1 h). Energy per
step is power times step length, :func:`energy_kwh`. netCDF cannot hold tz-aware stamps,
so :func:`to_naive_local` / :func:`from_naive_local` convert in one place.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError, Problem

TZ = "Asia/Bangkok"
ALLOWED_STEPS_MIN = (15, 60)


def duration(value: str | pd.Timedelta) -> pd.Timedelta:
    """``value`` as a Timedelta, with a day unit written ``d`` read as ``D`` (``"7d"``, ``"1d12h"``).

    Users write ``7d``; pandas deprecates the lower-case day unit. Other spellings (``24h``,
    ``7 days``, a Timedelta) pass through unchanged.
    """
    if isinstance(value, str):
        value = re.sub(r"(?<=\d)d(?![a-z])", "D", value.strip())
    return pd.Timedelta(value)


def step_hours(index: pd.DatetimeIndex) -> float:
    """Length of one step of a regular index [h]."""
    if len(index) < 2:
        freq = pd.tseries.frequencies.to_offset(index.freq) if index.freq is not None else None
        if freq is None:
            raise InputError("a single time stamp has no step; give at least two", "time")
        return pd.Timedelta(freq).total_seconds() / 3600.0
    return (index[1] - index[0]).total_seconds() / 3600.0


def energy_kwh(power_kw: np.ndarray | float, step_h: float) -> np.ndarray | float:
    r"""Energy in one step from the mean power over it: :math:`E = P \,\Delta t` [kWh]."""
    return power_kw * step_h


def make_index(start: str | pd.Timestamp, periods: int, step_min: int) -> pd.DatetimeIndex:
    """A regular Asia/Bangkok index of ``periods`` steps of ``step_min`` minutes."""
    if step_min not in ALLOWED_STEPS_MIN:
        raise InputError(f"must be one of {ALLOWED_STEPS_MIN}, got {step_min}", "time_step_min")
    start_ts = pd.Timestamp(start)
    start_ts = start_ts.tz_localize(TZ) if start_ts.tzinfo is None else start_ts.tz_convert(TZ)
    return pd.date_range(start_ts, periods=periods, freq=f"{step_min}min", name="time")


def index_problems(index: pd.Index, where: str, allowed_steps_min=ALLOWED_STEPS_MIN) -> list[Problem]:
    """Every problem that keeps ``index`` from being a munigrid time grid.

    Checks: tz-aware, sorted, no duplicates, one fixed step among ``allowed_steps_min``,
    no gaps. Rows are named 1-based as in the source file (after a header line).
    """
    if not isinstance(index, pd.DatetimeIndex):
        return [Problem(where, "time stamps could not be read as dates and times")]
    problems: list[Problem] = []
    if index.tz is None:
        problems.append(Problem(where, "time stamps have no time zone; add one (e.g. +07:00) "
                                       "or state the zone (Asia/Bangkok)"))
    dup = index.duplicated(keep="first")
    if dup.any():
        rows = np.flatnonzero(dup)[:5] + 1
        problems.append(Problem(where, f"{int(dup.sum())} duplicate time stamps "
                                       f"(rows {', '.join(map(str, rows))}…); keep one value per interval"))
    if len(index) >= 2 and not dup.any():
        deltas = np.diff(index.as_unit("ns").asi8) / 6e10  # minutes
        if (deltas <= 0).any():
            rows = np.flatnonzero(deltas <= 0)[:5] + 2
            problems.append(Problem(where, f"time stamps are not increasing (rows {', '.join(map(str, rows))}); sort them"))
        else:
            step = float(np.min(deltas))
            if step not in allowed_steps_min:
                problems.append(Problem(where, f"step is {step:g} min; use one of {allowed_steps_min} min"))
            gaps = np.flatnonzero(deltas != step)
            if len(gaps):
                first = index[gaps[0]]
                problems.append(Problem(where, f"{len(gaps)} gaps in the {step:g}-min series, first after "
                                               f"{first.isoformat()} (row {gaps[0] + 1}); fill or remove them"))
    return problems


def check_index(index: pd.Index, where: str, allowed_steps_min=ALLOWED_STEPS_MIN) -> pd.DatetimeIndex:
    """Return ``index`` in Asia/Bangkok, or raise :class:`InputError` listing every problem."""
    problems = index_problems(index, where, allowed_steps_min)
    if problems:
        raise InputError(problems)
    return index.tz_convert(TZ)


def to_naive_local(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Drop the zone after converting to Asia/Bangkok (for netCDF, which cannot store zones)."""
    return index.tz_convert(TZ).tz_localize(None)


def from_naive_local(values) -> pd.DatetimeIndex:
    """Inverse of :func:`to_naive_local`: naive local stamps back to Asia/Bangkok."""
    return pd.DatetimeIndex(values).tz_localize(TZ)
