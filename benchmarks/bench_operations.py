"""Day-ahead operations on the bundled Tha Yang scenario: a year rolled day by day.

Prints a table and writes benchmarks/results/operations.json. Variants: P50 and robust P90
planning with the EMS following set points, robust planning with the EMS holding the planned
import; and, as a diagnostic of where the gap comes from, one month with the load forecast
replaced by the actual load (PV forecast exact in every variant: the scenario's weather).

Run: python benchmarks/bench_operations.py [--days N]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import pandas as pd

from munigrid.scenarios import api
from munigrid.scenarios.operations import evaluate
from munigrid.scenarios.operations.site import operations_site

RESULTS = Path(__file__).parent / "results" / "operations.json"
VARIANTS = {
    "P50, set points": {"robust": False, "control": "setpoint"},
    "robust P90, set points": {"robust": True, "control": "setpoint"},
    "robust P90, hold import": {"robust": True, "control": "import"},
}


def oracle_month(site, start: pd.Timestamp) -> dict:
    """January with the load forecast replaced by the actual load (diagnostic only)."""
    forecast = evaluate.forecast_horizon

    def perfect_load(site_, issue, index, n, **kw):
        fc, model = forecast(site_, issue, index, n, **kw)
        actual = site_.load_kw.reindex(index).to_numpy()
        for col in fc.load_kw.columns:
            fc.load_kw[col] = actual
        return fc, model

    evaluate.forecast_horizon = perfect_load
    try:
        result = evaluate.evaluate_operations(site, start, 31)
    finally:
        evaluate.forecast_horizon = forecast
    return {"days": 31, "gap_to_perfect_foresight_frac":
            float(result.costs.loc["day-ahead (rolling)", "gap_to_perfect_foresight_frac"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    tic = time.perf_counter()
    scenario = api.load("tha-yang")
    site = operations_site(scenario, scenario._base_dir)
    site_s = time.perf_counter() - tic
    start = pd.Timestamp(scenario.time.start, tz="Asia/Bangkok")
    out = {"machine": platform.platform(), "python": platform.python_version(), "scenario": "tha-yang",
           "building": site.building, "start": str(start.date()), "days": args.days, "site_s": site_s, "variants": {}}
    print(f"{'variant':26s} {'cost THB':>10s} {'gap PF':>8s} {'PF saving':>10s} {'new-peak days':>13s} "
          f"{'solve mean/max s':>17s} {'day mean s':>10s} {'total s':>8s}")
    for name, kwargs in VARIANTS.items():
        result = evaluate.evaluate_operations(site, start, args.days, **kwargs)
        rolling = result.costs.loc["day-ahead (rolling)"]
        summary = result.to_json()
        out["variants"][name] = {**summary, "settings": result.settings}
        t = result.timings
        print(f"{name:26s} {rolling['cost_thb']:10,.0f} {rolling['gap_to_perfect_foresight_frac']:8.2%} "
              f"{rolling['share_of_perfect_saving_frac']:10.1%} {summary['days_with_new_peak']:13d} "
              f"{t['solve_mean_s']:8.3f}/{t['solve_max_s']:.3f} {t['day_mean_s']:10.3f} {t['total_s']:8.1f}")
    costs = out["variants"]["P50, set points"]["costs"]
    for name in ("perfect foresight", "rule: self-consumption", "rule: TOU arbitrage", "no battery"):
        print(f"{name:26s} {costs[name]['cost_thb']:10,.0f} {costs[name]['gap_to_perfect_foresight_frac']:8.2%} "
              f"{costs[name]['share_of_perfect_saving_frac']:10.1%}")
    out["diagnostic_perfect_load_forecast_january"] = oracle_month(site, start)
    print(f"diagnostic: January with the load forecast = actual load: gap "
          f"{out['diagnostic_perfect_load_forecast_january']['gap_to_perfect_foresight_frac']:.2%}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
