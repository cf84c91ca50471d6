"""Hardening tallies: the bad-input corpus, the YAML alias bomb, and processes left by a killed sweep.

* corpus: every entry of ``tests/hardening/corpus`` through the CLI entry point; the share
  ending in exit 2 with the expected field named in the message (goal 100 %);
* alias bomb: ``munigrid validate`` on the 670-byte bomb as a user runs it (a new process:
  wall time and peak RSS of the whole command, imports included), beside the same command on
  a valid small scenario, and the loader alone in this process (time, traced peak);
* orphans: ``munigrid sweep`` with two workers killed with SIGKILL once a member is stored,
  processes of its session alive 5 s later (goal 0), over ``--kills`` trials.

    python benchmarks/bench_hardening.py [--kills 3]

Writes ``benchmarks/results/hardening.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "hardening"))

from corpus_cases import CORPUS, cases, run_case  # noqa: E402
from test_orphans import kill_sweep_and_count_survivors  # noqa: E402

RESULTS = HERE / "results" / "hardening.json"


def corpus_tally() -> dict:
    """Exit code and field check of every corpus entry."""
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["MUNIGRID_RUNS"] = str(Path(scratch) / "runs")
        for n, case in enumerate(cases()):
            tmp = Path(scratch) / f"case{n}"
            tmp.mkdir()
            code, output = run_case(case, tmp)
            rows.append({"entry": case.name, "exit": code, "field_named": case.expect in output,
                         "traceback": "Traceback" in output})
    good = sum(r["exit"] == 2 and r["field_named"] and not r["traceback"] for r in rows)
    return {"entries": len(rows), "exit_2_with_field": good, "share_pct": round(100.0 * good / len(rows), 1),
            "failures": [r for r in rows if not (r["exit"] == 2 and r["field_named"])]}


def cold_command(argv: list[str]) -> dict:
    """Wall time [s], peak RSS [MB] and exit code of one new process."""
    munigrid = Path(sys.executable).with_name("munigrid")
    tick = time.perf_counter()
    proc = subprocess.Popen([str(munigrid), *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall_s = time.perf_counter() - tick
    return {"wall_s": round(wall_s, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "exit": os.waitstatus_to_exitcode(status)}


def alias_bomb() -> dict:
    """The bomb as a command (cold) beside a valid scenario, and the loader alone."""
    from munigrid.models.errors import InputError
    from munigrid.scenarios.library import read_yaml

    bomb = CORPUS / "yaml_alias_bomb.yaml"
    tracemalloc.start()
    tick = time.perf_counter()
    try:
        read_yaml(bomb)
    except InputError:
        pass
    loader_s = time.perf_counter() - tick
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"file_bytes": bomb.stat().st_size,
            "command_bomb": cold_command(["validate", str(bomb)]),
            "command_valid_scenario": cold_command(["validate", str(CORPUS / "base.yaml")]),
            "loader_s": round(loader_s, 4), "loader_traced_peak_mb": round(peak / 1024**2, 2)}


def orphans(kills: int) -> dict:
    """Processes of a killed sweep's session before the kill and 5 s after, per trial."""
    trials = []
    for _ in range(kills):
        with tempfile.TemporaryDirectory() as scratch:
            before, after = kill_sweep_and_count_survivors(Path(scratch))
            trials.append({"processes_before": before, "alive_5s_after": after})
    return {"trials": trials, "max_alive_5s_after": max(t["alive_5s_after"] for t in trials)}


def main() -> None:
    """Measure and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=3)
    args = parser.parse_args()
    # the commands first: a child's peak RSS starts from what this process holds when it forks
    bomb = alias_bomb()
    result = {"machine": platform.platform(), "cpus": os.cpu_count(), "note": "shared 2-core machine, loaded",
              "alias_bomb": bomb, "corpus": corpus_tally(), "orphans": orphans(args.kills)}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
