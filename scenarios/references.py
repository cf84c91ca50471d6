"""What a scenario refers to outside its own file: meter, PV, tariff and weather files, PV against its roof.

Tariff ids are checked by the schema itself (:mod:`munigrid.scenarios.schema`), so
``munigrid validate`` lists them with the other schema problems. This module imports no
numerical stack, so that validating a scenario stays quick.
"""

from __future__ import annotations

from pathlib import Path

from munigrid.models.errors import InputError, Problem
from munigrid.scenarios.input_files import file_problem, input_path
from munigrid.scenarios.schema import Building, Connection, Scenario, TariffChoice

# Usable rooftop PV density [kWp per m2 of roof]: 0.15, an assumption for crystalline
# modules of about 20 % efficiency at about 75 % roof coverage (access and shading margins).
ROOF_KWP_PER_M2 = 0.15


def reference_problems(scenario: Scenario, base_dir: Path) -> list[Problem]:
    """Problems a schema cannot see: missing files, installed PV larger than its roof."""
    problems: list[Problem] = []
    for i, b in enumerate(scenario.buildings):
        if b.load_csv is not None and (problem := file_problem(input_path(b.load_csv, base_dir))):
            problems.append(Problem(f"buildings[{i}].load_csv", problem))
        problems += [Problem(f"buildings[{i}].pv_arrays[{k}].pv_csv", problem) for k, a in enumerate(b.pv_arrays)
                     if a.pv_csv is not None and (problem := file_problem(input_path(a.pv_csv, base_dir)))]
        problems += [Problem(f"buildings[{i}].pv_arrays[{k}].calibration", problem) for k, a in enumerate(b.pv_arrays)
                     if a.calibration is not None and (problem := file_problem(input_path(a.calibration, base_dir)))]
        problems += [Problem(f"buildings[{i}].{field}", problem) for field, ref in tariff_files(b)
                     if (problem := file_problem(input_path(ref, base_dir)))]
        kwp = sum(a.capacity_kwp for a in b.pv_arrays)
        if kwp > 0 and kwp > b.roof_area_m2 * ROOF_KWP_PER_M2:
            problems.append(Problem(f"buildings[{i}].pv_arrays",
                                    f"{kwp:g} kWp needs about {kwp / ROOF_KWP_PER_M2:,.0f} m2 of roof but "
                                    f"roof_area_m2 is {b.roof_area_m2:g}; reduce capacity_kwp or correct the roof"))
    for k, conn in enumerate(scenario.connections):
        problems += [Problem(f"connections[{k}].{field}", problem) for field, ref in tariff_files(conn)
                     if (problem := file_problem(input_path(ref, base_dir)))]
    if scenario.weather.source == "file" and (problem := file_problem(input_path(scenario.weather.file, base_dir))):
        problems.append(Problem("weather.file", problem))
    return problems


def tariff_files(building: Building | Connection) -> list[tuple[str, str]]:
    """The tariff file a building or shared connection names, as ``(field, path)`` (none for a library tariff)."""
    if building.tariff_file is not None:
        return [("tariff_file", building.tariff_file)]
    if isinstance(building.tariff, TariffChoice) and building.tariff.file is not None:
        return [("tariff.file", building.tariff.file)]
    return []


def check_references(scenario: Scenario, base_dir: Path) -> None:
    """Raise :class:`InputError` listing every :func:`reference_problems` of ``scenario`` and every
    problem of its tariffs once resolved (overrides, tariff files' contents, net-metering caps)."""
    from munigrid.scenarios.tariff_choice import tariff_problems  # reads tariffs: pandas

    problems = reference_problems(scenario, base_dir)
    seen = {p.path for p in problems}
    problems += [p for p in tariff_problems(scenario.buildings, scenario.tariffs, base_dir, scenario.connections)
                 if p.path not in seen]
    if problems:
        raise InputError(problems)
