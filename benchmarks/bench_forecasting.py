"""Benchmark: a year of synthetic weather, PV and loads for 10 buildings (target <= 5 s on 2 cores).

Run: ``python benchmarks/bench_forecasting.py``; writes benchmarks/results/bench_forecasting.json.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

from munigrid.forecasting.archetypes import KINDS, archetype_load_kw
from munigrid.forecasting.pv import PVArraySpec, pv_ac_kw
from munigrid.forecasting.results import forecast_dataset
from munigrid.forecasting.weather import synthetic_year

BUILDINGS = [(f"b{i}", KINDS[i % len(KINDS)], 12.5 + 0.3 * i, 99.5 + 0.2 * i) for i in range(10)]
TARGET_S = 5.0


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


def main() -> None:
    one_year(60)  # warm-up: imports, pvlib data files
    rows = {f"{step} min": min((one_year(step) for _ in range(3)), key=lambda t: t["total"]) for step in (60, 15)}
    print(f"{'case':<8} {'weather s':>10} {'pv s':>8} {'load s':>8} {'dataset s':>10} {'total s':>8}  target {TARGET_S} s")
    for case, t in rows.items():
        print(f"{case:<8} {t['weather']:>10.3f} {t['pv']:>8.3f} {t['load']:>8.3f} {t['dataset']:>10.3f} {t['total']:>8.3f}"
              f"  {'met' if t['total'] <= TARGET_S else 'NOT met'}")
    out = Path(__file__).parent / "results" / "bench_forecasting.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"buildings": len(BUILDINGS), "target_s": TARGET_S, "best_of": 3,
                               "machine": platform.platform(), "python": platform.python_version(),
                               "results_s": rows}, indent=2))


if __name__ == "__main__":
    main()
