"""A scenario building's tariff: library id or tariff file, scenario overrides, extra off-peak dates.

A tariff whose export rule is net metering with a size cap is checked against the building's
PV (installed capacity, or its sizing limit ``max_kwp``).

Overrides apply in order: the scenario's ``tariffs.overrides[<id>]``, then the building's own
``tariff.overrides``, then the scenario's ``tariffs.export_allowed`` / ``export_thb_per_kwh``
(when given, they replace the export rule: no export, or net billing at that price; a tariff
whose rule is net metering refuses them, since netting against imports is not a price).
Every problem names the scenario field it came from.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from munigrid.models.errors import InputError, Problem
from munigrid.models.tariffs.library import apply_overrides, get_tariff, tariff_from_file
from munigrid.models.tariffs.spec import ExportSpec
from munigrid.models.tariffs.tariff import Tariff
from munigrid.scenarios.input_files import input_path
from munigrid.scenarios.schema import Building, Connection, Tariffs


def _relabel(err: InputError, where: str) -> InputError:
    return InputError([Problem(where if p.path in ("tariff", "tariff file") else f"{where}: {p.path}", p.message)
                       for p in err.problems])


def _base_tariff(building: Building | Connection, base_dir: Path, where: str) -> tuple[Tariff, dict]:
    choice = building.tariff
    if building.tariff_file is not None:
        return tariff_from_file(input_path(building.tariff_file, base_dir), None, f"{where}.tariff_file"), {}
    if isinstance(choice, str):
        try:
            return get_tariff(choice), {}
        except InputError as err:
            raise _relabel(err, f"{where}.tariff") from err
    if choice.file is not None:
        return tariff_from_file(input_path(choice.file, base_dir), choice.id, f"{where}.tariff.file"), dict(choice.overrides)
    try:
        return get_tariff(choice.id), dict(choice.overrides)
    except InputError as err:
        raise _relabel(err, f"{where}.tariff.id") from err


def building_tariff(building: Building | Connection, settings: Tariffs, base_dir: Path, where: str) -> Tariff:
    """The tariff of ``building`` or of a shared connection (``where`` is its scenario path, e.g. ``buildings[0]``)."""
    tariff, own = _base_tariff(building, base_dir, where)
    overrides = {**settings.overrides.get(tariff.id, {}), **own}
    if overrides:
        try:
            tariff = apply_overrides(tariff, overrides)
        except InputError as err:
            raise _relabel(err, f"{where}.tariff.overrides / tariffs.overrides[{tariff.id}]") from err
    return replace(_scenario_export(tariff, settings, where), extra_offpeak_dates=tuple(settings.extra_offpeak_dates))


def _scenario_export(tariff: Tariff, settings: Tariffs, where: str) -> Tariff:
    """``tariff`` with the export rule of ``tariffs.export_allowed`` / ``export_thb_per_kwh`` when given."""
    allowed, price = settings.export_allowed, settings.export_thb_per_kwh
    if allowed is None and price is None:
        return tariff
    if not allowed:
        if price:
            raise InputError("is set but tariffs.export_allowed is not true; give export_allowed: true to be paid "
                             "for export, or drop export_thb_per_kwh", "tariffs.export_thb_per_kwh")
        if allowed is None:
            raise InputError("give tariffs.export_allowed: true or false with it", "tariffs.export_thb_per_kwh")
    if tariff.spec.export is not None and tariff.spec.export.kind == "net_metering":
        raise InputError(f"{where} uses tariff '{tariff.id}', whose export rule is net metering (credit against "
                         "imports, not a price): drop tariffs.export_allowed / export_thb_per_kwh and set the "
                         "export in the tariff (tariff file 'export:' or tariffs.overrides."
                         f"{tariff.id}: {{export.kind: ..., export.price_thb_per_kwh: ...}})", "tariffs.export_allowed")
    rule = ExportSpec(kind="net_billing" if allowed else "none", price_thb_per_kwh=float(price or 0.0) if allowed else 0.0,
                      source="scenario tariffs.export_allowed / export_thb_per_kwh", as_of="scenario")
    return replace(tariff, spec=tariff.spec.model_copy(update={"export": rule}))


def tariff_problems(buildings: list[Building], settings: Tariffs, base_dir: Path,
                    connections: list[Connection] = ()) -> list[Problem]:
    """Every problem of the buildings' and shared connections' own tariffs and of ``tariffs.overrides`` ids."""
    problems: list[Problem] = []
    ids = set()
    for k, conn in enumerate(connections):
        if conn.tariff is not None or conn.tariff_file is not None:
            try:
                ids.add(building_tariff(conn, settings, base_dir, f"connections[{k}]").id)
            except InputError as err:
                problems += err.problems
    for i, building in enumerate(buildings):
        try:
            tariff = building_tariff(building, settings, base_dir, f"buildings[{i}]")
            ids.add(tariff.id)
            system_kw = sum(max(a.capacity_kwp, a.max_kwp or 0.0) for a in building.pv_arrays)
            tariff.export_rule(None).check_system_kw(system_kw, f"buildings[{i}].pv_arrays")
        except InputError as err:
            problems += err.problems
    problems += [Problem(f"tariffs.overrides.{key}", f"no building uses tariff '{key}'; used: {sorted(ids)}")
                 for key in settings.overrides if key not in ids]
    return problems
