"""Sampled years of Tha Yang dispatched by the optimiser: 200 site-years (5 meters) on 2 workers.

In process: :func:`munigrid.scenarios.simulation.simulate_scenario` with ``operator="optimiser"``
(the office, the one meter with a battery, solved by the dispatch optimiser for every sampled
year; the four meters with nothing to decide run in the numba kernel) beside the rule-operated
Monte Carlo of the same samples. Cold: ``munigrid simulate tha-yang --operator optimiser`` in a
new process, the command a user types. The load average is recorded with each figure (the
machine is shared).

Prints a summary and writes benchmarks/results/uncertainty.json.

Run: python benchmarks/bench_uncertainty.py [--samples 200] [--workers 2] [--no-cold]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "uncertainty.json"


def in_process(samples: int, workers: int) -> dict:
    """Wall time of the optimiser-operated and rule-operated samples in this process."""
    from munigrid.scenarios import api
    from munigrid.scenarios.simulation import simulate_scenario, site_percentiles

    scenario = api.load("tha-yang")
    inputs = api.inputs(scenario)
    out = {}
    for operator in ("rule", "optimiser"):
        load_before = os.getloadavg()[0]
        tic = time.perf_counter()
        result, timing = simulate_scenario(scenario, samples=samples, operator=operator, workers=workers,
                                           inputs=inputs)
        wall_s = time.perf_counter() - tic
        cpu_s = timing.get("optimiser_cpu_s", 0.0)
        out[operator] = {"wall_s": round(wall_s, 2), "timing_s": {k: round(v, 3) for k, v in timing.items()},
                         "optimiser_cpu_s_per_site_year": round(cpu_s / samples, 4),
                         "wall_s_if_the_workers_had_a_core_each": round(wall_s - timing.get("optimiser_s", 0.0)
                                                                        + cpu_s / workers, 2),
                         "load_average_before": load_before, "load_average_after": os.getloadavg()[0],
                         "site": site_percentiles(result)}
        print(f"{operator}: {samples} site-years in {wall_s:.1f} s (load {load_before:.1f} -> "
              f"{os.getloadavg()[0]:.1f})", flush=True)
    return out


def cold(samples: int, workers: int) -> dict:
    """Wall time of the command in a new process."""
    command = [shutil.which("munigrid") or "munigrid", "simulate", "tha-yang", "--samples", str(samples),
               "--operator", "optimiser", "--workers", str(workers), "--json"]
    load_before = os.getloadavg()[0]
    tic = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - tic
    print(f"cold command: {wall_s:.1f} s, exit {done.returncode} (load {load_before:.1f} -> "
          f"{os.getloadavg()[0]:.1f})", flush=True)
    return {"command": " ".join(["munigrid", *command[1:]]), "wall_s": round(wall_s, 2), "exit_code": done.returncode,
            "load_average_before": load_before, "load_average_after": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-cold", action="store_true", help="Skip the new-process measurement.")
    args = parser.parse_args()
    report = {"samples": args.samples, "workers": args.workers, "cpus": os.cpu_count(),
              "python": platform.python_version(), "goal": "200 site-years <= 60 s on 2 cores",
              "in_process": in_process(args.samples, args.workers)}
    if not args.no_cold:
        report["cold"] = cold(args.samples, args.workers)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
