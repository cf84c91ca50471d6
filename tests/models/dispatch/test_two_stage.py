"""Two-stage sizing over sampled years: identical samples, CVaR weight 0, and a hand case where CVaR moves the size."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from munigrid.models.dispatch import (Battery, DispatchProblem, Meter, PVArray, SizingEconomics, SolveOptions,
                                      capital_recovery_factor, solve)
from munigrid.models.dispatch.two_stage import RiskTerms, cvar, two_stage_sizing
from munigrid.models.errors import InputError

RATE, LIFE, N_T = 0.06, 10.0, 24
SUN = np.where((np.arange(N_T) >= 10) & (np.arange(N_T) < 15), 1.0, 0.0)  # 5 kWh per kWp a day


def capex_for(thb_per_kwp_in_horizon: float) -> float:
    """Capital cost whose one-day share of the annuity is the given THB per kWp."""
    return thb_per_kwp_in_horizon / (N_T / 8760.0 * capital_recovery_factor(RATE, LIFE))


def pv_meter(flat_terms, load_kw: float, pv_thb_per_kwp: float = 15.0) -> Meter:
    """A flat 4 THB/kWh meter with one roof sized between 0 and 20 kWp."""
    roof = PVArray("roof", SUN, max_kwp=20.0, capex_thb_per_kwp=capex_for(pv_thb_per_kwp), life_years=LIFE)
    return Meter("hall", np.full(N_T, load_kw), flat_terms(np.full(N_T, 4.0)), pv=[roof])


def test_identical_samples_equal_single_year_sizing(mixed_instance):
    """Three copies of the same year: the same sizes and the same (expected) cost as sizing that year
    (two meters, PV, battery, demand windows with ratchet, energy blocks, budget and targets)."""
    mixed = mixed_instance(3, sizing=True)
    problem = replace(mixed, meters=[replace(m, generator=None) for m in mixed.meters])
    single = solve(problem)
    twin = two_stage_sizing([problem.meters] * 3, problem.step_h, options=problem.options, economics=problem.economics)
    assert twin.status.has_solution
    assert twin.expected_cost_thb == pytest.approx(single.objective_thb, rel=1e-6)
    assert np.allclose(twin.sample_cost_thb, twin.sample_cost_thb[0], rtol=1e-6)
    for name, sizes in single.sizes.items():
        assert twin.sizes[name].battery_kwh == pytest.approx(sizes.battery_kwh, rel=1e-4, abs=1e-4)
        assert twin.sizes[name].generator_kw == pytest.approx(sizes.generator_kw, rel=1e-4, abs=1e-4)
        for roof, kwp in sizes.pv_kwp.items():
            assert twin.sizes[name].pv_kwp[roof] == pytest.approx(kwp, rel=1e-4, abs=1e-4)


@pytest.mark.parametrize("method", ["decomposed", "monolithic"])
def test_expected_cost_by_hand(flat_terms, method):
    """Load 10 kW or 2 kW; a kWp saves 5 kWh x 4 THB = 20 THB while below the load and costs 15 THB.

    Expected saving per kWp: 20 up to 2 kWp, 10 from 2 to 10 kWp, so 2 kWp; costs 960 - 40 + 30 and
    192 - 40 + 30.
    """
    samples = [[pv_meter(flat_terms, 10.0)], [pv_meter(flat_terms, 2.0)]]
    result = two_stage_sizing(samples, 1.0, economics=SizingEconomics(discount_rate_frac=RATE), method=method)
    assert result.method == method
    assert result.sizes["hall"].pv_kwp["roof"] == pytest.approx(2.0, abs=1e-6)
    assert result.sample_cost_thb == pytest.approx([950.0, 182.0], rel=1e-9)
    assert result.objective_thb == pytest.approx(566.0, rel=1e-9)


def test_cvar_weight_zero_is_expected_cost(flat_terms):
    samples = [[pv_meter(flat_terms, 10.0)], [pv_meter(flat_terms, 2.0)]]
    plain = two_stage_sizing(samples, 1.0, economics=SizingEconomics(discount_rate_frac=RATE))
    zero = two_stage_sizing(samples, 1.0, economics=SizingEconomics(discount_rate_frac=RATE),
                            risk=RiskTerms(cvar_weight=0.0, cvar_alpha_frac=0.5))
    assert zero.sizes["hall"].pv_kwp == pytest.approx(plain.sizes["hall"].pv_kwp)
    assert zero.objective_thb == pytest.approx(plain.objective_thb, rel=1e-12)


@pytest.mark.parametrize("method", ["decomposed", "monolithic"])
def test_cvar_moves_the_size_by_hand(flat_terms, method):
    """CVaR at alpha 0.5 of two samples is the worse one (the 10 kW load): each kWp from 2 to 10 changes
    E + lambda CVaR by 15 - 10 + lambda (15 - 20) = 5 - 5 lambda, so lambda = 2 sizes 10 kWp."""
    samples = [[pv_meter(flat_terms, 10.0)], [pv_meter(flat_terms, 2.0)]]
    risk = RiskTerms(cvar_weight=2.0, cvar_alpha_frac=0.5)
    result = two_stage_sizing(samples, 1.0, economics=SizingEconomics(discount_rate_frac=RATE), risk=risk,
                              method=method)
    assert result.sizes["hall"].pv_kwp["roof"] == pytest.approx(10.0, abs=1e-6)
    costs = [960.0 - 200.0 + 150.0, 192.0 - 40.0 + 150.0]
    assert result.sample_cost_thb == pytest.approx(costs, rel=1e-9)
    assert result.objective_thb == pytest.approx(np.mean(costs) + 2.0 * max(costs), rel=1e-9)


@pytest.mark.parametrize("method", ["decomposed", "monolithic"])
def test_cvar_limit_forces_the_size(flat_terms, method):
    """A limit of 850 THB on CVaR (the worse sample, 950 - 5 S for S >= 2 kWp) needs S >= 20 kWp... capped at
    the roof's 20 kWp: the limit 900 needs S = 10 kWp, more than the expected-cost optimum."""
    samples = [[pv_meter(flat_terms, 10.0)], [pv_meter(flat_terms, 2.0)]]
    risk = RiskTerms(cvar_alpha_frac=0.5, cvar_limit_thb=930.0)
    result = two_stage_sizing(samples, 1.0, options=SolveOptions(mode="sizing", mip_rel_gap=1e-9),
                              economics=SizingEconomics(discount_rate_frac=RATE), risk=risk, method=method)
    # worse sample's cost 960 - 20 S + 15 S = 960 - 5 S (S <= 10) <= 930  ->  S >= 6
    assert result.sizes["hall"].pv_kwp["roof"] == pytest.approx(6.0, abs=1e-6)
    assert cvar(result.sample_cost_thb, 0.5) == pytest.approx(930.0, rel=1e-9)


def test_cvar_by_hand():
    assert cvar(np.array([1.0, 2.0, 3.0, 10.0]), 0.75) == pytest.approx(10.0)
    assert cvar(np.array([1.0, 2.0, 3.0, 10.0]), 0.5) == pytest.approx(6.5)
    assert cvar(np.array([4.0, 4.0]), 0.9) == pytest.approx(4.0)


@pytest.mark.parametrize("method", ["decomposed", "monolithic"])
def test_battery_sizes_shared_across_samples(flat_terms, method):
    """Evening (18-24 h) load 2 or 8 kW at 6 THB/kWh, charging at 2: each stored kWh saves 4 THB a day in a
    sample whose evening still needs it and costs 3. Up to 12 kWh both samples use it (4 > 3); beyond,
    only the 8-kW sample does (expected 2 < 3): 12 kWh, where the 8-kW year alone takes 48."""
    prices = np.where(np.arange(N_T) >= 18, 6.0, 2.0)

    def meter(evening_kw):
        load = np.where(np.arange(N_T) >= 18, evening_kw, 1.0)
        return Meter("hall", load, flat_terms(prices), battery=Battery(
            energy_kwh=0.0, power_kw=0.0, max_energy_kwh=100.0, max_power_kw=50.0, capex_thb_per_kwh=capex_for(3.0),
            charge_eff_frac=1.0, discharge_eff_frac=1.0, soc_min_frac=0.0, soc_max_frac=1.0, soc_initial_frac=0.0,
            soc_final_frac=0.0, life_years=LIFE))
    result = two_stage_sizing([[meter(2.0)], [meter(8.0)]], 1.0, economics=SizingEconomics(discount_rate_frac=RATE),
                              options=SolveOptions(mode="sizing", mip_rel_gap=1e-9), method=method)
    alone = solve(DispatchProblem(1.0, [meter(8.0)], SolveOptions(mode="sizing"), SizingEconomics(RATE)))
    assert result.sizes["hall"].battery_kwh == pytest.approx(12.0, abs=1e-6)
    assert alone.sizes["hall"].battery_kwh == pytest.approx(48.0, rel=1e-5)


def test_bad_risk_terms_are_named(flat_terms):
    samples = [[pv_meter(flat_terms, 10.0)]]
    with pytest.raises(InputError) as err:
        two_stage_sizing(samples, 1.0, risk=RiskTerms(cvar_weight=-1.0, cvar_alpha_frac=1.0))
    paths = {p.path for p in err.value.problems}
    assert {"cvar_weight", "cvar_alpha_frac"} <= paths


TIGHT = SolveOptions(mode="sizing", mip_rel_gap=1e-9)


def random_samples(mixed_instance, seed: int, n_samples: int) -> list:
    """``n_samples`` years of the two-meter mixed instance (PV, battery, demand windows, ratchet, energy
    blocks, outage with shedding; no generator): same assets, each year its own load, PV and prices."""
    return [[replace(m, generator=None) for m in mixed_instance(seed + s, sizing=True).meters]
            for s in range(n_samples)]


@pytest.mark.parametrize("seed, n_samples, risk", [
    (11, 2, None), (12, 3, None), (13, 4, RiskTerms(cvar_weight=0.7, cvar_alpha_frac=0.6)),
    (14, 3, RiskTerms(cvar_weight=3.0, cvar_alpha_frac=0.5))])
def test_decomposed_equals_monolithic_on_random_instances(mixed_instance, seed, n_samples, risk):
    """The L-shaped method reaches the monolithic LP's optimum (1e-6 relative), and its sizes, priced by the
    monolithic LP with the sizes fixed, cost that optimum too."""
    samples = random_samples(mixed_instance, seed, n_samples)
    economics = SizingEconomics(discount_rate_frac=0.08, budget_thb=600000, max_co2_kg=5e3)
    whole = two_stage_sizing(samples, 1.0, options=TIGHT, economics=economics, risk=risk, method="monolithic")
    split = two_stage_sizing(samples, 1.0, options=TIGHT, economics=economics, risk=risk, method="decomposed")
    assert whole.status.has_solution and split.status.has_solution
    assert split.method == "decomposed" and split.timings["iterations"] >= 1
    assert split.objective_thb == pytest.approx(whole.objective_thb, rel=1e-6)
    assert split.bound_thb <= split.objective_thb + 1e-6 * abs(split.objective_thb)
    fixed = {"battery_kwh": np.array([[split.sizes[m.name].batteries[b.name]["energy_kwh"] for b in m.batteries]
                                      for m in samples[0]]),
             "battery_kw": np.array([[split.sizes[m.name].batteries[b.name]["power_kw"] for b in m.batteries]
                                     for m in samples[0]]),
             "pv_kwp": np.array([[split.sizes[m.name].pv_kwp.get(f"roof{a}", 0.0) for a in range(2)]
                                 for m in samples[0]])}
    priced = two_stage_sizing(samples, 1.0, options=TIGHT, economics=economics, risk=risk, fixed_sizes=fixed,
                              method="monolithic")
    assert priced.objective_thb == pytest.approx(whole.objective_thb, rel=1e-6)
    assert split.sample_cost_thb == pytest.approx(priced.sample_cost_thb, rel=1e-6)


@pytest.mark.slow  # starts two processes (about 10 s on a loaded machine)
def test_worker_processes_give_the_same_answer(mixed_instance):
    """Samples spread over two worker processes: the same optimum as in one process (the start differs:
    each worker sizes its first sample on its own)."""
    samples = random_samples(mixed_instance, 21, 3)
    economics = SizingEconomics(discount_rate_frac=0.08, budget_thb=600000)
    alone = two_stage_sizing(samples, 1.0, options=TIGHT, economics=economics, method="decomposed", workers=1)
    spread = two_stage_sizing(samples, 1.0, options=TIGHT, economics=economics, method="decomposed", workers=2)
    assert spread.timings["workers"] == 2
    assert spread.status.has_solution and alone.status.has_solution
    assert spread.objective_thb == pytest.approx(alone.objective_thb, rel=1e-6)


def test_pooled_target_is_solved_whole(mixed_instance):
    """A self-sufficiency target over the samples pooled does not split by sample: auto solves the whole LP,
    decomposed names the reason."""
    samples = [[replace(m, generator=None) for m in mixed_instance(s, sizing=True).meters] for s in (1, 2)]
    economics = SizingEconomics(discount_rate_frac=0.08, min_self_sufficiency_frac=0.2)
    auto = two_stage_sizing(samples, 1.0, options=TIGHT, economics=economics)
    assert auto.status.has_solution and auto.method == "monolithic"
    with pytest.raises(InputError) as err:
        two_stage_sizing(samples, 1.0, options=TIGHT, economics=economics, method="decomposed")
    assert err.value.problems[0].path == "method" and "self_sufficiency" in err.value.problems[0].message


def test_unknown_method_is_named(flat_terms):
    with pytest.raises(InputError) as err:
        two_stage_sizing([[pv_meter(flat_terms, 10.0)]], 1.0, method="benders")
    assert err.value.problems[0].path == "method"


def test_start_sizes_only_change_the_path(flat_terms):
    """A first point (here the roof's 20 kWp, or one over the bounds, clipped) leads to the same 2 kWp; a start
    of the wrong shape is named."""
    samples = [[pv_meter(flat_terms, 10.0)], [pv_meter(flat_terms, 2.0)]]
    economics = SizingEconomics(discount_rate_frac=RATE)
    for kwp in (20.0, 35.0):
        result = two_stage_sizing(samples, 1.0, options=TIGHT, economics=economics, method="decomposed",
                                  start_sizes={"pv_kwp": np.array([[kwp]])})
        assert result.sizes["hall"].pv_kwp["roof"] == pytest.approx(2.0, abs=1e-6)
        assert result.objective_thb == pytest.approx(566.0, rel=1e-9)
    with pytest.raises(InputError) as err:
        two_stage_sizing(samples, 1.0, economics=economics, start_sizes={"pv_kwp": np.array([1.0, 2.0])})
    assert err.value.problems[0].path == "start_sizes.pv_kwp"


def test_least_charge_keeps_the_cost_and_restores_the_model(flat_terms):
    """The least-charge re-solve of a sample LP (used where idle cycling survives the repair): same cost,
    no more charge than the first answer, and the sample LP answers as before afterwards."""
    from munigrid.models.dispatch.two_stage_sample import SampleLP

    prices = np.where(np.arange(N_T) >= 18, 6.0, 2.0)
    roof = PVArray("roof", SUN, max_kwp=20.0, capex_thb_per_kwp=capex_for(15.0), life_years=LIFE)
    meter = Meter("hall", np.where(np.arange(N_T) >= 18, 4.0, 1.0), flat_terms(prices), pv=[roof], battery=Battery(
        energy_kwh=0.0, power_kw=0.0, max_energy_kwh=100.0, max_power_kw=50.0, capex_thb_per_kwh=capex_for(3.0),
        charge_eff_frac=0.9, discharge_eff_frac=0.9, soc_initial_frac=0.5, life_years=LIFE))
    lp = SampleLP(0, [meter], 1.0, SolveOptions(mode="sizing"), SizingEconomics(discount_rate_frac=RATE))
    structure = lp.structure()
    z = np.clip(np.where(structure.upper > 0, 10.0, 0.0), structure.lower, structure.upper)
    first = lp.at(z, 60.0)
    x_first = lp._reduced.expand(np.asarray(lp._highs.getSolution().col_value))
    least = lp._least_charge(first.cost_thb)
    charge = lp.data.columns.block("charge_kw")
    assert least is not None
    slack_thb = 1e-7 * abs(first.cost_thb) + 1e-6  # the cost row's epsilon
    assert first.cost_thb - 1e-6 <= lp.form.objective(least) <= first.cost_thb + slack_thb + 1e-9
    assert least[charge].sum() <= x_first[charge].sum() + 1e-6
    again = lp.at(z, 60.0)
    assert again.cost_thb == pytest.approx(first.cost_thb, rel=1e-9)
    assert again.gradient == pytest.approx(first.gradient, rel=1e-6, abs=1e-6)
