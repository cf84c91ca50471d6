"""A chilled-water or ice store sized like a battery: hand cases with exact answers, compiled rows = Pyomo's."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from munigrid.models.dispatch import DispatchProblem, Meter, SizingEconomics, SolveOptions, capital_recovery_factor, solve
from munigrid.models.dispatch.flex import FlexLoads, ThermalStore, ThermalZone
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.two_stage import two_stage_sizing
from munigrid.models.errors import InputError

RATE, LIFE, N_T = 0.06, 15.0, 4
HORIZON_YEARS = N_T / 8760.0


def _capex_for(annual_thb_per_kwh_th: float) -> float:
    """Tank price [THB/kWh_th] whose horizon share of the annuity is ``annual_thb_per_kwh_th``."""
    return annual_thb_per_kwh_th / (HORIZON_YEARS * capital_recovery_factor(RATE, LIFE))


def _zone(annual_thb_per_kwh_th: float, chiller_share: float = 0.5, max_kwh_th: float = 100.0) -> ThermalZone:
    """Zone held at 25 C needing 10 kW_th in hours 2-3 (direct COP 4); a lossless ice store sized up to
    ``max_kwh_th``, charging COP 2.5, chiller 1 kW per kWh_th of tank, discharge 0.25 kW_th per kWh_th (4 h).
    ``chiller_share`` of the annualised price per kWh_th is the chiller's (priced per kW)."""
    price = _capex_for(annual_thb_per_kwh_th)
    store = ThermalStore("ice", capacity_kwh_th=100.0, charge_kw=100.0, charge_cop=np.full(N_T, 2.5),
                         discharge_kw_th=25.0, max_capacity_kwh_th=max_kwh_th,
                         capex_thb_per_kwh_th=(1 - chiller_share) * price, capex_thb_per_kw=chiller_share * price,
                         life_years=LIFE)
    return ThermalZone(capacity_kwh_per_k=10.0, loss_kw_per_k=1.0, cooling_kw=20.0, cop=np.full(N_T, 4.0),
                       outdoor_c=np.array([25.0, 25.0, 35.0, 35.0]), gain_kw=np.zeros(N_T),
                       comfort_min_c=np.full(N_T, 25.0), comfort_max_c=np.full(N_T, 25.0), temp_initial_c=25.0,
                       store=store)


def _problem(flat_terms, zone, mode="sizing", budget_thb=None):
    meter = Meter("site", np.zeros(N_T), flat_terms([1.0, 1.0, 5.0, 5.0]), flex=FlexLoads(cooling=zone))
    return DispatchProblem(1.0, [meter], SolveOptions(mode=mode, mip_rel_gap=1e-9),
                           SizingEconomics(discount_rate_frac=RATE, budget_thb=budget_thb))


def test_store_built_while_its_annualised_cost_is_below_its_saving(flat_terms):
    r"""Prices 1, 1, 5, 5 THB/kWh; 20 kWh_th of cooling needed in the dear hours: 1.25 THB per kWh_th direct
    (5 / COP 4), 0.4 from the store charged cheap (1 / COP 2.5): 0.85 THB saved per kWh_th delivered.
    A tank Q delivers at most 0.25 Q each dear hour, so Q kWh_th of tank delivers 0.5 Q while Q <= 40:
    each kWh_th of tank saves 0.5 x 0.85 = 0.425 THB up to Q = 40 (all 20 kWh_th), nothing beyond.
    At an annualised 0.2 THB per kWh_th: Q = 40, bill 20 / 2.5 = 8 THB, capital 40 x 0.2 = 8 THB.
    At 0.5 (> 0.425, though below 0.85): Q = 0, the air conditioners do it all: 25 THB."""
    built = solve(_problem(flat_terms, _zone(0.2)))
    assert built.sizes["site"].store_capacity_kwh_th == pytest.approx(40.0, abs=1e-6)
    assert built.costs_thb["store_capital"] == pytest.approx(8.0, rel=1e-7)
    assert built.objective_thb == pytest.approx(16.0, rel=1e-7)
    flex = built.schedules["site"].flex
    np.testing.assert_allclose(flex.store_discharge_kw_th, [0.0, 0.0, 10.0, 10.0], atol=1e-6)
    assert flex.store_charge_kw[:2].sum() == pytest.approx(8.0, abs=1e-6)
    dear = solve(_problem(flat_terms, _zone(0.5)))
    assert dear.sizes["site"].store_capacity_kwh_th == pytest.approx(0.0, abs=1e-6)
    assert dear.objective_thb == pytest.approx(25.0, rel=1e-7)
    assert np.abs(dear.schedules["site"].flex.store_kwh_th).max() < 1e-6


def test_tank_capped_by_its_largest_size_and_by_the_budget(flat_terms):
    """Largest tank 30 kWh_th: it delivers 7.5 + 7.5 = 15 kWh_th; the rest (5 kWh_th) direct at 1.25 THB:
    15 / 2.5 + 6.25 + 30 x 0.2 = 18.25 THB. A budget of a quarter of the 40 kWh_th tank's price buys 10 kWh_th:
    bill 5 / 2.5 + 15 x 1.25 = 20.75 THB plus 2 THB capital."""
    capped = solve(_problem(flat_terms, _zone(0.2, max_kwh_th=30.0)))
    assert capped.sizes["site"].store_capacity_kwh_th == pytest.approx(30.0, abs=1e-6)
    assert capped.objective_thb == pytest.approx(18.25, rel=1e-7)
    budget = 10.0 * _capex_for(0.2)
    limited = solve(_problem(flat_terms, _zone(0.2), budget_thb=budget))
    assert limited.sizes["site"].store_capacity_kwh_th == pytest.approx(10.0, abs=1e-6)
    assert limited.objective_thb == pytest.approx(22.75, rel=1e-7)


def test_dispatch_mode_keeps_the_tank_fixed(flat_terms):
    """Not in sizing mode: the tank is ``capacity_kwh_th`` (100 kWh_th, 25 kW_th), no capital in the objective:
    10 kW_th each dear hour from the store, 8 THB."""
    fixed = solve(_problem(flat_terms, _zone(0.2), mode="dispatch"))
    assert fixed.objective_thb == pytest.approx(8.0, rel=1e-7)
    assert "store_capital" not in fixed.costs_thb or fixed.costs_thb["store_capital"] == 0.0


def test_sized_store_rows_compile_to_pyomo_rows_exactly(flat_terms, rows_match_pyomo):
    problem = _problem(flat_terms, _zone(0.2), budget_thb=1e6)
    data = build_model_data(problem)
    assert {"store_size_kwh_th", "store_kwh_th"} <= set(data.columns.shape)
    assert {"MT_store_sized", "MT1_store_sized", "M_store_sized"} <= set(data.sets)
    rows_match_pyomo(data)


def test_store_only_cooling_cannot_be_sized(flat_terms):
    with pytest.raises(InputError) as err:
        solve(_problem(flat_terms, replace(_zone(0.2), cooling_kw=0.0)))
    assert err.value.problems[0].path == "cooling.store.max_capacity_kwh_th"


@pytest.mark.parametrize("method", ["decomposed", "monolithic"])
def test_one_tank_over_sampled_years(flat_terms, method):
    """Two sampled years, prices 1, 1, 5, 5 or flat 1: a kWh_th of tank saves 0.425 THB in the first (above),
    nothing in the second (the store's COP 2.5 is worse than the air conditioners' 4), 0.2125 expected.
    At an annualised 0.2 THB per kWh_th one 40 kWh_th tank for both: 8 + 8 and 5 + 8 THB. At 0.3 no tank:
    25 and 5 THB (a tank chosen per year would be 40 kWh_th in the first, 8 + 12 THB)."""
    def samples(annual):
        dear = _problem(flat_terms, _zone(annual)).meters[0]
        return [[dear], [replace(dear, terms=flat_terms([1.0, 1.0, 1.0, 1.0]))]]

    economics = SizingEconomics(discount_rate_frac=RATE)
    options = SolveOptions(mode="sizing", mip_rel_gap=1e-9)
    built = two_stage_sizing(samples(0.2), 1.0, options=options, economics=economics, method=method)
    assert built.sizes["site"].store_capacity_kwh_th == pytest.approx(40.0, abs=1e-6)
    assert built.sample_cost_thb == pytest.approx([16.0, 13.0], rel=1e-7)
    dear = two_stage_sizing(samples(0.3), 1.0, options=options, economics=economics, method=method)
    assert dear.sizes["site"].store_capacity_kwh_th == pytest.approx(0.0, abs=1e-6)
    assert dear.sample_cost_thb == pytest.approx([25.0, 5.0], rel=1e-7)


@pytest.mark.parametrize("annual, max_kwh_th, budget_share", [(0.2, 100.0, None), (0.5, 100.0, None),
                                                              (0.2, 30.0, None), (0.2, 100.0, 10.0)])
def test_sizes_first_equals_the_whole_lp(flat_terms, monkeypatch, annual, max_kwh_th, budget_share):
    """A year sizing with a sized store goes sizes first (L-shaped method, then the fixed-size solve); forced
    on for the hand cases above, it gives the whole LP's tank and objective (16, 25, 18.25, 22.75 THB)."""
    from munigrid.models.dispatch import sizes_first

    def problem():
        budget = None if budget_share is None else budget_share * _capex_for(annual)
        return _problem(flat_terms, _zone(annual, max_kwh_th=max_kwh_th), budget_thb=budget)

    whole = solve(problem())
    assert "decomposition_s" not in whole.timings
    monkeypatch.setattr(sizes_first, "MIN_METER_STEPS", 1)
    routed = solve(problem())
    assert "decomposition_s" in routed.timings
    assert routed.status is whole.status
    assert routed.objective_thb == pytest.approx(whole.objective_thb, rel=1e-9, abs=1e-9)
    assert routed.sizes["site"].store_capacity_kwh_th == pytest.approx(whole.sizes["site"].store_capacity_kwh_th,
                                                                       abs=1e-6)
    assert routed.costs_thb["store_capital"] == pytest.approx(whole.costs_thb["store_capital"], abs=1e-6)
    assert routed.bound <= routed.objective_thb + 1e-9
