"""Checks of a run that the schema cannot make, with every problem named by its scenario path.

The dispatch model checks its own input (``munigrid.models.dispatch.validate``) and names
problems by its internal structure (``meters[0].battery.energy_kwh``, ``options.*``); a user
wrote ``battery.energy_kwh`` in a scenario file, so :func:`user_problems` translates those
paths back. :func:`munigrid.scenarios.runner.prepare` runs these checks for both
``munigrid validate`` and ``munigrid run``.
"""

from __future__ import annotations

import re

import pandas as pd

from munigrid.models.errors import InputError, Problem
from munigrid.scenarios.schema import Scenario

# internal field of a meter -> the scenario block that sets it
_METER_FIELDS = {"import_limit_kw": "grid.import_limit_kw", "export_limit_kw": "tariffs.export_allowed",
                 "critical_frac": "grid.critical_frac", "voll_thb_per_kwh": "grid.voll_thb_per_kwh",
                 "outage": "grid.outages"}
_PV_FIELDS = {"block_kwp": "sizing.pv_block_kwp", "capex_thb_per_kwp": "sizing.pv_capex_thb_per_kwp"}
_BATTERY_FIELDS = {"block_kwh": "sizing.battery_block_kwh", "capex_thb_per_kwh": "sizing.battery_capex_thb_per_kwh",
                   "capex_thb_per_kw": "sizing.battery_capex_thb_per_kw"}
_TOP_FIELDS = {"step_h": "time.step_min", "meters": "buildings", "options": "optimisation", "economics": "sizing"}
_METER = re.compile(r"^meters\[(\d+)\](?:\.([a-z_]+))?(?:\[(\d+)\])?(?:\.([a-z_]+))?")


def _building_path(scenario: Scenario, index: int, rest: list[str | None]) -> str:
    """The scenario path of an internal ``meters[index]...`` path."""
    building = scenario.buildings[index]
    where = f"buildings[{index}]"
    part, item, leaf = rest
    if part == "load_kw":
        return f"{where}.load_csv" if building.load_csv else f"{where}.annual_kwh"
    if part == "pv":
        if leaf in _PV_FIELDS:
            return _PV_FIELDS[leaf]
        return f"{where}.pv_arrays[{item}]" + (f".{leaf}" if leaf and leaf != "ac_kw_per_kwp" else "")
    if part in ("battery", "batteries", "generator"):
        return _asset_path(scenario, part, item, leaf)
    if part == "terms":
        return f"{where}.tariff"
    if part in _METER_FIELDS:
        return _METER_FIELDS[part]
    return where


def _asset_path(scenario: Scenario, part: str, item: str | None, leaf: str | None) -> str:
    """The scenario path of a meter's battery (``battery``, ``batteries[item]``) or generator field."""
    if leaf in _BATTERY_FIELDS:
        return _BATTERY_FIELDS[leaf]
    where = "batteries" if scenario.batteries else part.replace("batteries", "battery")
    if scenario.batteries and item is not None:
        where = f"batteries[{item}]"  # the meter's n-th battery; scenario order when one meter holds them all
    return where + (f".{leaf}" if leaf else "")


def _connection_path(scenario: Scenario, index: int, rest: list[str | None]) -> str:
    """The scenario path of an internal ``meters[i]...`` path of shared connection ``index``."""
    part, item, leaf = rest
    where = f"connections[{index}]"
    if part in ("battery", "batteries", "generator"):
        return _asset_path(scenario, part, item, leaf)
    if part == "terms":
        return f"{where}.tariff"
    if part == "import_limit_kw" and scenario.connections[index].import_limit_kw is not None:
        return f"{where}.import_limit_kw"
    if part in _METER_FIELDS:
        return _METER_FIELDS[part]
    return where


def user_path(path: str, scenario: Scenario, meter_names: list[str] | None = None) -> str:
    """The scenario path a user wrote for an internal model path (``meters[0].battery.power_kw`` -> ``battery.power_kw``).

    ``meter_names`` are the buildings of the solved group, in order (default: all buildings).
    """
    match = _METER.match(path)
    if match:
        position = int(match[1])
        names = meter_names or [b.name for b in scenario.buildings]
        connections = [c.name for c in scenario.connections]
        if position < len(names) and names[position] in connections:
            return _connection_path(scenario, connections.index(names[position]), [match[2], match[3], match[4]])
        index = [b.name for b in scenario.buildings].index(names[position]) if position < len(names) else position
        return _building_path(scenario, min(index, len(scenario.buildings) - 1), [match[2], match[3], match[4]])
    head, _, rest = path.partition(".")
    if head in _TOP_FIELDS:
        return _TOP_FIELDS[head] + (f".{rest}" if rest and head != "meters" else "")
    return path


def user_problems(problems: list[Problem], scenario: Scenario, meter_names: list[str] | None = None) -> list[Problem]:
    """``problems`` with internal model paths replaced by scenario paths."""
    return [Problem(user_path(p.path, scenario, meter_names), p.message) for p in problems]


def dispatch_problems(scenario: Scenario, meters: list, step_h: float) -> list[Problem]:
    """The dispatch model's input checks of ``meters``, named by scenario path."""
    from munigrid.models.dispatch.problem import DispatchProblem
    from munigrid.models.dispatch.validate import problems_of
    from munigrid.scenarios.runner import solve_options

    options, economics = solve_options(scenario)
    found = problems_of(DispatchProblem(step_h=step_h, meters=meters, options=options, economics=economics))
    return user_problems(found, scenario, [m.name for m in meters])


def outage_warnings(scenario: Scenario, index: pd.DatetimeIndex) -> list[str]:
    """A warning for every outage that does not overlap the horizon (it would change nothing)."""
    out = []
    first, end = index[0], index[-1] + (index[1] - index[0] if len(index) > 1 else pd.Timedelta(hours=1))
    for i, outage in enumerate(scenario.grid.outages):
        start = pd.Timestamp(outage.start)
        start = start.tz_localize(index.tz) if start.tzinfo is None else start.tz_convert(index.tz)
        if start >= end or start + pd.Timedelta(hours=outage.hours) <= first:
            out.append(f"grid.outages[{i}]: {start:%Y-%m-%d %H:%M} for {outage.hours:g} h lies outside the horizon "
                       f"{first:%Y-%m-%d}..{end:%Y-%m-%d} and is ignored; move it into time.start + time.days")
    return out


def sweep_problems(scenario: Scenario) -> list[Problem]:
    """Problems of the scenario's ``sweep:`` block: every parameter path must name a field of the scenario."""
    if scenario.sweep is None:
        return []
    from munigrid.scenarios.sweep.plan import check_paths

    try:
        check_paths(scenario.sweep, {scenario.site.name: scenario.model_dump(mode="json", exclude={"sweep"})})
    except InputError as err:
        return list(err.problems)
    return []
