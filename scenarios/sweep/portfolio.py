"""A portfolio: many sites from one CSV, each a one-building scenario built on a template.

Columns (one row per site; units in the names):

=================  ========  =====================================================
column             required  meaning
=================  ========  =====================================================
name               yes       site name (unique), e.g. "Tha Yang municipal office"
latitude_deg       yes       site latitude [deg]
longitude_deg      yes       site longitude [deg]
kind               yes       building archetype (office, school, health_centre, ...)
annual_kwh         one of    yearly consumption [kWh]
floor_area_m2      one of    floor area for the archetype's intensity [m2]
tariff             yes       tariff id, e.g. pea-3.2-lt22kv
roof_area_m2       yes       usable roof [m2]
pv_kwp             no        PV capacity [kWp]; blank: fill the roof at the runner's
                             usable density (``scenarios.inputs.ROOF_KWP_PER_M2``)
battery_kwh        no        battery energy [kWh] (blank or 0: none)
battery_kw         no        battery power [kW] (required with battery_kwh)
=================  ========  =====================================================

The template scenario gives everything else: time grid, weather, tariff settings, solver,
emissions, PV array geometry (its first array, else the schema defaults) and battery
efficiencies. Missing columns or duplicate names stop at once with every problem listed;
a row whose values are invalid becomes a site whose members fail with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from munigrid.models.errors import InputError, Problem
from munigrid.scenarios.schema import Scenario

REQUIRED = ("name", "latitude_deg", "longitude_deg", "kind", "tariff", "roof_area_m2")
OPTIONAL = ("annual_kwh", "floor_area_m2", "pv_kwp", "battery_kwh", "battery_kw")


def _slug(name: str) -> str:
    """Building name from a site name: lower case, ``[a-z0-9_-]`` only."""
    return re.sub(r"[^a-z0-9_\-]+", "_", name.strip().lower()).strip("_") or "site"


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()) or pd.isna(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return value  # left for the schema to reject with the field's path


def read_portfolio(path: Path) -> pd.DataFrame:
    """Read and check a portfolio CSV (columns, unique names); raise :class:`InputError` with all problems."""
    where = str(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read the portfolio CSV: {err}", where) from None
    problems = []
    unknown = sorted(set(table.columns) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        problems.append(Problem(where, f"unknown columns {', '.join(unknown)}; allowed: "
                                       f"{', '.join(REQUIRED + OPTIONAL)}"))
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        problems.append(Problem(where, f"missing columns: {', '.join(missing)}"))
    if "annual_kwh" not in table.columns and "floor_area_m2" not in table.columns:
        problems.append(Problem(where, "give the load size: an `annual_kwh` or `floor_area_m2` column"))
    if table.empty:
        problems.append(Problem(where, "no sites (the file has a header only)"))
    if "name" in table.columns:
        names = table["name"].str.strip()
        for row in names.index[names == ""]:
            problems.append(Problem(f"{where}: row {row + 2}", "name is empty"))
        repeated = sorted(set(names[names.duplicated() & (names != "")]))
        if repeated:
            problems.append(Problem(where, f"site names must be unique; repeated: {', '.join(repeated)}"))
    if problems:
        raise InputError(problems)
    table["name"] = table["name"].str.strip()
    return table


def _pv_kwp(row: dict, roof_kwp_per_m2: float) -> Any:
    kwp = _number(row.get("pv_kwp"))
    if kwp is not None:
        return kwp
    roof = _number(row.get("roof_area_m2"))
    return roof * roof_kwp_per_m2 if isinstance(roof, float) else 0.0


def site_scenario(template: Scenario, row: dict, roof_kwp_per_m2: float) -> dict:
    r"""The scenario (plain dict, not yet validated) of one portfolio row.

    PV capacity when ``pv_kwp`` is blank: :math:`P_{pv} = A_{roof}\,d` [kWp] with the usable
    density :math:`d` [kWp/m2].
    """
    base = template.model_dump(mode="json")
    name = row["name"]
    geometry = dict(base["buildings"][0]["pv_arrays"][0]) if base["buildings"][0]["pv_arrays"] else {"name": "roof"}
    geometry["capacity_kwp"] = _pv_kwp(row, roof_kwp_per_m2)
    building = {"name": _slug(name), "kind": row["kind"], "tariff": row["tariff"],
                "roof_area_m2": _number(row["roof_area_m2"]), "pv_arrays": [geometry]}
    for column in ("annual_kwh", "floor_area_m2"):
        if _number(row.get(column)) is not None:
            building[column] = _number(row[column])
    battery_kwh = _number(row.get("battery_kwh"))
    battery = None
    if battery_kwh:
        battery = dict(base["battery"] or {})
        battery.update(building=building["name"], energy_kwh=battery_kwh, power_kw=_number(row.get("battery_kw")))
    site = dict(base["site"], name=name, latitude_deg=_number(row["latitude_deg"]),
                longitude_deg=_number(row["longitude_deg"]))
    return dict(base, name=_slug(name), site=site, buildings=[building], battery=battery)


def portfolio_scenarios(template: Scenario, path: Path) -> dict[str, dict]:
    """Site name -> scenario dict for every row of the portfolio CSV at ``path``."""
    from munigrid.scenarios.inputs import ROOF_KWP_PER_M2

    table = read_portfolio(path)
    return {row["name"]: site_scenario(template, row, ROOF_KWP_PER_M2) for row in table.to_dict("records")}
