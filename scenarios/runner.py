"""The main job: scenario -> inputs -> dispatch per meter -> results, bills, KPIs -> run store.

Each building is on its own PEA/MEA meter, or several share one meter (a scenario
``connection``); each meter is solved as its own dispatch problem (no constraint links them in
dispatch mode), which keeps each LP small and reports the solve time per meter. Batteries and
the generator sit behind the meter of the building named in the scenario. Results, bills and
KPIs are per meter (a shared connection under its own name); the buildings behind a shared
connection keep their own load and PV in ``member_*`` variables.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from munigrid.models.dispatch import solve
from munigrid.models.dispatch.problem import (Battery, DispatchProblem, DispatchResult, Generator, Meter,
                                              PVArray, Sizes, SizingEconomics, SolveOptions)
from munigrid.models.errors import InputError, NoSolutionError, Problem
from munigrid.models.finance.defaults import default_value
from munigrid.models.tariffs import FtSchedule
from munigrid.scenarios.connections import CONNECTION_KIND, battery_specs
from munigrid.scenarios.flex_inputs import building_flex
from munigrid.scenarios.flex_value import flex_values, with_flex_results
from munigrid.scenarios.infeasibility import explain
from munigrid.scenarios.inputs import BuildingInputs, SiteInputs, build_inputs, ft_schedule
from munigrid.scenarios.kpis import summarise
from munigrid.scenarios.provenance import inputs_hash, package_versions
from munigrid.scenarios.resilience import critical_frac, outage_recourse, run_resilience
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
    bills, bills_before : dict of pandas.DataFrame
        Monthly bills after and before the project, per building.
    inputs : SiteInputs
        The model inputs the run was made from.
    samples : xarray.Dataset or None
        Monte Carlo samples (dims building x sample) when requested.
    resilience : xarray.Dataset or None
        Survival hours and expected unserved energy by start step
        (:func:`munigrid.scenarios.resilience.run_resilience`); figures in ``manifest["resilience"]``.
    run_dir, report_path : Path or None
        Where the run and its report were stored.
    """

    scenario_name: str
    results: xr.Dataset
    summary: pd.DataFrame
    manifest: dict
    bills: dict[str, pd.DataFrame] = field(default_factory=dict)
    bills_before: dict[str, pd.DataFrame] = field(default_factory=dict)
    inputs: SiteInputs | None = None
    samples: xr.Dataset | None = None
    resilience: xr.Dataset | None = None
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
                "uncertainty": self.manifest.get("uncertainty"), "resilience": self.manifest.get("resilience"),
                "run_dir": str(self.run_dir) if self.run_dir else None,
                "report": str(self.report_path) if self.report_path else None}


def _soc_final(spec) -> tuple[float | None, bool]:
    """``(soc_final_frac, soc_final_equal)`` of the dispatch battery for the scenario's ``soc_final``."""
    if spec.soc_final == "at_least_initial":
        return None, False
    if spec.soc_final == "equal_initial":
        return None, True
    if spec.soc_final == "free":
        return spec.soc_min_frac, False
    return float(spec.soc_final), False


def _battery(spec, scenario: Scenario, sizing: bool) -> Battery:
    """The dispatch battery of one scenario battery ``spec`` (``battery`` or an item of ``batteries``)."""
    costs = scenario.sizing
    soc_final_frac, soc_final_equal = _soc_final(spec)
    return Battery(name=spec.name, energy_kwh=spec.energy_kwh, power_kw=spec.power_kw, c_rate_per_h=spec.c_rate_per_h,
                   charge_eff_frac=spec.charge_eff_frac, discharge_eff_frac=spec.discharge_eff_frac,
                   soc_min_frac=spec.soc_min_frac, soc_max_frac=spec.soc_max_frac,
                   soc_initial_frac=spec.soc_initial_frac, soc_final_frac=soc_final_frac,
                   soc_final_equal=soc_final_equal, degradation_thb_per_kwh=spec.degradation_thb_per_kwh,
                   max_energy_kwh=spec.max_energy_kwh if sizing else None,
                   max_power_kw=spec.max_power_kw if sizing else None,
                   capex_thb_per_kwh=_default(costs.battery_capex_thb_per_kwh, "costs", "battery_thb_per_kwh"),
                   capex_thb_per_kw=costs.battery_capex_thb_per_kw,
                   life_years=default_value("lives", "battery_years"), block_kwh=costs.battery_block_kwh)


def _generator(scenario: Scenario, sizing: bool) -> Generator:
    spec = scenario.generator
    return Generator(rating_kw=spec.rating_kw, min_load_frac=spec.min_load_frac, startup_thb=spec.startup_thb,
                     fuel_slope_l_per_kwh=spec.fuel_slope_l_per_kwh,
                     fuel_intercept_l_per_kwh=spec.fuel_intercept_l_per_kwh, fuel_thb_per_l=spec.fuel_thb_per_l,
                     co2_kg_per_l=spec.co2_kg_per_l, max_rating_kw=spec.max_rating_kw if sizing else None,
                     capex_thb_per_kw=scenario.sizing.generator_capex_thb_per_kw, standby_only=spec.standby_only)


def fuel_co2_kg_per_l(scenario: Scenario) -> float:
    """Generator fuel emission factor [kgCO2e/L] (TGO diesel 2.7078 unless the scenario sets one)."""
    return scenario.generator.co2_kg_per_l if scenario.generator is not None else 2.7078


def _default(value: float | None, *path: str) -> float:
    """A scenario value, or the versioned default (models/finance/data/finance_defaults.yaml)."""
    return float(value) if value is not None else float(default_value(*path))


def outage_mask(scenario: Scenario, index: pd.DatetimeIndex) -> np.ndarray | None:
    """Steps inside any of the scenario's grid outages (None when there are none)."""
    if not scenario.grid.outages:
        return None
    mask = np.zeros(len(index), dtype=bool)
    for outage in scenario.grid.outages:
        start = pd.Timestamp(outage.start)
        start = start.tz_localize(index.tz) if start.tzinfo is None else start.tz_convert(index.tz)
        mask |= (index >= start) & (index < start + pd.Timedelta(hours=outage.hours))
    return mask


def meter_for(building: BuildingInputs, inputs: SiteInputs, scenario: Scenario, ft: FtSchedule) -> tuple[Meter, list[str]]:
    """A meter (a building's own, or a shared connection's): its load, PV arrays, the batteries and
    generator behind it, its import limit and tariff terms."""
    sizing = scenario.optimisation.mode == "sizing"
    terms = building.tariff.cost_terms(inputs.index, ft=ft)
    pv_capex = scenario.sizing.pv_capex_thb_per_kwp
    if pv_capex is None:
        pv_capex = 1000.0 * default_value("costs", "pv_system_thb_per_wp")  # THB/Wp -> THB/kWp
    pv = [PVArray(name=name, ac_kw_per_kwp=building.pv_kw_per_kwp[name].to_numpy(), capacity_kwp=kwp,
                  max_kwp=building.pv_max_kwp[name] if sizing else None, capex_thb_per_kwp=pv_capex,
                  om_thb_per_kwp_year=pv_capex * default_value("costs", "om_fixed_frac_of_capex_per_year"),
                  life_years=default_value("lives", "pv_modules_years"), block_kwp=scenario.sizing.pv_block_kwp)
          for name, kwp in building.pv_capacity_kwp.items()]
    hosts = lambda spec: spec is not None and spec.building in building.members  # noqa: E731
    batteries = [_battery(spec, scenario, sizing) for spec in battery_specs(scenario) if hosts(spec)]
    generator = _generator(scenario, sizing) if hosts(scenario.generator) else None
    grid = scenario.grid
    connection = next((c for c in scenario.connections if c.name == building.name), None)
    import_limit_kw = (connection.import_limit_kw if connection is not None else None) or grid.import_limit_kw
    meter = Meter(name=building.name, load_kw=building.load_kw.to_numpy(), terms=terms, pv=pv, batteries=batteries,
                  generator=generator, import_limit_kw=import_limit_kw or math.inf,
                  outage=outage_mask(scenario, inputs.index), voll_thb_per_kwh=grid.voll_thb_per_kwh,
                  critical_frac=critical_frac(scenario, building.name),
                  grid_co2_kg_per_kwh=scenario.emissions.grid_kg_per_kwh,
                  outage_recourse=outage_recourse(scenario, inputs.index, inputs.step_h),
                  flex=building_flex(scenario, building.name, inputs.index, inputs.weather))
    return meter, list(getattr(terms, "notes", []))


def solve_options(scenario: Scenario) -> tuple[SolveOptions, SizingEconomics]:
    """Solver settings and sizing economics from the scenario."""
    opt, siz = scenario.optimisation, scenario.sizing
    options = SolveOptions(mode=opt.mode, time_limit_s=opt.time_limit_s, mip_rel_gap=opt.mip_rel_gap, threads=1)
    economics = SizingEconomics(discount_rate_frac=siz.discount_rate_frac, budget_thb=siz.budget_thb,
                                min_self_sufficiency_frac=siz.min_self_sufficiency_frac,
                                min_renewable_frac=siz.min_renewable_frac, max_co2_kg=siz.max_co2_kg)
    return options, economics


def solve_meters(meters: list[Meter], step_h: float, scenario: Scenario,
                 index: pd.DatetimeIndex | None = None) -> dict[str, DispatchResult]:
    """Optimise the meters: one problem each in dispatch mode, one joint problem in sizing mode
    (a budget and site-wide targets bind the buildings together). Raises NoSolutionError when
    there is no usable answer, naming the building, the dates (from ``index``) and the likely fix."""
    options, economics = solve_options(scenario)
    joint = options.mode == "sizing" or any(v is not None for v in (
        economics.min_self_sufficiency_frac, economics.min_renewable_frac, economics.max_co2_kg))
    groups = [meters] if joint else [[m] for m in meters]
    solved = {}
    for group in groups:
        try:
            result = solve(DispatchProblem(step_h=step_h, meters=group, options=options, economics=economics))
        except InputError as err:  # named by the model's structure: say the scenario path
            from munigrid.scenarios.preflight import user_problems

            raise InputError(user_problems(err.problems, scenario, [m.name for m in group])) from None
        if not result.status.has_solution:
            raise NoSolutionError(result.status.value, explain(result, group, index) + list(result.diagnosis))
        solved.update({m.name: result for m in group})
    return solved


def results_dataset(inputs: SiteInputs, solved: dict[str, DispatchResult]) -> xr.Dataset:
    """Time series of every building as one Dataset (dims time x building).

    PV is shown at the capacity the run used (installed, or sized in sizing mode):
    ``pv_ac_kw`` is what the arrays could give, ``pv_used_kw`` what was used on site.
    """
    names = [b.name for b in inputs.buildings]
    columns: dict[str, list[np.ndarray]] = {k: [] for k in UNITS}
    for b in inputs.buildings:
        result = solved[b.name]
        s = result.schedules[b.name]
        load = b.load_kw.to_numpy()
        used = s.pv_ac_kw.sum(axis=0) if s.pv_ac_kw.size else np.zeros_like(load)
        curtailed = s.curtailed_kw.sum(axis=0) if s.curtailed_kw.size else np.zeros_like(load)
        columns["load_kw"].append(load)
        columns["pv_ac_kw"].append(used + curtailed)
        columns["curtailed_kw"].append(curtailed)
        columns["pv_used_kw"].append(used - s.export_kw)
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
    for key, unit in (("pv_kwp", "kWp"), ("battery_kwh", "kWh"), ("battery_kw", "kW"), ("generator_kw", "kW")):
        values = [_size(solved[n].sizes[n], key) for n in names]
        ds[key] = (("building",), np.array(values), {"units": unit, "label": "size used by the run"})
    return _with_members(_with_batteries(ds, inputs, solved), inputs, solved)


def _with_batteries(ds: xr.Dataset, inputs: SiteInputs, solved: dict[str, DispatchResult]) -> xr.Dataset:
    """Each battery's flows and stored energy (dims time x battery) where a meter has several."""
    banks = [(b.name, name) for b in inputs.buildings for name in solved[b.name].schedules[b.name].batteries]
    if all(len(solved[b.name].schedules[b.name].batteries) <= 1 for b in inputs.buildings):
        return ds  # every meter has at most one battery: its own series say it all
    flows = {k: [] for k in ("battery_charge_kw", "battery_discharge_kw", "battery_soc_kwh")}
    for meter, bank in banks:
        s = solved[meter].schedules[meter].batteries[bank]
        flows["battery_charge_kw"].append(s.charge_kw)
        flows["battery_discharge_kw"].append(s.discharge_kw)
        flows["battery_soc_kwh"].append(s.soc_kwh[:-1])
    for key, series in flows.items():
        ds[key] = (("time", "battery"), np.column_stack(series), {"units": "kWh" if key.endswith("kwh") else "kW"})
    ds = ds.assign_coords(battery=[bank for _, bank in banks], battery_meter=("battery", [m for m, _ in banks]))
    sizes = [solved[m].sizes[m].batteries[bank] for m, bank in banks]
    ds["battery_energy_kwh"] = (("battery",), [z["energy_kwh"] for z in sizes], {"units": "kWh"})
    ds["battery_power_kw"] = (("battery",), [z["power_kw"] for z in sizes], {"units": "kW"})
    return ds


def _with_members(ds: xr.Dataset, inputs: SiteInputs, solved: dict[str, DispatchResult]) -> xr.Dataset:
    """The own load and PV (at the capacity the run used) of each building behind a shared connection
    (dims time x member; coordinate ``member_meter`` names its connection)."""
    if not inputs.members:
        return ds
    meter_of = {m: b.name for b in inputs.buildings if b.kind == CONNECTION_KIND for m in b.members}
    load, pv = [], []
    for member in inputs.members:
        meter = meter_of[member.name]
        s = solved[meter].schedules[meter]
        arrays = list(inputs.building(meter).pv_capacity_kwp)
        mine = [a for a, name in enumerate(arrays) if name.startswith(f"{member.name}.")]
        pv.append((s.pv_ac_kw[mine] + s.curtailed_kw[mine]).sum(axis=0) if mine else np.zeros(len(inputs.index)))
        load.append(member.load_kw.to_numpy())
    ds["member_load_kw"] = (("time", "member"), np.column_stack(load), {"units": "kW"})
    ds["member_pv_ac_kw"] = (("time", "member"), np.column_stack(pv),
                             {"units": "kW", "label": "PV the building's arrays could give at the size used"})
    return ds.assign_coords(member=[m.name for m in inputs.members],
                            member_meter=("member", [meter_of[m.name] for m in inputs.members]))


def _size(sizes: Sizes, key: str) -> float:
    return float(sum(sizes.pv_kwp.values())) if key == "pv_kwp" else float(getattr(sizes, key))


def bills_for(inputs: SiteInputs, results: xr.Dataset, ft: FtSchedule, column: str) -> dict[str, pd.DataFrame]:
    """Monthly bills of every building for one import series (``import_kw`` or ``baseline_import_kw``); the
    optimised series is billed with its export when the building's tariff allows export."""
    def export_kw(name: str, tariff) -> pd.Series | None:
        if column != "import_kw" or "export_kw" not in results or not tariff.export_rule(None).allowed:
            return None
        return results["export_kw"].sel(building=name).to_series()

    return {b.name: b.tariff.bill(results[column].sel(building=b.name).to_series().clip(lower=0.0), ft=ft,
                                  export_kw=export_kw(b.name, b.tariff)).monthly
            for b in inputs.buildings}


@dataclass
class Prepared:
    """A scenario checked and turned into model inputs: everything a run does before the solve.

    Attributes
    ----------
    inputs : SiteInputs
    ft : FtSchedule
    meters : list of Meter
        One per meter (a building's own or a shared connection), checked by the dispatch model's input checks.
    notes : list of str
        Data notes (fills, Ft fallbacks) for the run's manifest.
    warnings : list of str
        Things that are allowed but probably not meant (an outage outside the horizon).
    """

    inputs: SiteInputs
    ft: FtSchedule
    meters: list[Meter]
    notes: list[str]
    warnings: list[str]


def _meter_path(scenario: Scenario, name: str) -> str:
    """The scenario path of meter ``name``: ``buildings[i]`` or ``connections[k]``."""
    for k, conn in enumerate(scenario.connections):
        if conn.name == name:
            return f"connections[{k}]"
    return f"buildings[{[b.name for b in scenario.buildings].index(name)}]"


def prepare(scenario: Scenario, base_dir: Path) -> Prepared:
    """Read every file and run every input check of a run, stopping before the solve.

    ``munigrid validate`` and ``munigrid run`` both call this, so a scenario that validates
    starts its solve. Raises :class:`InputError` with every problem named by its scenario path.
    """
    from munigrid.scenarios.preflight import dispatch_problems, outage_warnings, sweep_problems

    problems = sweep_problems(scenario)
    if problems:
        raise InputError(problems)
    inputs = build_inputs(scenario, base_dir)
    ft = ft_schedule(scenario)
    meters, notes = [], []
    for building in inputs.buildings:
        try:
            meter, meter_notes = meter_for(building, inputs, scenario, ft)
        except InputError as err:
            raise InputError([p if p.path.startswith("flexible_loads") else Problem(
                "tariffs.ft_thb_per_kwh" if p.path == "ft" else f"{_meter_path(scenario, building.name)}.tariff",
                p.message) for p in err.problems]) from None
        meters.append(meter)
        notes += [n for n in [*building.data_notes, *meter_notes] if n not in notes]
    problems = dispatch_problems(scenario, meters, inputs.step_h)
    if problems:
        raise InputError(problems)
    warnings = outage_warnings(scenario, inputs.index)
    return Prepared(inputs, ft, meters, notes + warnings, warnings)


def run_scenario(scenario: Scenario, base_dir: Path, progress: Progress | None = None) -> RunOutcome:
    """Run the whole chain for ``scenario`` in memory (nothing stored)."""
    say = progress or (lambda stage: None)
    clock = {"start": time.perf_counter()}
    say("weather, PV and loads")
    prepared = prepare(scenario, base_dir)
    inputs, ft, meters, notes = prepared.inputs, prepared.ft, prepared.meters, prepared.notes
    clock["inputs_s"] = time.perf_counter() - clock["start"]
    say(f"optimising {len(meters)} meters ({scenario.optimisation.mode})")
    solved = solve_meters(meters, inputs.step_h, scenario, inputs.index)
    clock["dispatch_s"] = time.perf_counter() - clock["start"] - clock["inputs_s"]
    say("value of the flexible loads")
    flex_value = flex_values(meters, solved, inputs, ft,
                             lambda meter: solve_meters([meter], inputs.step_h, scenario, inputs.index)[meter.name],
                             sizing=scenario.optimisation.mode == "sizing")
    if flex_value is not None and scenario.optimisation.mode == "sizing":
        notes.append("flexible loads: each value compares bill plus annualised capital, every case sized again")
    if any(m.flex is not None for m in meters):
        notes.append("flexible loads: rule-operated Monte Carlo years (samples) simulate the fixed loads only; "
                     "the optimiser operator (--operator optimiser) schedules them in every sampled year")
    if flex_value is not None:
        clock["flex_value_s"] = flex_value.solve_s
        notes += flex_value.notes()
    say("bills and results")
    results = with_flex_results(results_dataset(inputs, solved), meters, solved, flex_value, inputs.step_h)
    before = bills_for(inputs, results, ft, "baseline_import_kw")
    after = bills_for(inputs, results, ft, "import_kw")
    names = list(before)
    problems = list({id(r): r for r in solved.values()}.values())  # a joint solve serves several meters
    summary = summarise(
        results,
        cost_before_thb=pd.Series({n: float(before[n]["total_thb"].sum()) for n in names}),
        cost_after_thb=pd.Series({n: float(after[n]["total_thb"].sum()) for n in names}),
        solve_s=pd.Series({n: solved[n].timings.get("total_s", np.nan) for n in names}),
        grid_kg_per_kwh=scenario.emissions.grid_kg_per_kwh,
        gen_co2_kg=pd.Series({n: float(solved[n].schedules[n].fuel_l.sum()) * fuel_co2_kg_per_l(scenario)
                              for n in names}),
        total_solve_s=float(sum(r.timings.get("total_s", 0.0) for r in problems)))
    if flex_value is not None:
        for key, values in flex_value.summary_columns(names).items():
            summary[key] = values
    if scenario.optimisation.mode == "sizing":
        for key in ("pv_kwp", "battery_kwh", "battery_kw", "generator_kw", "store_capacity_kwh_th"):
            if key in results:
                summary[key] = list(results[key].values) + [float(results[key].sum())]
    say("resilience")
    began = time.perf_counter()
    resilience, resilience_series = run_resilience(scenario, results, inputs.step_h)
    clock["resilience_s"] = time.perf_counter() - began
    clock["total_s"] = time.perf_counter() - clock["start"]
    manifest = {
        "scenario": scenario.name,
        "inputs_hash": inputs_hash(scenario, base_dir),
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "solver": {
            "name": "HiGHS",
            "meters": {n: r.manifest() for n, r in solved.items()},
            "mode": scenario.optimisation.mode,
            "objective_thb": float(sum(r.objective_thb for r in problems)),
            "build_s": float(sum(r.timings.get("build_s", 0.0) for r in problems)),
            "solve_s": float(sum(r.timings.get("solve_s", 0.0) for r in problems)),
            "sizes": {n: asdict(solved[n].sizes[n]) for n in names},
        },
        "timings": {k: round(v, 4) for k, v in clock.items() if k != "start"},
        "notes": notes,
        "resilience": resilience,
    }
    if flex_value is not None:
        manifest["flexibility"] = flex_value.table().to_dict(orient="records")
    return RunOutcome(scenario.name, results, summary, manifest, bills=after, bills_before=before, inputs=inputs,
                      resilience=resilience_series)


def bills_csv(bills: dict[str, pd.DataFrame]) -> str:
    """All buildings' monthly bills as one CSV text."""
    frames = [df.assign(building=name) for name, df in bills.items()]
    return pd.concat(frames).to_csv(float_format="%.2f")


def scenario_yaml(scenario: Scenario) -> str:
    """The scenario as run, all defaults filled in."""
    import yaml

    return yaml.safe_dump(json.loads(scenario.model_dump_json()), sort_keys=False, allow_unicode=True)
