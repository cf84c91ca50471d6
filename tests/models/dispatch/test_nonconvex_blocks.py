"""Energy blocks whose price falls with use: the mixed-integer formulation, exact and end to end."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, PVArray, SolveOptions, SolveStatus, solve
from munigrid.models.dispatch.block_fill import filled_blocks
from munigrid.models.dispatch.highs_backend import run_highs
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.standard_form import compile_instance
from munigrid.models.errors import InputError
from munigrid.models.tariffs import load_tariff_file
from munigrid.models.tariffs.terms import EnergyBlocks, TariffCostTerms

LOSSLESS = dict(charge_eff_frac=1.0, discharge_eff_frac=1.0, soc_min_frac=0.0, soc_max_frac=1.0,
                soc_initial_frac=0.0)


def _block_terms(periods, upper_kwh, price_thb_per_kwh, import_thb_per_kwh=None, step_h=1.0):
    periods = np.asarray(periods)
    n_t = len(periods)
    prices = np.zeros(n_t) if import_thb_per_kwh is None else np.asarray(import_thb_per_kwh, float)
    blocks = EnergyBlocks(np.asarray(upper_kwh, float), np.asarray(price_thb_per_kwh, float))
    return TariffCostTerms(step_h, periods, prices, np.zeros(n_t), energy_blocks=blocks,
                           fixed_thb_per_period=np.zeros(int(periods.max()) + 1))


def test_battery_concentrates_energy_in_one_period_to_reach_the_cheap_block():
    """Two periods of 2 h, load 10 kW: 20 kWh each; first 30 kWh at 5 THB/kWh, the rest at 1.

    Shifting s kWh from period 1 into period 0 (battery starts empty, lossless) costs
    200 for s <= 10 and 150 + (s - 10) + 5 (20 - s) = 240 - 4 s above: best s = 20, 160 THB,
    imports [20, 20, 0, 0].
    """
    terms = _block_terms([0, 0, 1, 1], [30.0, np.inf], [5.0, 1.0])
    bat = Battery(energy_kwh=20, power_kw=10, **LOSSLESS)
    problem = DispatchProblem(1.0, [Meter("m", np.full(4, 10.0), terms, battery=bat)])
    result = solve(problem)
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective_thb == pytest.approx(160.0, rel=1e-9)
    np.testing.assert_allclose(result.schedules["m"].import_kw, [20, 20, 0, 0], atol=1e-7)
    assert result.costs_thb["energy_blocks"] == pytest.approx(160.0, rel=1e-9)
    assert terms.cost_thb(result.schedules["m"].import_kw) == pytest.approx(160.0, rel=1e-9)
    assert result.n_binaries == 2


def test_without_a_battery_the_blocks_are_only_billed():
    """No flexibility: the cost is the bill of the load, 5 * 30 + 1 * 10 = 160 in one 40 kWh period."""
    terms = _block_terms([0, 0, 0, 0], [30.0, np.inf], [5.0, 1.0])
    result = solve(DispatchProblem(1.0, [Meter("m", np.full(4, 10.0), terms)]))
    assert result.objective_thb == pytest.approx(160.0, rel=1e-9)


def _random_problem(seed: int) -> DispatchProblem:
    rng = np.random.default_rng(seed)
    n_t, n_p = 48, 3
    periods = np.repeat(np.arange(n_p), n_t // n_p)
    n_b = int(rng.integers(2, 4))
    load = rng.uniform(5, 25, n_t)
    per_period_kwh = load.sum() / n_p
    upper = np.append(np.sort(rng.uniform(0.3, 1.3, n_b - 1)) * per_period_kwh, np.inf)
    prices = rng.uniform(0.5, 6.0, n_b)
    prices[1] = prices[0] - rng.uniform(0.5, 2.0)  # at least one fall: non-convex
    terms = _block_terms(periods, upper, np.maximum(prices, 0.1), rng.uniform(0.0, 3.0, n_t))
    assert not terms.is_convex
    profile = np.clip(np.sin(np.linspace(0, 3 * np.pi, n_t)), 0, None)
    bat = Battery(energy_kwh=rng.uniform(20, 80), power_kw=rng.uniform(5, 20), charge_eff_frac=0.95,
                  discharge_eff_frac=0.95, soc_min_frac=0.1, soc_initial_frac=0.5, degradation_thb_per_kwh=0.1)
    meter = Meter("m", load, terms, pv=[PVArray("roof", profile, capacity_kwp=rng.uniform(0, 20))], battery=bat)
    return DispatchProblem(1.0, [meter])


def _best_by_enumeration(problem: DispatchProblem) -> float:
    """Least cost over every fill state of the blocks, each an LP (block binaries fixed)."""
    data = build_model_data(problem)
    form = compile_instance(data)
    block = data.columns.block("block_is_full")
    shape = data.columns.shape["block_is_full"]
    n_b = shape[3] + 1
    # in order, so a period's binaries are 1 on a prefix: "k blocks full", k = 0 .. B-1
    best = np.inf
    for counts in itertools.product(range(n_b), repeat=shape[2]):
        full = np.zeros(shape)
        for p, k in enumerate(counts):
            full[0, 0, p, :k] = 1.0
        lower, upper = form.col_lower.copy(), form.col_upper.copy()
        lower[block] = upper[block] = full.ravel()
        outcome = run_highs(replace(form, col_lower=lower, col_upper=upper), SolveOptions(), relax=True)
        if outcome.status.has_solution:
            best = min(best, outcome.objective_thb)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_objective_is_the_tariff_cost_of_the_schedule_and_the_best_fill_state(seed):
    problem = _random_problem(seed)
    problem = replace(problem, options=SolveOptions(mip_rel_gap=1e-9))
    result = solve(problem)
    assert result.status is SolveStatus.OPTIMAL
    s, terms = result.schedules["m"], problem.meters[0].terms
    wear = 0.1 * s.discharge_kw.sum()
    assert result.objective_thb == pytest.approx(terms.cost_thb(s.import_kw, s.export_kw) + wear, rel=1e-7)
    assert result.objective_thb == pytest.approx(_best_by_enumeration(problem), rel=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_mip_start_from_the_relaxation_is_feasible(seed):
    """The LP's flows with the blocks rebuilt from its period energies satisfy every row, binaries integral."""
    data = build_model_data(_random_problem(seed))
    form = compile_instance(data)
    relaxed = run_highs(form, SolveOptions(), relax=True)
    start = filled_blocks(data, relaxed.x)
    full = start[data.columns.block("block_is_full")]
    np.testing.assert_array_equal(full, np.round(full))
    activity = form.matrix @ start
    assert np.all(activity >= form.row_lower - 1e-6) and np.all(activity <= form.row_upper + 1e-6)
    assert np.all(start >= form.col_lower - 1e-9) and np.all(start <= form.col_upper + 1e-9)
    terms = _random_problem(seed).meters[0].terms
    import_kw = start[data.columns.block("import_kw")]
    wear = 0.1 * start[data.columns.block("discharge_kw")].sum()
    assert form.objective(start) == pytest.approx(terms.cost_thb(import_kw) + wear, rel=1e-9)


def test_convex_blocks_stay_a_linear_program():
    terms = _block_terms([0, 0, 1, 1], [30.0, np.inf], [1.0, 5.0])
    data = build_model_data(DispatchProblem(1.0, [Meter("m", np.full(4, 10.0), terms)]))
    assert "block_is_full" not in data.columns.shape and not data.integrality_vector().any()


def test_declining_blocks_with_unbounded_export_and_import_are_rejected():
    terms = replace(_block_terms([0, 0], [30.0, np.inf], [5.0, 1.0]), export_allowed=True)
    with pytest.raises(InputError, match="energy_blocks") as err:
        solve(DispatchProblem(1.0, [Meter("m", np.full(2, 10.0), terms)]))
    assert "import_limit_kw" in str(err.value)
    bounded = Meter("m", np.full(2, 10.0), terms, export_limit_kw=5.0)
    assert solve(DispatchProblem(1.0, [bounded])).objective_thb == pytest.approx(100.0)


def test_malformed_blocks_are_named():
    terms = _block_terms([0, 0], [30.0, 20.0], [5.0, 1.0])
    with pytest.raises(InputError, match=r"energy_blocks\.upper_kwh"):
        solve(DispatchProblem(1.0, [Meter("m", np.full(2, 10.0), terms)]))


def test_user_tariff_file_with_declining_blocks_flows_end_to_end(tmp_path):
    """A YAML tariff: 5 THB/kWh up to 3500 kWh a month, 2 above, VAT 7 %.

    Load 5 kW through January and February (hourly): 3720 and 3360 kWh. A lossless 10 kW,
    200 kWh battery, empty at both ends, charges 200 kWh at the end of January (2 THB/kWh
    there) and gives them back at the start of February (5 THB/kWh there):
    1.07 (3500 * 5 + 420 * 2 + 3160 * 5) = 36,529.80 THB, 642 THB less than without it.
    """
    source = {"source": "test case, not a published tariff", "as_of": "2025-01"}
    data = {"version": "test", "calendars": {"flat": {"default_period": "all"}},
            "tariffs": [{"variants": [{"id": "declining", "utility": "X", "voltage": "LV"}], "name": "declining",
                         "category": "test", "calendar": "flat", "ft_applies": False, "vat_frac": 0.07,
                         "energy": {"blocks": {"upper_kwh": [3500, None], "price_thb_per_kwh": [5.0, 2.0],
                                               **source}, **source}}]}
    path = tmp_path / "declining.yaml"
    path.write_text(yaml.safe_dump(data))
    tariff = load_tariff_file(path)["declining"]
    index = pd.date_range("2025-01-01", "2025-03-01", freq="h", inclusive="left", tz="Asia/Bangkok")
    terms = tariff.cost_terms(index)
    assert not terms.is_convex
    load = np.full(len(index), 5.0)
    bat = Battery(energy_kwh=200, power_kw=10, **LOSSLESS)
    result = solve(DispatchProblem(1.0, [Meter("hall", load, terms, battery=bat)]))
    assert result.status is SolveStatus.OPTIMAL
    s = result.schedules["hall"]
    assert result.objective_thb == pytest.approx(1.07 * (3500 * 5.0 + 420 * 2.0 + 3160 * 5.0), rel=1e-9)
    assert result.objective_thb == pytest.approx(terms.cost_thb(s.import_kw), rel=1e-9)
    bill = tariff.bill(pd.Series(s.import_kw, index=index))
    assert result.objective_thb == pytest.approx(bill.total_thb, abs=0.05 * len(bill.monthly))
    assert terms.cost_thb(load) - result.objective_thb == pytest.approx(1.07 * 600.0, rel=1e-9)


def test_sub_mip_heuristics_off_only_when_block_binaries_are_the_only_integers(mixed_instance):
    from munigrid.models.dispatch.strategy import _sub_mip_default

    blocks_only = build_model_data(_random_problem(0))
    assert _sub_mip_default(blocks_only, SolveOptions()).sub_mip_heuristics is False
    assert _sub_mip_default(blocks_only, SolveOptions(sub_mip_heuristics=True)).sub_mip_heuristics is True
    with_generator = build_model_data(mixed_instance(1, False, True))
    assert _sub_mip_default(with_generator, SolveOptions()).sub_mip_heuristics is True


@pytest.mark.parametrize("seed", range(3))
def test_period_import_bound_holds_for_the_largest_possible_import(seed):
    """The big-M of the open block: no schedule, cycling the battery at a loss included, imports more."""
    problem = _random_problem(seed)
    meter = problem.meters[0]
    plain = replace(problem, meters=[replace(meter, terms=replace(meter.terms, energy_blocks=None))])
    data = build_model_data(problem)
    plain_data = build_model_data(plain)
    form = compile_instance(plain_data)
    periods = meter.terms.period_of_step
    for p in range(int(periods.max()) + 1):
        cost = np.zeros(form.n_cols)
        cost[plain_data.columns.block("import_kw")] = -(periods == p).astype(float)
        most = run_highs(replace(form, cost=cost, offset=0.0), SolveOptions(), relax=True)
        # the widths of a period sum to its bound (the last block is open)
        assert -most.objective_thb <= data.params["block_width_kwh"][0, 0, p].sum() + 1e-6
