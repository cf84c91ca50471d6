"""Day-ahead operations on the bundled Tha Yang scenario: a year rolled day by day.

Prints a table and writes benchmarks/results/operations.json. Variants (load forecast: the
default ``ensemble`` unless named; PV forecast exact in every variant, the scenario's weather):

* the EMS following the day-ahead set points, planned against the P50 or the P90 load;
* the EMS re-planning every hour from the measured state on the forecast corrected to the
  day's level (:mod:`munigrid.scenarios.operations.intraday`): the default, and the default
  without reserve, without the charging cap, with reserve 1 holding the reserve plan's demand
  limit (the previous default, with the cap), and with the calendar regression forecaster.

Diagnostic, which uses actuals a real EMS would not have (never a result): January with the
load forecast replaced by the actual load (what forecast error costs).

Run: python benchmarks/bench_operations.py [--days N] [--start YYYY-MM-DD] [--only default|NAME ...]
(``--only`` runs the named variants without diagnostics and writes nothing: a development run).

The daily loop's speed (``--loop``, writes benchmarks/results/operations_loop.json): in a warm
process (:class:`munigrid.scenarios.operations.planner.OperationsPlanner`, default ensemble
forecaster) the first day-ahead schedule of a day (fits the forecaster and caches it), the
same again (warm: cached fit in memory), every hourly re-plan of the day; and
``munigrid schedule`` as a user types it, in a new process: first call (fits) and second
call (cache present). Targets: warm day-ahead <= 2 s, re-plan <= 0.2 s, cold command <= 4 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.scenarios import api
from munigrid.scenarios.operations import evaluate
from munigrid.scenarios.operations.ems import actuals
from munigrid.scenarios.operations.forecaster_cache import ForecasterCache
from munigrid.scenarios.operations.intraday import IntradayPolicy
from munigrid.scenarios.operations.planner import OperationsPlanner
from munigrid.scenarios.operations.site import operations_site

RESULTS = Path(__file__).parent / "results" / "operations.json"
LOOP_RESULTS = Path(__file__).parent / "results" / "operations_loop.json"
LOOP_DAYS = ("2026-03-10", "2026-06-16", "2026-09-15", "2026-12-08")
LOOP_TARGETS_S = {"warm day-ahead": 2.0, "warm re-plan": 0.2, "cold command, cache present": 4.0}
DEFAULT = IntradayPolicy()
VARIANTS = {
    "day-ahead P50, set points": {"robust": False, "intraday": None},
    "day-ahead P90, set points": {"robust": True, "intraday": None},
    "re-plan hourly, no reserve": {"intraday": replace(DEFAULT, reserve_frac=0.0)},
    "re-plan hourly, no charging cap": {"intraday": replace(DEFAULT, cap_charging=False)},
    "re-plan hourly, reserve 1, plan's limit": {"intraday": replace(DEFAULT, reserve_frac=1.0, hold_expected=False)},
    "re-plan hourly, calendar regression": {"intraday": DEFAULT, "load_model": "calendar_regression"},
    f"re-plan hourly, reserve {DEFAULT.reserve_frac:g} (default)": {"intraday": DEFAULT},
}


@contextmanager
def actual_load_forecast(on_day):
    """Replace the load forecast by the actual load on the steps whose day ``on_day`` accepts (diagnostics)."""
    forecast = evaluate.forecast_horizon

    def oracle(site_, issue, index, n, **kw):
        fc, model = forecast(site_, issue, index, n, **kw)
        use = on_day(index.normalize())
        actual = site_.load_kw.reindex(index).to_numpy()
        for col in fc.load_kw.columns:
            fc.load_kw[col] = np.where(use, actual, fc.load_kw[col].to_numpy())
        return fc, model

    evaluate.forecast_horizon = oracle
    try:
        yield
    finally:
        evaluate.forecast_horizon = forecast


def row(name: str, result) -> str:
    rolling = result.costs.loc["day-ahead (rolling)"]
    summary, t = result.to_json(), result.timings
    return (f"{name:38s} {rolling['cost_thb']:10,.0f} {rolling['gap_to_perfect_foresight_frac']:8.2%} "
            f"{rolling['share_of_perfect_saving_frac']:10.1%} {summary['days_with_new_peak']:13d} "
            f"{t['solve_mean_s']:8.3f}/{t['solve_max_s']:.3f} {t['replans']:8d} {t['replan_solve_mean_s']:8.3f} "
            f"{t['day_mean_s']:10.3f} {t['total_s']:8.1f}")


def _command_s(args: list[str], env: dict) -> dict[str, float]:
    """Wall and CPU time (user + system) of one new process running ``args`` [s] (it must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    tic = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - tic
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall_s": wall, "cpu_s": after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime}


def _timed(call) -> dict[str, float]:
    """Wall and CPU time of ``call()`` in this process [s]."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def _median(rows: list[dict], key: str) -> float:
    return float(np.median([r[key] for r in rows]))


def daily_loop(repeats: int = 3) -> dict:
    """Warm day-ahead, warm re-plans and the cold command on :data:`LOOP_DAYS` (module docstring)."""
    store = Path(tempfile.mkdtemp(prefix="bench-ops-"))
    tic = time.perf_counter()
    planner = OperationsPlanner.from_scenario("tha-yang", cache=ForecasterCache(store / "warm"))
    out = {"site_s": time.perf_counter() - tic, "days": {}}
    for day in LOOP_DAYS:
        first = _timed(lambda: planner.day_ahead(day))
        warm = [_timed(lambda: planner.day_ahead(day)) for _ in range(repeats)]
        outcome = planner.day_ahead(day)
        n = outcome.plan.n_committed
        metered = actuals(planner.site, outcome.plan.index[:n])
        soc_kwh = 0.5 * planner.site.battery.energy_kwh
        replans = [_timed(lambda h=h: planner.replan(outcome.plan.index[h], soc_kwh, 30.0, metered.iloc[:h]))
                   for h in range(1, n)]
        out["days"][day] = {"first_day_ahead": first, "warm_day_ahead": warm, "replan": replans}
        print(f"{day}: first day-ahead (fits) {first['wall_s']:6.2f} s wall {first['cpu_s']:6.2f} s CPU; warm "
              f"{_median(warm, 'wall_s'):.3f} s wall {_median(warm, 'cpu_s'):.3f} s CPU; re-plan median "
              f"{_median(replans, 'wall_s'):.3f} s wall {_median(replans, 'cpu_s'):.3f} s CPU", flush=True)
    env = {**os.environ, "MUNIGRID_RUNS": str(store / "cold")}
    command = [str(Path(sys.executable).with_name("munigrid")), "schedule", "tha-yang", "--out", str(store / "ops")]
    cold = {}
    for day in LOOP_DAYS[:2]:
        fit = _command_s([*command, "--day", day], env)
        again = [_command_s([*command, "--day", day], env) for _ in range(repeats)]
        cold[day] = {"first_call": fit, "cache_present": again}
        print(f"{day}: munigrid schedule, new process: first call (fits) {fit['wall_s']:.2f} s wall "
              f"{fit['cpu_s']:.2f} s CPU; cache present {_median(again, 'wall_s'):.2f} s wall "
              f"{_median(again, 'cpu_s'):.2f} s CPU", flush=True)
    bare = [_command_s([sys.executable, "-c", "pass"], env) for _ in range(repeats)]
    out.update(cold_command=cold, python_startup=bare)
    every = {"warm day-ahead": [t for d in out["days"].values() for t in d["warm_day_ahead"]],
             "warm re-plan": [t for d in out["days"].values() for t in d["replan"]],
             "cold command, cache present": [t for d in cold.values() for t in d["cache_present"]]}
    out["summary"] = {name: {"median_wall_s": _median(v, "wall_s"), "max_wall_s": max(r["wall_s"] for r in v),
                             "median_cpu_s": _median(v, "cpu_s"), "target_s": LOOP_TARGETS_S[name]}
                      for name, v in every.items()}
    for name, r in out["summary"].items():
        print(f"{name:28s} median {r['median_wall_s']:.3f} s wall (max {r['max_wall_s']:.3f}), "
              f"{r['median_cpu_s']:.3f} s CPU; target <= {r['target_s']:g} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--start", help="first day YYYY-MM-DD (default the scenario's start)")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="run only these variants ('default' or a start of a variant's name); no diagnostics, "
                             "no results file")
    parser.add_argument("--loop", action="store_true", help="time the daily loop instead (module docstring)")
    args = parser.parse_args()
    if args.loop:
        out = {"machine": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
               "load_average": os.getloadavg(), **daily_loop()}
        LOOP_RESULTS.parent.mkdir(parents=True, exist_ok=True)
        LOOP_RESULTS.write_text(json.dumps(out, indent=2))
        print(f"wrote {LOOP_RESULTS}")
        return
    variants = VARIANTS if args.only is None else {
        name: kw for name, kw in VARIANTS.items()
        if any(name.startswith(o) or (o == "default" and name.endswith("(default)")) for o in args.only)}
    if not variants:
        parser.error(f"--only matches no variant; choose from 'default' or {', '.join(VARIANTS)}")
    tic = time.perf_counter()
    scenario = api.load("tha-yang")
    site = operations_site(scenario, scenario._base_dir)
    site_s = time.perf_counter() - tic
    start = pd.Timestamp(args.start or scenario.time.start, tz="Asia/Bangkok")
    out = {"machine": platform.platform(), "python": platform.python_version(), "scenario": "tha-yang",
           "building": site.building, "start": str(start.date()), "days": args.days, "site_s": site_s, "variants": {},
           "diagnostics": {}}
    print(f"{'variant':38s} {'cost THB':>10s} {'gap PF':>8s} {'PF saving':>10s} {'new-peak days':>13s} "
          f"{'day-ahead solve':>15s} {'re-plans':>8s} {'mean s':>8s} {'day mean s':>10s} {'total s':>8s}")
    for name, kwargs in variants.items():
        result = evaluate.evaluate_operations(site, start, args.days, **kwargs)
        out["variants"][name] = {**result.to_json(), "settings": result.settings}
        print(row(name, result), flush=True)
    costs = next(iter(out["variants"].values()))["costs"]
    if args.only is not None:
        print(f"perfect foresight {costs['perfect foresight']['cost_thb']:,.0f} THB; --only: no diagnostics, "
              "results file not written")
        return
    for name in ("perfect foresight", "rule: self-consumption", "rule: TOU arbitrage", "no battery"):
        print(f"{name:38s} {costs[name]['cost_thb']:10,.0f} {costs[name]['gap_to_perfect_foresight_frac']:8.2%} "
              f"{costs[name]['share_of_perfect_saving_frac']:10.1%}")
    diagnostics = {
        "january, load forecast = actual load": (lambda days: np.ones(len(days), dtype=bool), start, min(31, args.days)),
    }
    for name, (on_day, first, days) in diagnostics.items():
        with actual_load_forecast(on_day):
            result = evaluate.evaluate_operations(site, first, days, intraday=DEFAULT)
        out["diagnostics"][name] = {**result.to_json(), "settings": result.settings, "oracle_days": "all"}
        print(row(f"diagnostic: {name}", result), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
