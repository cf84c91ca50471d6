r"""Two-stage sizing over sampled years: one size for all samples, one dispatch per sample.

Sample :math:`s = 1..S` is a copy of the site's meters with its own load and PV (same tariffs,
assets and sizing bounds). Each copy is laid out and compiled as usual
(:func:`~munigrid.models.dispatch.layout.build_model_data`,
:func:`~munigrid.models.dispatch.standard_form.compile_instance`); this module adds, on the
compiled standard form, the rows and columns that make the copies one decision:

* ``size_shared``: every size column of copy :math:`s` equals the same column of copy 1,
  :math:`z^{(s)} = z^{(1)}` (PV kWp, battery kWh and kW, generator kW and their whole blocks);
* the objective: the mean over samples of each copy's total cost :math:`C_s(x)` (annualised
  capital of the sizes plus sample :math:`s`'s operating cost over the horizon), plus a
  weighted conditional value at risk of that cost in the Rockafellar-Uryasev form,

.. math::

    \min_{x,\eta,u}\ \frac1S \sum_s C_s(x)
        + \lambda \Big(\eta + \frac{1}{(1-\alpha) S} \sum_s u_s\Big)
    \quad \text{s.t.} \quad u_s \ge C_s(x) - \eta,\ \ u_s \ge 0 \ \ (\texttt{cvar\_excess}),

  and optionally ``cvar_limit``: :math:`\eta + \frac{1}{(1-\alpha)S}\sum_s u_s \le \bar K`. At the
  optimum the bracket is :math:`\mathrm{CVaR}_\alpha`, the mean of the worst :math:`1-\alpha`
  share of the sample costs. The limit is the convex, conservative form of a budget on the
  :math:`\alpha` quantile (``P90`` at :math:`\alpha = 0.9`): :math:`\mathrm{VaR}_\alpha \le \mathrm{CVaR}_\alpha`.

Each copy's constant cost (fixed charges, installed capital) is the same in every copy, so
:math:`C_s(x) = c_s^\top x + c_0 / S` with :math:`c_s` the cost vector restricted to copy
:math:`s`'s columns (every column family is indexed by meter first). A budget and a CO2 cap are
per copy (scaled by :math:`S` for the merged rows); the self-sufficiency and renewable targets
hold for the samples pooled.

Two methods solve it. **Decomposed** (the default where the problem splits by sample: no integer
columns, no pooled target): the L-shaped method of :mod:`~munigrid.models.dispatch.two_stage_decomposed`
over each sample's year LP at given sizes (:mod:`~munigrid.models.dispatch.two_stage_sample`), in
worker processes; it stops at ``mip_rel_gap`` and reports its lower bound. **Monolithic** (the
rest, or on request): the merged form above, one LP for every sample.

The monolithic problem is solved with HiGHS as an LP, or a MILP with a committed generator's on/off binary
at every step it may run (and integer size blocks); simultaneous charge and discharge that the
idle-cycling repair cannot remove get charge/discharge binaries at those steps and the problem
is solved again (at most ``MAX_ROUNDS`` times).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from munigrid.models.dispatch import results
from munigrid.models.dispatch.cuts import with_outage_start_cuts
from munigrid.models.dispatch.cycling import repair_idle_cycling
from munigrid.models.dispatch.highs_backend import run_highs
from munigrid.models.dispatch.layout import ModelData, build_model_data
from munigrid.models.dispatch.polish import simultaneous_steps
from munigrid.models.dispatch.problem import DispatchProblem, Meter, SizingEconomics, Sizes, SolveOptions, SolveStatus
from munigrid.models.dispatch.standard_form import StandardForm, compile_instance
from munigrid.models.dispatch.strategy import exclusive_mask
from munigrid.models.dispatch.two_stage_decomposed import l_shaped
from munigrid.models.dispatch.two_stage_risk import cvar, risk_value
from munigrid.models.dispatch.two_stage_sample import SIZE_FAMILIES, committed, size_columns, worker_count
from munigrid.models.dispatch.validate import check
from munigrid.models.errors import InputError, Problem

__all__ = ["METHODS", "RiskTerms", "TwoStageResult", "cvar", "two_stage_sizing"]

MAX_ROUNDS = 4
#: Methods of :func:`two_stage_sizing`.
METHODS = ("auto", "decomposed", "monolithic")
#: Meter-steps of one sample from which its LPs go to worker processes (a year of one meter, hourly).
PARALLEL_MIN_STEPS = 8760


@dataclass(frozen=True)
class RiskTerms:
    r"""The CVaR part of the objective and the optional limit.

    Parameters
    ----------
    cvar_weight : float
        :math:`\lambda \ge 0` [-].
    cvar_alpha_frac : float
        :math:`\alpha \in (0, 1)` [-]: CVaR is the mean of the worst :math:`1 - \alpha` share.
    cvar_limit_thb : float or None
        :math:`\bar K` [THB over the horizon]: upper bound on :math:`\mathrm{CVaR}_\alpha` of the cost.
    """

    cvar_weight: float = 0.0
    cvar_alpha_frac: float = 0.9
    cvar_limit_thb: float | None = None


@dataclass
class TwoStageResult:
    """Outcome of :func:`two_stage_sizing`.

    Attributes
    ----------
    status : SolveStatus
    objective_thb : float
        Expected cost plus the weighted CVaR [THB over the horizon].
    sizes : dict of Sizes
        Per meter name (the names of the first sample's meters).
    sample_cost_thb : ndarray, shape (S,)
        :math:`C_s` [THB]: annualised capital plus each sample's operating cost.
    timings : dict
        ``build_s``, ``solve_s``, ``total_s`` [s]; ``rounds`` (monolithic); ``master_s``,
        ``iterations``, ``workers`` (decomposed).
    bound_thb : float
        Lower bound of the objective [THB over the horizon]: the master LP's (decomposed) or the solver's.
    method : str
        ``decomposed`` or ``monolithic``: how the answer was found.
    """

    status: SolveStatus
    objective_thb: float = math.nan
    sizes: dict[str, Sizes] | None = None
    sample_cost_thb: np.ndarray | None = None
    timings: dict | None = None
    bound_thb: float = math.nan
    method: str = "monolithic"

    @property
    def expected_cost_thb(self) -> float:
        """Mean of the sample costs [THB]."""
        return float(np.mean(self.sample_cost_thb))


def _merged_problem(samples: list[list[Meter]], step_h: float, options: SolveOptions,
                    economics: SizingEconomics) -> DispatchProblem:
    """One problem holding every sample's meters (names ``<meter>#<sample>``), budget and CO2 cap per copy,
    ``time_limit_s`` per sample."""
    n = len(samples)
    meters = [replace(m, name=f"{m.name}#{s}") for s, group in enumerate(samples) for m in group]
    scaled = replace(economics, budget_thb=None if economics.budget_thb is None else economics.budget_thb * n,
                     max_co2_kg=None if economics.max_co2_kg is None else economics.max_co2_kg * n)
    return DispatchProblem(step_h=step_h, meters=meters, economics=scaled,
                           options=replace(options, mode="sizing", time_limit_s=options.time_limit_s * n))


def _check_samples(samples: list[list[Meter]], risk: RiskTerms, method: str) -> None:
    problems = []
    if method not in METHODS:
        problems.append(Problem("method", f"must be one of {', '.join(METHODS)}, got {method!r}"))
    if not samples or any(len(g) != len(samples[0]) or [m.name for m in g] != [m.name for m in samples[0]]
                          for g in samples):
        problems.append(Problem("samples", "give at least one sample, each with the same meters in the same order"))
    if not (np.isfinite(risk.cvar_weight) and risk.cvar_weight >= 0):
        problems.append(Problem("cvar_weight", f"must be a finite number >= 0, got {risk.cvar_weight!r}"))
    if not 0.0 < risk.cvar_alpha_frac < 1.0:
        problems.append(Problem("cvar_alpha_frac", f"must be in (0, 1), got {risk.cvar_alpha_frac!r}"))
    if risk.cvar_limit_thb is not None and not np.isfinite(risk.cvar_limit_thb):
        problems.append(Problem("cvar_limit_thb", f"must be a finite number, got {risk.cvar_limit_thb!r}"))
    if problems:
        raise InputError(problems)


def _sample_of_column(data: ModelData, meters_per_sample: int) -> np.ndarray:
    """Sample index of every column (each family's first axis is the meter)."""
    parts = [np.repeat(np.arange(shape[0]) // meters_per_sample, int(np.prod(shape[1:], dtype=np.int64)))
             for shape in data.columns.shape.values()]
    return np.concatenate(parts)


def _tie_rows(data: ModelData, n_samples: int, meters_per_sample: int) -> sp.coo_matrix:
    """``size_shared``: rows :math:`z^{(s)} - z^{(1)} = 0` for every size column of every later sample."""
    rows, cols, vals, n_rows = [], [], [], 0
    for name in SIZE_FAMILIES:
        if name not in data.columns.shape:
            continue
        block = np.arange(data.columns.block(name).start, data.columns.block(name).stop)
        per_sample = block.reshape(n_samples, -1)  # meters of sample s are rows s*Mb .. (s+1)*Mb - 1
        for s in range(1, n_samples):
            k = per_sample.shape[1]
            index = n_rows + np.arange(k)
            rows += [index, index]
            cols += [per_sample[s], per_sample[0]]
            vals += [np.ones(k), -np.ones(k)]
            n_rows += k
    if not rows:
        return sp.coo_matrix((0, data.columns.n_cols))
    return sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n_rows, data.columns.n_cols))


def _extended(form: StandardForm, data: ModelData, n_samples: int, meters_per_sample: int,
              risk: RiskTerms | None, fixed_sizes: dict[str, np.ndarray] | None) -> StandardForm:
    """``form`` with the shared sizes, the CVaR columns :math:`\\eta, u_s` and rows, and the objective of the module."""
    n_cols = form.n_cols
    sample = _sample_of_column(data, meters_per_sample)
    ties = _tie_rows(data, n_samples, meters_per_sample)
    const_s = form.offset / n_samples
    blocks = [[form.matrix, None], [ties.tocsc(), None]]
    lower = [form.row_lower, np.zeros(ties.shape[0])]
    upper = [form.row_upper, np.zeros(ties.shape[0])]
    n_extra = 0 if risk is None else 1 + n_samples
    if risk is not None:
        mask = sample[None, :] == np.arange(n_samples)[:, None]
        per_sample_cost = sp.csr_matrix(np.where(mask, form.cost[None, :], 0.0))
        # c_s x - eta - u_s <= -c0/S
        excess = sp.hstack([sp.csr_matrix(-np.ones((n_samples, 1))), -sp.identity(n_samples, format="csr")])
        blocks.append([per_sample_cost, excess])
        lower.append(np.full(n_samples, -np.inf))
        upper.append(np.full(n_samples, -const_s))
        share = 1.0 / ((1.0 - risk.cvar_alpha_frac) * n_samples)
        if risk.cvar_limit_thb is not None:
            blocks.append([sp.csr_matrix((1, n_cols)), sp.csr_matrix(np.r_[1.0, np.full(n_samples, share)][None, :])])
            lower.append(np.array([-np.inf]))
            upper.append(np.array([risk.cvar_limit_thb]))
    if n_extra:
        blocks[0][1] = sp.csr_matrix((form.n_rows, n_extra))
        blocks[1][1] = sp.csr_matrix((ties.shape[0], n_extra))
        matrix = sp.bmat(blocks, format="csc")
    else:
        matrix = sp.vstack([b[0] for b in blocks], format="csc")
    cost = form.cost / n_samples
    col_lower, col_upper = form.col_lower.copy(), form.col_upper.copy()
    for name, value in (fixed_sizes or {}).items():
        if name not in data.columns.shape:
            continue  # no such asset on any meter
        block = data.columns.block(name)
        col_lower[block] = col_upper[block] = np.tile(np.ravel(value), n_samples)
    if n_extra:
        weight = risk.cvar_weight
        cost = np.concatenate([cost, [weight], np.full(n_samples, weight * share)])
        col_lower = np.concatenate([col_lower, [-np.inf], np.zeros(n_samples)])
        col_upper = np.concatenate([col_upper, np.full(1 + n_samples, np.inf)])
    integer = np.concatenate([form.integer, np.zeros(n_extra, bool)])
    return replace(form, matrix=matrix, row_lower=np.concatenate(lower), row_upper=np.concatenate(upper), cost=cost,
                   offset=form.offset / n_samples, col_lower=col_lower, col_upper=col_upper, integer=integer,
                   row_families=[*form.row_families, ("size_shared", form.n_rows, form.n_rows + ties.shape[0])],
                   cost_parts={})


def two_stage_sizing(samples: list[list[Meter]], step_h: float, *, options: SolveOptions | None = None,
                     economics: SizingEconomics | None = None, risk: RiskTerms | None = None,
                     fixed_sizes: dict[str, np.ndarray] | None = None, method: str = "auto",
                     workers: int | None = None, start_sizes: dict[str, np.ndarray] | None = None) -> TwoStageResult:
    """Size the assets of ``samples[0]``'s meters over all samples at once (module equations).

    Parameters
    ----------
    samples : list of list of Meter
        One list of meters per sampled year, same meters (names, assets, tariffs) in each.
    step_h : float
        Step [h].
    options : SolveOptions, optional
        Solver settings (the mode is sizing). ``time_limit_s`` holds per sample; the decomposition
        stops at the relative gap ``mip_rel_gap``.
    economics : SizingEconomics, optional
        Discount rate, budget and targets (a budget and a CO2 cap hold for each sample).
    risk : RiskTerms, optional
        CVaR weight and limit; None: expected cost only.
    fixed_sizes : dict, optional
        Size families fixed at these values (per meter of one sample, e.g. ``{"battery_kwh": [200, 0]}``):
        evaluates a given design on the samples.
    method : {"auto", "decomposed", "monolithic"}
        ``decomposed``: the L-shaped method (:mod:`~munigrid.models.dispatch.two_stage_decomposed`);
        ``monolithic``: one LP over every sample; ``auto``: decomposed unless the problem does not
        split by sample (integer columns, pooled targets, a sample LP infeasible at some sizes).
    workers : int, optional
        Processes for the sample LPs of the decomposition (default: the CPUs this process may use
        for samples of a meter-year or more, else 1).
    start_sizes : dict, optional
        A guess of the sizes, as ``fixed_sizes`` (e.g. the sizing of a typical year): the first point
        of the decomposition when it keeps the budget; without it, samples are sized on their own first.

    Returns
    -------
    TwoStageResult
    """
    tic = time.perf_counter()
    options = options or SolveOptions(mode="sizing")
    economics = economics or SizingEconomics()
    _check_samples(samples, risk or RiskTerms(), method)
    problem = _merged_problem(samples, step_h, options, economics)
    check(problem)
    if method != "monolithic":
        result, splits = _decomposed(samples, step_h, options, economics, _risk_used(risk), fixed_sizes,
                                     _workers(samples) if workers is None else max(1, int(workers)), start_sizes)
        if result is not None:
            result.timings["total_s"] = time.perf_counter() - tic
            return result
        if method == "decomposed":
            raise InputError(Problem("method", f"the problem does not split by sample: {splits}; use auto or "
                                               "monolithic"))
    return _monolithic(samples, problem, _risk_used(risk), fixed_sizes, tic)


def _workers(samples: list[list[Meter]]) -> int:
    """Default processes: one per CPU for samples of at least ``PARALLEL_MIN_STEPS`` meter-steps, else 1
    (starting a process costs more than solving a small LP)."""
    meter_steps = sum(len(m.load_kw) for m in samples[0])
    return worker_count(len(samples)) if meter_steps >= PARALLEL_MIN_STEPS else 1


def _risk_used(risk: RiskTerms | None) -> RiskTerms | None:
    """``risk`` when it changes the problem (a weight or a limit), else None."""
    return risk if risk is not None and (risk.cvar_weight > 0 or risk.cvar_limit_thb is not None) else None


def _decomposed(samples: list[list[Meter]], step_h: float, options: SolveOptions, economics: SizingEconomics,
                risk: RiskTerms | None, fixed_sizes: dict | None, workers: int,
                start_sizes: dict | None) -> tuple[TwoStageResult | None, str | None]:
    """The L-shaped method; (None, why) when the problem does not split by sample."""
    first = DispatchProblem(step_h=step_h, meters=samples[0], economics=economics,
                            options=replace(options, mode="sizing"))
    data = build_model_data(first)
    columns = size_columns(data)
    outcome = l_shaped(samples, step_h, options, economics, risk, _fixed_positions(data, fixed_sizes), workers,
                       options.mip_rel_gap, _fixed_positions(data, start_sizes, "start_sizes"))
    if outcome.splits:
        return None, outcome.splits
    timings = {**(outcome.timings or {}), "iterations": outcome.iterations, "workers": workers,
               "cycling_samples": len(outcome.cycling or [])}
    if not outcome.status.has_solution:
        return TwoStageResult(outcome.status, bound_thb=outcome.bound_thb, timings=timings, method="decomposed"), None
    x = np.zeros(data.columns.n_cols)
    x[columns] = outcome.sizes
    sized = results.sizes(first, data, x)
    costs, status = outcome.sample_cost_thb.copy(), outcome.status
    if outcome.cycling:  # dispatch those samples again with charge/discharge binaries, sizes kept
        fixed = {name: x[data.columns.block(name)].reshape(data.columns.shape[name]) for name in SIZE_FAMILIES
                 if name in data.columns.shape}
        for s in outcome.cycling:
            priced = _monolithic([samples[s]], _merged_problem([samples[s]], step_h, options, economics), None, fixed,
                                 time.perf_counter())
            costs[s] = priced.sample_cost_thb[0] if priced.status.has_solution else math.nan
        status = SolveStatus.FEASIBLE
    weight, alpha = (risk.cvar_weight, risk.cvar_alpha_frac) if risk is not None else (0.0, 0.9)
    return TwoStageResult(status, risk_value(costs, weight, alpha), sized, costs, timings,
                          bound_thb=outcome.bound_thb, method="decomposed"), None


def _fixed_positions(data: ModelData, fixed_sizes: dict | None, what: str = "fixed_sizes") -> dict[int, float]:
    """``fixed_sizes`` (family -> value per meter) as position in the size vector -> value."""
    fixed, offset = {}, 0
    for name in SIZE_FAMILIES:
        if name not in data.columns.shape:
            continue
        shape = data.columns.shape[name]
        n = int(np.prod(shape))
        if name in (fixed_sizes or {}):
            values = np.ravel(fixed_sizes[name]).astype(float)
            if values.size != n:
                raise InputError(Problem(f"{what}.{name}", f"needs {n} values (shape {tuple(shape)}: meter x "
                                                           f"slot), got {values.size}"))
            fixed.update(zip(range(offset, offset + n), values))
        offset += n
    return fixed


def _monolithic(samples: list[list[Meter]], problem: DispatchProblem, risk_used: RiskTerms | None,
                fixed_sizes: dict | None, tic: float) -> TwoStageResult:
    """One LP (MILP with binaries) over every sample (module equations)."""
    n_samples, per_sample = len(samples), len(samples[0])
    data = committed(build_model_data(problem))
    timings = {"build_s": 0.0, "solve_s": 0.0, "rounds": 0}
    for round_no in range(MAX_ROUNDS):
        build = time.perf_counter()
        form = with_outage_start_cuts(data, compile_instance(data))
        extended = _extended(form, data, n_samples, per_sample, risk_used, fixed_sizes)
        timings["build_s"] += time.perf_counter() - build
        outcome = run_highs(extended, problem.options)
        timings["solve_s"] += outcome.solve_s
        timings["rounds"] += 1
        if not outcome.status.has_solution:
            timings["total_s"] = time.perf_counter() - tic
            return TwoStageResult(outcome.status, timings=timings)
        x = repair_idle_cycling(data, outcome.x[:form.n_cols])
        cycling = simultaneous_steps(data, x)
        if not cycling.any() or round_no == MAX_ROUNDS - 1:
            break
        data = data.with_exclusive_steps(*np.nonzero(cycling | exclusive_mask(data)))
    sample = _sample_of_column(data, per_sample)
    sample_cost = np.array([float(np.sum(np.where(sample == s, form.cost * x, 0.0))) for s in range(n_samples)])
    sample_cost += form.offset / n_samples
    weight, alpha = (risk_used.cvar_weight, risk_used.cvar_alpha_frac) if risk_used is not None else (0.0, 0.9)
    sized = results.sizes(problem, data, x)
    names = [m.name for m in samples[0]]
    status = outcome.status if not cycling.any() else SolveStatus.FEASIBLE
    timings["total_s"] = time.perf_counter() - tic
    return TwoStageResult(status, risk_value(sample_cost, weight, alpha), {n: sized[f"{n}#0"] for n in names},
                          sample_cost, timings, bound_thb=outcome.bound, method="monolithic")
