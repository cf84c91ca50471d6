"""The orchestrator: check the input, lay out the data, run the solve strategy, read the result."""

from __future__ import annotations

import time

from munigrid.models.dispatch import results
from munigrid.models.dispatch.cuts import without_cuts
from munigrid.models.dispatch.diagnosis import conflicts, elastic_diagnosis, elastic_slack
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.problem import DispatchProblem, DispatchResult, SolveStatus
from munigrid.models.dispatch.sizes_first import DECOMPOSITION_SHARE, FixedSizes, routed, sizes_first
from munigrid.models.dispatch.strategy import WarmStart, solve_strategy
from munigrid.models.dispatch.validate import check


def solve(problem: DispatchProblem, warm: WarmStart | None = None) -> DispatchResult:
    """Optimise dispatch (and sizes in sizing mode) of ``problem`` at least total cost.

    Raises :class:`~munigrid.models.errors.InputError` on bad input. Solver outcomes are data:
    an infeasible problem returns status ``INFEASIBLE`` with a diagnosis naming the conflicting
    constraint families; :meth:`DispatchResult.require_solution` turns that into
    :class:`~munigrid.models.errors.NoSolutionError`. The solve returns within
    ``options.time_limit_s`` of the call (plus at most ``strategy.FINISH_S`` when no schedule
    exists yet at the limit); a schedule returned is feasible for the model with binaries at
    every step (:mod:`munigrid.models.dispatch.strategy`). ``warm`` carries the relaxation's
    optimal basis from one solve to the next of the same shape and costs
    (:class:`~munigrid.models.dispatch.strategy.WarmStart`).
    """
    tic = time.perf_counter()
    check(problem)
    layout_tic = time.perf_counter()
    data = build_model_data(problem)
    layout_s = time.perf_counter() - layout_tic
    run, decomposed = None, None
    if routed(problem, data):
        decomposed = sizes_first(problem, data, DECOMPOSITION_SHARE * problem.options.time_limit_s)
    if decomposed is not None:
        run = solve_strategy(decomposed.data, problem.options, deadline=tic + problem.options.time_limit_s)
        if not run.outcome.status.has_solution:
            run, decomposed = None, None
    if run is None:
        run = solve_strategy(data, problem.options, deadline=tic + problem.options.time_limit_s, warm=warm)
    timings = dict(run.timings)
    timings["build_s"] += layout_s
    outcome = run.outcome
    result = DispatchResult(status=outcome.status, objective_thb=outcome.objective_thb, mip_gap=outcome.mip_gap,
                            bound=outcome.bound, timings=timings, n_binaries=run.n_binaries)
    if decomposed is not None:
        _with_sizing_bound(result, decomposed, problem.options.mip_rel_gap)
    if outcome.status.has_solution:
        result.schedules = results.schedules(problem, run.data, outcome.x)
        result.sizes = results.sizes(problem, run.data, outcome.x)
        result.costs_thb = results.cost_breakdown(run.form, outcome.x)
    elif outcome.status in (SolveStatus.INFEASIBLE, SolveStatus.UNBOUNDED):
        diag_tic = time.perf_counter()
        model_rows = without_cuts(run.form)
        slack = elastic_slack(model_rows, problem.options)
        result.diagnosis = elastic_diagnosis(model_rows, slack)
        result.conflicts = [] if slack is None else conflicts(run.data, model_rows, slack)
        timings["diagnosis_s"] = time.perf_counter() - diag_tic
    elif outcome.status is SolveStatus.NO_SOLUTION:
        result.diagnosis = [f"no schedule was found within time_limit_s = {problem.options.time_limit_s:g} s; "
                            "raise optimisation.time_limit_s"]
    timings["total_s"] = time.perf_counter() - tic
    return result


def _with_sizing_bound(result: DispatchResult, decomposed: FixedSizes, rel_gap: float) -> None:
    """The bound and gap of a schedule at decomposed sizes: the master's bound of the sizing optimum
    (the fixed-size solve's own bound holds only at those sizes)."""
    bound = min(result.bound, decomposed.bound_thb)
    gap = (result.objective_thb - bound) / max(1.0, abs(result.objective_thb))
    result.bound, result.mip_gap = bound, max(gap, 0.0)
    result.timings["decomposition_s"] = decomposed.timings.get("total_s", 0.0)
    if result.status is SolveStatus.OPTIMAL and gap > rel_gap:
        result.status = SolveStatus.FEASIBLE
