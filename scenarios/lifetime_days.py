r"""Representative days for the anchor years: the first :math:`D` days of every month stand for it.

A cheaper anchor LP for :func:`munigrid.scenarios.lifetime_anchors.size_over_life`: each meter keeps
only the steps of the first :math:`D` days of each month of the horizon (all days of a month with
fewer), the battery running through them as one sequence. With :math:`n_m` days of month :math:`m` in
the horizon and :math:`\rho = T_{sub}/T` the kept share of the steps, a kept step of month :math:`m`
has its per-kWh prices multiplied by :math:`\rho\, n_m / D` and every monthly charge (demand, fixed)
by :math:`\rho`, so the reduced objective is :math:`\rho` times the full horizon's with each month's
energy scaled up from its kept days, the same share :math:`\rho` of the annualised capital the
dispatch model charges on the shorter horizon. Battery wear, fuel and lost load are per-kWh costs
without a month: they take the mean step factor. Monthly peaks are those of the kept days.

Energy blocks and tiers (priced on a month's kWh) and a CO2 cap over the horizon are refused: they
do not scale by day. Its error against the full-year anchors is measured in
``benchmarks/results/size_lifetime_*.json`` (docs/finance.md).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from munigrid.models.dispatch.problem import Meter, SizingEconomics
from munigrid.models.errors import Problem
from munigrid.scenarios.lifetime_anchors import (
    raise_problems,
    scaled_asset_costs,
    scaled_terms,
)


def representative_steps(index: pd.DatetimeIndex, days_per_month: int) -> tuple[np.ndarray, np.ndarray]:
    """Kept steps (first ``days_per_month`` days of each month) and each kept step's :math:`n_m / D` [-]."""
    local = index.tz_localize(None) if index.tz is not None else index
    days = local.normalize()
    months = local.to_period("M")
    frame = pd.DataFrame({"day": days, "month": months})
    unique = frame.drop_duplicates("day")
    rank = unique.groupby("month").cumcount() + 1
    n_days = unique.groupby("month")["day"].transform("size")
    rank_of = dict(zip(unique["day"], rank))
    weight_of = dict(zip(unique["day"], n_days / np.minimum(n_days, days_per_month)))
    keep = np.array([rank_of[d] <= days_per_month for d in days])
    steps = np.flatnonzero(keep)
    return steps, np.array([weight_of[d] for d in days[steps]], dtype=float)


def _sliced_terms(terms, steps: np.ndarray):
    """``terms`` on the kept steps only."""
    pick = lambda values: None if values is None else np.asarray(values)[..., steps]
    return replace(terms, period_of_step=pick(terms.period_of_step), import_thb_per_kwh=pick(terms.import_thb_per_kwh),
                   export_thb_per_kwh=pick(terms.export_thb_per_kwh),
                   base_energy_thb_per_kwh=pick(terms.base_energy_thb_per_kwh),
                   net_metering_thb_per_kwh=pick(terms.net_metering_thb_per_kwh),
                   netting_period_of_step=pick(terms.netting_period_of_step),
                   demand_charges=[replace(d, window_mask=pick(d.window_mask), window_period=pick(d.window_period))
                                   for d in terms.demand_charges])


def check_days(meters: list[Meter], economics: SizingEconomics, days_per_month: int) -> None:
    """InputError naming what representative days cannot carry."""
    problems = []
    if not (isinstance(days_per_month, int) and 1 <= days_per_month <= 31):
        problems.append(Problem("days_per_month", f"must be a whole number of days from 1 to 31, got {days_per_month!r}"))
    problems += [Problem(f"{m.name}: tariff", "energy blocks or tiers are priced on a month's kWh: size over the "
                                              "life on whole years (no --days-per-month)")
                 for m in meters if m.terms.energy_blocks is not None or m.terms.energy_tiers]
    if economics.max_co2_kg is not None:
        problems.append(Problem("sizing.max_co2_kg", "a CO2 cap over the horizon does not scale by day: size over "
                                                     "the life on whole years (no --days-per-month)"))
    raise_problems(problems)


def representative_meters(meters: list[Meter], index: pd.DatetimeIndex, days_per_month: int,
                          economics: SizingEconomics) -> list[Meter]:
    """``meters`` on the first ``days_per_month`` days of each month, costs scaled (module equations)."""
    check_days(meters, economics, days_per_month)
    steps, month_weight = representative_steps(index, days_per_month)
    kept_frac = len(steps) / len(index)
    step_factor = kept_frac * month_weight
    out = []
    for m in meters:
        m = replace(m, **scaled_asset_costs(m, float(step_factor.mean())))
        out.append(replace(
            m, load_kw=m.load_kw[steps], terms=scaled_terms(_sliced_terms(m.terms, steps), step_factor, kept_frac),
            pv=[replace(a, ac_kw_per_kwp=a.ac_kw_per_kwp[steps]) for a in m.pv],
            outage=None if m.outage is None else m.outage[steps]))
    return out
