"""Bill-floor benchmark: the Tha Yang year solved per meter under the published minimum charge.

For each building on a demand tariff (the office, the school, the pumping station: PEA 3.2,
``ratchet_floors: bill``) the one-year hourly dispatch is solved in this process, best of
``REPEATS`` by CPU time, and the objective, status and whether the floor rows ended up in the
model are recorded. The same meters with ``ratchet_floors: demand_charge`` (no floor rows at all)
are the reference for the time the floor costs.

Run: ``python benchmarks/bench_bill_floor.py [label]`` (writes
``benchmarks/results/bill_floor[-label].json``). The machine is shared: CPU time is the steadier figure.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from munigrid.models.dispatch import DispatchProblem, solve
from munigrid.scenarios import api
from munigrid.scenarios.runner import ft_schedule, meter_for, solve_options

REPEATS = 3
BUILDINGS = ("municipal_office", "municipal_school", "water_pumping_station")


def _timed(problem: DispatchProblem) -> tuple[float, float, object]:
    best_cpu_s, best_wall_s, result = float("inf"), float("inf"), None
    for _ in range(REPEATS):
        cpu, wall = time.process_time(), time.perf_counter()
        result = solve(problem)
        best_cpu_s = min(best_cpu_s, time.process_time() - cpu)
        best_wall_s = min(best_wall_s, time.perf_counter() - wall)
    return best_cpu_s, best_wall_s, result


def main(label: str = "") -> dict:
    scenario = api.load("tha-yang")
    inputs = api.inputs(scenario)
    ft = ft_schedule(scenario)
    options, economics = solve_options(scenario)
    rows = []
    for building in inputs.buildings:
        if building.name not in BUILDINGS:
            continue
        meter, _ = meter_for(building, inputs, scenario, ft)
        for reading, on_bill in (("bill", True), ("demand_charge", False)):
            charges = [replace(c, ratchet_floors_bill=on_bill) for c in meter.terms.demand_charges]
            variant = replace(meter, terms=replace(meter.terms, demand_charges=charges))
            cpu_s, wall_s, result = _timed(DispatchProblem(1.0, [variant], options=options, economics=economics))
            row = {"building": building.name, "ratchet_floors": reading, "cpu_s": round(cpu_s, 3),
                   "wall_s": round(wall_s, 3), "status": str(result.status), "objective_thb": result.objective_thb,
                   "minimum_charge_thb": result.costs_thb.get("minimum_charge")}
            rows.append(row)
            print(json.dumps(row))
    out = {"label": label, "repeats": REPEATS, "rows": rows}
    path = Path(__file__).parent / "results" / f"bill_floor{'-' + label if label else ''}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main(*sys.argv[1:2])
