"""Sizing over the project life, cold: ``munigrid size SCENARIO --lifetime`` on whole-year anchors
and on representative days, each in a new process, and the days' error against the whole years.

Writes ``benchmarks/results/size_lifetime_<scenario>[_<tag>].json``: per variant the wall and CPU
seconds of the process, the command's JSON (both designs: sizes, life cost, NPV, IRR, LCOE,
replacement years; the rounds), and for the representative days the difference of the lifetime
design's sizes and simulated-life NPV to the whole-year anchors' design.

Usage::

    python benchmarks/bench_size_lifetime.py [--scenario tha-yang-sizing] [--days 7] [--load-growth 0.02]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def run_cold(args: list[str]) -> dict:
    """One new process of ``munigrid size ... --json``: its JSON, wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    tic = time.perf_counter()
    command = str(Path(sys.executable).parent / "munigrid")  # the console script a user types
    done = subprocess.run([command, *args, "--json"], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - tic
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        return {"args": args, "exit": done.returncode, "stderr": done.stderr[-2000:], "wall_s": round(wall, 1)}
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"args": args, "exit": 0, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "outcome": json.loads(done.stdout)}


def error_against(days: dict, whole: dict) -> dict:
    """The representative days' lifetime design against the whole years' [kWp, kWh, THB, -]."""
    a, b = days["outcome"]["lifetime"], whole["outcome"]["lifetime"]
    return {"pv_kwp_diff": a["pv_kwp"] - b["pv_kwp"], "battery_kwh_diff": a["battery_kwh"] - b["battery_kwh"],
            "npv_diff_thb": a["npv_thb"] - b["npv_thb"],
            "npv_diff_frac": (a["npv_thb"] - b["npv_thb"]) / abs(b["npv_thb"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="tha-yang-sizing")
    parser.add_argument("--days", type=int, default=7, help="days per month of the representative variant")
    parser.add_argument("--load-growth", type=float, default=0.0)
    parser.add_argument("--time-limit", type=float, default=1200.0, help="solver limit per anchor [s]")
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    common = ["size", args.scenario, "--lifetime", "--load-growth", str(args.load_growth),
              "--time-limit", str(args.time_limit)]
    whole = run_cold(common)
    days = run_cold([*common, "--days-per-month", str(args.days)])
    out = {"whole_years": whole, f"days_per_month_{args.days}": days}
    if whole["exit"] == 0 and days["exit"] == 0:
        out["days_error"] = error_against(days, whole)
    RESULTS.mkdir(exist_ok=True)
    name = f"size_lifetime_{args.scenario.replace('-', '_')}{'_' + args.tag if args.tag else ''}.json"
    (RESULTS / name).write_text(json.dumps(out, indent=2))
    print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "outcome"} if isinstance(v, dict) and "args" in v
                      else v for k, v in out.items()}, indent=2))


if __name__ == "__main__":
    main()
