"""Benchmarks: a year of synthetic weather, PV and loads for 10 buildings (target <= 5 s on 2 cores),
and the day-ahead load backtest of one building-year (target <= 30 s without losing skill).

The backtest (all five models, 24 h horizon, 28-day refits, persistence temperature) runs on
the metered Chamchuri 5 office year (``../shared/data/thai_office_load``, where present) and on
a synthetic office archetype year, in three configurations:

* ``rolling, default workers``: the default, refits in one process per CPU;
* ``rolling, 1 process``: the default calibration (from the models' own past forecasts);
* ``holdout, 1 process``: each refit calibrated by a second, held-out fit -- the forecasts of
  the backtest before this change (``tests/forecasting/test_backtest_speed.py`` checks that
  they equal fitting and forecasting origin by origin); the old code also rebuilt the
  features at every origin, which this configuration no longer does.

CPU time counts the worker processes too (:attr:`BacktestResult.fit_cpu_s`).

Run: ``python benchmarks/bench_forecasting.py [--part pv_loads|backtest] [--data metered|synthetic]``; writes
benchmarks/results/bench_forecasting.json (the parts not run keep their previous figures).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Callable

import pandas as pd

from munigrid.forecasting.backtest import rolling_origin_backtest
from munigrid.forecasting.meter import read_meter
from munigrid.forecasting.archetypes import KINDS, archetype_load_kw
from munigrid.forecasting.pv import PVArraySpec, pv_ac_kw
from munigrid.forecasting.results import forecast_dataset
from munigrid.forecasting.weather import synthetic_year

BUILDINGS = [(f"b{i}", KINDS[i % len(KINDS)], 12.5 + 0.3 * i, 99.5 + 0.2 * i) for i in range(10)]
TARGET_S = 5.0
BACKTEST_TARGET_S = 30.0
RESULTS = Path(__file__).parent / "results" / "bench_forecasting.json"
METER = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "thai_office_load" / "chamchuri5_hourly.csv"
CONFIGS = {"rolling, default workers": {},
           "rolling, 1 process": {"workers": 1},
           "holdout, 1 process": {"calibration": "holdout", "workers": 1}}


def one_year(step_min: int) -> dict[str, float]:
    """Weather, PV (two arrays) and load for every building; returns stage timings [s]."""
    times = {"weather": 0.0, "pv": 0.0, "load": 0.0}
    loads, pvs = {}, {}
    for seed, (name, kind, lat, lon) in enumerate(BUILDINGS):
        t0 = time.perf_counter()
        weather = synthetic_year(lat, lon, step_min=step_min, seed=seed, altitude_m=10.0)
        t1 = time.perf_counter()
        arrays = [PVArraySpec(20.0, azimuth_deg=180, name="south"), PVArraySpec(10.0, azimuth_deg=90, name="east")]
        pvs[name] = pv_ac_kw(weather, arrays, lat, lon, 10.0)[["total"]].set_axis([0.5], axis=1)
        t2 = time.perf_counter()
        loads[name] = archetype_load_kw(kind, weather.index, temperature_c=weather["temp_air_c"], seed=1,
                                        latitude_deg=lat, longitude_deg=lon).to_frame(0.5).set_axis([0.5], axis=1)
        t3 = time.perf_counter()
        times["weather"] += t1 - t0
        times["pv"] += t2 - t1
        times["load"] += t3 - t2
    t4 = time.perf_counter()
    forecast_dataset(loads, "load_kw")
    forecast_dataset(pvs, "pv_ac_kw")
    times["dataset"] = time.perf_counter() - t4
    times["total"] = sum(times.values())
    return times


def backtest_histories(data: str | None = None) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Load [kW] and temperature [degC] of the real office year (if present) and of a synthetic office year."""
    out = {}
    if METER.is_file() and data in (None, "metered"):
        meter = read_meter(METER, tz="Asia/Bangkok")
        out["chamchuri5 office, metered 2018-19"] = (meter.load_kw, meter.temp_air_c)
    if data == "metered":
        return out
    weather = synthetic_year(13.75, 100.5, year=2025, step_min=60, seed=7)
    load = archetype_load_kw("office", weather.index, annual_kwh=400_000, seed=7, temperature_c=weather["temp_air_c"],
                             latitude_deg=13.75, longitude_deg=100.5)
    out["synthetic office archetype 2025"] = (load, weather["temp_air_c"])
    return out


def backtests(save: Callable[[dict], None], data: str | None = None, rows: dict | None = None) -> dict:
    """Time [s] and skill of each configuration on each history, added to ``rows`` (``save(rows)`` after each)."""
    rows = {} if rows is None else rows
    for name, (load, temp) in backtest_histories(data).items():
        rows[name] = {}
        for config, kwargs in CONFIGS.items():
            wall, cpu = time.perf_counter(), time.process_time()
            result = rolling_origin_backtest(load, temp, horizon="24h", **kwargs)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            cpu_total = cpu if kwargs.get("workers") == 1 else cpu + result.fit_cpu_s  # worker processes' CPU too
            table = result.table()
            rows[name][config] = {"wall_s": wall, "cpu_s": cpu_total, "cpu_s_this_process": cpu,
                                  "origins": int(result.forecasts["origin"].nunique()),
                                  "skill": json.loads(table.to_json(orient="index"))}
            ens = table.loc["ensemble"]
            print(f"{name:36s} {config:26s} {wall:7.1f} s wall {cpu_total:7.1f} s CPU | ensemble MAE {ens['mae']:.3f} kW, "
                  f"skill {ens['skill_vs_naive']:.3f}, pinball {ens['pinball']:.3f}, P10-P90 coverage "
                  f"{ens['coverage']:.3f}", flush=True)
            save(rows)
    return rows


def pv_loads() -> dict:
    """Best of three of :func:`one_year` at 60 and 15 min."""
    one_year(60)  # warm-up: imports, pvlib data files
    rows = {f"{step} min": min((one_year(step) for _ in range(3)), key=lambda t: t["total"]) for step in (60, 15)}
    print(f"{'case':<8} {'weather s':>10} {'pv s':>8} {'load s':>8} {'dataset s':>10} {'total s':>8}  target {TARGET_S} s")
    for case, t in rows.items():
        print(f"{case:<8} {t['weather']:>10.3f} {t['pv']:>8.3f} {t['load']:>8.3f} {t['dataset']:>10.3f} {t['total']:>8.3f}"
              f"  {'met' if t['total'] <= TARGET_S else 'NOT met'}")
    return {"buildings": len(BUILDINGS), "target_s": TARGET_S, "best_of": 3, "results_s": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=("pv_loads", "backtest"), help="run one part only")
    parser.add_argument("--data", choices=("metered", "synthetic"), help="backtest: one history only (the other "
                        "keeps its previous figures)")
    args = parser.parse_args()
    out = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    out.update(machine=platform.platform(), python=platform.python_version(), cpus=os.cpu_count())
    if args.part in (None, "pv_loads"):
        out.update(pv_loads())
    RESULTS.parent.mkdir(exist_ok=True)
    if args.part in (None, "backtest"):
        kept = out.get("backtest", {}).get("results", {}) if args.data else {}
        out["backtest"] = {"target_s": BACKTEST_TARGET_S, "horizon": "24h", "refit_every_days": 28,
                           "load_average_at_start": os.getloadavg(), "results": kept}

        def save(rows: dict) -> None:  # a long run keeps what it measured if stopped
            out["backtest"]["results"] = rows
            RESULTS.write_text(json.dumps(out, indent=2))

        backtests(save, args.data, kept)
    RESULTS.write_text(json.dumps(out, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
