"""Effect of source-side gap filling on the day-ahead load backtest, and of leaving it out.

The Chamchuri 5 office year (``../shared/data/thai_office_load``) has no repeated day, zero
run or flat run (the detector finds none). To show what a source-filled export does, a copy is
written to a temporary folder with what data systems do to their gaps: whole weeks replaced by
the week before (every third week from the fifth: about a third of the hours) and one outage
day of zeros a month. Three backtests through the command a user types (``munigrid forecast load
--backtest --json``, all five models, 24 h, 28-day refits):

* ``metered``: the file as metered;
* ``source-filled, kept`` (``--keep-suspect``): what munigrid did before, fitting and scoring the
  copied weeks and zeros;
* ``source-filled, left out`` (the default): the suspect steps left out of fitting and scoring.

Run: ``python benchmarks/bench_suspect_readings.py``; writes benchmarks/results/suspect_readings.json.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

METER = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "thai_office_load" / "chamchuri5_hourly.csv"
RESULTS = Path(__file__).parent / "results" / "suspect_readings.json"
HOURS_PER_WEEK = 168
FIRST_COPIED_WEEK, COPY_EVERY_WEEKS = 4, 3
OUTAGE_DAY_OF_MONTH = 15


def source_filled(frame: pd.DataFrame) -> pd.DataFrame:
    """The meter table with weeks copied from the week before and a day of zeros each month."""
    out = frame.copy()
    n_weeks = len(out) // HOURS_PER_WEEK
    for week in range(FIRST_COPIED_WEEK, n_weeks, COPY_EVERY_WEEKS):
        rows = slice(week * HOURS_PER_WEEK, (week + 1) * HOURS_PER_WEEK)
        out.iloc[rows, out.columns.get_loc("Load")] = out["Load"].iloc[(week - 1) * HOURS_PER_WEEK:
                                                                         week * HOURS_PER_WEEK].to_numpy()
    stamps = pd.to_datetime(out["Datetime"], format="%m/%d/%y %H:%M")
    out.loc[stamps.dt.day == OUTAGE_DAY_OF_MONTH, "Load"] = 0.0
    return out


def backtest(path: Path, *flags: str) -> dict:
    """``munigrid forecast load --backtest --json`` in a new process: its JSON and wall time [s]."""
    command = [sys.executable, "-c", "from munigrid.scenarios.cli import main; main()", "forecast", "load",
               "--history", str(path), "--tz", "Asia/Bangkok", "--backtest", "--json", *flags]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    out = json.loads(done.stdout)
    out["wall_s"] = time.perf_counter() - start
    return out


def summary(result: dict) -> dict:
    """Ensemble and gradient-boosting MAE [kW], skill and coverage, scored steps, suspect steps."""
    skill = result["skill"]
    return {"suspect_steps": result["suspect_steps"], "scored_steps": int(skill["ensemble"]["n"]),
            "wall_s": round(result["wall_s"], 1),
            **{f"{model}_{key}": round(skill[model][key], 3) for model in ("ensemble", "gradient_boosting")
               for key in ("mae", "skill_vs_naive", "coverage")},
            "seasonal_naive_mae": round(skill["seasonal_naive"]["mae"], 3)}


def main() -> None:
    if not METER.is_file():
        sys.exit(f"{METER} not found: this benchmark needs ../shared/data beside the checkout")
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        filled = Path(folder) / "chamchuri5_source_filled.csv"
        frame = pd.read_csv(METER, encoding="utf-8-sig")
        source_filled(frame).to_csv(filled, index=False)
        rows["metered"] = summary(backtest(METER))
        rows["source-filled, kept"] = summary(backtest(filled, "--keep-suspect"))
        rows["source-filled, left out"] = summary(backtest(filled))
    RESULTS.write_text(json.dumps({"machine": platform.platform(), "results": rows}, indent=2) + "\n")
    for name, row in rows.items():
        print(name, row)


if __name__ == "__main__":
    main()
