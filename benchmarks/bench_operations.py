"""Day-ahead operations on the bundled Tha Yang scenario: a year rolled day by day.

Prints a table and writes benchmarks/results/operations.json. Variants: the EMS following the
day-ahead set points (P50 and robust P90 planning), and the EMS re-planning every hour from the
measured state with the forecast corrected to the day's level (no reserve, the default reserve
for the P50-P90 spread, and the default with "import" real-time control); and, as a diagnostic
of where the gap comes from, January with the load forecast replaced by the actual load (PV
forecast exact in every variant: the scenario's weather).

Run: python benchmarks/bench_operations.py [--days N]
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from munigrid.scenarios import api
from munigrid.scenarios.operations import evaluate
from munigrid.scenarios.operations.intraday import IntradayPolicy
from munigrid.scenarios.operations.site import operations_site

RESULTS = Path(__file__).parent / "results" / "operations.json"
DEFAULT = IntradayPolicy()
VARIANTS = {
    "day-ahead P50, set points": {"robust": False, "intraday": None},
    "day-ahead P90, set points": {"robust": True, "intraday": None},
    "re-plan hourly, no reserve": {"intraday": replace(DEFAULT, reserve_frac=0.0)},
    "re-plan hourly, import control": {"intraday": replace(DEFAULT, control="import")},
    f"re-plan hourly, reserve {DEFAULT.reserve_frac:g} (default)": {"intraday": DEFAULT},
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
        result = evaluate.evaluate_operations(site, start, 31, intraday=DEFAULT)
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
    print(f"{'variant':36s} {'cost THB':>10s} {'gap PF':>8s} {'PF saving':>10s} {'new-peak days':>13s} "
          f"{'solve mean/max s':>17s} {'re-plans':>8s} {'day mean s':>10s} {'total s':>8s}")
    for name, kwargs in VARIANTS.items():
        result = evaluate.evaluate_operations(site, start, args.days, **kwargs)
        rolling = result.costs.loc["day-ahead (rolling)"]
        summary = result.to_json()
        out["variants"][name] = {**summary, "settings": result.settings}
        t = result.timings
        print(f"{name:36s} {rolling['cost_thb']:10,.0f} {rolling['gap_to_perfect_foresight_frac']:8.2%} "
              f"{rolling['share_of_perfect_saving_frac']:10.1%} {summary['days_with_new_peak']:13d} "
              f"{t['solve_mean_s']:8.3f}/{t['solve_max_s']:.3f} {t['replans']:8d} {t['day_mean_s']:10.3f} "
              f"{t['total_s']:8.1f}", flush=True)
    costs = next(iter(out["variants"].values()))["costs"]
    for name in ("perfect foresight", "rule: self-consumption", "rule: TOU arbitrage", "no battery"):
        print(f"{name:36s} {costs[name]['cost_thb']:10,.0f} {costs[name]['gap_to_perfect_foresight_frac']:8.2%} "
              f"{costs[name]['share_of_perfect_saving_frac']:10.1%}")
    out["diagnostic_perfect_load_forecast_january"] = oracle_month(site, start)
    print(f"diagnostic: January with the load forecast = actual load: gap "
          f"{out['diagnostic_perfect_load_forecast_january']['gap_to_perfect_foresight_frac']:.2%}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
