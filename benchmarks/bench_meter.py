"""Time to read a year of 15-minute meter readings in each shape the meter reader accepts.

Writes one building-year (35,040 readings) as ISO kW, Thai Excel (cp874, Date + Time,
Buddhist-era years, kWh per interval), Notepad UTF-16 (naive times) and a 30-min logger
export; times ``read_meter`` in this process (warm: best and median of the repeats) and the
whole ``munigrid bill`` command in a new process (cold) beside ``python -c pass``; results go
to ``benchmarks/results/meter.json``.

    python benchmarks/bench_meter.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.forecasting.meter import read_meter

RESULTS = Path(__file__).parent / "results" / "meter.json"


def write_year(folder: Path) -> dict[str, Path]:
    """A year of one office-like load in four shapes; file name -> path."""
    index = pd.date_range("2025-01-01", periods=365 * 96, freq="15min", tz="Asia/Bangkok")
    load_kw = np.round(20 + 25 * ((index.hour >= 8) & (index.hour < 17)) + 3 * np.sin(np.arange(len(index))), 2)
    naive = index.tz_localize(None)
    shapes = {
        "iso_kw.csv": (pd.DataFrame({"time": index.strftime("%Y-%m-%dT%H:%M+07:00"), "load_kw": load_kw}), "utf-8", ","),
        "thai_excel_kwh.csv": (pd.DataFrame({"วันที่": [f"{t.day:02d}/{t.month:02d}/{t.year + 543}" for t in naive],
                                             "เวลา": naive.strftime("%H:%M"), "พลังงาน (kWh)": load_kw / 4}), "cp874", ","),
        "notepad_utf16_kw.csv": (pd.DataFrame({"datetime": naive.strftime("%Y-%m-%d %H:%M"), "load_kw": load_kw}),
                                 "utf-16", "\t"),
        "logger_30min_kw.csv": (pd.DataFrame({"Timestamp": naive[::2].strftime("%d/%m/%Y %H:%M"),
                                              "P_kW": load_kw.reshape(-1, 2).mean(axis=1)}), "utf-8", ";"),
    }
    paths = {}
    for name, (frame, encoding, sep) in shapes.items():
        paths[name] = folder / name
        paths[name].write_bytes(frame.to_csv(index=False, sep=sep).encode(encoding))
    return paths


def _wall(command: list[str]) -> float:
    tick = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - tick


def main() -> None:
    """Run the benchmark and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as root:
        paths = write_year(Path(root))
        read_meter(paths["iso_kw.csv"])  # warm-up: imports
        for name, path in paths.items():
            times = []
            for _ in range(args.repeats):
                tick = time.perf_counter()
                meter = read_meter(path)
                times.append(time.perf_counter() - tick)
            rows.append({"file": name, "readings": int(len(meter.load_kw)), "step_min": meter.step_min,
                         "warm_best_s": min(times), "warm_median_s": statistics.median(times)})
        munigrid = str(Path(sys.executable).with_name("munigrid"))
        bill = [munigrid, "bill", "--tariff", "pea-3.2-lt22kv", "--ft", "0.1972", "--json", "--meter"]
        cold = {name: statistics.median(_wall(bill + [str(paths[name])]) for _ in range(args.repeats))
                for name in ("iso_kw.csv", "thai_excel_kwh.csv")}
        bare = statistics.median(_wall([sys.executable, "-c", "pass"]) for _ in range(args.repeats))
    print(f"{'file':24s} {'readings':>8s} {'step':>5s} {'best s':>8s} {'median s':>9s}")
    for row in rows:
        print(f"{row['file']:24s} {row['readings']:8d} {row['step_min']:5d} {row['warm_best_s']:8.3f} "
              f"{row['warm_median_s']:9.3f}")
    for name, seconds in cold.items():
        print(f"cold `munigrid bill` on {name}: {seconds:.2f} s wall (python -c pass: {bare:.3f} s)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.platform(), "repeats": args.repeats, "read_meter": rows,
                                   "cold_bill_wall_s": cold, "python_pass_wall_s": bare}, indent=2) + "\n")


if __name__ == "__main__":
    main()
