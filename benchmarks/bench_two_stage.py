"""Two-stage sizing of Tha Yang over sampled full years: ``munigrid size`` cold, for several sample counts.

For each sample count N the command a user types, ``munigrid size tha-yang-sizing --samples N --json``,
runs in a new process on a copy of the bundled scenario whose ``optimisation.time_limit_s`` is raised
(``--time-limit``, per sample: the bundled 120 s is a limit, not the measurement). Recorded: wall
time, the CPU time of the process and the children it waited for, the load average before and after
(the machine is shared), and the command's own JSON (sizes, costs, the two-stage timings: start,
iterations, sample LPs, master).

Writes benchmarks/results/size_tha_yang_sizing_<N>samples.json per N (the command's JSON plus a
``bench`` block) and benchmarks/results/size_two_stage.json (one row per N).

Run: python benchmarks/bench_two_stage.py [--samples 3 6] [--method auto] [--time-limit 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SCENARIO = ROOT / "scenarios" / "library" / "tha-yang-sizing.yaml"


def scenario_copy(folder: Path, time_limit_s: float) -> Path:
    """The bundled sizing scenario with ``optimisation.time_limit_s`` set to ``time_limit_s``."""
    data = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    data["optimisation"]["time_limit_s"] = float(time_limit_s)
    path = folder / SCENARIO.name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def cold(scenario: Path, samples: int, method: str) -> dict:
    """One run of the command in a new process: wall and CPU time, exit code, its JSON."""
    beside = Path(sys.executable).with_name("munigrid")  # the entry point of this interpreter's environment
    command = [str(beside) if beside.exists() else shutil.which("munigrid") or "munigrid", "size", str(scenario), "--samples", str(samples),
               "--method", method, "--json"]
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    tic = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - tic
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    bench = {"command": " ".join(["munigrid", "size", "tha-yang-sizing", *command[3:]]), "wall_s": round(wall_s, 1),
             "cpu_s": round(cpu_s, 1), "exit_code": done.returncode, "load_average_before": load_before,
             "load_average_after": os.getloadavg()[0], "python": platform.python_version(), "cpus": os.cpu_count()}
    print(f"--samples {samples} --method {method}: {wall_s:.1f} s wall, {cpu_s:.1f} s CPU, exit {done.returncode} "
          f"(load {load_before:.1f} -> {os.getloadavg()[0]:.1f})", flush=True)
    if done.returncode != 0:
        return {"bench": bench, "stderr_tail": done.stderr[-2000:]}
    return {**json.loads(done.stdout), "bench": bench}


def row(samples: int, outcome: dict) -> dict:
    """The summary line of one run."""
    bench = outcome["bench"]
    if bench["exit_code"] != 0:
        return {"samples": samples, **bench}
    two = outcome["two_stage"]
    return {"samples": samples, "wall_s": bench["wall_s"], "cpu_s": bench["cpu_s"],
            "load_average_before": bench["load_average_before"], "method": outcome.get("two_stage_method"),
            "two_stage_s": outcome["timings_s"]["two_stage_s"], "timings_s": outcome["timings_s"],
            "two_stage_timings_s": outcome.get("two_stage_timings_s"),
            "pv_kwp": round(two["pv_kwp"], 2), "battery_kwh": round(two["battery_kwh"], 2),
            "expected_thb": round(two["expected_thb"]), "objective_thb": outcome["two_stage_objective_thb"],
            "bound_thb": outcome.get("two_stage_bound_thb")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[3, 6])
    parser.add_argument("--method", choices=["auto", "decomposed", "monolithic"], default="auto")
    parser.add_argument("--time-limit", type=float, default=3000.0, help="optimisation.time_limit_s of the copy [s].")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        scenario = scenario_copy(Path(folder), args.time_limit)
        for samples in args.samples:
            outcome = cold(scenario, samples, args.method)
            (RESULTS / f"size_tha_yang_sizing_{samples}samples.json").write_text(
                json.dumps(outcome, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            rows.append(row(samples, outcome))
    summary = RESULTS / "size_two_stage.json"
    summary.write_text(json.dumps({"scenario": "tha-yang-sizing", "method": args.method,
                                   "time_limit_s_per_sample": args.time_limit, "runs": rows}, indent=2) + "\n",
                       encoding="utf-8")
    print(f"wrote {summary.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
