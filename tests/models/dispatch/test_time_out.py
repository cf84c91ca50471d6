"""An answer with fractional on/off (e.g. the last MILP round at a time-out) is polished into a usable one."""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.models.dispatch import SolveStatus, solve
from munigrid.models.dispatch.highs_backend import run_highs
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.standard_form import compile_instance
from munigrid.models.dispatch.strategy import polished, simultaneous_steps


@pytest.mark.parametrize("seed,declining", [(1, False), (3, False), (3, True)])
def test_polished_lp_answer_is_feasible_for_the_full_commitment_model(seed, declining, mixed_instance):
    problem = mixed_instance(seed, False, declining)
    data = build_model_data(problem)
    form = compile_instance(data)
    lp = run_highs(form, problem.options, relax=True)
    block = data.columns.block("gen_on")
    assert np.any(np.abs(lp.x[block] - np.round(lp.x[block])) > 1e-6), "the LP should leave on/off fractional"
    answer = polished(data, form, lp, problem.options)
    assert answer.status is SolveStatus.FEASIBLE
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
    activity = form.matrix @ x
    assert np.all(activity >= form.row_lower - 1e-6) and np.all(activity <= form.row_upper + 1e-6)
    best = solve(problem)
    assert answer.objective_thb >= best.objective_thb * (1 - problem.options.mip_rel_gap) - 1e-6
    assert answer.bound == lp.objective_thb
    assert answer.mip_gap == pytest.approx((answer.objective_thb - lp.objective_thb) / answer.objective_thb)


def test_solve_returns_the_polished_answer_when_the_rounds_run_out(mixed_instance, monkeypatch):
    from munigrid.models.dispatch import strategy

    problem = mixed_instance(1, False)
    best = solve(problem)
    monkeypatch.setattr(strategy, "MAX_ROUNDS", 0)  # no MILP round at all: the LP answer has fractional on/off
    result = solve(problem)
    assert result.status is SolveStatus.FEASIBLE
    assert result.schedules and result.bound <= best.objective_thb <= result.objective_thb + 1e-6
    assert 0.0 <= result.mip_gap == pytest.approx((result.objective_thb - result.bound) / result.objective_thb)
    assert "polish_s" in result.timings
