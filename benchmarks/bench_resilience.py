"""Resilience benchmark: outage survival from every start step of a year, for five buildings.

Measured in one run:

1. the survival kernel (``outage_survival``) over 8,760 start steps for each of five
   office-like buildings (critical load 50 % down to 10 % of the load, batteries of 1-5 h of
   the mean load, 150 kWp of PV, stored energy drawn uniformly within the SoC limits, fixed
   seed) followed up to 168 h: from minutes to "at least 168 h", so both short and long
   outages are timed; best of several batches, 2 threads (the machine's cores);
   and the same with one kernel call per building (each call starts the worker threads);
2. the same with the outage-risk kernel (``outage_unserved``, durations 1, 4, 8, 24 and 72 h);
3. the plain-Python reference on the last building (longest outages; the kernel checked equal to it);
4. cold: the first call in a fresh process (the numba cache loaded from disk, threads started).

Target (issue 19): a year of start steps for 5 buildings <= 0.2 s.

``--objective STARTS``: instead, Tha Yang's year run in this process without and with the
outage risk in the objective (4 h and 24 h outages, 0.7 / 0.3, 6 a year, 200 THB/kWh, STARTS
representative starts): CPU of each run, the office's solve, its survival and the site's
expected unserved energy (writes ``benchmarks/results/resilience_objective.json``).

Run: ``python benchmarks/bench_resilience.py`` (writes ``benchmarks/results/resilience.json``).
"""

from __future__ import annotations

import json
import os
import pathlib
import platform
import subprocess
import sys
import time

import numba
import numpy as np

from bench_kernels import N_STEPS, cpu_model, synthetic_year
from munigrid.models.simulation import reference
from munigrid.models.simulation.outage import IslandCase, outage_kernel, outage_survival, survival_of, unserved_of
from munigrid.models.simulation.params import BatteryParams

RESULTS = pathlib.Path(__file__).parent / "results" / "resilience.json"
BUILDINGS = 5
MAX_H = 168.0
RISK_DURATIONS_H = (1.0, 4.0, 8.0, 24.0, 72.0)
BATCHES = 7
COLD = """
import time, numpy as np
from munigrid.models.simulation.outage import outage_survival
from munigrid.models.simulation.params import BatteryParams
t = time.perf_counter()
outage_survival(np.ones(8760), np.zeros(8760), np.full(8760, 50.0), BatteryParams(100.0, 50.0), step_h=1.0,
                max_hours=168)
print(time.perf_counter() - t)
"""


def buildings(seed: int = 1) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, BatteryParams]]:
    """Critical load, PV [kW], stored energy at each start [kWh] and battery of each building."""
    rng = np.random.default_rng(seed)
    out = []
    for b in range(BUILDINGS):
        load, pv_per_kwp = synthetic_year(seed + b)
        battery = BatteryParams(float(load.mean() * (1.0 + b)), float(load.max()), 0.95, 0.95, 0.1, 0.9, 0.5)
        soc = rng.uniform(battery.soc_min_kwh, battery.soc_max_kwh, N_STEPS)
        out.append(((0.5 - 0.1 * b) * load, 150.0 * pv_per_kwp, soc, battery))
    return out


def best_seconds(fn) -> float:
    fn()
    best = np.inf
    for _ in range(BATCHES):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    sites = buildings()
    cases = [IslandCase(*site) for site in sites]
    survival = lambda: survival_of(cases, step_h=1.0, max_hours=MAX_H)  # noqa: E731
    one_by_one = lambda: [outage_survival(l, p, s, b, step_h=1.0, max_hours=MAX_H)  # noqa: E731
                          for l, p, s, b in sites]
    risk = lambda: unserved_of(cases, step_h=1.0, duration_h=RISK_DURATIONS_H)  # noqa: E731
    survival_s, one_by_one_s, risk_s = best_seconds(survival), best_seconds(one_by_one), best_seconds(risk)
    mean_h = [float(r.survived_h.mean()) for r in survival()]

    load, pv, soc, battery = sites[-1]  # the longest outages: the reference's hardest case
    assets = [battery.soc_min_kwh, battery.soc_max_kwh, battery.power_kw, battery.charge_eff_frac,
              battery.discharge_eff_frac, 0.0, 0.0, 0.0, 0.0]
    start = time.perf_counter()
    expected = reference.outage_survival(load, pv, soc, *assets, int(MAX_H), 1.0)
    reference_s = time.perf_counter() - start
    got = outage_kernel(load[None], pv[None], soc[None, None], np.array([[assets[:5]]]), np.array([assets[5:]]),
                        int(MAX_H), 1.0)[0]
    assert list(got) == expected  # the kernel gives the reference's answer

    cold = [float(subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, check=True).stdout)
            for _ in range(3)]
    results = {
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "load_average_1min": os.getloadavg()[0],
                    "python": platform.python_version(), "numba": numba.__version__, "numpy": np.__version__,
                    "threads": numba.get_num_threads()},
        "case": {"buildings": BUILDINGS, "start_steps": N_STEPS, "step_h": 1.0, "max_h": MAX_H,
                 "mean_survival_h": mean_h},
        "survival_5_buildings_s": survival_s,
        "survival_5_buildings_one_call_each_s": one_by_one_s,
        "outage_risk_5_buildings_s": risk_s,
        "risk_durations_h": list(RISK_DURATIONS_H),
        "reference_last_building_s": reference_s,
        "speedup_over_reference_per_building": reference_s / (survival_s / BUILDINGS),
        "cold_first_call_s": cold,
        "target_s": 0.2,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"survival, {BUILDINGS} buildings x {N_STEPS} starts (up to {MAX_H:g} h): {survival_s:.3f} s (target 0.2 s)")
    print(f"  the same, one kernel call per building: {one_by_one_s:.3f} s")
    print(f"outage risk, {BUILDINGS} buildings x {N_STEPS} starts x {len(RISK_DURATIONS_H)} durations: {risk_s:.3f} s")
    print(f"plain-Python reference, the last building: {results['reference_last_building_s']:.1f} s "
          f"({results['speedup_over_reference_per_building']:.0f} x slower)")
    print(f"cold first call (fresh process, cached compile): {', '.join(f'{c:.2f}' for c in cold)} s")
    print(f"mean survival by building: {', '.join(f'{h:.1f}' for h in mean_h)} h; written {RESULTS}")


def objective(starts: int) -> None:
    from munigrid.scenarios import api

    rows = {}
    for in_objective in (False, True):
        scenario = api.load("tha-yang")
        scenario.grid.voll_thb_per_kwh = 200.0
        scenario.grid.outage_risk = {"durations": [{"hours": 4, "probability_frac": 0.7},
                                                   {"hours": 24, "probability_frac": 0.3}],
                                     "events_per_year": 6, "in_objective": in_objective, "objective_starts": starts}
        start = time.process_time()
        outcome = api.run(scenario, store=False)
        figures = outcome.manifest["resilience"]
        rows["in_objective" if in_objective else "results_only"] = {
            "run_cpu_s": time.process_time() - start,
            "office_solve_s": outcome.manifest["solver"]["meters"]["municipal_office"].get("solve_s"),
            "office_mean_survival_h": figures["survival"]["municipal_office"]["mean_h"],
            "site_unserved_critical_kwh_per_year": figures["outage_risk"]["site"]["unserved_critical_kwh_per_year"],
            "site_bill_after_thb": float(outcome.summary.loc["total", "cost_after_thb"])}
        print(in_objective, rows, flush=True)
    out = RESULTS.with_name("resilience_objective.json")
    out.write_text(json.dumps({"objective_starts": starts, "load_average_1min": os.getloadavg()[0], **rows},
                              indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--objective":
        objective(int(sys.argv[2]))
    else:
        main()
