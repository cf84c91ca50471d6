"""Dispatch and sizing optimiser: PV, battery, generator and grid under Thai tariffs.

Public API::

    from munigrid.models.dispatch import solve, DispatchProblem, Meter, PVArray, Battery, Generator
    result = solve(DispatchProblem(step_h=1.0, meters=[Meter("hall", load_kw, terms, pv=[...])]))

Layout: ``problem`` (dataclasses), ``validate`` (input checks), ``layout`` (problem -> arrays),
``families_*`` and ``costs`` (the Pyomo formulation, one function per family), ``formulation``
(which family on which index set; the materialised Pyomo model), ``template_compile`` and
``standard_form`` (the fast vectorised compile), ``reduction`` (defined flows and fixed columns
substituted out before HiGHS, back-substituted after), ``highs_backend``, ``strategy`` (LP first,
binaries where needed, polish at a time-out), ``block_fill`` (MIP start of non-convex energy
blocks), ``diagnosis`` (elastic re-solve), ``results`` and ``solve`` (the orchestrator).
"""

from munigrid.models.dispatch.problem import (
    Battery,
    BatterySchedule,
    DispatchProblem,
    DispatchResult,
    Generator,
    Meter,
    MeterSchedule,
    PVArray,
    Sizes,
    SizingEconomics,
    SolveOptions,
    SolveStatus,
    capital_recovery_factor,
)
from munigrid.models.dispatch.solve import solve

__all__ = ["Battery", "BatterySchedule", "DispatchProblem", "DispatchResult", "Generator", "Meter", "MeterSchedule", "PVArray", "Sizes",
           "SizingEconomics", "SolveOptions", "SolveStatus", "capital_recovery_factor", "solve"]
