"""Synthetic stored runs and sweeps for the report tests (shape of ``munigrid.scenarios.api.run``).

Loads and PV are simple daily shapes; a battery at the first building charges from surplus
PV and discharges when the load exceeds PV, so the power balance of every step holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
import yaml
from munigrid.models.timegrid import make_index
from munigrid.solver_runs.results_io import write_results
from munigrid.solver_runs.store import write_run

BUILDINGS = ("municipal_office", "municipal_school", "street_lighting")
BATTERY_KWH, BATTERY_KW, EFF = 200.0, 100.0, 0.95


def _battery(load: np.ndarray, pv: np.ndarray) -> dict[str, np.ndarray]:
    n = len(load)
    out = {k: np.zeros(n) for k in ("charge_kw", "discharge_kw", "soc_kwh", "curtailed_kw", "import_kw")}
    soc = 0.5 * BATTERY_KWH
    for i in range(n):
        out["soc_kwh"][i] = soc
        surplus = pv[i] - load[i]
        if surplus > 0:
            charge = min(surplus, BATTERY_KW, (0.9 * BATTERY_KWH - soc) / EFF)
            out["charge_kw"][i] = charge
            out["curtailed_kw"][i] = surplus - charge
            soc += charge * EFF
        else:
            discharge = min(-surplus, BATTERY_KW, (soc - 0.1 * BATTERY_KWH) * EFF)
            out["discharge_kw"][i] = discharge
            out["import_kw"][i] = -surplus - discharge
            soc -= discharge / EFF
    return out


def results(days: int = 75, start: str = "2026-01-01") -> xr.Dataset:
    """Dispatch-shaped results over ``days`` hourly days for :data:`BUILDINGS`."""
    index = make_index(start, 24 * days, 60)
    hour = index.hour.to_numpy() + 0.5
    weekday = (index.day_of_week < 5).astype(float)
    rng = np.random.default_rng(1)
    sun = np.clip(np.sin(np.pi * (hour - 6.0) / 12.0), 0.0, None)
    office = 12 + 50 * weekday * ((hour > 8.5) & (hour < 16.5)) + rng.normal(0, 2, len(index)).clip(-5, 5)
    school = 6 + 35 * weekday * ((hour > 8) & (hour < 15.5))
    lights = 12.0 * ((hour < 6) | (hour > 18))
    loads = np.column_stack([office, school, lights])
    pv = np.column_stack([70 * sun, 45 * sun, 0 * sun]) * rng.uniform(0.6, 1.0, (len(index), 1))
    columns = {k: np.zeros_like(loads) for k in ("charge_kw", "discharge_kw", "soc_kwh", "curtailed_kw", "import_kw")}
    for j in range(len(BUILDINGS)):
        if j == 0:
            flows = _battery(loads[:, j], pv[:, j])
        else:
            curtailed = np.clip(pv[:, j] - loads[:, j], 0, None)
            flows = {"curtailed_kw": curtailed, "import_kw": np.clip(loads[:, j] - pv[:, j], 0, None)}
        for k, v in flows.items():
            columns[k][:, j] = v
    data = {"load_kw": loads, "pv_ac_kw": pv, "pv_used_kw": pv - columns["curtailed_kw"],
            "baseline_import_kw": loads, "export_kw": np.zeros_like(loads), "gen_kw": np.zeros_like(loads),
            "shed_kw": np.zeros_like(loads), **columns}
    units = {k: ("kWh" if k == "soc_kwh" else "kW") for k in data}
    return xr.Dataset({k: (("time", "building"), v, {"units": units[k]}) for k, v in data.items()},
                      coords={"time": index, "building": list(BUILDINGS)})


def summary(ds: xr.Dataset) -> pd.DataFrame:
    """KPI table shaped like :func:`munigrid.scenarios.kpis.summarise` (costs at 4 THB/kWh)."""
    mwh = {k: ds[k].sum("time").to_series() / 1000.0 for k in ("load_kw", "pv_used_kw", "import_kw",
                                                                 "baseline_import_kw")}
    table = pd.DataFrame({"load_mwh": mwh["load_kw"], "pv_mwh": mwh["pv_used_kw"], "import_mwh": mwh["import_kw"],
                          "peak_kw": ds["import_kw"].max("time").to_series(),
                          "cost_before_thb": 4000 * mwh["baseline_import_kw"], "cost_after_thb": 4000 * mwh["import_kw"],
                          "co2_avoided_t": 0.475 * (mwh["baseline_import_kw"] - mwh["import_kw"]), "solve_s": 0.1})
    table.loc["total"] = table.sum()
    table["self_sufficiency_pct"] = 100 * (table["load_mwh"] - table["import_mwh"]) / table["load_mwh"]
    table.index.name = "building"
    return table


def bills(ds: xr.Dataset, column: str) -> str:
    """Monthly bills CSV (4 THB/kWh plus 7 % VAT), shaped like the runner's ``bills.csv``."""
    frame = ds[column].to_dataframe()[column].unstack("building")
    monthly = frame.groupby(frame.index.strftime("%Y-%m")).sum()
    rows = [{"month": m, "building": b, "energy_kwh": kwh, "total_thb": round(4.0 * 1.07 * kwh, 2)}
            for m, row in monthly.iterrows() for b, kwh in row.items()]
    return pd.DataFrame(rows).set_index("month").to_csv()


SCENARIO = {
    "name": "synthetic", "description": "Synthetic three-building site for report tests",
    "site": {"name": "Test municipality", "latitude_deg": 12.97, "longitude_deg": 99.89, "altitude_m": 10},
    "time": {"start": "2026-01-01", "days": 75, "step_min": 60},
    "weather": {"source": "synthetic", "seed": 1, "file": None},
    "buildings": [{"name": b, "kind": "office", "annual_kwh": 100000.0, "tariff": "pea-3.2-lt22kv",
                   "roof_area_m2": 300.0, "pv_arrays": [{"name": "roof", "capacity_kwp": 50.0}],
                   "notes": "Assumption: test building <b>not</b> real"} for b in BUILDINGS],
    "battery": {"building": BUILDINGS[0], "energy_kwh": BATTERY_KWH, "power_kw": BATTERY_KW,
                "charge_eff_frac": EFF, "discharge_eff_frac": EFF, "soc_min_frac": 0.1, "soc_max_frac": 0.9},
    "tariffs": {"ft_thb_per_kwh": None, "export_allowed": False},
    "emissions": {"grid_kg_per_kwh": 0.475},
}


def manifest() -> dict:
    """A manifest shaped like the runner's."""
    meters = {b: {"status": "optimal", "gap": 0.0, "objective_thb": 1000.0} for b in BUILDINGS}
    return {"scenario": "synthetic", "inputs_hash": "0123456789abcdef", "created_utc": "2026-03-01T00:00:00+00:00",
            "versions": {"munigrid": "0.1.0", "pvlib": "0.16"},
            "solver": {"name": "HiGHS", "meters": meters, "objective_thb": 3000.0, "build_s": 0.1, "solve_s": 0.2},
            "timings": {"total_s": 1.0}, "notes": ["Ft: built-in schedule <2026>"]}


def _metrics(structure: str, rows: list[dict]) -> str:
    """``metrics.csv`` of one structure as :func:`munigrid.models.finance.export.metrics_table` writes it."""
    base = {"structure": structure, "period": "years 0-15", "payback_years": None, "lcoe_thb_per_kwh": None,
            "net_savings_year1_thb": None, "net_savings_total_thb": None, "min_dscr": None}
    return pd.DataFrame([base | row for row in rows]).to_csv(index=False)


def finance_files() -> dict[str, str]:
    """``finance/<structure>/*.csv`` as ``munigrid finance`` writes them: a PPA with tornado and
    NPV percentiles, and municipal ownership (metrics and cash flows only)."""
    years = np.arange(16)
    muni = np.r_[0.0, np.full(15, 120_000.0)]
    inv = np.r_[-1_500_000.0, np.full(15, 180_000.0)]
    files = {
        "finance/ppa/municipality.csv": pd.DataFrame({"year": years, "equity_thb": muni,
                                                      "cumulative_thb": np.cumsum(muni)}).to_csv(index=False),
        "finance/ppa/investor.csv": pd.DataFrame({"year": years, "equity_thb": inv,
                                                  "cumulative_thb": np.cumsum(inv)}).to_csv(index=False),
        "finance/ppa/metrics.csv": _metrics("ppa", [
            {"party": "municipality", "npv_thb": 900_000.0, "irr_frac": None, "irr_status": "none",
             "irr_note": "all cash flows are positive (+ in years 1-15): nothing is invested and returned",
             "payback_years": 0.0, "discount_frac": 0.06, "net_savings_year1_thb": 120_000.0,
             "net_savings_total_thb": 1_800_000.0},
            {"party": "investor", "npv_thb": 250_000.0, "irr_frac": 0.09, "irr_status": "unique", "irr_note": "",
             "payback_years": 8.4, "discount_frac": 0.10}]),
        "finance/municipal/municipality.csv": pd.DataFrame({"year": years, "equity_thb": inv,
                                                            "cumulative_thb": np.cumsum(inv)}).to_csv(index=False),
        "finance/municipal/metrics.csv": _metrics("municipal", [
            {"party": "municipality", "npv_thb": 400_000.0, "irr_frac": 0.085, "irr_status": "unique", "irr_note": "",
             "payback_years": 8.4, "discount_frac": 0.06}]),
    }
    rows = []
    for party, base in (("municipality", 900_000.0), ("investor", 250_000.0)):
        for driver, swing in (("capex", 0.3), ("tariff", 0.5), ("ft", 0.1), ("yield", 0.4)):
            rows.append({"structure": "ppa", "party": party, "driver": driver, "delta_low": -0.1, "delta_high": 0.1,
                         "unit": "-", "npv_base_thb": base, "npv_low_thb": base * (1 - swing),
                         "npv_high_thb": base * (1 + swing), "swing_thb": 2 * swing * base})
    files["finance/ppa/tornado.csv"] = pd.DataFrame(rows).to_csv(index=False)
    files["finance/ppa/npv_percentiles.csv"] = pd.DataFrame([
        {"structure": "ppa", "party": "municipality", "p10_npv_thb": 1.2e6, "p50_npv_thb": 9e5, "p90_npv_thb": 6e5,
         "mean_npv_thb": 9e5, "prob_negative_frac": 0.0, "samples": 500}]).to_csv(index=False)
    return files


def simulation(n_samples: int = 400) -> xr.Dataset:
    """Monte Carlo samples shaped like :func:`munigrid.models.simulation.montecarlo.monte_carlo`."""
    rng = np.random.default_rng(7)
    return xr.Dataset({
        "cost_thb": ("sample", rng.normal(1.2e6, 8e4, n_samples), {"units": "THB"}),
        "self_sufficiency_frac": ("sample", rng.uniform(0.2, 0.35, n_samples), {"units": "-"}),
        "peak_import_kw": ("sample", rng.normal(140, 10, n_samples), {"units": "kW"}),
    }, coords={"sample": np.arange(n_samples)})


FORECAST_SKILL = pd.DataFrame([
    {"target": "load", "model": "gradient boosting", "horizon": "day-ahead", "mae_kw": 4.1, "rmse_kw": 5.9,
     "skill_frac": 0.31},
    {"target": "pv", "model": "pvlib clear-sky x persistence", "horizon": "day-ahead", "mae_kw": 6.5, "rmse_kw": 9.8,
     "skill_frac": 0.22}]).to_csv(index=False)


def resilience(ds: xr.Dataset) -> tuple[dict, xr.Dataset]:
    """Survival of the first building's critical load (half its load) from the synthetic schedule,
    shaped like :func:`munigrid.scenarios.resilience.run_resilience` (the other buildings NaN)."""
    from munigrid.models.simulation.outage import outage_survival
    from munigrid.models.simulation.params import BatteryParams
    from munigrid.scenarios.resilience import SURVIVAL_DURATIONS_H, survival_figures

    first = ds.sel(building=BUILDINGS[0])
    found = outage_survival(0.5 * first["load_kw"].to_numpy(), first["pv_ac_kw"].to_numpy(),
                            first["soc_kwh"].to_numpy(), BatteryParams(BATTERY_KWH, BATTERY_KW, EFF, EFF, 0.1, 0.9),
                            step_h=1.0, max_hours=72.0)
    table = np.full((ds.sizes["time"], len(BUILDINGS)), np.nan)
    table[:, 0] = found.survived_h
    figures = {"durations_h": list(SURVIVAL_DURATIONS_H), "max_evaluated_h": 72.0, "outage_risk": None,
               "survival": {BUILDINGS[0]: {**survival_figures(found.survived_h, 72.0), "critical_frac": 0.5,
                                           "fuel_l": 0.0}}}
    return figures, xr.Dataset({"survived_h": (("time", "building"), table, {"units": "h"})},
                               coords={"time": ds["time"], "building": list(BUILDINGS)})


def write_synthetic_run(root: Path, run_id: str = "run-full", full: bool = True, days: int = 75) -> Path:
    """Store a synthetic run; ``full`` adds bills before, finance, simulation, resilience and forecast skill."""
    ds = results(days)
    scenario = dict(SCENARIO, time=dict(SCENARIO["time"], days=days))
    extra = {"scenario.yaml": yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True),
             "bills.csv": bills(ds, "import_kw")}
    if full:
        extra |= {"bills_before.csv": bills(ds, "baseline_import_kw"), "forecast_skill.csv": FORECAST_SKILL}
    figures, survival = resilience(ds) if full else (None, None)
    stored = write_run(root, run_id, {**manifest(), "resilience": figures} if full else manifest(), ds, summary(ds),
                       extra_files=None)
    for name, text in extra.items():
        (stored.path / name).write_text(text, encoding="utf-8")
    if full:
        for name, text in finance_files().items():
            (stored.path / name).parent.mkdir(parents=True, exist_ok=True)
            (stored.path / name).write_text(text, encoding="utf-8")
        simulation().to_netcdf(stored.path / "simulation.nc", engine="h5netcdf")
        write_results(survival, stored.path / "resilience.nc")
    return stored.path


def write_synthetic_sweep(root: Path) -> Path:
    """A sweep folder with two members per site finished, one failed and one pending."""
    from munigrid.solver_runs.sweeps.combine import combine
    from munigrid.solver_runs.sweeps.ledger import SweepFolder

    parameters = [{"path": "battery.energy_kwh", "apply": "set"}]
    members = [{"member": m, "site": "tha-yang", "key": f"k{m}", "params": {"battery.energy_kwh": kwh}}
               for m, kwh in enumerate((0, 100, 200, 300))]
    plan = {"sweep_id": "demo-sweep", "name": "demo", "spec": {"method": "grid"}, "parameters": parameters,
            "sites": ["tha-yang"], "members": members, "base_dir": "."}
    folder = SweepFolder.create(root, "demo-sweep", plan)
    for m in members[:2]:
        ds = results(14)
        table = summary(ds)
        table.loc["total", "cost_after_thb"] *= 1.0 - 0.05 * m["member"]
        folder.record_success(m["key"], manifest(), ds, table)
    folder.record_failure("k2", {"kind": "input", "message": "battery.energy_kwh: <bad>"})
    combine(folder)
    (folder.path / "status.json").write_text(json.dumps({"counts": {}}), encoding="utf-8")
    return folder.path
