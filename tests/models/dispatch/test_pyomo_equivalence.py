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


@pytest.mark.parametrize("seed,sizing,declining,several", [(1, False, False, False), (2, True, False, False),
                                                          (4, False, True, False), (6, False, False, True),
                                                          (7, True, False, True)])
def test_compiled_lp_matches_materialised_pyomo(seed, sizing, declining, several, mixed_instance):
    """Same LP relaxation objective from the fast path and from Pyomo's own HiGHS interface."""
    data = build_model_data(mixed_instance(seed, sizing, declining, several))
    fast = run_highs(compile_instance(data), SolveOptions(), relax=True)
    model = materialise(data)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    reference = Highs().solve(model)
    assert fast.status.has_solution
    assert fast.objective_thb == pytest.approx(pyo.value(model.total_cost_thb), rel=1e-7)
    assert reference.incumbent_objective == pytest.approx(fast.objective_thb, rel=1e-7)


@pytest.mark.parametrize("declining,several", [(False, False), (True, False), (False, True)])
def test_compiled_rows_match_pyomo_rows_exactly(declining, several, mixed_instance, rows_match_pyomo):
    """Row by row, the compiled matrix equals Pyomo's standard form of the materialised model
    (with ``several``: three batteries on one meter, one sized in blocks, and their binaries)."""
    data = build_model_data(mixed_instance(3, True, declining, several))
    if several:  # the strategy's charge/discharge binaries, per battery
        data = data.with_exclusive_steps(np.array([0, 0, 1]), np.array([1, 2, 0]), np.array([5, 9, 20]))
    rows_match_pyomo(data)


def test_declining_blocks_milp_matches_materialised_pyomo(mixed_instance):
    """With the block binaries integer, the compiled MILP and Pyomo's own give the same optimum."""
    data = build_model_data(mixed_instance(5, False, True))
    assert data.integrality_vector().any()
    fast = run_highs(compile_instance(data), SolveOptions(mip_rel_gap=1e-9))
    reference = Highs().solve(materialise(data), rel_gap=1e-9)
    assert fast.status.has_solution
    assert reference.incumbent_objective == pytest.approx(fast.objective_thb, rel=1e-7)
