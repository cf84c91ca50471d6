"""Time-of-use calendars: which TOU period each quarter hour belongs to.

Periods change only on 15-minute marks (the spec enforces it), so a calendar is evaluated
on quarter-hour sub-steps; a coarser step (1 h) is then the mix of its four quarters.
A public holiday has the day type ``holiday`` (not its weekday): Thai TOU bills
weekday holidays as off-peak. Which holidays count comes from the ``holidays`` package
(category PUBLIC, ``observed=False``: substitution days are not off-peak), minus names the
calendar excludes (cabinet bridge days by default), plus extra dates the user gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import holidays as holidays_lib
import numpy as np
import pandas as pd

from munigrid.models.errors import InputError
from munigrid.models.tariffs.spec import DAY_NAMES, CalendarSpec, HolidaySpec, clock_minutes

SUBSTEP_MIN = 15


@lru_cache(maxsize=64)
def _holiday_dates(country: str, categories: tuple[str, ...], observed: bool,
                   exclude: tuple[str, ...], years: tuple[int, ...]) -> frozenset[dt.date]:
    table = holidays_lib.country_holidays(country, years=list(years), categories=categories,
                                          observed=observed, language="en_US")
    return frozenset(day for day, name in table.items()
                     if not any(word.lower() in name.lower() for word in exclude))


def holiday_dates(spec: HolidaySpec, years: Iterable[int]) -> frozenset[dt.date]:
    """Dates of the holidays ``spec`` counts, for the given years."""
    try:
        return _holiday_dates(spec.country, tuple(c.lower() for c in spec.categories), spec.observed,
                              tuple(spec.exclude_names_containing), tuple(sorted(set(years))))
    except (NotImplementedError, KeyError, ValueError) as err:
        raise InputError(f"holidays for country '{spec.country}' with categories "
                         f"{spec.categories} are not available: {err}", "calendar.holidays") from err


def substep_times(index: pd.DatetimeIndex, step_h: float) -> pd.DatetimeIndex:
    """Quarter-hour start times inside every step of ``index`` (local time), step-major."""
    n_sub = max(1, int(round(step_h * 60 / SUBSTEP_MIN)))
    offsets = np.arange(n_sub) * np.timedelta64(SUBSTEP_MIN, "m")
    local = index.tz_convert("Asia/Bangkok").tz_localize(None).values.astype("datetime64[ns]")
    return pd.DatetimeIndex((local[:, None] + offsets[None, :]).ravel())


def period_codes(calendar: CalendarSpec, times: pd.DatetimeIndex,
                 extra_holidays: Iterable[dt.date] = ()) -> np.ndarray:
    """Index into ``calendar.periods`` of every (naive local) quarter-hour start in ``times``.

    Parameters
    ----------
    calendar : CalendarSpec
        The calendar; the first matching rule wins, otherwise the default period.
    times : DatetimeIndex
        Naive local quarter-hour starts (see :func:`substep_times`).
    extra_holidays : iterable of date
        Extra dates billed with the ``holiday`` day type (e.g. bridge days, a setting).
    """
    periods = calendar.periods
    codes = np.zeros(len(times), dtype=np.int16)
    if not calendar.rules or len(times) == 0:
        return codes
    days = times.normalize()
    holiday_set = set(extra_holidays)
    if calendar.holidays is not None:
        holiday_set |= holiday_dates(calendar.holidays, range(times.year.min(), times.year.max() + 1))
    is_holiday = np.isin(days.values.astype("datetime64[D]"),
                         np.array(sorted(holiday_set), dtype="datetime64[D]"))
    weekday = times.day_of_week.values
    minute = (times.hour.values * 60 + times.minute.values)
    month = times.month.values
    assigned = np.zeros(len(times), dtype=bool)
    for rule in calendar.rules:
        day_ok = np.zeros(len(times), dtype=bool)
        for day in rule.days:
            day_ok |= is_holiday if day == "holiday" else (~is_holiday & (weekday == DAY_NAMES.index(day)))
        hit = (day_ok & ~assigned & np.isin(month, rule.months)
               & (minute >= clock_minutes(rule.start)) & (minute < clock_minutes(rule.end)))
        codes[hit] = periods.index(rule.period)
        assigned |= hit
    return codes
