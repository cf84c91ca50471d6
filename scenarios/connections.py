"""Which buildings share which utility meter, and what is behind each meter.

A scenario's ``connections`` put several buildings behind one meter (a point of common
coupling): the optimiser sees one meter whose load is their summed load, whose PV arrays,
batteries and generator are theirs together, and whose tariff bills the net import at the
connection. Buildings in no connection keep their own meter. :func:`meter_inputs` turns the
per-building inputs into one :class:`~munigrid.scenarios.inputs.BuildingInputs` per meter (a
shared connection's named after the connection, its arrays as ``building.array``), in the order
of the scenario's buildings (a connection where its first building is).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable
from pathlib import Path

import pandas as pd

from munigrid.models.errors import InputError, Problem
from munigrid.models.tariffs.tariff import Tariff
from munigrid.scenarios.schema import Battery, Connection, Scenario

CONNECTION_KIND = "connection"


def battery_specs(scenario: Scenario) -> list[Battery]:
    """The scenario's batteries: ``battery`` (one) or the ``batteries`` list."""
    return [scenario.battery] if scenario.battery is not None else list(scenario.batteries)


def connection_of(scenario: Scenario) -> dict[str, Connection]:
    """Each building behind a shared connection, by name, to its connection."""
    return {b: conn for conn in scenario.connections for b in conn.buildings}


def meter_of(scenario: Scenario, building: str) -> str:
    """The name of the meter ``building`` is behind: its connection's, or its own."""
    conn = connection_of(scenario).get(building)
    return building if conn is None else conn.name


def one_battery_problems(scenario: Scenario, feature: str) -> list[Problem]:
    """Why ``feature`` (which handles one battery on one building's own meter) cannot take this scenario."""
    problems = []
    if scenario.batteries:
        problems.append(Problem("batteries", f"{feature} handles one battery, written as `battery:`; "
                                             f"this scenario lists `batteries:`"))
    if scenario.connections:
        problems.append(Problem("connections", f"{feature} handles buildings on their own meters; "
                                               f"this scenario has shared `connections:`"))
    return problems


def meter_buildings(scenario: Scenario) -> dict[str, list[str]]:
    """Each meter's name to the buildings behind it, meters in the order of the scenario's buildings."""
    shared = connection_of(scenario)
    out: dict[str, list[str]] = {}
    for building in scenario.buildings:
        conn = shared.get(building.name)
        if conn is None:
            out[building.name] = [building.name]
        elif conn.name not in out:
            out[conn.name] = list(conn.buildings)
    return out


def _same_tariff(scenario: Scenario, conn: Connection, k: int) -> None:
    specs = {b.name: (b.tariff, b.tariff_file) for b in scenario.buildings if b.name in conn.buildings}
    if len({repr(v) for v in specs.values()}) > 1:
        raise InputError(f"the buildings behind connection '{conn.name}' have different tariffs "
                         f"({', '.join(sorted(specs))}); give the connection's own `tariff` or `tariff_file`",
                         f"connections[{k}].tariff")


def _connection_tariff(scenario: Scenario, conn: Connection, k: int, first_tariff: Callable[[], Tariff],
                       base_dir: Path) -> Tariff:
    """The connection's own tariff, or its buildings' common one (``first_tariff()``: its first building's)."""
    from munigrid.scenarios.tariff_choice import building_tariff

    if conn.tariff is None and conn.tariff_file is None:
        _same_tariff(scenario, conn, k)
        return first_tariff()
    return building_tariff(conn, scenario.tariffs, base_dir, f"connections[{k}]")


def _merged(name: str, members: list, tariff: Tariff):
    """One meter's inputs from the inputs of the buildings behind it (loads summed, arrays side by side)."""
    rename = lambda b: (lambda array: f"{b.name}.{array}")  # noqa: E731
    profiles = [b.pv_kw_per_kwp.rename(columns=rename(b)) for b in members]
    return replace(members[0], name=name, kind=CONNECTION_KIND, tariff=tariff,
                   load_kw=sum((b.load_kw for b in members[1:]), start=members[0].load_kw).rename(name),
                   pv_kw_per_kwp=pd.concat(profiles, axis=1),
                   pv_capacity_kwp={rename(b)(a): kwp for b in members for a, kwp in b.pv_capacity_kwp.items()},
                   pv_max_kwp={rename(b)(a): kwp for b in members for a, kwp in b.pv_max_kwp.items()},
                   notes=f"shared connection of {', '.join(b.name for b in members)}",
                   data_notes=[n for b in members for n in b.data_notes], members=[b.name for b in members])


def meter_tariff(scenario: Scenario, meter: str, base_dir: Path) -> Tariff:
    """The tariff of one meter: a building's own, or a shared connection's (:func:`meter_inputs`)."""
    from munigrid.scenarios.tariff_choice import building_tariff

    index = {conn.name: k for k, conn in enumerate(scenario.connections)}
    if meter not in index:
        k, building = next((k, b) for k, b in enumerate(scenario.buildings) if b.name == meter)
        return building_tariff(building, scenario.tariffs, base_dir, f"buildings[{k}]")
    conn = scenario.connections[index[meter]]
    k, first = next((k, b) for k, b in enumerate(scenario.buildings) if b.name in conn.buildings)
    return _connection_tariff(scenario, conn, index[meter],
                              lambda: building_tariff(first, scenario.tariffs, base_dir, f"buildings[{k}]"), base_dir)


def meter_inputs(scenario: Scenario, buildings: list, base_dir: Path) -> list:
    """One inputs entry per meter (module docstring) from the per-building ``buildings``."""
    by_name = {b.name: b for b in buildings}
    index = {conn.name: k for k, conn in enumerate(scenario.connections)}
    out = []
    for name, behind in meter_buildings(scenario).items():
        if name not in index:
            out.append(by_name[name])
            continue
        conn, members = scenario.connections[index[name]], [by_name[b] for b in behind]
        out.append(_merged(name, members, _connection_tariff(scenario, conn, index[name], lambda: members[0].tariff, base_dir)))
    return out
