"""Builders of tariff terms for the dispatch tests (exposed as the ``flat_terms`` fixture)."""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.models.tariffs.terms import DemandCharge, TariffCostTerms


def make_flat_terms(prices_thb_per_kwh, step_h=1.0, period_of_step=None, demand_thb_per_kw=None, fixed_thb=0.0,
               export_thb_per_kwh=0.0, export_allowed=False, ratchet_frac=0.0, ratchet_history_thb=0.0):
    """Terms with given import prices, optional one-window monthly demand charge."""
    prices = np.asarray(prices_thb_per_kwh, dtype=float)
    n_t = len(prices)
    periods = np.zeros(n_t, dtype=int) if period_of_step is None else np.asarray(period_of_step)
    n_p = int(periods.max()) + 1
    charges = []
    if demand_thb_per_kw is not None:
        charges.append(DemandCharge(name="demand", window_mask=np.ones((1, n_t), bool),
                                    slope_thb_per_kw=np.array([[demand_thb_per_kw]]), intercept_thb=np.zeros(1),
                                    registered_kw=np.zeros((n_p, 1)), ratchet_frac=ratchet_frac,
                                    ratchet_lookback_periods=11 if ratchet_frac else 0,
                                    ratchet_history_thb=ratchet_history_thb))
    return TariffCostTerms(step_h=step_h, period_of_step=periods, import_thb_per_kwh=prices,
                           export_thb_per_kwh=np.full(n_t, float(export_thb_per_kwh)), export_allowed=export_allowed,
                           demand_charges=charges, fixed_thb_per_period=np.full(n_p, float(fixed_thb)))


@pytest.fixture
def flat_terms():
    """The :func:`make_flat_terms` builder."""
    return make_flat_terms
