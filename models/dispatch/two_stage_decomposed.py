r"""Two-stage sizing by the L-shaped method (Benders decomposition, one cut per sample).

The two-stage LP of :mod:`munigrid.models.dispatch.two_stage` is, with the sizes :math:`z` shared and
:math:`Q_s(z)` the cost of sample :math:`s` at those sizes (:mod:`~munigrid.models.dispatch.two_stage_sample`),

.. math::

    \min_{z \in Z}\ F(z) = \frac1S \sum_s Q_s(z) + \lambda\,\mathrm{CVaR}_\alpha\big(Q_1(z), \dots, Q_S(z)\big),

:math:`Z` the size bounds and the rows that hold sizes only (budget, battery power per energy). Each
:math:`Q_s` is convex and piecewise linear, so the **master** LP replaces it by the largest of its
cuts, :math:`\theta_s \ge Q_s(z_k) + g_{s,k}^\top (z - z_k)` for every point :math:`z_k` tried, and
keeps CVaR in the Rockafellar-Uryasev form with its own columns:

.. math::

    \min_{z \in Z,\,\theta,\,\eta,\,u \ge 0}\ \frac1S \sum_s \theta_s
        + \lambda\Big(\eta + \frac{1}{(1-\alpha)S}\sum_s u_s\Big)
    \quad \text{s.t.} \quad u_s \ge \theta_s - \eta,\ \ \text{cuts},
    \ \ [\,\eta + \tfrac{1}{(1-\alpha)S}\textstyle\sum_s u_s \le \bar K\,].

Its optimum is a lower bound of the two-stage optimum (the cuts under-estimate every :math:`Q_s`, the
objective does not decrease in any :math:`\theta_s`); :math:`F(z_k)`, at a point whose CVaR keeps the
limit, is an upper bound. From the cheapest sizes in :math:`Z` (the first point), each iteration solves
every sample at the master's sizes (in parallel, each LP warm from its last basis), adds the cuts and
re-solves the master, until the best upper bound is within ``rel_gap`` of the lower bound
(:math:`F^{best} - \underline F \le \varepsilon \max(1, |F^{best}|)`). The answer is the best point with
its bound. With :math:`Q_s` polyhedral the method ends after finitely many iterations.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import highspy
import numpy as np

from munigrid.models.dispatch.highs_backend import _status as status_of
from munigrid.models.dispatch.problem import Meter, SizingEconomics, SolveOptions, SolveStatus
from munigrid.models.dispatch.two_stage_risk import cvar, risk_value
from munigrid.models.dispatch.two_stage_sample import Answer, SamplePool, Structure

#: Upper bound on master iterations (each solves every sample once).
MAX_ITERATIONS = 500
#: First trust-region radius, as a share of each size's range [-].
START_FRAC = 0.02
#: Time after the deadline for re-solving the samples at the best point [s].
FINISH_S = 60.0
LOG = logging.getLogger(__name__)


@dataclass
class Decomposed:
    """Outcome of :func:`l_shaped`.

    Attributes
    ----------
    status : SolveStatus
    sizes : ndarray or None
        The best point :math:`z` [kWp, kWh, kW, blocks], size columns in
        :data:`~munigrid.models.dispatch.two_stage_sample.SIZE_FAMILIES` order.
    objective_thb, bound_thb : float
        :math:`F` at that point and the master's lower bound [THB over the horizon].
    sample_cost_thb : ndarray or None
        :math:`Q_s` at that point, idle cycling repaired [THB].
    cycling : list of int
        Samples whose schedule still charges and discharges at once.
    iterations : int
    timings : dict
        ``build_s`` (worker start, layout, compile), ``start_s`` (samples sized on their own), ``solve_s``
        (sample LPs, the slowest of each iteration), ``master_s``, ``schedules_s`` (final schedules),
        ``worker_cpu_s`` (CPU time of the worker processes, 0 without them) [s].
    splits : str or None
        Why the problem was not decomposed (then nothing else is set).
    """

    status: SolveStatus
    sizes: np.ndarray | None = None
    objective_thb: float = math.nan
    bound_thb: float = math.nan
    sample_cost_thb: np.ndarray | None = None
    cycling: list | None = None
    iterations: int = 0
    timings: dict | None = None
    splits: str | None = None


class TrustRegion:
    r"""Box around the best point so far (the *centre*) that the next point stays in.

    A step to :math:`z` is taken (the centre moves) when :math:`F` falls by at least ``ACCEPT_FRAC`` of
    what the master predicted; the box then doubles if the step reached its edge. A step that makes
    :math:`F` worse halves the box. The box is a share ``radius_frac`` of each size's range (of
    ``DEFAULT_SCALE`` for a size without an upper bound). It only steers which points are tried:
    the lower bound comes from the master without the box, so the stopping test is unchanged.
    """

    MIN_FRAC = 1e-4
    ACCEPT_FRAC = 0.1
    DEFAULT_SCALE = 100.0

    def __init__(self, lower: np.ndarray, upper: np.ndarray, centre: np.ndarray, radius_frac: float, enabled: bool):
        self.lower, self.upper, self.enabled = lower, upper, enabled
        span = upper - lower
        self.scale = np.where(np.isfinite(span) & (span > 0), span, self.DEFAULT_SCALE)
        self.centre, self.value = centre, math.inf
        self.radius_frac = radius_frac
        self.predicted = math.nan

    def box(self) -> tuple[np.ndarray, np.ndarray]:
        """Bounds of the sizes for the next point."""
        step = self.radius_frac * self.scale
        return np.maximum(self.lower, self.centre - step), np.minimum(self.upper, self.centre + step)

    def update(self, z: np.ndarray, value: float) -> None:
        """Take or refuse the step to ``z`` whose objective is ``value`` [THB]."""
        if not math.isfinite(self.value):
            self.centre, self.value = z, value
            return
        predicted = self.value - self.predicted
        if predicted > 0 and self.value - value >= self.ACCEPT_FRAC * predicted:
            at_edge = np.any(np.abs(z - self.centre) >= 0.99 * self.radius_frac * self.scale)
            self.centre, self.value = z, value
            if at_edge:
                self.radius_frac = min(1.0, 2.0 * self.radius_frac)
        elif value > self.value:
            self.radius_frac = max(self.MIN_FRAC, 0.5 * self.radius_frac)


class Master:
    """The master LP (module equations), kept in HiGHS; cuts are added as rows.

    Columns: :math:`z` (Z), :math:`\\theta` (S), then :math:`\\eta, u` (1 + S) when there is a risk term.
    """

    def __init__(self, lower: np.ndarray, upper: np.ndarray, structures: list[Structure], n_samples: int,
                 risk, threads: int):
        n_z, n_s = len(lower), n_samples
        self.n_z, self.n_s = n_z, n_s
        with_risk = risk is not None
        share = 1.0 / ((1.0 - risk.cvar_alpha_frac) * n_s) if with_risk else 0.0
        cost = np.concatenate([np.zeros(n_z), np.full(n_s, 1.0 / n_s)])
        col_lower = np.concatenate([lower, np.full(n_s, -np.inf)])
        col_upper = np.concatenate([upper, np.full(n_s, np.inf)])
        if with_risk:
            cost = np.concatenate([cost, [risk.cvar_weight], np.full(n_s, risk.cvar_weight * share)])
            col_lower = np.concatenate([col_lower, [-np.inf], np.zeros(n_s)])
            col_upper = np.concatenate([col_upper, np.full(1 + n_s, np.inf)])
        h = highspy._Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", int(threads))
        h.addVars(len(cost), _f64(col_lower), _f64(col_upper))
        h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), _f64(cost))
        self._highs = h
        size_rows, row_lower, row_upper = _unique_rows(structures)
        self._size_rows = (size_rows, row_lower, row_upper)
        for row, lo, up in zip(size_rows, row_lower, row_upper):
            self._add_row(np.flatnonzero(row), row[row != 0], lo, up)
        if with_risk:  # theta_s - eta - u_s <= 0
            eta = n_z + n_s
            for s in range(n_s):
                self._add_row(np.array([n_z + s, eta, eta + 1 + s]), np.array([1.0, -1.0, -1.0]), -np.inf, 0.0)
            if risk.cvar_limit_thb is not None:
                self._add_row(np.arange(eta, eta + 1 + n_s), np.r_[1.0, np.full(n_s, share)], -np.inf,
                              risk.cvar_limit_thb)

    def _add_row(self, index: np.ndarray, value: np.ndarray, lower: float, upper: float) -> None:
        self._highs.addRow(float(lower), float(upper), len(index), index.astype(np.int32), _f64(value))

    def holds(self, z: np.ndarray, tolerance: float = 1e-7) -> bool:
        """True when ``z`` keeps the size-only rows (within ``tolerance`` relative)."""
        rows, lower, upper = self._size_rows
        if not len(rows):
            return True
        value = rows @ z
        slack = tolerance * np.maximum(1.0, np.abs(value))
        return bool(np.all(value >= lower - slack) and np.all(value <= upper + slack))

    def add_cuts(self, z: np.ndarray, answers: list[Answer]) -> None:
        r""":math:`\theta_s - g_s^\top z \ge Q_s(z_k) - g_s^\top z_k` for every answer."""
        for answer in answers:
            g = answer.gradient
            keep = np.flatnonzero(g)
            index = np.r_[keep, self.n_z + answer.sample]
            self._add_row(index, np.r_[-g[keep], 1.0], answer.cost_thb - float(np.sum(g * z)), np.inf)

    def solve(self, lower: np.ndarray, upper: np.ndarray) -> tuple[SolveStatus, float, np.ndarray | None]:
        """Status, optimum [THB] and its point :math:`z` with the sizes held in ``[lower, upper]``."""
        self._highs.changeColsBounds(self.n_z, np.arange(self.n_z, dtype=np.int32), _f64(lower), _f64(upper))
        status, value, x = self._run()
        return status, value, None if x is None else x[:self.n_z]

    def _run(self):
        h = self._highs
        h.run()
        info = h.getInfo()
        status = status_of(h.getModelStatus(), info.primal_solution_status == 2)
        if status is not SolveStatus.OPTIMAL:
            return status, math.nan, None
        return status, float(info.objective_function_value), np.asarray(h.getSolution().col_value)


def _point(lower: np.ndarray, values: dict[int, float]) -> np.ndarray:
    z = lower.copy()
    for column, value in values.items():
        z[column] = value
    return z


def _unique_rows(structures: list[Structure]):
    rows = np.vstack([s.rows for s in structures])
    lower = np.concatenate([s.row_lower for s in structures])
    upper = np.concatenate([s.row_upper for s in structures])
    if not len(rows):
        return rows, lower, upper
    _, first = np.unique(np.column_stack([rows, lower, upper]), axis=0, return_index=True)
    first = np.sort(first)
    return rows[first], lower[first], upper[first]


def _f64(values) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64)


def l_shaped(samples: list[list[Meter]], step_h: float, options: SolveOptions, economics: SizingEconomics,
             risk, fixed: dict[int, float], workers: int, rel_gap: float,
             start: dict[int, float] | None = None) -> Decomposed:
    """Solve the two-stage LP by the L-shaped method (module text).

    Parameters
    ----------
    samples, step_h, options, economics
        As :func:`~munigrid.models.dispatch.two_stage.two_stage_sizing` gets them (economics per sample).
    risk : RiskTerms or None
        None: expected cost only.
    fixed : dict of int to float
        Size column (position in :math:`z`) -> value it is fixed at.
    workers : int
        Processes for the sample LPs.
    rel_gap : float
        :math:`\\varepsilon` [-].
    start : dict of int to float, optional
        First point (size column -> value; the others at their lower bound); used when it lies in
        :math:`Z`, else the first point is the mean of the first sample of each worker sized on its own.

    Returns
    -------
    Decomposed
        ``splits`` set when a sample's LP cannot be a subproblem (the caller solves the whole LP).
    """
    tic = time.perf_counter()
    n_s = len(samples)
    deadline = time.time() + options.time_limit_s * n_s
    timings = {"build_s": 0.0, "solve_s": 0.0, "master_s": 0.0}
    with SamplePool(samples, step_h, options, economics, workers) as pool:
        structures = pool.structures
        splits = next((s.splits for s in structures if s.splits), None)
        if splits:
            return Decomposed(SolveStatus.ERROR, splits=splits)
        lower = np.max([s.lower for s in structures], axis=0)
        upper = np.min([s.upper for s in structures], axis=0)
        for column, value in fixed.items():
            lower[column] = upper[column] = value
        master = Master(lower, upper, structures, n_s, risk, options.threads)
        timings["build_s"] = time.perf_counter() - tic
        z = lower.copy()
        given = np.clip(_point(lower, start), lower, upper) if start else None
        if given is not None and master.holds(given):
            z = given
        elif np.any(lower < upper):  # start from the mean of some samples sized on their own
            starts = pool.sized(lower, upper, deadline)
            if any(a.status is not SolveStatus.OPTIMAL for a in starts):
                return Decomposed(SolveStatus.ERROR, splits="a sample sized on its own has no optimal answer")
            z = np.mean([a.gradient for a in starts], axis=0)
            timings["start_s"] = max(a.solve_s for a in starts)
        region = TrustRegion(lower, upper, z, START_FRAC, enabled=risk is None or risk.cvar_limit_thb is None)
        weight, alpha = (risk.cvar_weight, risk.cvar_alpha_frac) if risk is not None else (0.0, 0.9)
        limit = risk.cvar_limit_thb if risk is not None else None
        best_value, best_z, bound, iterations, last_z = math.inf, None, -math.inf, 0, None
        status = SolveStatus.OPTIMAL
        while iterations < MAX_ITERATIONS:
            iterations += 1
            answers = pool.at(z, deadline)
            last_z = z
            timings["solve_s"] += max(a.solve_s for a in answers)
            failed = next((a.status for a in answers if a.status is not SolveStatus.OPTIMAL), None)
            if failed is not None:
                if failed in (SolveStatus.INFEASIBLE, SolveStatus.UNBOUNDED):
                    return Decomposed(SolveStatus.ERROR, splits=f"a sample's LP is {failed.value} at sizes the "
                                                                "master chose")
                LOG.debug("iteration %d: a sample LP stopped with %s", iterations, failed.value)
                status = failed
                break
            costs = np.array([a.cost_thb for a in answers])
            value = risk_value(costs, weight, alpha)
            keeps_limit = limit is None or cvar(costs, alpha) <= limit + rel_gap * max(1.0, abs(limit))
            if keeps_limit and value < best_value:
                best_value, best_z = value, z
            region.update(z, value)
            master.add_cuts(z, answers)
            master_tic = time.perf_counter()
            master_status, lower_bound, z = master.solve(lower, upper)
            if master_status is SolveStatus.OPTIMAL and region.enabled:
                master_status, predicted, z = master.solve(*region.box())
                region.predicted = predicted
            timings["master_s"] += time.perf_counter() - master_tic
            if master_status is not SolveStatus.OPTIMAL:
                if master_status is SolveStatus.INFEASIBLE:
                    return Decomposed(SolveStatus.INFEASIBLE, iterations=iterations, timings=timings)
                return Decomposed(SolveStatus.ERROR, splits=f"the master LP is {master_status.value}")
            bound = max(bound, lower_bound)
            LOG.debug("iteration %d: F %.9g best %.9g bound %.9g radius %.3g, slowest sample LP %.2f s", iterations,
                      value, best_value, bound, region.radius_frac, max(a.solve_s for a in answers))
            if best_z is not None and best_value - bound <= rel_gap * max(1.0, abs(best_value)):
                break
            if time.time() > deadline:
                status = SolveStatus.FEASIBLE
                break
        if best_z is None:
            return Decomposed(SolveStatus.NO_SOLUTION, bound_thb=bound, iterations=iterations, timings=timings)
        schedules_tic = time.perf_counter()
        if best_z is not last_z:
            again = pool.at(best_z, max(deadline, time.time()) + FINISH_S)
            if any(a.status is not SolveStatus.OPTIMAL for a in again):
                return Decomposed(SolveStatus.NO_SOLUTION, bound_thb=bound, iterations=iterations, timings=timings)
        schedules = pool.schedules(best_z)
    timings["worker_cpu_s"] = pool.worker_cpu_s
    costs = np.array([s.cost_thb for s in schedules])
    gap_met = best_value - bound <= rel_gap * max(1.0, abs(best_value))
    status = SolveStatus.OPTIMAL if gap_met and status is SolveStatus.OPTIMAL else SolveStatus.FEASIBLE
    timings["total_s"] = time.perf_counter() - tic
    timings["schedules_s"] = time.perf_counter() - schedules_tic
    return Decomposed(status, best_z, risk_value(costs, weight, alpha), bound, costs,
                      [s.sample for s in schedules if s.cycling], iterations, timings)
