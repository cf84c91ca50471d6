"""Several batteries: the one-year LP of ``bench_dispatch.site`` with one, two and three batteries.

The office year of :mod:`bench_dispatch` (120 kWp PV, 200 kWh / 100 kW LFP, TOU energy and the
monthly on-peak demand charge) is solved with its one battery, then with an old lead-acid bank
beside it (300 kWh / 60 kW, 0.85 each way, state of charge 0.4-0.9, wear 1.2 THB/kWh), then
with a third bank (100 kWh / 50 kW, 0.92, wear 0.4 THB/kWh); each best of ``REPEATS`` runs,
wall and CPU time of this process, columns and non-zeros passed to HiGHS, status, objective and
the energy each bank delivered.

Run: ``python benchmarks/bench_batteries.py`` (writes ``benchmarks/results/batteries.json``).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import platform

from bench_dispatch import _best, _timed, site

from munigrid.models.dispatch import Battery, solve
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.reduction import reduce_form
from munigrid.models.dispatch.standard_form import compile_instance

RESULTS = pathlib.Path(__file__).parent / "results" / "batteries.json"
REPEATS = 3
LEAD_ACID = Battery(energy_kwh=300, power_kw=60, charge_eff_frac=0.85, discharge_eff_frac=0.85, soc_min_frac=0.4,
                    soc_max_frac=0.9, soc_initial_frac=0.6, degradation_thb_per_kwh=1.2, name="lead_acid")
SECOND_LFP = Battery(energy_kwh=100, power_kw=50, charge_eff_frac=0.92, discharge_eff_frac=0.92, soc_min_frac=0.1,
                     soc_max_frac=0.95, soc_initial_frac=0.5, degradation_thb_per_kwh=0.4, name="lfp_small")


def with_banks(extra: list[Battery]):
    """The benchmark year with ``extra`` batteries beside its own."""
    problem = site()
    meter = problem.meters[0]
    banks = [dataclasses.replace(meter.battery, name="lfp")] + extra
    return dataclasses.replace(problem, meters=[dataclasses.replace(meter, battery=None, batteries=banks)])


def measure(extra: list[Battery]) -> dict:
    """Best-of timings, sizes of the LP passed to HiGHS and the answer for one set of batteries."""
    problem = with_banks(extra)
    reduced = reduce_form(compile_instance(build_model_data(problem))).form
    runs = [_timed(lambda: solve(problem)) for _ in range(REPEATS)]
    wall, cpu = _best(runs)
    result = runs[-1][2]
    delivered = {name: float(s.discharge_kw.sum()) for name, s in result.schedules["office"].batteries.items()}
    return {"batteries": len(extra) + 1, "wall_s": round(wall, 4), "cpu_s": round(cpu, 4),
            "columns": reduced.n_cols, "nonzeros": int(reduced.matrix.nnz), "status": result.status.value,
            "objective_thb": result.objective_thb, "delivered_kwh": delivered}


def main() -> None:
    rows = [measure(extra) for extra in ([], [LEAD_ACID], [LEAD_ACID, SECOND_LFP])]
    for row in rows:
        print(f"{row['batteries']} batteries: {row['wall_s']:.3f} s wall, {row['cpu_s']:.3f} s CPU, "
              f"{row['columns']:,} columns, {row['nonzeros']:,} non-zeros, {row['status']}, "
              f"{row['objective_thb']:,.0f} THB, delivered kWh {', '.join(f'{k} {v:,.0f}' for k, v in row['delivered_kwh'].items())}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.node(), "repeats": REPEATS, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
