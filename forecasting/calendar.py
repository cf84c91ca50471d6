"""Thai calendar for loads: public holidays, day types and school terms.

Holidays are the ``holidays`` package's Thai PUBLIC category with ``observed=False``
(substitution days are working days for the tariff and, as an assumption, for occupancy);
its Thai dates are stated as accurate up to 2025.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

WORKDAY, SATURDAY, SUNDAY_OR_HOLIDAY = 0, 1, 2


@lru_cache(maxsize=64)
def thai_public_holidays(year: int) -> frozenset[date]:
    """Thai public holidays of one year (PUBLIC category, observed=False)."""
    return frozenset(holidays.country_holidays("TH", years=[year], observed=False, categories=("public",)))


def is_holiday(index: pd.DatetimeIndex) -> np.ndarray:
    """True for steps falling on a Thai public holiday (local date)."""
    days = pd.DatetimeIndex(index.normalize().unique())
    off = {d for y in days.year.unique() for d in thai_public_holidays(int(y))}
    flags = np.array([d.date() in off for d in days])
    return pd.Series(flags, index=days).reindex(index.normalize()).to_numpy()


def day_type(index: pd.DatetimeIndex) -> np.ndarray:
    """0 workday, 1 Saturday, 2 Sunday or public holiday, per step."""
    kind = np.where(index.day_of_week == 5, SATURDAY, WORKDAY)
    kind = np.where((index.day_of_week == 6) | is_holiday(index), SUNDAY_OR_HOLIDAY, kind)
    return kind.astype(np.int8)


def in_school_term(index: pd.DatetimeIndex, terms: list[tuple[str, str]]) -> np.ndarray:
    """True for steps inside a school term; ``terms`` are (start, end) as ``MM-DD``, end inclusive.

    A term whose end is before its start wraps over the new year (e.g. 11-01 to 03-31).
    """
    mmdd = index.strftime("%m-%d").to_numpy()
    inside = np.zeros(len(index), dtype=bool)
    for start, end in terms:
        inside |= ((mmdd >= start) & (mmdd <= end)) if start <= end else ((mmdd >= start) | (mmdd <= end))
    return inside
