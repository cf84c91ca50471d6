"""Start-up time of everyday ``munigrid`` commands, as whole processes, against a bare Python.

Each command is started as a new process, the command a user types (the ``munigrid``
script installed beside this interpreter), in rounds: every round runs the bare interpreter
(``python -c pass``) and then each command once, so that all of them meet the same machine
load. Two conditions:

``warm``
    bytecode caches in place (every run after the first on a machine);
``cold``
    an empty bytecode cache (``PYTHONPYCACHEPREFIX`` set to a new empty folder for each
    run): every imported module, Python's own included, is compiled from source. This is an
    upper bound of a first run; it does not empty the operating system's file cache.

For each command and condition: median, minimum and maximum wall and CPU (user + system)
seconds over the rounds, and the median over the bare interpreter; results go to
``benchmarks/results/bench_cli.json``. Targets (issue 15): ``--help`` and ``--version``
<= 0.3 s, ``tariffs`` <= 1 s, ``validate --quick`` (schema and file references) <= 1.5 s,
judged on the warm CPU median. ``validate`` without ``--quick`` runs every input check of
``run`` up to the solve (weather, PV and loads built, files read) and is reported only.

    python benchmarks/bench_cli.py [--rounds 7] [--cold-rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "bench_cli.json"

# command -> target [s] (None: reported only)
COMMANDS: dict[str, float | None] = {
    "--help": 0.3,
    "--version": 0.3,
    "tariffs": 1.0,
    "validate --quick tha-yang": 1.5,
    "validate tha-yang": None,
    "scenarios": None,
    "run --help": None,
    "finance --help": None,
    "simulate --help": None,
    "forecast load --help": None,
}
BASELINE = "python -c pass"


def _script() -> str:
    """The ``munigrid`` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "munigrid"
    if not script.is_file():
        sys.exit(f"no munigrid script beside {sys.executable}; install the package (pip install -e .)")
    return str(script)


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process (CPU from the kernel's accounting of children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    tick = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    wall = time.perf_counter() - tick
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _run(name: str, cold: bool, script: str) -> tuple[float, float]:
    argv = [sys.executable, "-c", "pass"] if name == BASELINE else [script, *name.split()]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")}
    if not cold:
        return _timed(argv, env)
    with tempfile.TemporaryDirectory(prefix="bench-cli-pyc-") as cache:
        return _timed(argv, {**env, "PYTHONPYCACHEPREFIX": cache})


def _stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure(rounds: int, cold_rounds: int) -> dict:
    """Interleaved rounds of the baseline and every command, warm and cold."""
    script = _script()
    names = [BASELINE, *COMMANDS]
    for name in names:  # warm-up: bytecode written, files in the OS cache
        _run(name, cold=False, script=script)
    out = {}
    for condition, n in (("warm", rounds), ("cold", cold_rounds)):
        samples = {name: ([], []) for name in names}
        for _ in range(n):
            for name in names:
                wall, cpu = _run(name, cold=condition == "cold", script=script)
                samples[name][0].append(wall)
                samples[name][1].append(cpu)
        base_wall = statistics.median(samples[BASELINE][0])
        base_cpu = statistics.median(samples[BASELINE][1])
        out[condition] = {name: {"wall_s": _stats(walls), "cpu_s": _stats(cpus),
                                 "wall_over_baseline_s": statistics.median(walls) - base_wall,
                                 "cpu_over_baseline_s": statistics.median(cpus) - base_cpu}
                          for name, (walls, cpus) in samples.items()}
    return out


def main() -> None:
    """Run the benchmark, print a table and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="warm rounds")
    parser.add_argument("--cold-rounds", type=int, default=3, help="cold rounds (empty bytecode cache)")
    args = parser.parse_args()
    results = measure(args.rounds, args.cold_rounds)
    print(f"{'command':<24}{'target s':>9}{'warm cpu':>10}{'warm wall':>10}{'cold cpu':>10}{'cold wall':>10}"
          f"{'  met (warm cpu)'}")
    rows = []
    for name in [BASELINE, *COMMANDS]:
        warm, cold = results["warm"][name], results["cold"][name]
        target = COMMANDS.get(name)
        met = None if target is None else warm["cpu_s"]["median"] <= target
        rows.append({"command": name if name == BASELINE else f"munigrid {name}", "target_s": target,
                     "met": met, "warm": warm, "cold": cold})
        print(f"{rows[-1]['command']:<24}{'' if target is None else f'{target:g}':>9}"
              f"{warm['cpu_s']['median']:>10.3f}{warm['wall_s']['median']:>10.3f}"
              f"{cold['cpu_s']['median']:>10.3f}{cold['wall_s']['median']:>10.3f}"
              f"  {'' if met is None else ('yes' if met else 'NO')}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "bench_cli", "rounds": args.rounds, "cold_rounds": args.cold_rounds,
        "baseline": BASELINE, "judged_on": "warm CPU median (user + system) of the whole process",
        "load_average_1min": os.getloadavg()[0], "cpus": os.cpu_count(), "rows": rows,
        "machine": platform.platform(), "python": platform.python_version()}, indent=2), encoding="utf-8")
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
