r"""Solve strategy: the LP first, binaries only where the LP needs them, every answer kept.

The model the answer must be feasible for is the *full model*: charge/discharge binaries at every
battery step, binary on/off at every step a committed generator may run
(:func:`~munigrid.models.dispatch.polish.full_model`). Solving it directly is slow at year scale,
so the strategy solves relaxations of it and keeps two numbers from the first step to the last:

* the **incumbent**: the cheapest *clean* point seen so far (every row and bound holds, integers
  integral, no simultaneous charge and discharge, on/off 0 or 1:
  :func:`~munigrid.models.dispatch.polish.is_clean`), i.e. a point feasible for the full model;
* the **bound**: the largest lower bound of any relaxation solved. Every relaxation below has a
  subset of the full model's binaries and the outage start cuts (:mod:`~munigrid.models.dispatch.cuts`,
  valid for the full model), so each of their bounds is valid for the full model.

Steps (each HiGHS call gets the time left until the deadline, ``time_limit_s`` after the start; while
there is no incumbent a MILP keeps ``POLISH_LPS`` LP solve times back for polishing its answer):

0. **Bill floor only where it binds** (:mod:`~munigrid.models.dispatch.bill_floor`). A model with
   minimum-charge rows is first solved without them (steps 1-4, a relaxation). If no month's
   energy + demand charge falls below its floor at that answer, the answer with a zero
   adjustment is the answer (same objective; the bound stays valid, the rows only add cost).
   Otherwise steps 1-4 run on the model with the rows, with the relaxation's bound and its answer
   completed with the least adjustment (a point of the full model) as the first incumbent.
1. **LP relaxation** (on/off in [0, 1], no charge/discharge binaries). Idle cycling that only burns
   curtailed PV is repaired at no cost (:mod:`~munigrid.models.dispatch.cycling`), and among the
   optimal LP solutions the one with the least battery throughput is taken. Infeasible LP:
   ``INFEASIBLE`` (the caller runs the elastic diagnosis). Bound := LP optimum; the LP point is
   offered as incumbent (on plain LP problems it is clean: ``OPTIMAL``, nothing else runs).
2. **Rounds** (at most ``MAX_ROUNDS``). Add charge/discharge binaries at the steps where the last
   answer charges and discharges at once (with the first of them, at every step where burning
   energy can pay: :func:`_burning_steps`), and on/off binaries where its on/off is fractional
   (with the first of them, at every outage and demand-window step the generator may run:
   :func:`_commitment_steps`). Solve the MILP from the better of two starts: the fix-and-optimise
   start (:mod:`~munigrid.models.dispatch.neighbourhood`) and the incumbent. The answer and the
   start are offered as incumbents; an answer that is not clean is *polished*
   (:func:`~munigrid.models.dispatch.polish.polished`: binaries fixed, directions fixed where
   needed, LP re-solved, repeated) and the polished point is offered. Bound := max(bound, MILP
   bound). Stop when the incumbent is within ``mip_rel_gap`` of the bound, when the time is up
   or when a MILP found nothing. If the rounds run out with the gap not reached and time left
   (``FULL_MODEL_LPS`` LP solve times at least), the full model itself is solved from the
   incumbent in the time left. A round whose MILP is infeasible proves the full model
   infeasible (it is a relaxation): ``INFEASIBLE``.
3. **No incumbent yet** (time ran out before a round, or every polish failed): polish the last
   point once more, then, if ``FULL_MODEL_LPS`` LP solve times fit, solve the full model itself as
   a MILP (feasible whenever the problem is). Step 3 runs after the deadline at most ``FINISH_S``
   seconds.
4. **Answer**: the incumbent, ``OPTIMAL`` when ``objective - bound <= mip_rel_gap * |objective|``
   else ``FEASIBLE`` with that gap; ``NO_SOLUTION`` only when step 3 found nothing in its time.

Guarantee: every answer with a solution is feasible for the full model (it passed
:func:`~munigrid.models.dispatch.polish.is_clean`) and its gap is to a bound valid for the full
model. A round is never thrown away: its clean points stay candidates to the end.
Integer block sizes and the fill-in-order binaries of non-convex energy blocks make the problem a
MILP from the start; the LP of step 1 is its relaxation and the block binaries of a start are
rebuilt from its period energies (:mod:`~munigrid.models.dispatch.block_fill`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from munigrid.models.dispatch.bill_floor import BINDING_THB, completed, has_bill_floor, with_bill_floor, without_bill_floor
from munigrid.models.dispatch.block_fill import filled_blocks
from munigrid.models.dispatch.cuts import with_outage_start_cuts
from munigrid.models.dispatch.crash import zone_crash
from munigrid.models.dispatch.cycling import least_throughput, repair_idle_cycling
from munigrid.models.dispatch.highs_backend import HighsOutcome, run_highs
from munigrid.models.dispatch.layout import ModelData
from munigrid.models.dispatch.neighbourhood import neighbourhood_start
from munigrid.models.dispatch.polish import (FRACTIONAL, battery_shape, fractional_on_off, full_model, is_clean,
                                             polished, simultaneous_steps, values)
from munigrid.models.dispatch.problem import SolveOptions, SolveStatus
from munigrid.models.dispatch.standard_form import StandardForm, compile_instance

MAX_ROUNDS = 6
FINISH_S = 1.0
POLISH_LPS = 3  # time kept back from a MILP for polishing its answer while there is no incumbent, in LP solve times
FULL_MODEL_LPS = 10  # least time left for the full model after the rounds, in LP solve times


@dataclass
class StrategyOutcome:
    """Final solver outcome with the instance it belongs to."""

    outcome: HighsOutcome
    data: ModelData
    form: StandardForm
    n_binaries: int
    timings: dict[str, float]
    floor_rows_solved: bool = False  # step 0: the model was solved with its bill-floor rows


@dataclass
class WarmStart:
    """The optimal basis of the last relaxation (step 1) of a run, carried to the next run of an LP of
    the same shape and costs with other bounds (consecutive project years): its dual simplex starts
    there. ``basis`` is None before the first run; each run replaces it with its own."""

    basis: object | None = None


@dataclass
class _Incumbent:
    x: np.ndarray
    data: ModelData
    form: StandardForm
    objective_thb: float


class _Best:
    """The cheapest clean point offered and the largest valid bound (module docstring)."""

    def __init__(self):
        self.incumbent: _Incumbent | None = None
        self.bound = -math.inf

    def offer(self, x: np.ndarray | None, data: ModelData, form: StandardForm) -> None:
        if not is_clean(form, data, x):
            return
        objective = form.objective(x)
        if self.incumbent is None or objective < self.incumbent.objective_thb:
            self.incumbent = _Incumbent(x, data, form, objective)

    def raise_bound(self, bound: float) -> None:
        if math.isfinite(bound):
            self.bound = max(self.bound, bound)

    def gap(self) -> float:
        """Relative gap of the incumbent to the bound [-] (NaN without an incumbent)."""
        if self.incumbent is None:
            return math.nan
        objective = self.incumbent.objective_thb
        return max(objective - self.bound, 0.0) / max(abs(objective), 1e-9)

    def proven(self, mip_rel_gap: float) -> bool:
        """True when the incumbent is within ``mip_rel_gap`` of the bound."""
        if self.incumbent is None:
            return False
        objective = self.incumbent.objective_thb
        return objective - self.bound <= mip_rel_gap * abs(objective) + 1e-9 * max(1.0, abs(objective))


def _commitment_steps(data: ModelData) -> np.ndarray:
    """Mask (M, T) of the steps whose on/off becomes binary with the first fractional one.

    The outage steps where a committed generator may run, and the steps of the demand-charge
    windows where it may run with the grid up. The relaxation covers an outage or shaves a peak
    with a thin fraction of the generator spread over many steps; with binaries only where the
    LP was fractional, each MILP answer moves that fraction to steps that are still continuous,
    and every further round starts its root cuts anew (one-year benchmark, generator allowed to
    run with the grid, 30 s: 0.20 % gap with the window steps binary against 0.73 % without).
    """
    may_run = (data.upper["gen_on"] > 0) & data.needs_commitment[:, None]
    steps = may_run & (data.upper["import_kw"] <= 0)
    if "MFKT" in data.sets:
        window = np.zeros(may_run.shape, bool)
        meters, _, _, window_steps = data.sets["MFKT"]
        window[meters, window_steps] = True
        steps |= may_run & window
    return steps


def _with_commitment(data: ModelData, x: np.ndarray) -> tuple[ModelData, bool]:
    """Binary on/off at the steps where a committed generator's on/off is fractional in ``x``,
    and with the first of them at :func:`_commitment_steps`."""
    if "gen_on" not in data.columns.shape:
        return data, False
    on = values(data, x, "gen_on")
    current = np.broadcast_to(np.asarray(data.integer.get("gen_on", False)), on.shape)
    fractional = (np.abs(on - np.round(on)) > FRACTIONAL) & data.needs_commitment[:, None] & ~current
    if not fractional.any():
        return data, False
    integer = dict(data.integer)
    integer["gen_on"] = current | fractional | _commitment_steps(data)
    return ModelData(data.columns, data.lower, data.upper, integer, data.params, data.sets, data.dims,
                     data.needs_commitment), True


def exclusive_mask(data: ModelData) -> np.ndarray:
    """Mask (M, N, T) of the battery steps that already have a charge/discharge binary."""
    mask = np.zeros(battery_shape(data), bool)
    if "MNT_exclusive" in data.sets:
        mask[data.sets["MNT_exclusive"]] = True
    return mask


def _burning_steps(data: ModelData) -> np.ndarray:
    """Mask (M, N, T) of the battery steps where burning energy can pay: the import price is
    negative, or a committed generator may run (its minimum load may exceed the load).

    Simultaneous charge and discharge there is worth something, so the relaxation keeps it; with
    binaries only where an answer showed it, each round moves it to the next such step (a day of
    negative prices took one round per step). These steps get their binaries with the first one.
    """
    steps = (np.asarray(data.params["import_thb_per_kwh"]) < 0) & (data.upper["import_kw"] > 0)
    if "gen_on" in data.columns.shape:
        steps |= (data.upper["gen_on"] > 0) & data.needs_commitment[:, None]
    return steps[:, None, :] & (np.asarray(data.params["max_power_kw"]) > 0)[:, :, None]


def _with_binaries(data: ModelData, x: np.ndarray) -> ModelData:
    """Step 2's next relaxation: ``data`` with binaries where ``x`` has a defect (``data`` itself when none)."""
    candidate = data
    new_steps = simultaneous_steps(data, x) & ~exclusive_mask(data)
    if new_steps.any():
        candidate = data.with_exclusive_steps(*np.nonzero(exclusive_mask(data) | new_steps | _burning_steps(data)))
    return _with_commitment(candidate, x)[0]


def _mapped(old: ModelData, x: np.ndarray, new: ModelData) -> np.ndarray:
    """``x`` of ``old`` in the columns of ``new``: shared families copied, a new flow direction
    ``charging`` set where the charge is the larger flow, other new families at their lower bound
    clipped into range."""
    parts = []
    for name, shape in new.columns.shape.items():
        if name in old.columns.shape:
            part = values(old, x, name)
        elif name == "charging":
            part = (values(old, x, "charge_kw") >= values(old, x, "discharge_kw")).astype(float)
        else:
            part = np.clip(np.zeros(shape), new.lower[name], new.upper[name])
        parts.append(np.ravel(part))
    return np.concatenate(parts)


def _start(old: ModelData, x: np.ndarray, new: ModelData, form: StandardForm, options: SolveOptions,
           time_limit_s: float) -> tuple[np.ndarray, bool]:
    """MIP start for ``new`` from the solution ``x`` of ``old``, and whether it is a solved one.

    The fix-and-optimise start of :mod:`~munigrid.models.dispatch.neighbourhood` when it applies
    (``True``); otherwise ``x`` mapped to the new columns with on/off rounded up and energy-block
    amounts and binaries rebuilt from the period energies
    (:func:`~munigrid.models.dispatch.block_fill.filled_blocks`).
    """
    mapped = _mapped(old, x, new)
    start = neighbourhood_start(new, form, mapped, options, time_limit_s)
    if start is not None:
        return start, True
    if "gen_on" in new.columns.shape:
        block = new.columns.block("gen_on")
        mapped[block] = (mapped[block] > FRACTIONAL).astype(float)
    return filled_blocks(new, mapped), False


def _repaired(outcome: HighsOutcome, data: ModelData, form: StandardForm) -> HighsOutcome:
    """``outcome`` with idle cycling removed; the objective is recomputed from the new point."""
    if not outcome.status.has_solution:
        return outcome
    x = repair_idle_cycling(data, outcome.x)
    if x is outcome.x:
        return outcome
    return replace(outcome, x=x, objective_thb=form.objective(x))


def _compiled(data: ModelData) -> StandardForm:
    """The standard form of ``data`` with the outage start cuts appended."""
    return with_outage_start_cuts(data, compile_instance(data))


# integer families whose MIP start (filled_blocks, flow direction) is feasible as it stands
_STARTED_FAMILIES = frozenset({"block_is_full", "charging"})


def _sub_mip_default(data: ModelData, options: SolveOptions) -> SolveOptions:
    """``options`` with RINS/RENS off when every integer family (generator on/off included, which
    the rounds make binary later) is one of ``_STARTED_FAMILIES``."""
    if options.sub_mip_heuristics is not None:
        return options
    families = {name for name, mask in data.integer.items() if np.any(mask)}
    if np.any(data.needs_commitment):
        families.add("gen_on")
    return replace(options, sub_mip_heuristics=not families <= _STARTED_FAMILIES)


class _Clock:
    """Seconds left until the deadline, and timings by phase."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.timings = {"build_s": 0.0, "solve_s": 0.0}

    def left_s(self) -> float:
        return self.deadline - time.perf_counter()

    def add(self, key: str, seconds: float, solver: bool = True) -> None:
        self.timings[key] = self.timings.get(key, 0.0) + seconds
        if solver:
            self.timings["solve_s"] += seconds


def _relaxation(data: ModelData, form: StandardForm, options: SolveOptions, clock: _Clock,
                warm: WarmStart | None = None) -> HighsOutcome:
    """Step 1: the LP, idle cycling repaired, least throughput among its optima (when the LP has no
    other defect and no integer column, so that it may be the answer; otherwise the rounds and the
    polish remove the cycling, and the second LP, several times the first at year scale, is saved).
    With ``warm``, the LP starts from its basis (else from the zone crash) and leaves its own there."""
    limit = replace(options, time_limit_s=max(clock.left_s(), 1e-3))
    lp = run_highs(form, limit, relax=True, crash=zone_crash(data, form),
                   dual_basis=None if warm is None else warm.basis)
    if warm is not None and lp.basis is not None:
        warm.basis = lp.basis
    first = _repaired(lp, data, form)
    if first.status.has_solution and simultaneous_steps(data, first.x).any() and not form.integer.any() \
            and not fractional_on_off(data, first.x).any():
        first = _repaired(least_throughput(form, data, limit, first), data, form)
    clock.add("lp_s", first.solve_s)
    return first


def _round(current: ModelData, x: np.ndarray, candidate: ModelData, best: _Best, options: SolveOptions,
           sub_mip_requested: bool | None, clock: _Clock) -> tuple[HighsOutcome, StandardForm]:
    """One MILP of step 2 over ``candidate`` from the point ``x`` of ``current``; offers its start
    and answer (polished if needed) to ``best`` and raises its bound."""
    tic = time.perf_counter()
    form = _compiled(candidate)
    clock.add("build_s", time.perf_counter() - tic, solver=False)
    tic = time.perf_counter()
    start, solved_start = _start(current, x, candidate, form, options, max(clock.left_s(), 0.0) / 2)
    best.offer(start, candidate, form)
    if best.incumbent is not None and best.incumbent.objective_thb < form.objective(start) - 1e-9:
        start = _mapped(best.incumbent.data, best.incumbent.x, candidate)
    clock.add("start_s", time.perf_counter() - tic)
    reserve_s = 0.0 if best.incumbent is not None else \
        min(POLISH_LPS * clock.timings.get("lp_s", 0.0), 0.2 * max(clock.left_s(), 0.0))
    mip_options = replace(options, time_limit_s=max(clock.left_s() - reserve_s, 1e-3))
    if solved_start and sub_mip_requested is None:
        mip_options = replace(mip_options, sub_mip_heuristics=False)
    outcome = _repaired(run_highs(form, mip_options, start=start), candidate, form)
    clock.add("milp_s", outcome.solve_s)
    if outcome.status.has_solution:
        best.raise_bound(outcome.bound)
        best.offer(outcome.x, candidate, form)
        if not is_clean(form, candidate, outcome.x):
            _polish_into(best, candidate, form, outcome.x, options, clock, clock.left_s() + FINISH_S)
    return outcome, form


def _polish_into(best: _Best, data: ModelData, form: StandardForm, x: np.ndarray, options: SolveOptions,
                 clock: _Clock, time_limit_s: float) -> None:
    tic = time.perf_counter()
    answer = polished(data, form, x, options, time_limit_s)
    clock.add("polish_s", time.perf_counter() - tic)
    if answer is not None:
        best.offer(answer.x, data, form)


def solve_strategy(data: ModelData, options: SolveOptions, deadline: float | None = None,
                   warm: WarmStart | None = None) -> StrategyOutcome:
    """Run steps 0-4 of the module docstring; ``deadline`` is a ``time.perf_counter()`` value
    (default: ``options.time_limit_s`` from now); ``warm``: see :class:`WarmStart` (first relaxation only)."""
    clock = _Clock(time.perf_counter() + options.time_limit_s if deadline is None else deadline)
    if not has_bill_floor(data):
        return _steps(data, options, clock, _Best(), warm)
    run = _steps(without_bill_floor(data), options, clock, _Best(), warm)
    if not run.outcome.status.has_solution:
        return run  # the floor rows cannot make a problem feasible, nor find a point the relaxation missed
    tic = time.perf_counter()
    answer_data = with_bill_floor(run.data, data)
    x, adjustment_thb = completed(answer_data, run.outcome.x)
    answer_form = _compiled(answer_data)
    clock.add("floor_check_s", time.perf_counter() - tic, solver=False)
    if adjustment_thb <= BINDING_THB:  # optimal with the rows too: same objective, same bound
        outcome = replace(run.outcome, x=x, objective_thb=answer_form.objective(x))
        return StrategyOutcome(outcome, answer_data, answer_form, run.n_binaries, clock.timings)
    best = _Best()
    best.raise_bound(run.outcome.bound)
    best.offer(x, answer_data, answer_form)
    return replace(_steps(data, options, clock, best), floor_rows_solved=True)


def _steps(data: ModelData, options: SolveOptions, clock: _Clock, best: _Best,
           warm: WarmStart | None = None) -> StrategyOutcome:
    """Steps 1-4 on ``data``; ``best`` may already hold an incumbent and a bound (step 0); ``warm``
    for the relaxation."""
    sub_mip_requested = options.sub_mip_heuristics
    options = _sub_mip_default(data, options)
    tic = time.perf_counter()
    form = _compiled(data)
    clock.add("build_s", time.perf_counter() - tic, solver=False)
    outcome = _relaxation(data, form, options, clock, warm)
    if outcome.status in (SolveStatus.INFEASIBLE, SolveStatus.UNBOUNDED, SolveStatus.ERROR):
        return StrategyOutcome(outcome, data, form, 0, clock.timings)
    current, last_form = data, form
    if outcome.status.has_solution:
        best.raise_bound(outcome.bound)
        best.offer(outcome.x, data, form)
        for round_no in range(MAX_ROUNDS):
            if best.proven(options.mip_rel_gap) or clock.left_s() <= 0:
                break
            candidate = _with_binaries(current, outcome.x)
            if candidate is current and (round_no > 0 or not form.integer.any()):
                break  # nothing left to make binary (defects only within tolerances)
            outcome, last_form = _round(current, outcome.x, candidate, best, options, sub_mip_requested, clock)
            current = candidate
            if outcome.status in (SolveStatus.INFEASIBLE, SolveStatus.UNBOUNDED):
                return StrategyOutcome(outcome, current, last_form, int(last_form.integer.sum()), clock.timings)
            if not outcome.status.has_solution:
                break
        if not best.proven(options.mip_rel_gap) and clock.left_s() > FULL_MODEL_LPS * clock.timings["lp_s"]:
            _full_model_round(best, data, options, clock, clock.left_s())
    _finish(best, data, current, last_form, outcome, options, clock)
    return _answer(best, current, last_form, outcome, clock, options.mip_rel_gap)


def _finish(best: _Best, data: ModelData, current: ModelData, form: StandardForm, outcome: HighsOutcome,
            options: SolveOptions, clock: _Clock) -> None:
    """Step 3: a last polish and, if still nothing, the full model, within ``FINISH_S`` after the deadline."""
    if best.incumbent is not None:
        return
    finish_by = clock.deadline + FINISH_S
    if outcome.status.has_solution:
        _polish_into(best, current, form, outcome.x, options, clock, finish_by - time.perf_counter())
    budget_s = finish_by - time.perf_counter()
    if best.incumbent is None and budget_s > FULL_MODEL_LPS * clock.timings.get("lp_s", 0.0):
        _full_model_round(best, data, options, clock, budget_s)


def _full_model_round(best: _Best, data: ModelData, options: SolveOptions, clock: _Clock, time_limit_s: float) -> None:
    """The full model as a MILP from the incumbent (if any) within ``time_limit_s``: its answer is
    offered and its bound raises the bound (steps 2 and 3 of the module docstring)."""
    tic = time.perf_counter()
    full = full_model(data)
    form = _compiled(full)
    start = None if best.incumbent is None else _mapped(best.incumbent.data, best.incumbent.x, full)
    answer = run_highs(form, replace(options, time_limit_s=time_limit_s), start=start)
    clock.add("full_model_s", time.perf_counter() - tic)
    if answer.status.has_solution:
        best.raise_bound(answer.bound)
        best.offer(answer.x, full, form)


def _answer(best: _Best, current: ModelData, form: StandardForm, last: HighsOutcome, clock: _Clock,
            mip_rel_gap: float) -> StrategyOutcome:
    """Step 4: the incumbent as an outcome (or ``NO_SOLUTION`` with the last form)."""
    incumbent = best.incumbent
    if incumbent is None:
        status = SolveStatus.NO_SOLUTION if last.status in (SolveStatus.NO_SOLUTION, SolveStatus.OPTIMAL,
                                                            SolveStatus.FEASIBLE) else last.status
        failed = HighsOutcome(status, None, math.nan, best.bound, math.nan, clock.timings["solve_s"])
        return StrategyOutcome(failed, current, form, int(form.integer.sum()), clock.timings)
    status = SolveStatus.OPTIMAL if best.proven(mip_rel_gap) else SolveStatus.FEASIBLE
    outcome = HighsOutcome(status, incumbent.x, incumbent.objective_thb, best.bound, best.gap(),
                           clock.timings["solve_s"])
    return StrategyOutcome(outcome, incumbent.data, incumbent.form, int(incumbent.form.integer.sum()), clock.timings)
