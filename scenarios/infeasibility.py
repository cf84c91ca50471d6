"""Say why a scenario has no schedule: which building, which steps (as dates) and the likely fix.

The optimiser names the constraint rows that cannot all hold
(:class:`munigrid.models.dispatch.diagnosis.Conflict`: family, meter, steps); this module turns
them into the scenario's words: the building, the first dates, the scenario field to change.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from munigrid.models.dispatch.problem import DispatchResult, Meter

MAX_DATES = 3

# what to change when a family's rows cannot hold, in scenario fields
FIXES = {
    "soc_final": "the battery cannot end at its required state of charge; set battery.soc_final to free or a lower "
                 "share, or give it more power or energy",
    "soc_initial": "the battery's initial state of charge is outside its limits; check battery.soc_initial_frac",
    "soc_dynamics": "the battery cannot keep its state of charge within its limits; check battery.soc_min_frac, "
                    "soc_max_frac and soc_final",
    "self_sufficiency": "lower sizing.min_self_sufficiency_frac or allow larger sizes",
    "renewable_share": "lower sizing.min_renewable_frac or allow more PV",
    "co2_cap": "raise sizing.max_co2_kg or allow more PV and storage",
    "budget": "raise sizing.budget_thb",
    "gen_min_load": "the generator's minimum load cannot be absorbed; lower generator.min_load_frac or allow "
                    "shedding less",
}


def _dates(index: pd.DatetimeIndex | None, steps: np.ndarray) -> str:
    if index is None or not len(steps):
        return ""
    first = [index[int(s)].strftime("%Y-%m-%d %H:%M") for s in np.unique(steps)[:MAX_DATES] if int(s) < len(index)]
    more = ", ..." if len(np.unique(steps)) > MAX_DATES else ""
    return f" ({', '.join(first)}{more})"


def _balance_line(meter: Meter, steps: np.ndarray, index: pd.DatetimeIndex | None) -> str:
    """The power balance cannot hold: with the grid up the import limit is short, in outages the
    site's own supply is."""
    outage = np.zeros(len(meter.load_kw), bool) if meter.outage is None else np.asarray(meter.outage, bool)
    in_outage = steps[outage[steps]]
    grid_up = steps[~outage[steps]]
    lines = []
    if len(grid_up):
        limit = meter.import_limit_kw
        cause = f"grid.import_limit_kw {limit:g} is below the load" if math.isfinite(limit) else "the load cannot be met"
        lines.append(f"{cause} at {len(grid_up)} steps of {meter.name}{_dates(index, grid_up)}; raise it or add "
                     "storage or generation")
    if len(in_outage):
        lines.append(f"the load of {meter.name} cannot be met in grid outages at {len(in_outage)} steps"
                     f"{_dates(index, in_outage)}; allow shedding (grid.voll_thb_per_kwh with a critical_frac below "
                     "the share that may be lost) or add a generator or battery")
    return "; ".join(lines)


def explain(result: DispatchResult, meters: list[Meter], index: pd.DatetimeIndex | None = None) -> list[str]:
    """Lines for an infeasible ``result`` of a problem over ``meters``: building, dates, likely fix."""
    lines = []
    for conflict in result.conflicts:
        meter = meters[conflict.meter] if conflict.meter is not None and conflict.meter < len(meters) else None
        where = f" of {meter.name}" if meter is not None else ""
        if conflict.family == "power_balance" and meter is not None:
            line = _balance_line(meter, conflict.steps, index)
        elif conflict.family in FIXES:
            line = f"{conflict.family}{where}{_dates(index, conflict.steps)}: {FIXES[conflict.family]}"
        else:
            continue
        if line not in lines:
            lines.append(line)
    return lines
