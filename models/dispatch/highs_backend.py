"""Pass a :class:`~munigrid.models.dispatch.standard_form.StandardForm` to HiGHS and read the outcome.

No files: the arrays go to :meth:`highspy.Highs.passModel` directly. A MIP start, when given,
is handed over with :meth:`highspy.Highs.setSolution`, a starting basis of an LP with
:meth:`highspy.Highs.setBasis` (an optimal basis of a related LP for the primal simplex, or a
:class:`~munigrid.models.dispatch.crash.Crash` for the dual simplex). Unless ``SolveOptions.substitute`` is off,
HiGHS gets the reduced form (:mod:`munigrid.models.dispatch.reduction`) and the solution is
expanded back to the columns of ``form``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import highspy
import numpy as np

from munigrid.models.dispatch.crash import Crash
from munigrid.models.dispatch.problem import SolveOptions, SolveStatus
from munigrid.models.dispatch.reduction import ReducedForm, reduce_form
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
    basis: object | None = None  # HiGHS basis of the LP as passed (after substitution), None for a MILP


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


def _f64(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64)


def _crash_basis(form: StandardForm, crash: Crash):
    """The HiGHS basis of ``crash``: slacks basic but on its rows, columns at their lower bound
    (upper where the crash says so or the lower is infinite, zero when free) but its basic ones.

    Marked not alien: it is square and nonsingular by construction (:mod:`.crash`), so HiGHS
    need not factor it on receipt to repair it (15 ms on the one-year LP with pre-cooling).
    """
    status = highspy.HighsBasisStatus
    lower_finite, upper_finite = np.isfinite(form.col_lower), np.isfinite(form.col_upper)
    codes = np.where(lower_finite, 0, np.where(upper_finite, 1, 2))
    codes[crash.upper_cols[upper_finite[crash.upper_cols]]] = 1
    codes[crash.basic_cols] = 3
    row_codes = np.full(form.n_rows, 3)
    row_codes[crash.rows] = 0
    by_code = np.array([status.kLower, status.kUpper, status.kZero, status.kBasic], dtype=object)
    basis = highspy.HighsBasis()
    basis.col_status = by_code[codes].tolist()
    basis.row_status = by_code[row_codes].tolist()
    basis.valid = True
    basis.alien = False
    return basis


def _renumbered(crash: Crash | None, reduced: ReducedForm, n_cols: int, n_rows: int) -> Crash | None:
    """``crash`` (or None) in the numbering of ``reduced.form``, from that of the form of ``n_cols`` x ``n_rows``."""
    if crash is None:
        return None
    new_col, new_row = np.full(n_cols, -1), np.full(n_rows, -1)
    new_col[reduced.kept] = np.arange(len(reduced.kept))
    new_row[reduced.kept_rows] = np.arange(len(reduced.kept_rows))
    return crash.renumbered(new_col, new_row)


def run_highs(form: StandardForm, options: SolveOptions, relax: bool = False,
              start: np.ndarray | None = None, basis=None, crash: Crash | None = None,
              dual_basis=None) -> HighsOutcome:
    """Solve ``form`` (as an LP when ``relax``), optionally from the MIP start ``start``.

    ``basis``, for an LP: a primal feasible basis of the form HiGHS gets (the outcome's
    ``basis`` of an LP with the same columns, extended by one status per added row); the primal
    simplex starts from it. Ignored when its lengths do not fit. Otherwise ``crash`` (in the
    numbering of ``form``), for an LP: the dual simplex starts from that basis. ``dual_basis``,
    for an LP, before ``crash``: an optimal basis of an LP of the same shape and costs whose bounds
    differ (dual feasible here); the dual simplex starts from it. Ignored when its lengths do not fit.
    """
    reduced = reduce_form(form) if options.substitute else None
    if reduced is not None and reduced.form.n_cols == 0:  # HiGHS calls a model without columns empty, rows unchecked
        reduced = None
    if reduced is not None:
        crash = _renumbered(crash, reduced, form.n_cols, form.n_rows)
        form = reduced.form
        start = None if start is None else np.asarray(start)[reduced.kept]
    # the core class: the `Highs` wrapper registers a callback on construction, which prints the
    # HiGHS banner before `output_flag` can be set (highspy 1.16); no callback is used here
    h = highspy._Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", int(options.threads))
    h.setOptionValue("time_limit", float(options.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    is_mip = not relax and bool(form.integer.any())
    presolve = options.lp_presolve if options.lp_presolve is not None else options.mode == "sizing"
    if not is_mip and not presolve:
        h.setOptionValue("presolve", "off")
    if is_mip and options.sub_mip_heuristics is False:
        for heuristic in ("rins", "rens", "root_reduced_cost"):
            h.setOptionValue(f"mip_heuristic_run_{heuristic}", False)
    integrality = np.where(form.integer & is_mip, 1, 0).astype(np.int32)
    matrix = form.matrix
    h.passModel(form.n_cols, form.n_rows, matrix.nnz, int(highspy.MatrixFormat.kColwise),
                int(highspy.ObjSense.kMinimize), float(form.offset), _f64(form.cost), _f64(form.col_lower),
                _f64(form.col_upper), _f64(form.row_lower), _f64(form.row_upper), matrix.indptr.astype(np.int32),
                matrix.indices.astype(np.int32), _f64(matrix.data), integrality)
    warm = not is_mip and basis is not None and len(basis.col_status) == form.n_cols \
        and len(basis.row_status) == form.n_rows
    if warm:
        h.setOptionValue("simplex_strategy", 4)  # primal: the basis given is primal feasible
        h.setBasis(basis)
    elif not is_mip and dual_basis is not None and len(dual_basis.col_status) == form.n_cols \
            and len(dual_basis.row_status) == form.n_rows:
        h.setBasis(dual_basis)
    elif not is_mip and crash is not None and len(crash.rows):
        # Dantzig pricing: exact steepest-edge weights of a basis other than the slack one cost a
        # backward solve per row to start (one-year LP with pre-cooling: 0.36 -> 0.26 s, 12.2k iterations)
        h.setOptionValue("simplex_dual_edge_weight_strategy", 0)
        h.setBasis(_crash_basis(form, crash))
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
    if x is not None and reduced is not None:
        x = reduced.expand(x)
    objective = info.objective_function_value if has_solution else math.nan
    if is_mip:
        bound, gap = info.mip_dual_bound, info.mip_gap
    else:
        bound, gap = objective, 0.0
    final_basis = h.getBasis() if not is_mip and has_solution else None
    return HighsOutcome(status, x, float(objective), float(bound), float(gap), solve_s, final_basis)
