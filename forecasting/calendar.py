"""Thai calendar for building loads: day types and school terms.

Which days a building is closed comes from :mod:`munigrid.forecasting.occupancy_days`
(public-sector days off, substitution days included). The TOU tariff calendar is a different
one (PUBLIC holidays, not observed) and lives with the tariffs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from munigrid.forecasting.occupancy_days import DAY_OFF as DAY_OFF_KIND
from munigrid.forecasting.occupancy_days import SATURDAY as SATURDAY_KIND
from munigrid.forecasting.occupancy_days import SUNDAY as SUNDAY_KIND
from munigrid.forecasting.occupancy_days import day_kind

WORKDAY, SATURDAY, SUNDAY_OR_HOLIDAY = 0, 1, 2


def day_type(index: pd.DatetimeIndex) -> np.ndarray:
    """0 workday, 1 Saturday, 2 Sunday or day off, per step.

    Days off are those of public-sector offices (:mod:`munigrid.forecasting.occupancy_days`:
    public holidays with their substitution days, as the buildings are closed then), so
    archetype loads and the load forecaster agree on which days are working days.
    """
    kind = day_kind(index)
    return np.select([kind == SATURDAY_KIND, (kind == SUNDAY_KIND) | (kind == DAY_OFF_KIND)],
                     [SATURDAY, SUNDAY_OR_HOLIDAY], WORKDAY).astype(np.int8)


def in_school_term(index: pd.DatetimeIndex, terms: list[tuple[str, str]]) -> np.ndarray:
    """True for steps inside a school term; ``terms`` are (start, end) as ``MM-DD``, end inclusive.

    A term whose end is before its start wraps over the new year (e.g. 11-01 to 03-31).
    """
    mmdd = index.strftime("%m-%d").to_numpy()
    inside = np.zeros(len(index), dtype=bool)
    for start, end in terms:
        inside |= ((mmdd >= start) & (mmdd <= end)) if start <= end else ((mmdd >= start) | (mmdd <= end))
    return inside
