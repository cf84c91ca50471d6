"""Day kinds for building occupancy: working day, Saturday, Sunday, day off; bridge days.

Occupancy follows the public-sector calendar (municipal and university buildings), which
differs from the TOU tariff calendar of :mod:`munigrid.forecasting.calendar`:

* Days off are the ``holidays`` package's Thai PUBLIC holidays **with** substitution days
  (``observed=True``: offices close on the in-lieu Monday) plus the GOVERNMENT category
  (Royal Ploughing Ceremony), on any weekday.
* National Labour Day is not a day off. Assumption: public offices stay open on it (it is a
  private-sector holiday under the Labour Protection Act B.E. 2541); the Chamchuri 5 meter
  agrees (2019-05-01 looks like a working day).
* A bridge day (flag ``bridge``) is a working day with a non-working day on both sides, one of
  them a day off (e.g. the Monday between a Sunday and a Tuesday holiday): staff may take
  leave. It stays a working day kind, so models learn from the data how much it differs.
* The day after a day off (the first working day after it, ``after_day_off``) is flagged
  separately: HVAC restart and catch-up work change its profile.

Dates from the ``holidays`` package are stated by it as accurate up to 2025 (checked
2025-06); later years follow cabinet decisions.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

WORKDAY, SATURDAY, SUNDAY, DAY_OFF = 0, 1, 2, 3
KIND_NAMES = {WORKDAY: "workday", SATURDAY: "saturday", SUNDAY: "sunday", DAY_OFF: "day_off"}
N_KINDS = len(KIND_NAMES)
#: Holidays of the PUBLIC category on which public offices open (assumption, module docstring).
OFFICE_OPEN_ON = ("National Labor Day",)


@lru_cache(maxsize=64)
def public_sector_days_off(year: int) -> frozenset[date]:
    """Weekday-independent days off of Thai public-sector offices in one year (module docstring)."""
    found = holidays.country_holidays("TH", years=[year], observed=True, categories=("public", "government"))
    return frozenset(d for d, name in found.items() if not any(open_name in name for open_name in OFFICE_OPEN_ON))


def daily_kinds(days: pd.DatetimeIndex) -> pd.DataFrame:
    """Day kind and the ``bridge`` and ``after_day_off`` flags for consecutive local days (midnights).

    Returns
    -------
    pandas.DataFrame
        Index ``days``; ``kind`` (int8, one of the module constants), ``bridge`` and
        ``after_day_off`` (int8, 0 or 1).
    """
    pad = pd.date_range(days[0] - pd.Timedelta(days=7), days[-1] + pd.Timedelta(days=7), freq="D")
    off = {d for y in pad.year.unique() for d in public_sector_days_off(int(y))}
    day_off = np.array([d.date() in off for d in pad])
    dow = pad.day_of_week.to_numpy()
    kind = np.select([day_off, dow == 5, dow == 6], [DAY_OFF, SATURDAY, SUNDAY], WORKDAY)
    working = kind == WORKDAY
    before, after = np.roll(kind, 1), np.roll(kind, -1)
    bridge = working & (before != WORKDAY) & (after != WORKDAY) & ((before == DAY_OFF) | (after == DAY_OFF))
    # first working day after a stretch that contains a day off
    last_off = pd.Series(np.where(kind == DAY_OFF, np.arange(len(pad)), np.nan)).ffill().to_numpy()
    last_work = pd.Series(np.where(kind == WORKDAY, np.arange(len(pad)), np.nan)).ffill().shift(1).to_numpy()
    after_off = (kind == WORKDAY) & np.isfinite(last_off) & ~(np.nan_to_num(last_work, nan=-1) > last_off)
    out = pd.DataFrame({"kind": kind.astype(np.int8), "bridge": bridge.astype(np.int8),
                        "after_day_off": after_off.astype(np.int8)}, index=pad)
    return out.reindex(days)


def day_kind(index: pd.DatetimeIndex) -> np.ndarray:
    """Occupancy day kind of every step (local date), int8."""
    days = pd.DatetimeIndex(index.normalize().unique())
    return daily_kinds(days)["kind"].reindex(index.normalize()).to_numpy()
