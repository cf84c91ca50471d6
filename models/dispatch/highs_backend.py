"""Pass a :class:`~munigrid.models.dispatch.standard_form.StandardForm` to HiGHS and read the outcome.

No files: the arrays go to :meth:`highspy.Highs.passModel` directly. A MIP start, when given,
is handed over with :meth:`highspy.Highs.setSolution`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import highspy
import numpy as np

from munigrid.models.dispatch.problem import SolveOptions, SolveStatus
from munigrid.models.dispatch.standard_form import StandardForm


@dataclass
class HighsOutcome:
    """What HiGHS returned."""

    status: SolveStatus
    x: np.ndarray | None
    objective_thb: float
    bound: float
    mip_gap: float
    solve_s: float


def _status(model_status, has_solution: bool) -> SolveStatus:
    ms = highspy.HighsModelStatus
    if model_status == ms.kOptimal:
        return SolveStatus.OPTIMAL
    if model_status == ms.kInfeasible:
        return SolveStatus.INFEASIBLE
    if model_status in (ms.kUnbounded, ms.kUnboundedOrInfeasible):
        return SolveStatus.UNBOUNDED if model_status == ms.kUnbounded else SolveStatus.INFEASIBLE
    if model_status in (ms.kTimeLimit, ms.kIterationLimit, ms.kInterrupt, ms.kSolutionLimit):
        return SolveStatus.FEASIBLE if has_solution else SolveStatus.NO_SOLUTION
    return SolveStatus.ERROR


def run_highs(form: StandardForm, options: SolveOptions, relax: bool = False,
              start: np.ndarray | None = None) -> HighsOutcome:
    """Solve ``form`` (as an LP when ``relax``), optionally from the MIP start ``start``."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", int(options.threads))
    h.setOptionValue("time_limit", float(options.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = form.n_cols, form.n_rows
    lp.col_cost_, lp.offset_ = form.cost, form.offset
    lp.col_lower_, lp.col_upper_ = form.col_lower, form.col_upper
    lp.row_lower_, lp.row_upper_ = form.row_lower, form.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = form.matrix.indptr
    lp.a_matrix_.index_ = form.matrix.indices
    lp.a_matrix_.value_ = form.matrix.data
    is_mip = not relax and bool(form.integer.any())
    if is_mip:
        lp.integrality_ = np.where(form.integer, highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous).tolist()
    h.passModel(lp)
    if is_mip and start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = np.asarray(start, dtype=float).tolist()
        solution.value_valid = True
        h.setSolution(solution)
    tic = time.perf_counter()
    h.run()
    solve_s = time.perf_counter() - tic
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2
    status = _status(h.getModelStatus(), has_solution)
    x = np.asarray(h.getSolution().col_value) if has_solution else None
    objective = info.objective_function_value if has_solution else math.nan
    if is_mip:
        bound, gap = info.mip_dual_bound, info.mip_gap
    else:
        bound, gap = objective, 0.0
    return HighsOutcome(status, x, float(objective), float(bound), float(gap), solve_s)
