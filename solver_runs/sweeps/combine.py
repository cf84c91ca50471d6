"""A sweep's members combined: one KPI table and one xarray Dataset with dims ``member`` x ``site``.

Each member contributes the ``total`` row of its run summary (the whole site). The table has
one row per (member, site) with the member's parameter values, inputs key, status
(``ok`` / ``failed`` / ``pending``) and error; the Dataset holds the same KPIs as variables
over ``(member, site)``, the parameters as coordinates along ``member`` and the status as a
variable, so ``ds["cost_after_thb"].sel(site=...)`` is one member curve.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import xarray as xr

from munigrid.solver_runs.store import SUMMARY
from munigrid.solver_runs.sweeps.ledger import MEMBERS, SweepFolder

UNIT_SUFFIXES = {"_mwh": "MWh", "_kwh": "kWh", "_pct": "%", "_kw": "kW", "_thb": "THB", "_t": "tCO2e", "_s": "s"}
KPIS_FILE = "kpis.nc"
TABLE_FILE = "table.csv"


def unit_of(column: str) -> str:
    """The unit a column name ends with (``cost_after_thb`` -> ``THB``); empty when none."""
    return next((unit for suffix, unit in UNIT_SUFFIXES.items() if column.endswith(suffix)), "")


def coord_name(path: str) -> str:
    """A netCDF-safe variable name for a parameter path (``buildings[*].annual_kwh`` -> ``buildings_annual_kwh``)."""
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", path.replace("[*]", ""))).strip("_")


def _totals(folder: SweepFolder, keys: set[str]) -> dict[str, pd.Series]:
    out = {}
    for key in keys:
        summary = pd.read_csv(folder.path / MEMBERS / key / SUMMARY, index_col=0)
        out[key] = summary.loc["total"] if "total" in summary.index else summary.iloc[-1]
    return out


def member_table(folder: SweepFolder) -> pd.DataFrame:
    """One row per (member, site): parameters, key, status, error and the site's KPIs."""
    plan = folder.plan
    paths = [p["path"] for p in plan["parameters"]]
    done = folder.done_keys()
    failures = folder.failures()
    totals = _totals(folder, {m["key"] for m in plan["members"]} & done)
    rows = []
    for m in plan["members"]:
        key = m["key"]
        row = {"member": m["member"], "site": m["site"], **{p: m["params"].get(p) for p in paths}, "key": key}
        if key in done:
            row.update(status="ok", error="", **totals[key].to_dict())
        elif key in failures:
            row.update(status="failed", error=failures[key].get("message", ""))
        else:
            row.update(status="pending", error="")
        rows.append(row)
    return pd.DataFrame(rows)


def member_records(table: pd.DataFrame) -> list[dict]:
    """The member table as JSON-ready records: plain Python numbers and strings, None for missing."""
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v.item() if isinstance(v, np.generic) else v)
             for k, v in row.items()} for row in table.astype(object).to_dict("records")]


def _param_values(values: pd.Series) -> np.ndarray:
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().sum() == values.notna().sum():
        return numeric.to_numpy(dtype=float)
    return values.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)).to_numpy(dtype=str)


def kpi_dataset(table: pd.DataFrame, parameters: list[dict], sweep_id: str) -> xr.Dataset:
    """The member table as a Dataset over ``(member, site)`` (see the module docstring)."""
    members = sorted(table["member"].unique())
    sites = list(dict.fromkeys(table["site"]))
    indexed = table.set_index(["member", "site"])
    full = pd.MultiIndex.from_product([members, sites], names=["member", "site"])
    kpis = [c for c in table.columns if c not in {"member", "site", "key", "status", "error"}
            and c not in {p["path"] for p in parameters}]
    data = {}
    for column in kpis:
        values = pd.to_numeric(indexed[column], errors="coerce").reindex(full).to_numpy().reshape(len(members), len(sites))
        data[column] = (("member", "site"), values, {"units": unit_of(column)})
    for column in ("status", "error", "key"):
        values = indexed[column].reindex(full).fillna("").astype(str).to_numpy().reshape(len(members), len(sites))
        data[column] = (("member", "site"), values)
    coords = {"member": members, "site": sites}
    by_member = table.drop_duplicates("member").set_index("member").reindex(members)
    for p in parameters:
        coords[coord_name(p["path"])] = ("member", _param_values(by_member[p["path"]]),
                                         {"path": p["path"], "apply": p["apply"]})
    return xr.Dataset(data, coords=coords, attrs={"sweep_id": sweep_id})


def combine(folder: SweepFolder) -> tuple[pd.DataFrame, xr.Dataset]:
    """Build the member table and KPI Dataset from the folder and write ``table.csv`` and ``kpis.nc``."""
    table = member_table(folder)
    ds = kpi_dataset(table, folder.plan["parameters"], folder.sweep_id)
    tmp_table = folder.path / f".{TABLE_FILE}.tmp"
    table.to_csv(tmp_table, index=False)  # full precision: every float round-trips exactly
    tmp_table.replace(folder.path / TABLE_FILE)
    tmp = folder.path / f".{KPIS_FILE}.tmp"
    ds.to_netcdf(tmp, engine="h5netcdf")
    tmp.replace(folder.path / KPIS_FILE)
    return table, ds
