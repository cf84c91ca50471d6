"""Project-life benchmark: 20 years of the bundled scenarios, fast anchors against full re-solves.

For each case (Tha Yang with flat load, Tha Yang with 2 %/year load growth, the sizing scenario),
a run is stored once, then ``api.finance(RUN, "all", lifetime=...)`` is evaluated in this process
with ``scaled`` (year 1 scaled), ``fast`` (two anchor re-dispatches) and ``full`` (every year
re-dispatched), wall and CPU time each, and the NPV of the project and both parties of every
structure is compared: the relative error of ``fast`` against ``full`` (the goal: <= 1 %), and of
``scaled`` against ``full`` (what year-1 scaling misses). The cold commands
``munigrid finance RUN --structure all --lifetime fast`` and ``munigrid finance RUN --structure
municipal --lifetime full`` (Tha Yang) are timed once each as a new process (wall and CPU).

Run: ``python benchmarks/bench_lifetime.py [label] [--no-sizing]`` (writes
``benchmarks/results/lifetime[-label].json``). The machine is shared: times vary.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from munigrid.scenarios import api

YEARS = 20
CASES = (("tha-yang", 0.0), ("tha-yang", 0.02), ("tha-yang-sizing", 0.0))


def _npvs(outcome) -> dict[str, float]:
    return {f"{name}/{party}": case.summary()[party]["npv_thb"] if party != "project"
            else case.project_metrics()["npv_thb"]
            for name, case in outcome.cases.items() for party in ("project", "municipality", "investor")}


def _timed_finance(run_dir: Path, root: Path, lifetime: str, growth: float):
    cpu, wall = time.process_time(), time.perf_counter()
    outcome = api.finance(run_dir, "all", years=YEARS, lifetime=lifetime, load_growth_frac_per_year=growth,
                          write=False, root=root)
    return outcome, time.process_time() - cpu, time.perf_counter() - wall


def _cold_command(run_dir: Path, root: Path, structure: str, lifetime: str) -> tuple[float, float]:
    """Wall and CPU seconds of ``munigrid finance RUN`` as a new process."""
    munigrid = Path(sys.executable).with_name("munigrid")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run([str(munigrid), "finance", str(run_dir), "--structure", structure, "--lifetime", lifetime, "--root",
                    str(root), "--out", str(root / f"cold-{lifetime}"), "--json"], check=True, capture_output=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main(label: str = "", sizing: bool = True) -> dict:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runs: dict[str, Path] = {}
        for scenario, growth in CASES:
            if scenario == "tha-yang-sizing" and not sizing:
                continue
            if scenario not in runs:
                runs[scenario] = api.run(scenario, root=root, report=False, samples=0).run_dir
            run_dir = runs[scenario]
            row = {"scenario": scenario, "load_growth_frac_per_year": growth, "years": YEARS}
            npv = {}
            for lifetime in ("scaled", "fast", "full"):
                outcome, cpu_s, wall_s = _timed_finance(run_dir, root, lifetime, growth)
                npv[lifetime] = _npvs(outcome)
                row[f"{lifetime}_cpu_s"], row[f"{lifetime}_wall_s"] = round(cpu_s, 2), round(wall_s, 2)
                if lifetime == "full":
                    row["battery_replacement_years_full"] = list(outcome.cases["municipal"].project.inputs
                                                                 .lifetime.battery_replacement_years)
            for other in ("fast", "scaled"):
                errors = {key: abs(npv[other][key] - npv["full"][key]) / abs(npv["full"][key])
                          for key in npv["full"] if abs(npv["full"][key]) > 1.0}
                worst = max(errors, key=errors.get)
                row[f"{other}_max_npv_error_frac"] = round(errors[worst], 5)
                row[f"{other}_max_npv_error_at"] = worst
            row["npv_thb"] = {k: {key: round(v) for key, v in npv[k].items()} for k in npv}
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "npv_thb"}), flush=True)
        cold_s, _ = _cold_command(runs["tha-yang"], root, "all", "fast")
        full_wall_s, full_cpu_s = _cold_command(runs["tha-yang"], root, "municipal", "full")
    out = {"label": label, "cpu_count": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2),
           "cold_finance_fast_all_s": round(cold_s, 2), "cold_finance_full_municipal_wall_s": round(full_wall_s, 2),
           "cold_finance_full_municipal_cpu_s": round(full_cpu_s, 2), "rows": rows}
    print(json.dumps({k: v for k, v in out.items() if k.startswith("cold")}))
    path = Path(__file__).parent / "results" / f"lifetime{'-' + label if label else ''}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else "", sizing="--no-sizing" not in sys.argv)
