"""Substituting defined flows and fixed columns out leaves the problem and its solution unchanged."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from munigrid.models.dispatch import SolveOptions, SolveStatus, solve
from munigrid.models.dispatch.highs_backend import run_highs
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.reduction import reduce_form
from munigrid.models.dispatch.standard_form import compile_instance


def _rows_and_bounds_hold(form, x, tol=1e-6):
    activity = form.matrix @ x
    assert np.all(activity >= form.row_lower - tol) and np.all(activity <= form.row_upper + tol)
    assert np.all(x >= form.col_lower - tol) and np.all(x <= form.col_upper + tol)


@pytest.mark.parametrize("seed,sizing", [(1, False), (4, False), (2, True)])
def test_reduced_lp_has_the_same_optimum_and_a_feasible_expansion(seed, sizing, mixed_instance):
    problem = mixed_instance(seed, sizing)
    form = compile_instance(build_model_data(problem))
    plain = run_highs(form, replace(problem.options, substitute=False), relax=True)
    reduced = run_highs(form, problem.options, relax=True)
    assert plain.status is reduced.status is SolveStatus.OPTIMAL
    assert reduced.objective_thb == pytest.approx(plain.objective_thb, rel=1e-9)
    _rows_and_bounds_hold(form, reduced.x)
    assert form.cost @ reduced.x + form.offset == pytest.approx(reduced.objective_thb, rel=1e-9)


def test_reduction_removes_import_discharge_and_fixed_columns(mixed_instance):
    data = build_model_data(mixed_instance(1, False))
    form = compile_instance(data)
    reduced = reduce_form(form)
    n_m, n_t = data.dims["M"], data.dims["T"]
    fixed = form.col_lower == form.col_upper
    eliminated = np.zeros(form.n_cols, bool)
    eliminated[data.columns.block("import_kw")] = True
    eliminated[data.columns.block("discharge_kw")] = True
    assert reduced.form.n_rows == form.n_rows
    assert reduced.form.n_cols == int((~(fixed | eliminated)).sum())
    assert sum(len(b.cols) for b in reduced.batches) == 2 * n_m * n_t


def test_expand_recovers_any_feasible_point(mixed_instance):
    """Back-substitution maps the reduced columns of a feasible point to the point itself."""
    form = compile_instance(build_model_data(mixed_instance(4, False)))
    x = run_highs(form, SolveOptions(substitute=False), relax=True).x
    reduced = reduce_form(form)
    np.testing.assert_allclose(reduced.expand(x[reduced.kept]), x, atol=1e-7)
    assert reduced.form.cost @ x[reduced.kept] + reduced.form.offset == pytest.approx(form.cost @ x + form.offset,
                                                                                      rel=1e-12)


@pytest.mark.parametrize("seed,declining", [(1, False), (5, False), (5, True)])
def test_milp_dispatch_with_commitment_is_unchanged(seed, declining, mixed_instance):
    problem = mixed_instance(seed, False, declining)
    plain = solve(replace(problem, options=replace(problem.options, substitute=False, mip_rel_gap=1e-9)))
    reduced = solve(replace(problem, options=replace(problem.options, mip_rel_gap=1e-9)))
    assert plain.status is reduced.status is SolveStatus.OPTIMAL
    assert reduced.n_binaries > 0
    assert reduced.objective_thb == pytest.approx(plain.objective_thb, rel=1e-7)
    for name, s in reduced.schedules.items():
        assert np.all(s.import_kw >= 0) and np.all(np.minimum(s.charge_kw, s.discharge_kw) <= 1e-6), name
