"""The main job: scenario -> inputs -> dispatch per meter -> results, bills, KPIs -> run store.

Each building is on its own PEA/MEA meter and is solved as its own dispatch problem (no
constraint links them in dispatch mode), which keeps each LP small and reports the solve
time per building. A battery sits behind the meter of the building named in the scenario.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from munigrid.models.dispatch import solve
from munigrid.models.dispatch.problem import (Battery, DispatchProblem, DispatchResult, Meter, PVArray,
                                              SolveOptions)
from munigrid.models.tariffs import FtSchedule
from munigrid.scenarios.inputs import BuildingInputs, SiteInputs, build_inputs
from munigrid.scenarios.kpis import summarise
from munigrid.scenarios.provenance import inputs_hash, package_versions
from munigrid.scenarios.schema import Scenario

Progress = Callable[[str], None]

UNITS = {"load_kw": "kW", "pv_ac_kw": "kW", "pv_used_kw": "kW", "curtailed_kw": "kW", "import_kw": "kW",
         "baseline_import_kw": "kW", "export_kw": "kW", "charge_kw": "kW", "discharge_kw": "kW",
         "soc_kwh": "kWh", "gen_kw": "kW", "shed_kw": "kW"}


@dataclass
class RunOutcome:
    """What one run produced.

    Attributes
    ----------
    scenario_name : str
    results : xarray.Dataset
        Time series, dims ``time`` x ``building``, ``attrs["units"]`` on each variable.
    summary : pandas.DataFrame
        KPIs per building and ``total`` (see :mod:`munigrid.scenarios.kpis`).
    manifest : dict
        Inputs hash, versions, solver outcome per meter, timings.
    bills : dict of pandas.DataFrame
        Monthly bills after the project, per building.
    run_dir, report_path : Path or None
        Where the run and its report were stored.
    """

    scenario_name: str
    results: xr.Dataset
    summary: pd.DataFrame
    manifest: dict
    bills: dict[str, pd.DataFrame] = field(default_factory=dict)
    run_dir: Path | None = None
    report_path: Path | None = None

    def solver_line(self) -> str:
        """One line on the solver outcome for terminals."""
        solver = self.manifest["solver"]
        statuses = sorted({m["status"] for m in solver["meters"].values()})
        return (f"HiGHS via munigrid.models.dispatch, status {'/'.join(statuses)}, "
                f"build {solver['build_s']:.2f} s, solve {solver['solve_s']:.2f} s, "
                f"whole run {self.manifest['timings']['total_s']:.1f} s")

    def to_json(self) -> dict:
        """The summary and where things are, as one JSON-ready object."""
        rows = {name: {k: (None if pd.isna(v) else float(v)) for k, v in row.items()}
                for name, row in self.summary.iterrows()}
        return {"scenario": self.scenario_name, "summary": rows, "solver": self.manifest["solver"],
                "timings": self.manifest["timings"], "notes": self.manifest["notes"],
                "run_dir": str(self.run_dir) if self.run_dir else None,
                "report": str(self.report_path) if self.report_path else None}


def ft_schedule(scenario: Scenario) -> FtSchedule:
    """Ft for the run: the scenario's constant, else the built-in schedule (last known value after it)."""
    if scenario.tariffs.ft_thb_per_kwh is not None:
        return FtSchedule.constant(scenario.tariffs.ft_thb_per_kwh)
    return FtSchedule.builtin(fallback=scenario.tariffs.ft_fallback)


def meter_for(building: BuildingInputs, inputs: SiteInputs, scenario: Scenario, ft: FtSchedule) -> tuple[Meter, list[str]]:
    """A building's meter: its load, PV arrays, battery if it hosts one, and tariff terms."""
    terms = building.tariff.cost_terms(inputs.index, ft=ft)
    pv = [PVArray(name=name, ac_kw_per_kwp=(building.pv_arrays_kw[name] / kwp).to_numpy(), capacity_kwp=kwp)
          for name, kwp in building.pv_capacity_kwp.items()]
    battery = None
    spec = scenario.battery
    if spec is not None and spec.building == building.name and spec.energy_kwh > 0:
        battery = Battery(energy_kwh=spec.energy_kwh, power_kw=spec.power_kw,
                          charge_eff_frac=spec.charge_eff_frac, discharge_eff_frac=spec.discharge_eff_frac,
                          soc_min_frac=spec.soc_min_frac, soc_max_frac=spec.soc_max_frac,
                          soc_initial_frac=spec.soc_initial_frac,
                          degradation_thb_per_kwh=spec.degradation_thb_per_kwh)
    meter = Meter(name=building.name, load_kw=building.load_kw.to_numpy(), terms=terms, pv=pv, battery=battery,
                  grid_co2_kg_per_kwh=scenario.emissions.grid_kg_per_kwh)
    return meter, list(getattr(terms, "notes", []))


def solve_meter(meter: Meter, step_h: float, scenario: Scenario) -> DispatchResult:
    """Optimal dispatch of one meter (raises NoSolutionError when there is no usable answer)."""
    options = SolveOptions(mode="dispatch", time_limit_s=scenario.optimisation.time_limit_s,
                           mip_rel_gap=scenario.optimisation.mip_rel_gap, threads=1)
    return solve(DispatchProblem(step_h=step_h, meters=[meter], options=options)).require_solution()


def results_dataset(inputs: SiteInputs, solved: dict[str, DispatchResult]) -> xr.Dataset:
    """Time series of every building as one Dataset (dims time x building)."""
    names = [b.name for b in inputs.buildings]
    columns: dict[str, list[np.ndarray]] = {k: [] for k in UNITS}
    for b in inputs.buildings:
        s = solved[b.name].schedules[b.name]
        pv_ac = b.pv_ac_kw.to_numpy()
        curtailed = s.curtailed_kw.sum(axis=0) if s.curtailed_kw.size else np.zeros_like(pv_ac)
        load = b.load_kw.to_numpy()
        columns["load_kw"].append(load)
        columns["pv_ac_kw"].append(pv_ac)
        columns["curtailed_kw"].append(curtailed)
        columns["pv_used_kw"].append(pv_ac - curtailed - s.export_kw)
        columns["import_kw"].append(s.import_kw)
        columns["baseline_import_kw"].append(load)
        columns["export_kw"].append(s.export_kw)
        columns["charge_kw"].append(s.charge_kw)
        columns["discharge_kw"].append(s.discharge_kw)
        columns["soc_kwh"].append(s.soc_kwh[:-1] if len(s.soc_kwh) == len(load) + 1 else s.soc_kwh)
        columns["gen_kw"].append(s.gen_kw)
        columns["shed_kw"].append(s.shed_kw)
    data = {k: (("time", "building"), np.column_stack(v), {"units": UNITS[k]}) for k, v in columns.items()}
    ds = xr.Dataset(data, coords={"time": inputs.index, "building": names})
    ds["soc_kwh"].attrs["label"] = "state of charge at the beginning of each step"
    return ds


def bills_for(inputs: SiteInputs, results: xr.Dataset, ft: FtSchedule, column: str) -> dict[str, pd.DataFrame]:
    """Monthly bills of every building for one import series (``import_kw`` or ``baseline_import_kw``)."""
    return {b.name: b.tariff.bill(results[column].sel(building=b.name).to_series().clip(lower=0.0), ft=ft).monthly
            for b in inputs.buildings}


def run_scenario(scenario: Scenario, base_dir: Path, progress: Progress | None = None) -> RunOutcome:
    """Run the whole chain for ``scenario`` in memory (nothing stored)."""
    say = progress or (lambda stage: None)
    clock = {"start": time.perf_counter()}
    say("weather, PV and loads")
    inputs = build_inputs(scenario, base_dir)
    clock["inputs_s"] = time.perf_counter() - clock["start"]
    ft = ft_schedule(scenario)
    solved: dict[str, DispatchResult] = {}
    notes: list[str] = []
    for i, building in enumerate(inputs.buildings):
        say(f"optimising {building.name} ({i + 1}/{len(inputs.buildings)})")
        meter, meter_notes = meter_for(building, inputs, scenario, ft)
        notes += [n for n in meter_notes if n not in notes]
        solved[building.name] = solve_meter(meter, inputs.step_h, scenario)
    clock["dispatch_s"] = time.perf_counter() - clock["start"] - clock["inputs_s"]
    say("bills and results")
    results = results_dataset(inputs, solved)
    before = bills_for(inputs, results, ft, "baseline_import_kw")
    after = bills_for(inputs, results, ft, "import_kw")
    names = list(before)
    summary = summarise(
        results,
        cost_before_thb=pd.Series({n: float(before[n]["total_thb"].sum()) for n in names}),
        cost_after_thb=pd.Series({n: float(after[n]["total_thb"].sum()) for n in names}),
        solve_s=pd.Series({n: solved[n].timings.get("total_s", np.nan) for n in names}),
        grid_kg_per_kwh=scenario.emissions.grid_kg_per_kwh,
        gen_co2_kg=pd.Series({n: float(solved[n].schedules[n].fuel_l.sum()) * 2.7078 for n in names}))
    clock["total_s"] = time.perf_counter() - clock["start"]
    manifest = {
        "scenario": scenario.name,
        "inputs_hash": inputs_hash(scenario, base_dir),
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "solver": {
            "name": "HiGHS",
            "meters": {n: r.manifest() for n, r in solved.items()},
            "objective_thb": float(sum(r.objective_thb for r in solved.values())),
            "build_s": float(sum(r.timings.get("build_s", 0.0) for r in solved.values())),
            "solve_s": float(sum(r.timings.get("solve_s", 0.0) for r in solved.values())),
        },
        "timings": {k: round(v, 4) for k, v in clock.items() if k != "start"},
        "notes": notes,
    }
    return RunOutcome(scenario.name, results, summary, manifest, bills=after)


def bills_csv(bills: dict[str, pd.DataFrame]) -> str:
    """All buildings' monthly bills as one CSV text."""
    frames = [df.assign(building=name) for name, df in bills.items()]
    return pd.concat(frames).to_csv(float_format="%.2f")


def scenario_yaml(scenario: Scenario) -> str:
    """The scenario as run, all defaults filled in."""
    import yaml

    return yaml.safe_dump(json.loads(scenario.model_dump_json()), sort_keys=False, allow_unicode=True)
