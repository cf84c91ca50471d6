"""Answers with defects are polished into clean ones; incumbents survive time-outs and rounds running out."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from munigrid.models.dispatch import SolveStatus, solve
from munigrid.models.dispatch.highs_backend import run_highs
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.polish import full_model, is_clean, polished, simultaneous_steps
from munigrid.models.dispatch.standard_form import compile_instance


@pytest.mark.parametrize("seed,declining", [(1, False), (3, False), (3, True)])
def test_polished_lp_answer_is_feasible_for_the_full_commitment_model(seed, declining, mixed_instance):
    problem = mixed_instance(seed, False, declining)
    data = build_model_data(problem)
    form = compile_instance(data)
    lp = run_highs(form, problem.options, relax=True)
    block = data.columns.block("gen_on")
    assert np.any(np.abs(lp.x[block] - np.round(lp.x[block])) > 1e-6), "the LP should leave on/off fractional"
    answer = polished(data, form, lp.x, problem.options, time_limit_s=10.0)
    assert answer is not None and answer.status is SolveStatus.FEASIBLE
    x = answer.x
    on, gen = x[block], x[data.columns.block("gen_kw")]
    np.testing.assert_array_equal(on, np.round(on))
    if declining:  # block binaries fixed at the fill state of the LP's period energies
        full = x[data.columns.block("block_is_full")]
        np.testing.assert_array_equal(full, np.round(full))
    rating = np.repeat(np.asarray(data.params["gen_max_kw"]), data.dims["T"])
    min_load = np.repeat(np.asarray(data.params["gen_min_load_frac"]), data.dims["T"])
    assert np.all(gen <= rating * on + 1e-6) and np.all(gen >= min_load * rating * on - 1e-6)
    assert not simultaneous_steps(data, x).any()
    assert is_clean(form, data, x)
    best = solve(problem)
    assert answer.objective_thb >= best.objective_thb * (1 - problem.options.mip_rel_gap) - 1e-6


def test_clean_check_rejects_each_defect(mixed_instance):
    problem = mixed_instance(1, False)
    data = build_model_data(problem)
    form = compile_instance(data)
    x = solve(problem).require_solution()
    lp = run_highs(form, problem.options, relax=True)
    assert not is_clean(form, data, lp.x)  # fractional on/off
    assert not is_clean(form, data, None)
    shifted = lp.x.copy()
    shifted[data.columns.block("import_kw")] += 5.0  # breaks the power balance
    assert not is_clean(form, data, shifted)
    assert x.status.has_solution


def test_full_model_has_binaries_at_every_step(outage_site):
    data = full_model(build_model_data(outage_site(0, n_t=24, standby=False)))
    assert data.integer["charging"].all()
    assert data.integer["gen_on"].all()


def test_solve_returns_the_polished_answer_when_the_rounds_run_out(mixed_instance, monkeypatch):
    from munigrid.models.dispatch import strategy

    problem = mixed_instance(1, False)
    best = solve(problem)
    monkeypatch.setattr(strategy, "MAX_ROUNDS", 0)  # no MILP round at all: the LP answer has fractional on/off
    result = solve(problem)
    assert result.status.has_solution
    assert result.schedules and result.bound <= best.objective_thb <= result.objective_thb + 1e-6
    assert 0.0 <= result.mip_gap == pytest.approx((result.objective_thb - result.bound) / result.objective_thb)
    assert "polish_s" in result.timings or "full_model_s" in result.timings


def test_an_earlier_incumbent_survives_a_round_that_finds_nothing(mixed_instance, monkeypatch):
    """The second MILP round gets no time and finds nothing: the answer of the first is returned."""
    from munigrid.models.dispatch import strategy

    problem = mixed_instance(2, False)
    reference = solve(problem)
    # never stop early, always a new relaxation: a second round runs
    monkeypatch.setattr(strategy._Best, "proven", lambda self, gap: False)
    real_binaries = strategy._with_binaries
    monkeypatch.setattr(strategy, "_with_binaries", lambda data, x: replace(real_binaries(data, x)))
    calls = {"n": 0}
    real_round = strategy._round

    def starved_round(current, x, candidate, best, options, sub_mip, clock):
        calls["n"] += 1
        if calls["n"] >= 2:
            clock.deadline = time.perf_counter()  # the time is up: this round's MILP gets ~0 s
        return real_round(current, x, candidate, best, options, sub_mip, clock)

    monkeypatch.setattr(strategy, "_round", starved_round)
    result = solve(problem)
    assert calls["n"] == 2
    assert result.status is SolveStatus.FEASIBLE and result.schedules
    assert result.objective_thb == pytest.approx(reference.objective_thb, rel=1e-3)


def test_time_limit_is_honoured(outage_site):
    """A 1 s limit on a two-month site with a generator running with the grid: back within the limit
    + 10 % + the finish allowance (+ 1 s for HiGHS's own overrun and the read-back on a loaded machine),
    with a schedule or the hint to raise the limit."""
    from munigrid.models.dispatch.strategy import FINISH_S

    problem = outage_site(5, n_t=24 * 60, standby=False)
    problem = replace(problem, options=replace(problem.options, time_limit_s=1.0))
    tic = time.perf_counter()
    result = solve(problem)
    wall_s = time.perf_counter() - tic
    assert wall_s <= 1.0 * 1.1 + FINISH_S + 1.0
    assert result.status.has_solution or "time_limit_s" in " ".join(result.diagnosis)
