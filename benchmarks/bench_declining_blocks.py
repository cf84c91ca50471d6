"""Non-convex energy blocks benchmark: the one-year site of ``bench_dispatch.py`` with monthly blocks.

The TOU site (PV, battery, on-peak demand charge) gets monthly energy blocks on top of its TOU
price, with edges at 0.9 and 1.1 times the median monthly import of the plain optimum:

* ``increasing``: 0.2, 0.5, 0.8 THB/kWh (convex: the LP formulation);
* ``declining``: 0.8, 0.5, 0.2 THB/kWh (volume discount: 24 fill-in-order binaries);
* ``non-monotone``: 0.8, 0.2, 0.5 THB/kWh (24 binaries).

For each: status, objective, gap, binaries, wall and CPU time of ``solve`` (best of
``REPEATS``), and the check that the objective equals ``TariffCostTerms.cost_thb`` of the
schedule (the battery has no wear cost, so nothing else is in the objective).

Run: ``python benchmarks/bench_declining_blocks.py`` (writes ``benchmarks/results/declining_blocks.json``).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import platform
import time

import numpy as np

from bench_dispatch import site
from munigrid.models.dispatch import SolveOptions, solve
from munigrid.models.tariffs.terms import EnergyBlocks

RESULTS = pathlib.Path(__file__).parent / "results" / "declining_blocks.json"
REPEATS = 3
VARIANTS = {"increasing": (0.2, 0.5, 0.8), "declining": (0.8, 0.5, 0.2), "non-monotone": (0.8, 0.2, 0.5)}


def _with_blocks(problem, upper_kwh, prices):
    meter = problem.meters[0]
    terms = dataclasses.replace(meter.terms, energy_blocks=EnergyBlocks(np.asarray(upper_kwh), np.asarray(prices)))
    options = SolveOptions(mode="dispatch", time_limit_s=60, mip_rel_gap=1e-4)
    return dataclasses.replace(problem, meters=[dataclasses.replace(meter, terms=terms)], options=options)


def _timed(problem):
    best = None
    for _ in range(REPEATS):
        wall, cpu = time.perf_counter(), time.process_time()
        result = solve(problem)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if best is None or cpu < best[1]:
            best = (wall, cpu, result)
    return best


def main() -> None:
    base = site()
    plain = solve(base)
    monthly_kwh = np.bincount(base.meters[0].terms.period_of_step, plain.schedules["office"].import_kw)
    median = float(np.median(monthly_kwh))
    upper = [0.9 * median, 1.1 * median, np.inf]
    rows = []
    for name, prices in VARIANTS.items():
        problem = _with_blocks(base, upper, prices)
        wall, cpu, result = _timed(problem)
        schedule = result.schedules["office"]
        bill = problem.meters[0].terms.cost_thb(schedule.import_kw, schedule.export_kw)
        rows.append({"variant": name, "prices_thb_per_kwh": list(prices), "status": result.status.value,
                     "objective_thb": result.objective_thb, "tariff_cost_thb": bill,
                     "rel_diff": abs(result.objective_thb - bill) / abs(bill), "mip_gap": result.mip_gap,
                     "n_binaries": result.n_binaries, "wall_s": wall, "cpu_s": cpu,
                     "lp_s": result.timings.get("lp_s", 0.0), "milp_s": result.timings.get("milp_s", 0.0)})
    print(f"one year hourly, block edges {upper[0]:,.0f} / {upper[1]:,.0f} kWh per month")
    print(f"{'variant':<14}{'status':<9}{'objective THB':>15}{'|obj-bill|/bill':>17}{'gap':>9}{'bin':>5}"
          f"{'wall s':>8}{'CPU s':>8}")
    for r in rows:
        print(f"{r['variant']:<14}{r['status']:<9}{r['objective_thb']:>15,.0f}{r['rel_diff']:>17.1e}"
              f"{r['mip_gap']:>9.1e}{r['n_binaries']:>5}{r['wall_s']:>8.3f}{r['cpu_s']:>8.3f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.processor() or platform.machine(), "repeats": REPEATS,
                                   "block_upper_kwh": upper[:2], "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
