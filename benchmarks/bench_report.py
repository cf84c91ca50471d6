"""Time to write the HTML report of a one-year, hourly, five-building run (bundled Tha Yang).

Runs the scenario once (stored, no report), then writes its report several times in each
language and prints a table; results go to ``benchmarks/results/report.json``.

    python benchmarks/bench_report.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

from munigrid.scenarios import api
from munigrid.solver_runs.report import write_run_report
from munigrid.solver_runs.report.rundata import load_run

RESULTS = Path(__file__).parent / "results" / "report.json"


def main() -> None:
    """Run the benchmark and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        tick = time.perf_counter()
        outcome = api.run("tha-yang", root=Path(root), report=False)
        run_s = time.perf_counter() - tick
        run = load_run(outcome.run_dir)
        steps, buildings = run.results.sizes["time"], run.results.sizes["building"]
        write_run_report(outcome.run_dir)  # warm-up: imports and label file
        rows = []
        for lang in ("en", "th"):
            times = []
            for _ in range(args.repeats):
                tick = time.perf_counter()
                path = write_run_report(outcome.run_dir, lang=lang)
                times.append(time.perf_counter() - tick)
            rows.append({"lang": lang, "median_s": statistics.median(times), "min_s": min(times),
                         "size_mb": path.stat().st_size / 1e6})
    print(f"Tha Yang: {steps} steps x {buildings} buildings; run (no report) {run_s:.1f} s")
    print(f"{'lang':<6}{'median s':>10}{'min s':>10}{'size MB':>10}")
    for row in rows:
        print(f"{row['lang']:<6}{row['median_s']:>10.2f}{row['min_s']:>10.2f}{row['size_mb']:>10.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"benchmark": "report", "scenario": "tha-yang", "steps": steps,
                                   "buildings": buildings, "run_without_report_s": run_s, "repeats": args.repeats,
                                   "rows": rows, "machine": platform.platform(),
                                   "python": platform.python_version()}, indent=2), encoding="utf-8")
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
