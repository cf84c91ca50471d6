"""Dispatch benchmark: one year, hourly, one site with PV, battery, grid, TOU energy and a monthly demand charge.

The same problem is solved three ways in one run:

1. munigrid end to end (``munigrid.models.dispatch.solve``: input check, layout, vectorised
   compile of the Pyomo families, substitution of import and discharge and of fixed columns
   (``munigrid.models.dispatch.reduction``), HiGHS dual simplex without presolve (from the
   thermostat's basis when a zone is pre-cooled: ``munigrid.models.dispatch.crash``), result read-back);
2. linopy with HiGHS (build + solve of the plain formulation written in linopy, HiGHS defaults
   with one thread), through its LP file and its direct interface;
3. HiGHS alone on the prebuilt matrix munigrid passes (compile and substitution done first, not
   timed; same options as munigrid), and for reference on the plain compiled matrix.

All paths must reach the same optimum (relative difference <= 1e-6, checked and printed). The
paths run interleaved, best of ``REPEATS``, wall and CPU time of this process (the machine is
shared: CPU time is the steadier of the two).

Then a sweep of members of the same site template (prices and load scaled) reports the time per
member outside the solver, and a year with generator commitment (40 outages, minimum load,
start-up cost, no-load fuel, value of lost load for the non-critical half, 60 kWp PV as on the Tha
Yang office) reports status, objective, bound, gap and wall time at limits of 10, 30 and 60 s
(solved to a gap of 1e-5, so that the gap reached at each limit shows), for a standby set (runs
only in outages, the default) and a set that may also run with the grid up (peak shaving), and
checks that each schedule serves the critical load in every outage.

Flexible loads: the same year with a pumping station (45 kW, 300 m3 tank, 900 m3/day) and an
air-conditioned zone (1,000 m2, RC model, pre-cooling allowed) added to the meter, solved
end to end interleaved with the plain year; the ratio of the two (goal <= 2) is printed and
written to ``benchmarks/results/dispatch_flex.json``.

Run: ``python benchmarks/bench_dispatch.py`` (writes ``benchmarks/results/dispatch.json``);
``python benchmarks/bench_dispatch.py flex`` runs the flexible-load comparison only.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import platform
import statistics
import sys
import time

import numpy as np
import pandas as pd

from munigrid.models.dispatch import Battery, DispatchProblem, Generator, Meter, PVArray, SolveOptions, solve
from munigrid.models.dispatch.flex import FlexLoads, PumpStation, ThermalZone
from munigrid.models.dispatch.highs_backend import run_highs
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.reduction import reduce_form
from munigrid.models.dispatch.standard_form import compile_instance
from munigrid.models.tariffs.terms import DemandCharge, TariffCostTerms

RESULTS = pathlib.Path(__file__).parent / "results" / "dispatch.json"
FLEX_RESULTS = pathlib.Path(__file__).parent / "results" / "dispatch_flex.json"
REPEATS = 3
# (set, standby_only, limit s): the generator year at each limit, for a standby set and one allowed to run with the grid
GEN_RUNS = tuple((name, standby, limit) for name, standby in (("standby", True), ("parallel", False))
                 for limit in (10.0, 30.0, 60.0))
GEN_PV_KWP = 60.0  # the Tha Yang office's roof
# 3.2 TOU <22 kV: on 4.3297, off 2.6369 THB/kWh, Ft 0.1572, VAT 7 %; on-peak demand 210.00 THB/kW
# (PEA/MEA schedules; see /work/shared/reference/thai-energy.md)
ON_THB, OFF_THB, FT_THB, VAT = 4.3297, 2.6369, 0.1572, 1.07
DEMAND_THB_PER_KW = 210.00 * VAT


def site(scale: float = 1.0, seed: int = 7, generator: bool = False, standby_only: bool = True,
         pv_kwp: float = 120.0) -> DispatchProblem:
    """A synthetic municipal office with ``pv_kwp`` of PV and a 200 kWh / 100 kW battery."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2025-01-01", periods=8760, freq="h", tz="Asia/Bangkok")
    hour, weekday = index.hour.to_numpy(), index.day_of_week.to_numpy() < 5
    office = weekday & (hour >= 8) & (hour < 17)
    load = scale * (40 + 110 * office + 10 * rng.random(8760))
    sun = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)
    pv_profile = 0.85 * sun * (0.6 + 0.4 * rng.random(8760))
    on_peak = weekday & (hour >= 9) & (hour < 22)
    price = (np.where(on_peak, ON_THB, OFF_THB) + FT_THB) * VAT * scale
    period = (index.month.to_numpy() - 1)
    demand = DemandCharge("on-peak demand", on_peak[None, :], np.array([[DEMAND_THB_PER_KW]]), np.zeros(1),
                          np.zeros((12, 1)))
    terms = TariffCostTerms(1.0, period, price, np.zeros(8760), False, None, [demand], np.full(12, 312.24 * VAT))
    gen, outage = None, None
    if generator:
        gen = Generator(rating_kw=120, min_load_frac=0.3, startup_thb=150, fuel_slope_l_per_kwh=0.246,
                        fuel_intercept_l_per_kwh=0.08, fuel_thb_per_l=32.0, standby_only=standby_only)
        outage = np.zeros(8760, bool)
        for start in rng.choice(8760 - 8, size=40, replace=False):
            outage[start:start + 6] = True
    meter = Meter("office", load, terms, pv=[PVArray("roof", pv_profile, capacity_kwp=pv_kwp)],
                  battery=Battery(energy_kwh=200, power_kw=100, charge_eff_frac=0.95, discharge_eff_frac=0.95,
                                  soc_min_frac=0.1, soc_max_frac=0.95, soc_initial_frac=0.5),
                  generator=gen, outage=outage, voll_thb_per_kwh=200.0 if generator else None,
                  critical_frac=0.5)
    return DispatchProblem(1.0, [meter], SolveOptions(mode="dispatch", time_limit_s=30, mip_rel_gap=1e-3))


def with_flex(problem: DispatchProblem) -> DispatchProblem:
    """The site with a pumping station and a pre-coolable zone on its meter (office defaults of
    ``forecasting/flex_defaults.yaml`` for 1,000 m2; outdoor 27-33 degC; the village water demand shape)."""
    meter, n_t = problem.meters[0], problem.n_steps
    hour = np.arange(n_t) % 24
    occupied = meter.load_kw > 100  # the office hours of :func:`site`
    shape = np.array([0.015, 0.012, 0.010, 0.010, 0.015, 0.040, 0.075, 0.080, 0.060, 0.045, 0.040, 0.040,
                      0.045, 0.040, 0.035, 0.035, 0.040, 0.060, 0.075, 0.070, 0.060, 0.045, 0.030, 0.023])
    station = PumpStation(pump_kw=45.0, kwh_per_m3=0.35, volume_m3=300.0, demand_m3_per_h=900 * shape[hour],
                          level_min_frac=0.2, level_max_frac=1.0, level_initial_frac=0.6)
    outdoor = 30 + 3 * np.sin((hour - 9) / 24 * 2 * np.pi)
    at_end = occupied | np.append(occupied[1:], False)
    zone = ThermalZone(capacity_kwh_per_k=30.0, loss_kw_per_k=4.0, cooling_kw=50.0,
                       cop=np.clip(3.2 * (1 + 0.025 * (35 - outdoor)), 1.9, 4.5), outdoor_c=outdoor,
                       gain_kw=np.where(occupied, 30.0, 4.0) + 15.0 * meter.pv[0].ac_kw_per_kwp,
                       comfort_min_c=np.where(at_end, 23.0, 18.0), comfort_max_c=np.where(at_end, 26.0, 32.0),
                       temp_initial_c=28.0)
    flexible = dataclasses.replace(meter, flex=FlexLoads(pumping=station, cooling=zone))
    return dataclasses.replace(problem, meters=[flexible])


def flex_comparison() -> dict:
    """The plain year and the year with flexible loads, end to end, interleaved, best of ``REPEATS``."""
    plain, flexible = site(), with_flex(site())
    solve(with_flex(site(seed=1)))  # warm-up
    runs = {"plain": [], "flex": []}
    for _ in range(REPEATS):
        runs["plain"].append(_timed(lambda: solve(plain)))
        runs["flex"].append(_timed(lambda: solve(flexible)))
    best = {name: _best(r) for name, r in runs.items()}
    result = runs["flex"][0][2]
    sizes = {name: compile_instance(build_model_data(p)) for name, p in (("plain", plain), ("flex", flexible))}
    passed = {name: reduce_form(form).form for name, form in sizes.items()}
    payload = {
        "machine": platform.platform(), "python": platform.python_version(),
        "status": result.status.value, "objective_thb": {k: r[0][2].objective_thb for k, r in runs.items()},
        "size_passed_to_highs": {k: {"columns": f.n_cols, "rows": f.n_rows, "nnz": int(f.matrix.nnz)}
                                 for k, f in passed.items()},
        "seconds_wall": {k: w for k, (w, _) in best.items()}, "seconds_cpu": {k: c for k, (_, c) in best.items()},
        "ratio_flex_over_plain_wall": best["flex"][0] / best["plain"][0],
        "ratio_flex_over_plain_cpu": best["flex"][1] / best["plain"][1],
    }
    print(f"flexible loads (reservoir + pre-cooling), one year: {payload['status']}, passed to HiGHS "
          f"{passed['flex'].n_cols} columns / {passed['flex'].n_rows} rows (plain {passed['plain'].n_cols} / "
          f"{passed['plain'].n_rows})")
    for name in ("plain", "flex"):
        print(f"  {name:6s} end to end {best[name][0]:7.3f} s wall {best[name][1]:7.3f} s CPU (best of {REPEATS})")
    print(f"  flex / plain = {payload['ratio_flex_over_plain_wall']:.2f} wall, "
          f"{payload['ratio_flex_over_plain_cpu']:.2f} CPU  (goal <= 2)")
    FLEX_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    FLEX_RESULTS.write_text(json.dumps(payload, indent=2))
    return payload


def critical_load_served(problem: DispatchProblem, result) -> bool:
    """True when the schedule imports nothing in outages, sheds at most the non-critical share,
    keeps the generator within its rating and minimum load, and balances every step."""
    if not result.status.has_solution:
        return False
    meter = problem.meters[0]
    s, gen = result.schedules[meter.name], meter.generator
    supply = s.import_kw - s.export_kw + s.pv_ac_kw.sum(axis=0) + s.discharge_kw - s.charge_kw + s.gen_kw + s.shed_kw
    on = s.gen_on.astype(float)
    return bool(np.all(s.import_kw[meter.outage] <= 1e-6)
                and np.all(s.shed_kw <= (1 - meter.critical_frac) * meter.load_kw + 1e-6)
                and np.all(s.gen_kw <= gen.rating_kw * on + 1e-6)
                and np.all(s.gen_kw >= gen.min_load_frac * gen.rating_kw * on - 1e-6)
                and np.allclose(supply, meter.load_kw, atol=1e-5))


def linopy_solve(problem: DispatchProblem, io_api: str) -> float:
    """The same LP in linopy through ``io_api`` ("lp" file or "direct"), built and solved; returns the objective."""
    import linopy
    import xarray as xr

    meter = problem.meters[0]
    bat, arr, terms, n_t = meter.battery, meter.pv[0], meter.terms, problem.n_steps
    t = pd.RangeIndex(n_t, name="t")
    m = linopy.Model()
    imp = m.add_variables(lower=0, coords=[t], name="imp")
    pv = m.add_variables(lower=0, upper=pd.Series(arr.ac_kw_per_kwp * arr.capacity_kwp, t), name="pv")
    ch = m.add_variables(lower=0, upper=bat.power_kw, coords=[t], name="ch")
    dis = m.add_variables(lower=0, upper=bat.power_kw, coords=[t], name="dis")
    soc = m.add_variables(lower=bat.soc_min_frac * bat.energy_kwh, upper=bat.soc_max_frac * bat.energy_kwh,
                          coords=[pd.RangeIndex(n_t + 1, name="s")], name="soc")
    periods = pd.RangeIndex(terms.n_periods, name="p")
    dem = m.add_variables(lower=0, coords=[periods], name="dem")
    m.add_constraints(imp + pv + dis - ch == pd.Series(meter.load_kw, t), name="balance")
    soc_next = soc.isel(s=slice(1, None)).rename(s="t").assign_coords(t=t)
    soc_now = soc.isel(s=slice(0, -1)).rename(s="t").assign_coords(t=t)
    m.add_constraints(soc_next - soc_now - bat.charge_eff_frac * ch + dis / bat.discharge_eff_frac == 0, name="soc")
    m.add_constraints(soc.isel(s=0) == bat.soc_initial_frac * bat.energy_kwh, name="soc0")
    m.add_constraints(soc.isel(s=n_t) >= bat.soc_initial_frac * bat.energy_kwh, name="socT")
    charge = terms.demand_charges[0]
    dem_t = dem.isel(p=xr.DataArray(terms.period_of_step, dims="t", coords={"t": t}))
    m.add_constraints(imp - dem_t <= 0, name="demand", mask=xr.DataArray(charge.window_mask[0], coords=[t]))
    cost = (imp * pd.Series(terms.import_thb_per_kwh * problem.step_h, t)).sum() + \
        (dem * float(charge.slope_thb_per_kw[0, 0])).sum()
    m.add_objective(cost)
    m.solve(solver_name="highs", io_api=io_api, progress=False, output_flag=False, threads=1)
    return float(m.objective.value) + float(np.sum(terms.fixed_thb_per_period))


def _timed(run) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, value) of calling ``run``."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = run()
    return time.perf_counter() - wall, time.process_time() - cpu, value


def _best(runs) -> tuple[float, float]:
    """Least wall and least CPU seconds over repeated :func:`_timed` runs."""
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main() -> None:
    problem = site()
    solve(site(seed=1))  # import and first-call warm-up (Pyomo, highspy, numpy)
    linopy_solve(site(seed=1), "direct")
    form = compile_instance(build_model_data(problem))
    passed = reduce_form(form).form
    plain = dataclasses.replace(problem.options, substitute=False)
    runs = {name: [] for name in ("munigrid", "highs_alone", "highs_alone_plain", "linopy_lp", "linopy_direct")}
    for _ in range(REPEATS):  # interleaved, so that load from other processes hits every path alike
        runs["munigrid"].append(_timed(lambda: solve(problem).objective_thb))
        runs["highs_alone"].append(_timed(lambda: run_highs(passed, plain, relax=True).objective_thb))
        runs["highs_alone_plain"].append(_timed(lambda: run_highs(form, plain, relax=True).objective_thb))
        runs["linopy_lp"].append(_timed(lambda: linopy_solve(problem, "lp")))
        runs["linopy_direct"].append(_timed(lambda: linopy_solve(problem, "direct")))
    best = {name: _best(r) for name, r in runs.items()}
    ours_total, highs_total = best["munigrid"][0], best["highs_alone"][0]
    linopy_total = min(best["linopy_lp"][0], best["linopy_direct"][0])  # linopy's fastest path
    linopy_cpu = min(best["linopy_lp"][1], best["linopy_direct"][1])
    objectives = {name: r[0][2] for name, r in runs.items()}
    ref = objectives["highs_alone"]
    max_rel = max(abs(v - ref) / abs(ref) for v in objectives.values())

    members = [site(scale=s, seed=11) for s in np.linspace(0.8, 1.2, 8)]
    outside = []
    for member in members:
        result = solve(member)
        outside.append(result.timings["total_s"] - result.timings["solve_s"])
    sweep_ms = 1000 * statistics.median(outside)

    gen_runs, gen_wall, gen_critical = {}, {}, {}
    for name, standby_only, limit in GEN_RUNS:
        gen_problem = site(generator=True, standby_only=standby_only, pv_kwp=GEN_PV_KWP)
        gen_problem = dataclasses.replace(gen_problem, options=dataclasses.replace(
            gen_problem.options, time_limit_s=limit, mip_rel_gap=1e-5))
        key = f"{name}_limit_{limit:.0f}_s"
        tic = time.perf_counter()
        gen_runs[key] = solve(gen_problem)
        gen_wall[key] = time.perf_counter() - tic
        gen_critical[key] = critical_load_served(gen_problem, gen_runs[key])

    labels = {"munigrid": "munigrid end to end", "highs_alone": "HiGHS alone (matrix munigrid passes)",
              "highs_alone_plain": "HiGHS alone (plain compiled matrix)", "linopy_lp": "linopy + HiGHS (LP file)",
              "linopy_direct": "linopy + HiGHS (direct)"}
    print(f"one year hourly: compiled {form.n_cols} columns, {form.n_rows} rows, {form.matrix.nnz} non-zeros; "
          f"passed to HiGHS {passed.n_cols} columns, {passed.matrix.nnz} non-zeros")
    print(f"{'path':40s} {'wall [s]':>9s} {'CPU [s]':>9s}   (best of {REPEATS})")
    for name, (wall, cpu) in best.items():
        print(f"{labels[name]:40s} {wall:9.3f} {cpu:9.3f}")
    print(f"munigrid / HiGHS alone  = {ours_total / highs_total:.2f} wall, "
          f"{best['munigrid'][1] / best['highs_alone'][1]:.2f} CPU  (target <= 1.3)")
    print(f"linopy (fastest) / munigrid = {linopy_total / ours_total:.2f} wall, "
          f"{linopy_cpu / best['munigrid'][1]:.2f} CPU  (target >= 2.5)")
    print(f"objectives max rel diff = {max_rel:.2e}  (target <= 1e-6)")
    print(f"sweep: median {sweep_ms:.1f} ms per member outside the solver (target <= 50)")
    for key, gen in gen_runs.items():
        print(f"generator year ({GEN_PV_KWP:.0f} kWp), {key}: {gen.status.value}, objective {gen.objective_thb:.0f} THB, "
              f"bound {gen.bound:.0f}, gap {gen.mip_gap:.3%}, {gen.n_binaries} binaries, "
              f"{gen_wall[key]:.2f} s wall, critical load served: {gen_critical[key]} "
              "(targets: gap <= 0.1 % in <= 60 s, back within the limit + 10 % + 1 s)")
    payload = {
        "machine": platform.platform(), "python": platform.python_version(),
        "size": {"columns": form.n_cols, "rows": form.n_rows, "nnz": int(form.matrix.nnz)},
        "size_passed_to_highs": {"columns": passed.n_cols, "rows": passed.n_rows, "nnz": int(passed.matrix.nnz)},
        "seconds_wall": {name: wall for name, (wall, _) in best.items()},
        "seconds_cpu": {name: cpu for name, (_, cpu) in best.items()},
        "ratios": {"munigrid_over_highs": ours_total / highs_total, "linopy_over_munigrid": linopy_total / ours_total,
                   "munigrid_over_highs_cpu": best["munigrid"][1] / best["highs_alone"][1],
                   "linopy_over_munigrid_cpu": linopy_cpu / best["munigrid"][1]},
        "objectives_thb": objectives, "objective_max_rel_diff": max_rel,
        "sweep_ms_per_member_outside_solver": sweep_ms,
        "generator_year": {key: {
            "status": gen.status.value, "objective_thb": gen.objective_thb, "bound_thb": gen.bound,
            "mip_gap": gen.mip_gap, "n_binaries": gen.n_binaries, "total_s": gen.timings["total_s"],
            "wall_s": gen_wall[key], "solve_s": gen.timings["solve_s"], "critical_load_served": gen_critical[key],
            "pv_kwp": GEN_PV_KWP} for key, gen in gen_runs.items()},
    }
    payload["flexible_loads"] = flex_comparison()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    flex_comparison() if sys.argv[1:] == ["flex"] else main()
