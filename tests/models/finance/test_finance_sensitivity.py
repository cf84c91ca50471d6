"""Tornado and Monte Carlo."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from munigrid.models.errors import InputError
from munigrid.models.finance import evaluate_case
from munigrid.models.finance.sensitivity import (
    TORNADO_DRIVERS,
    MonteCarloSpreads,
    monte_carlo,
    tornado,
    yield_factors_from_simulation,
)
from munigrid.models.finance.structures import (
    EscoGuaranteedSavings,
    MunicipalOwnership,
    PppAvailability,
)


def test_tornado_directions_for_municipal_ownership(mixed):
    table = tornado(mixed, MunicipalOwnership())
    municipality = table[table.party == "municipality"].set_index("driver")
    assert set(municipality.index) == set(TORNADO_DRIVERS)
    assert municipality.loc["capex", "npv_low_thb"] > municipality.loc["capex", "npv_base_thb"] \
        > municipality.loc["capex", "npv_high_thb"]
    for driver in ("tariff", "ft", "yield"):
        assert municipality.loc[driver, "npv_high_thb"] > municipality.loc[driver, "npv_low_thb"]
    assert municipality.loc["discount_rate", "npv_low_thb"] > municipality.loc["discount_rate", "npv_high_thb"]
    swings = municipality["swing_thb"].to_numpy()
    assert np.all(np.diff(swings) <= 0)  # largest first


def test_tornado_keeps_the_signed_contract(mixed):
    # a PPP payment fixed on the base case: lower yield does not change what the investor earns
    table = tornado(mixed, PppAvailability(term_years=20), ranges={"yield": (-0.1, 0.1)})
    investor = table[table.party == "investor"].iloc[0]
    assert investor.npv_low_thb == pytest.approx(investor.npv_base_thb, abs=1.0)
    assert investor.npv_base_thb == pytest.approx(0.0, abs=1.0)  # priced at the investor's discount rate


def test_tornado_rejects_an_unknown_driver(mixed):
    with pytest.raises(InputError, match="tornado.weather"):
        tornado(mixed, MunicipalOwnership(), ranges={"weather": (-1, 1)})


def test_monte_carlo_is_reproducible_and_ordered(mixed):
    result = monte_carlo(mixed, EscoGuaranteedSavings(term_years=10), n_samples=200, seed=7)
    again = monte_carlo(mixed, EscoGuaranteedSavings(term_years=10), n_samples=200, seed=7)
    np.testing.assert_array_equal(result.npv_thb["municipality"], again.npv_thb["municipality"])
    table = result.percentiles().set_index("party")
    assert (table["p90_npv_thb"] <= table["p50_npv_thb"]).all()
    assert (table["p50_npv_thb"] <= table["p10_npv_thb"]).all()
    base = evaluate_case(mixed, EscoGuaranteedSavings(term_years=10)).municipality.metrics().npv_thb
    assert abs(table.loc["municipality", "p50_npv_thb"] - base) < 0.2 * abs(base)


def test_monte_carlo_without_spread_is_the_base_case(simple):
    zero = MonteCarloSpreads(0.0, 0.0, 0.0, 0.0)
    result = monte_carlo(simple, MunicipalOwnership(), n_samples=3, spreads=zero)
    base = evaluate_case(simple, MunicipalOwnership()).municipality.metrics().npv_thb
    np.testing.assert_allclose(result.npv_thb["municipality"], base)


def test_yield_factors_from_simulated_years():
    rng = np.random.default_rng(0)
    factors = yield_factors_from_simulation(np.array([90.0, 100.0, 110.0]), 50, 20, rng)
    assert factors.shape == (50, 20)
    assert set(np.round(np.unique(factors), 6)) <= {0.9, 1.0, 1.1}
    with pytest.raises(InputError, match="pv_kwh_samples"):
        yield_factors_from_simulation(np.array([]), 5, 5, rng)


def test_monte_carlo_with_simulated_yields(simple):
    factors = np.full((10, 10), 0.9)
    zero = MonteCarloSpreads(0.0, 0.0, 0.0, 0.0)
    result = monte_carlo(simple, MunicipalOwnership(), n_samples=10, spreads=zero, yield_factors=factors)
    low = evaluate_case(replace(simple, yield_factor=0.9), MunicipalOwnership())
    np.testing.assert_allclose(result.npv_thb["municipality"], low.municipality.metrics().npv_thb)
    with pytest.raises(InputError, match="yield_factors"):
        monte_carlo(simple, MunicipalOwnership(), n_samples=4, yield_factors=factors)
