r"""What a day costs under a tariff, given the demand already registered this month.

A day's cost is what it adds to the month's bill:

.. math:: C_{day}(m) = C(m \mid R) - C(0 \mid R)

with :math:`C(\cdot \mid R)` the tariff's cost terms on the day's steps when demand :math:`R`
is already registered (:meth:`~munigrid.models.tariffs.terms.TariffCostTerms.cost_thb`):
energy at its TOU price, plus each demand charge's increase over what :math:`R` already costs.
Fixed monthly charges cancel. VAT and Ft are included; the demand ratchet (minimum charge)
is not passed to the day (see ``docs/operations.md``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from munigrid.models.tariffs.terms import TariffCostTerms
from munigrid.scenarios.operations.site import OperationsSite
from munigrid.scenarios.operations.state import DayState


def horizon_terms(site: OperationsSite, index: pd.DatetimeIndex, state: DayState) -> TariffCostTerms:
    """The site's tariff on ``index`` with the state's registered demand in its first month."""
    terms = site.tariff.cost_terms(index, ft=site.ft)
    charges = [replace(c, registered_kw=state.registered_kw(c.name, c.window_mask.shape[0], terms.n_periods))
               for c in terms.demand_charges]
    return replace(terms, demand_charges=charges)


def day_cost_thb(terms: TariffCostTerms, import_kw: np.ndarray) -> float:
    """Cost a day adds to the month's bill [THB] (module equation)."""
    return terms.cost_thb(import_kw) - terms.cost_thb(np.zeros_like(np.asarray(import_kw, dtype=float)))


def registered_after(terms: TariffCostTerms, import_kw: np.ndarray) -> dict[str, list[float]]:
    """Demand registered in the first month after ``import_kw`` [kW], per family and window."""
    return {c.name: [float(v) for v in c.demand_kw(np.asarray(import_kw, dtype=float), terms.period_of_step,
                                                   terms.n_periods)[0]]
            for c in terms.demand_charges}


def demand_limit_kw(terms: TariffCostTerms, import_kw: np.ndarray) -> np.ndarray:
    """Demand the plan holds at each step [kW]: the registered demand of every window the step
    counts toward, after the planned import; NaN where no demand charge applies."""
    limit = np.full(len(import_kw), np.inf)
    for charge in terms.demand_charges:
        demand = charge.demand_kw(np.asarray(import_kw, dtype=float), terms.period_of_step, terms.n_periods)
        for k, mask in enumerate(charge.window_mask):
            limit[mask] = np.minimum(limit[mask], demand[terms.period_of_step[mask], k])
    return np.where(np.isfinite(limit), limit, np.nan)
