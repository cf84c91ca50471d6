r"""One sample's year LP at given sizes, kept warm between calls: the subproblem of the L-shaped method.

Sample :math:`s` is laid out and compiled on its own (the meters of one sampled year, the sizing
model of :mod:`munigrid.models.dispatch.layout`), substituted (:mod:`~munigrid.models.dispatch.reduction`)
and handed to HiGHS once. Each call fixes the size columns :math:`z` by their bounds and solves

.. math::

    Q_s(z) = \min_x \{\, c_s^\top x + c_{0,s} : l \le A_s x \le u,\ l^c \le x \le u^c,\ x_Z = z \,\}

(capital of the sizes included). The reduced cost :math:`d_j = c_j - a_j^\top y` of a size column fixed by
its bounds is the derivative of :math:`Q_s` along that column, so :math:`g_s = d_Z` is a subgradient:
:math:`Q_s(z') \ge Q_s(z) + g_s^\top (z' - z)` for every :math:`z'` (``Q_s`` is convex in :math:`z`).
Only bounds change between calls, so HiGHS re-solves from the last optimal basis (dual simplex).

:class:`SamplePool` spreads the samples over worker processes, each holding its samples' HiGHS
models for the whole run (one process per CPU the run may use, one in a daemon process).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
import traceback
from dataclasses import dataclass, replace

import highspy
import numpy as np

from munigrid.models.dispatch.cuts import with_outage_start_cuts
from munigrid.models.dispatch.cycling import repair_idle_cycling
from munigrid.models.dispatch.highs_backend import _status as status_of
from munigrid.models.dispatch.layout import ModelData, build_model_data
from munigrid.models.dispatch.polish import simultaneous_steps
from munigrid.models.dispatch.problem import DispatchProblem, Meter, SizingEconomics, SolveOptions, SolveStatus
from munigrid.models.dispatch.reduction import reduce_form
from munigrid.models.dispatch.standard_form import compile_instance

LOG = logging.getLogger(__name__)
#: Size families shared by every sample (first axis: the meter).
SIZE_FAMILIES = ("pv_kwp", "pv_blocks", "battery_kwh", "battery_kw", "battery_blocks", "gen_rating_kw", "gen_blocks",
                 "store_size_kwh_th")
#: Row families that sum over the whole site: pooled over the samples, so they do not split by sample.
POOLED_FAMILIES = ("self_sufficiency", "renewable_share")


def committed(data: ModelData) -> ModelData:
    """``data`` with binary on/off at every step a committed generator may run."""
    if "gen_on" not in data.columns.shape or not np.any(data.needs_commitment):
        return data
    integer = dict(data.integer)
    integer["gen_on"] = (data.upper["gen_on"] > 0) & np.asarray(data.needs_commitment)[:, None]
    return replace(data, integer=integer)


def size_columns(data: ModelData) -> np.ndarray:
    """Column numbers of the size families, in :data:`SIZE_FAMILIES` order."""
    blocks = [data.columns.block(name) for name in SIZE_FAMILIES if name in data.columns.shape]
    return np.concatenate([np.arange(b.start, b.stop) for b in blocks]) if blocks else np.zeros(0, int)


@dataclass
class Structure:
    """What the master problem needs of one sample.

    Attributes
    ----------
    lower, upper : ndarray
        Bounds of the size columns [kWp, kWh, kW, blocks].
    cost : ndarray
        Cost of the size columns (annualised capital over the horizon) [THB per unit].
    rows : ndarray, shape (R, Z)
        Rows that hold size columns only (budget, battery power per energy), on the size columns.
    row_lower, row_upper : ndarray, shape (R,)
    splits : str or None
        Why the sample's LP cannot be a subproblem (integer columns, a pooled target); None when it can.
    """

    lower: np.ndarray
    upper: np.ndarray
    cost: np.ndarray
    rows: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    splits: str | None


@dataclass
class Answer:
    """:math:`Q_s(z)` and its subgradient, or the status that stopped the solve."""

    sample: int
    status: SolveStatus
    cost_thb: float = float("nan")
    gradient: np.ndarray | None = None
    solve_s: float = 0.0


@dataclass
class Schedule:
    """The sample's answer at the final sizes, idle cycling repaired."""

    sample: int
    cost_thb: float
    cycling: bool


class SampleLP:
    """The year LP of one sample, compiled once and kept in HiGHS (module text)."""

    def __init__(self, sample: int, meters: list[Meter], step_h: float, options: SolveOptions,
                 economics: SizingEconomics):
        self.sample = sample
        problem = DispatchProblem(step_h=step_h, meters=meters, economics=economics,
                                  options=replace(options, mode="sizing"))
        self.data = committed(build_model_data(problem))
        self.form = with_outage_start_cuts(self.data, compile_instance(self.data))
        self.sizes = size_columns(self.data)
        self.options = options
        self._highs: highspy._Highs | None = None

    def structure(self) -> Structure:
        """Bounds and size-only rows of the sample (see :class:`Structure`)."""
        form, sizes = self.form, self.sizes
        is_size = np.zeros(form.n_cols, bool)
        is_size[sizes] = True
        coo = form.matrix.tocoo()
        touched = np.zeros(form.n_rows, bool)
        touched[coo.row] = True
        other = np.zeros(form.n_rows, bool)
        other[coo.row[~is_size[coo.col]]] = True
        size_rows = np.flatnonzero(touched & ~other)
        rows = form.matrix.tocsr()[size_rows][:, sizes].toarray()
        splits = None
        if form.integer.any():
            splits = "integer columns (whole blocks or a committed generator)"
        pooled = [name for name, first, stop in form.row_families if name in POOLED_FAMILIES and stop > first]
        if pooled:
            splits = f"site-wide targets pooled over the samples ({', '.join(pooled)})"
        return Structure(form.col_lower[sizes], form.col_upper[sizes], form.cost[sizes], rows, form.row_lower[size_rows],
                         form.row_upper[size_rows], splits)

    def _model(self) -> highspy._Highs:
        if self._highs is not None:
            return self._highs
        reduced = reduce_form(self.form)
        self._reduced = reduced
        form = reduced.form
        position = np.full(self.form.n_cols, -1)
        position[reduced.kept] = np.arange(len(reduced.kept))
        self._kept_sizes = position[self.sizes]  # -1: a size fixed by its bounds, substituted out
        h = highspy._Highs()  # the core class prints no banner (see highs_backend)
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", int(self.options.threads))
        matrix = form.matrix
        h.passModel(form.n_cols, form.n_rows, matrix.nnz, int(highspy.MatrixFormat.kColwise),
                    int(highspy.ObjSense.kMinimize), float(form.offset), _f64(form.cost), _f64(form.col_lower),
                    _f64(form.col_upper), _f64(form.row_lower), _f64(form.row_upper), matrix.indptr.astype(np.int32),
                    matrix.indices.astype(np.int32), _f64(matrix.data), np.zeros(form.n_cols, np.int32))
        self._highs = h
        return h

    def at(self, z: np.ndarray, time_limit_s: float) -> Answer:
        """:math:`Q_s(z)` and :math:`g_s` (module equations)."""
        return self._run(z, z, time_limit_s)

    def sized(self, lower: np.ndarray, upper: np.ndarray, time_limit_s: float) -> Answer:
        """The sample sized on its own with the sizes in ``[lower, upper]``: ``gradient`` holds the sizes."""
        answer = self._run(lower, upper, time_limit_s)
        if answer.status is SolveStatus.OPTIMAL:
            kept = self._kept_sizes >= 0
            z = np.asarray(lower, dtype=float).copy()
            z[kept] = np.asarray(self._highs.getSolution().col_value)[self._kept_sizes[kept]]
            answer.gradient = z
        return answer

    def _run(self, lower: np.ndarray, upper: np.ndarray, time_limit_s: float) -> Answer:
        h = self._model()
        kept = self._kept_sizes >= 0
        index = self._kept_sizes[kept].astype(np.int32)
        h.changeColsBounds(len(index), index, _f64(np.asarray(lower)[kept]), _f64(np.asarray(upper)[kept]))
        # HiGHS checks time_limit against its run time summed over every run of this model
        h.setOptionValue("time_limit", h.getRunTime() + max(float(time_limit_s), 0.01))
        tic = time.perf_counter()
        h.run()
        solve_s = time.perf_counter() - tic
        info = h.getInfo()
        status = status_of(h.getModelStatus(), info.primal_solution_status == 2)
        if status is not SolveStatus.OPTIMAL:
            LOG.warning("sample %d: HiGHS %s after %.2f s", self.sample, h.modelStatusToString(h.getModelStatus()),
                      solve_s)
            return Answer(self.sample, status, solve_s=solve_s)
        gradient = np.zeros(len(self.sizes))
        gradient[kept] = np.asarray(h.getSolution().col_dual)[index]
        return Answer(self.sample, status, float(info.objective_function_value), gradient, solve_s)

    def schedule(self, z: np.ndarray) -> Schedule:
        """The last answer (call :meth:`at` with ``z`` first) in the columns of the full form, idle cycling
        repaired; where flows stay simultaneous, the optimal schedule of least charge at ``z``
        (:meth:`_least_charge`)."""
        x = repair_idle_cycling(self.data, self._reduced.expand(np.asarray(self._highs.getSolution().col_value)))
        if simultaneous_steps(self.data, x).any():
            least = self._least_charge(float(self._highs.getInfo().objective_function_value))
            if least is not None:
                x = repair_idle_cycling(self.data, least)
        return Schedule(self.sample, self.form.objective(x), bool(simultaneous_steps(self.data, x).any()))

    def _least_charge(self, objective_thb: float) -> np.ndarray | None:
        r"""Among the optimal answers at the current sizes, one that charges least, in the full form's columns.

        As :func:`~munigrid.models.dispatch.cycling.least_throughput` (cost row
        :math:`c^\top x + c_0 \le z^* + \epsilon`, :math:`\epsilon = 10^{-7}|z^*| + 10^{-6}` THB), on the
        kept model and from its optimal basis (primal simplex): :math:`\min \sum_{i,t} c_{i,t}`. Discharge is
        substituted out here; with the state of charge given at both ends the throughput is
        :math:`(1 + \eta^c\eta^d)\sum c` plus a constant (else the final state of charge adds a term), so
        burning stored energy stops the same way.
        The model is restored afterwards (row removed, costs back).
        """
        if "charge_kw" not in self.data.columns.shape:
            return None
        h, form = self._highs, self._reduced.form
        charge = np.zeros(self.form.n_cols)
        charge[self.data.columns.block("charge_kw")] = 1.0
        index = np.arange(form.n_cols, dtype=np.int32)
        used = np.flatnonzero(form.cost).astype(np.int32)
        row = h.getNumRow()
        h.addRow(-np.inf, objective_thb - form.offset + 1e-7 * abs(objective_thb) + 1e-6, len(used), used,
                 _f64(form.cost[used]))
        h.changeColsCost(form.n_cols, index, _f64(charge[self._reduced.kept]))
        h.setOptionValue("simplex_strategy", 4)
        h.run()
        optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        x = self._reduced.expand(np.asarray(h.getSolution().col_value)) if optimal else None
        h.deleteRows(1, np.array([row], dtype=np.int32))
        h.changeColsCost(form.n_cols, index, _f64(form.cost))
        h.setOptionValue("simplex_strategy", 1)
        return x


def _f64(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64)


def worker_count(n_samples: int) -> int:
    """Processes for ``n_samples``: the CPUs this process may use, at most one per sample; 1 in a daemon."""
    if multiprocessing.current_process().daemon:
        return 1
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(available, n_samples))


def _serve(connection, first: int, stride: int, samples: list[list[Meter]], step_h: float,
           options: SolveOptions, economics: SizingEconomics) -> None:
    """Worker loop: own samples ``first, first + stride, ...``; answer ``(verb, *args)`` requests."""
    try:
        owned = [SampleLP(first + k * stride, meters, step_h, options, economics) for k, meters in enumerate(samples)]
        connection.send(("ok", [lp.structure() for lp in owned]))
        while True:
            verb, *args = connection.recv()
            if verb == "close":
                connection.send(("ok", time.process_time()))
                return
            connection.send(("ok", _handle(owned, verb, args)))
    except Exception:  # noqa: BLE001 - the parent re-raises it with the worker's traceback
        connection.send(("error", traceback.format_exc()))


def _handle(owned: list[SampleLP], verb: str, args):
    if verb == "at":
        z, deadline_s = args
        return [lp.at(z, deadline_s - time.time()) for lp in owned]
    if verb == "sized":  # the first sample each worker owns
        lower, upper, deadline_s = args
        return [owned[0].sized(lower, upper, deadline_s - time.time())]
    z, = args
    return [lp.schedule(z) for lp in owned]


class SamplePool:
    """The samples' LPs, in this process (one worker) or spread over worker processes.

    Parameters
    ----------
    samples : list of list of Meter
    step_h : float
    options : SolveOptions
    economics : SizingEconomics
        As one sample sees them (a budget and a CO2 cap per sample).
    workers : int
        Processes; 1 keeps every LP in this process.
    """

    def __init__(self, samples: list[list[Meter]], step_h: float, options: SolveOptions,
                 economics: SizingEconomics, workers: int):
        self.n_samples = len(samples)
        self.worker_cpu_s = 0.0  # CPU time of the worker processes, known once they are closed [s]
        self._local: list[SampleLP] = []
        self._workers = []
        if workers <= 1:
            self._local = [SampleLP(s, meters, step_h, options, economics) for s, meters in enumerate(samples)]
            self.structures = [lp.structure() for lp in self._local]
            return
        context = multiprocessing.get_context("forkserver")
        for w in range(workers):
            parent, child = context.Pipe()
            process = context.Process(target=_serve, args=(child, w, workers, samples[w::workers], step_h,
                                                           options, economics), daemon=True)
            process.start()
            child.close()
            self._workers.append((process, parent))
        structures = {}
        for w, (_, parent) in enumerate(self._workers):
            for k, structure in enumerate(self._receive(parent)):
                structures[w + k * workers] = structure
        self.structures = [structures[s] for s in range(self.n_samples)]

    @staticmethod
    def _receive(connection):
        kind, payload = connection.recv()
        if kind == "error":
            raise RuntimeError(f"a two-stage sample worker failed:\n{payload}")
        return payload

    def _ask(self, verb: str, *args) -> list:
        if self._local:
            return sorted(_handle(self._local, verb, args), key=lambda a: a.sample)
        for _, parent in self._workers:
            parent.send((verb, *args))
        answers = [a for _, parent in self._workers for a in self._receive(parent)]
        return sorted(answers, key=lambda a: a.sample)

    def at(self, z: np.ndarray, deadline_s: float) -> list[Answer]:
        """Every sample's :class:`Answer` at sizes ``z``; ``deadline_s`` on the wall clock (``time.time()``)."""
        return self._ask("at", np.asarray(z, dtype=float), deadline_s)

    def sized(self, lower: np.ndarray, upper: np.ndarray, deadline_s: float) -> list[Answer]:
        """The first sample of each worker sized on its own (:meth:`SampleLP.sized`), in parallel."""
        return self._ask("sized", lower, upper, deadline_s)

    def schedules(self, z: np.ndarray) -> list[Schedule]:
        """Every sample's :class:`Schedule` at sizes ``z`` (the sizes of the last :meth:`at`)."""
        return self._ask("schedule", np.asarray(z, dtype=float))

    def close(self) -> None:
        """Stop the worker processes."""
        for process, parent in self._workers:
            try:
                parent.send(("close",))
                if parent.poll(5):
                    self.worker_cpu_s += float(parent.recv()[1])
            except (OSError, EOFError):
                pass
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
        self._workers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
