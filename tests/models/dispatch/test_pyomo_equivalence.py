"""The fast template compile equals Pyomo's own model of the same families, on random instances."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.solvers.highs import Highs

from munigrid.models.dispatch import SolveOptions
from munigrid.models.dispatch.formulation import materialise
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.standard_form import compile_instance
from munigrid.models.dispatch.highs_backend import run_highs


@pytest.mark.parametrize("seed,sizing,declining", [(1, False, False), (2, True, False), (4, False, True)])
def test_compiled_lp_matches_materialised_pyomo(seed, sizing, declining, mixed_instance):
    """Same LP relaxation objective from the fast path and from Pyomo's own HiGHS interface."""
    data = build_model_data(mixed_instance(seed, sizing, declining))
    fast = run_highs(compile_instance(data), SolveOptions(), relax=True)
    model = materialise(data)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    reference = Highs().solve(model)
    assert fast.status.has_solution
    assert fast.objective_thb == pytest.approx(pyo.value(model.total_cost_thb), rel=1e-7)
    assert reference.incumbent_objective == pytest.approx(fast.objective_thb, rel=1e-7)


@pytest.mark.parametrize("declining", [False, True])
def test_compiled_rows_match_pyomo_rows_exactly(declining, mixed_instance, rows_match_pyomo):
    """Row by row, the compiled matrix equals Pyomo's standard form of the materialised model."""
    rows_match_pyomo(build_model_data(mixed_instance(3, True, declining)))


def test_declining_blocks_milp_matches_materialised_pyomo(mixed_instance):
    """With the block binaries integer, the compiled MILP and Pyomo's own give the same optimum."""
    data = build_model_data(mixed_instance(5, False, True))
    assert data.integrality_vector().any()
    fast = run_highs(compile_instance(data), SolveOptions(mip_rel_gap=1e-9))
    reference = Highs().solve(materialise(data), rel_gap=1e-9)
    assert fast.status.has_solution
    assert reference.incumbent_objective == pytest.approx(fast.objective_thb, rel=1e-7)
