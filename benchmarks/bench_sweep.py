"""Sweep throughput: site-years of dispatch per minute, 1 vs 2 workers, per-member overhead.

A portfolio of N one-building sites (offices, schools, health centres, pumping stations
spread over Thailand's latitudes, each with rooftop PV and half of them with a battery),
each one year at hourly steps, is run as one ``munigrid sweep``-equivalent call with 1
and then 2 local workers into a fresh run store. Printed and written to
``benchmarks/results/bench_sweep.json``:

- wall time and site-years per minute for each worker count, and the speed-up 1 -> 2;
- the projected time for 1,000 site-years at the 2-worker rate (exact when N = 1000);
- per member: worker time outside the solver (weather, PV, loads, bills, KPIs, transfer)
  and parent time storing it (netCDF + CSV + manifest, atomically) [s].

Usage: ``python benchmarks/bench_sweep.py [--sites N] [--workers 1,2] [--no-series]`` (N = 1000 for the
full target; the default 100 takes a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from munigrid.scenarios import api
from munigrid.scenarios.sweep.engine import run_sweep

KINDS = [("office", "pea-3.2-lt22kv", 160_000), ("school", "pea-3.2-lt22kv", 90_000),
         ("health_centre", "pea-2.2-lt22kv", 38_000), ("water_pumping", "pea-3.2-lt22kv", 120_000)]


def write_portfolio(path: Path, n_sites: int, seed: int = 1) -> None:
    """A synthetic portfolio CSV of ``n_sites`` sites between 6-20 N and 98-105 E."""
    rng = np.random.default_rng(seed)
    lines = ["name,latitude_deg,longitude_deg,kind,annual_kwh,tariff,roof_area_m2,pv_kwp,battery_kwh,battery_kw"]
    for i in range(n_sites):
        kind, tariff, kwh = KINDS[i % len(KINDS)]
        roof = float(rng.uniform(200, 900))
        battery = f"{int(kwh / 1000)},{int(kwh / 2000)}" if i % 2 else ","
        lines.append(f"site-{i:04d},{rng.uniform(6, 20):.3f},{rng.uniform(98, 105):.3f},{kind},"
                     f"{kwh * rng.uniform(0.7, 1.3):.0f},{tariff},{roof:.0f},{0.12 * roof:.1f},{battery}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def template():
    """Tha Yang's one-year hourly scenario as the template (time grid, weather, solver settings)."""
    return api.load("tha-yang")


def run(n_sites: int, workers: int, folder: Path, series: bool) -> dict:
    """One pass over a fresh store; returns its counts and timings."""
    csv = folder / "portfolio.csv"
    write_portfolio(csv, n_sites)
    start = time.perf_counter()
    outcome = run_sweep(template(), portfolio=csv, workers=workers, root=folder / f"runs-{workers}-{series}",
                        base_dir=folder, series=series)
    wall = time.perf_counter() - start
    return {"workers": workers, "sites": n_sites, "series": series, "wall_s": round(wall, 2),
            "site_years_per_min": round(60.0 * outcome.counts["ok"] / wall, 1), **outcome.counts,
            "solver_s_total": outcome.timings["solver_s"],
            "worker_overhead_s_per_member": outcome.timings["worker_overhead_s"],
            "record_s_per_member": outcome.timings["record_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--no-series", action="store_true", help="store KPIs only (munigrid sweep --no-series)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in [int(w) for w in args.workers.split(",")]:
            rows.append(run(args.sites, workers, Path(tmp), not args.no_series))
            print(rows[-1], flush=True)
    best = max(rows, key=lambda r: r["workers"])
    projected = 1000 * best["wall_s"] / max(best["ok"], 1)
    speedup = rows[0]["wall_s"] / best["wall_s"] if len(rows) > 1 else None
    print(f"\n{'workers':>7} {'sites':>6} {'wall s':>8} {'site-yr/min':>11} {'ok':>5} {'failed':>6} "
          f"{'overhead s/member':>17} {'store s/member':>14}")
    for r in rows:
        print(f"{r['workers']:>7} {r['sites']:>6} {r['wall_s']:>8.1f} {r['site_years_per_min']:>11.1f} "
              f"{r['ok']:>5} {r['failed']:>6} {r['worker_overhead_s_per_member']:>17.3f} {r['record_s_per_member']:>14.3f}")
    if speedup:
        print(f"speed-up 1 -> {best['workers']} workers: {speedup:.2f}x")
    print(f"1,000 site-years at the {best['workers']}-worker rate: {projected / 60:.1f} min "
          f"({'measured' if args.sites >= 1000 else 'projected from ' + str(args.sites)}; target <= 10 min)")
    result = {"benchmark": "bench_sweep", "machine": platform.platform(), "cpus": __import__("os").cpu_count(),
              "runs": rows, "speedup": speedup, "projected_1000_site_years_min": round(projected / 60, 2),
              "measured_at_full_scale": args.sites >= 1000}
    out = Path(__file__).parent / "results" / f"bench_sweep{'_no_series' if args.no_series else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
