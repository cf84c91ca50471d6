r"""Sampled years operated by the optimiser: each bootstrap year dispatched by the dispatch LP/MILP.

The rule-based Monte Carlo (:mod:`munigrid.scenarios.simulation`) operates the battery by a
rule. Here every sampled year of a meter is a :class:`~munigrid.models.dispatch.Meter` on the
simulated calendar (same tariff terms, battery, generator, outages) whose load and PV are the
sample's days,

.. math::

    L_{s,t} = \lambda_s\, \tilde L_{\,\delta_{s,d} N + h}, \qquad
    pv_{s,a,t} = \widetilde{pv}_{a,\,\delta_{s,d} N + h} \quad (t = dN + h)

with the same day map :math:`\delta` and load factors :math:`\lambda` as the rule's samples
(:func:`munigrid.models.simulation.montecarlo.draw_samples`, same seed), priced with the sample's
own Ft path when Ft is sampled (:func:`munigrid.models.tariffs.ft_paths.repriced_terms`: the
optimiser sees the sample's prices, since with battery losses a different Ft can change the best
schedule), and is solved by
:func:`munigrid.models.dispatch.solve`: the compiled fast path and the solve strategy, exactly
as a run solves its year. Samples go to worker processes in chunks (``workers``).

A meter with nothing to decide (no battery, no generator, no outage, no negative import
price) has one optimal schedule, PV used up to the load, which is what the rule simulates; such
meters stay in the numba kernel (:func:`has_decisions`).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from munigrid.models.dispatch import DispatchProblem, SolveOptions, solve
from munigrid.models.dispatch.flex import FlexLoads
from munigrid.models.errors import InputError
from munigrid.models.dispatch.problem import DispatchResult, Meter
from munigrid.models.simulation.ensemble import METRICS, N_METRICS
from munigrid.models.tariffs.ft_paths import repriced_terms
from munigrid.scenarios.uncertainty_flex import sampled_flex, stacked_flex

#: Who operates the battery in sampled years: the numba rule or the dispatch optimiser.
OPERATORS = ("rule", "optimiser")

# cost families of the dispatch objective that are part of the utility bill
ENERGY_FAMILIES = ("energy", "energy_blocks", "net_metering")
BILL_FAMILIES = (*ENERGY_FAMILIES, "demand", "minimum_charge", "fixed")


@dataclass(frozen=True)
class MeterSource:
    """A meter and the source days its sampled years are cut from.

    Attributes
    ----------
    meter : Meter
        On the simulated calendar (tariff terms, assets, outages); its load and PV profiles
        are replaced in every sample.
    source_load_kw : ndarray, shape (T_src,)
        :math:`\\tilde L` [kW], whole days.
    source_pv_kw_per_kwp : ndarray, shape (A, T_src)
        :math:`\\widetilde{pv}` of each PV array of ``meter`` [kW/kWp].
    steps_per_day : int
        :math:`N`.
    source_flex : FlexLoads or None
        The meter's flexible loads with their inputs over the source days
        (:func:`munigrid.scenarios.uncertainty_flex.stacked_flex`).
    """

    meter: Meter
    source_load_kw: np.ndarray
    source_pv_kw_per_kwp: np.ndarray
    steps_per_day: int
    source_flex: FlexLoads | None = None


def meter_source(meter: Meter, years: list, steps_per_day: int, flex_years: list[FlexLoads] | None = None
                 ) -> MeterSource:
    """The :class:`MeterSource` of ``meter`` whose source days are the building's days in every
    modelled year (``years``: the building's :class:`~munigrid.scenarios.inputs.BuildingInputs`,
    one per weather year, on the simulated calendar; ``flex_years``: the meter's flexible loads
    in each of those years, when it has any)."""
    load = np.concatenate([y.load_kw.to_numpy() for y in years])
    pv = np.array([np.concatenate([y.pv_kw_per_kwp[a.name].to_numpy() for y in years]) for a in meter.pv])
    flex = None if not flex_years else stacked_flex(flex_years, len(meter.load_kw))
    return MeterSource(meter, load, pv.reshape(len(meter.pv), load.size), steps_per_day, flex)


def source_steps(day_row: np.ndarray, steps_per_day: int) -> np.ndarray:
    """Source step of every simulated step, :math:`\\delta_{d} N + h`, for one row of the day map."""
    return (np.asarray(day_row, dtype=np.int64)[:, None] * steps_per_day + np.arange(steps_per_day)).ravel()


def sampled_meter(source: MeterSource, day_row: np.ndarray, load_scale: float,
                  ft_change_thb_per_kwh: np.ndarray | None = None) -> Meter:
    """The meter of one sampled year (module equation); ``ft_change_thb_per_kwh`` (one value per
    billing period [THB/kWh]) reprices its import for the sample's Ft path."""
    steps = source_steps(day_row, source.steps_per_day)
    pv = [replace(array, ac_kw_per_kwp=source.source_pv_kw_per_kwp[a, steps])
          for a, array in enumerate(source.meter.pv)]
    terms = source.meter.terms if ft_change_thb_per_kwh is None else repriced_terms(source.meter.terms,
                                                                                      ft_change_thb_per_kwh)
    return replace(source.meter, load_kw=load_scale * source.source_load_kw[steps], pv=pv, terms=terms,
                   flex=source.meter.flex if source.source_flex is None else sampled_flex(source.source_flex, steps))


def has_decisions(meter: Meter) -> bool:
    """True when the optimiser has something to decide on ``meter``: a battery with energy, a
    generator, an outage (shedding), a negative import price (curtailing to import) or flexible
    loads."""
    battery = any(b.energy_kwh > 0 and b.installed_power_kw > 0 for b in meter.batteries)
    if meter.flex is not None:
        return True
    outage = meter.outage is not None and bool(np.any(meter.outage))
    negative = bool(np.any(np.asarray(meter.terms.import_thb_per_kwh) < 0))
    return battery or (meter.generator is not None and meter.generator.rating_kw > 0) or outage or negative


def schedule_metrics(meter: Meter, result: DispatchResult, step_h: float) -> np.ndarray:
    """:data:`~munigrid.models.simulation.ensemble.METRICS` of a solved year, then its objective [THB].

    Bill terms from the optimiser's cost breakdown: energy (with blocks and net metering),
    demand, and ``cost_thb`` = energy + demand + minimum-charge adjustment + fixed charges.
    ``load_kwh`` is the fixed load plus the flexible loads as scheduled.
    """
    schedule = result.schedules[meter.name]
    costs = result.costs_thb
    energy_thb = sum(costs.get(k, 0.0) for k in ENERGY_FAMILIES)
    load_kwh = float(np.sum(meter.load_kw)) * step_h
    if schedule.flex is not None:  # the flexible loads as scheduled are load too
        load_kwh += float(np.sum(schedule.flex.flex_kw)) * step_h
    import_kwh = float(np.sum(schedule.import_kw)) * step_h
    pv_kwh = float(np.sum(schedule.pv_ac_kw) + np.sum(schedule.curtailed_kw)) * step_h
    usable_kwh = sum((b.soc_max_frac - b.soc_min_frac) * b.energy_kwh for b in meter.batteries)
    values = {
        "cost_thb": sum(costs.get(k, 0.0) for k in BILL_FAMILIES),
        "energy_cost_thb": energy_thb,
        "demand_cost_thb": costs.get("demand", 0.0),
        "import_kwh": import_kwh,
        "export_kwh": float(np.sum(schedule.export_kw)) * step_h,
        "curtail_kwh": float(np.sum(schedule.curtailed_kw)) * step_h,
        "load_kwh": load_kwh,
        "pv_kwh": pv_kwh,
        "self_sufficiency_frac": 1.0 - import_kwh / load_kwh if load_kwh > 0 else 1.0,
        "peak_import_kw": float(np.max(schedule.import_kw, initial=0.0)),
        "equivalent_full_cycles": float(np.sum(schedule.discharge_kw)) * step_h / usable_kwh if usable_kwh > 0 else 0.0,
    }
    return np.array([values[name] for name, _ in METRICS] + [result.objective_thb])


def dispatch_sample(source: MeterSource, day_row: np.ndarray, load_scale: float, step_h: float,
                    options: SolveOptions, ft_change_thb_per_kwh: np.ndarray | None = None
                    ) -> tuple[np.ndarray, DispatchResult]:
    """Solve one sampled year of one meter; returns its metrics (NaN without a schedule) and the result
    (None when the sampled year's inputs cannot be met, e.g. an EV session cut by the sample that
    cannot take its energy even at full charger power: a failed sample like one without a schedule)."""
    meter = sampled_meter(source, day_row, load_scale, ft_change_thb_per_kwh)
    try:
        result = solve(DispatchProblem(step_h=step_h, meters=[meter], options=options))
    except InputError:
        return np.full(N_METRICS + 1, np.nan), None
    if not result.status.has_solution:
        return np.full(N_METRICS + 1, np.nan), result
    return schedule_metrics(meter, result, step_h), result


def _chunk(task) -> tuple[np.ndarray, float]:
    """Worker: metrics (B, S_chunk, N_METRICS + 1) of a chunk of samples of every source, and the CPU
    seconds of this process it took."""
    sources, day_map, load_scale, ft_change, step_h, options = task
    tic = time.process_time()
    out = np.empty((len(sources), day_map.shape[0], N_METRICS + 1))
    for s in range(day_map.shape[0]):
        for b, source in enumerate(sources):
            change = None if ft_change is None else ft_change[b][s]
            out[b, s] = dispatch_sample(source, day_map[s], float(load_scale[s]), step_h, options, change)[0]
    return out, time.process_time() - tic


def worker_count(requested: int | None) -> int:
    """Processes to use: ``requested`` or the CPUs this process may use; 1 inside a daemon process."""
    if multiprocessing.current_process().daemon:
        return 1
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(requested or available, available))


def optimised_metrics(sources: list[MeterSource], day_map: np.ndarray, load_scale: np.ndarray, *, step_h: float,
                      options: SolveOptions, workers: int | None = None,
                      ft_change_thb_per_kwh: list[np.ndarray] | None = None) -> tuple[np.ndarray, float]:
    """Metrics of every sampled year of every source, each year solved by the optimiser.

    Parameters
    ----------
    sources : list of MeterSource
    day_map : ndarray of int, shape (S, D)
        Source day of every simulated day of every sample.
    load_scale : ndarray, shape (S,)
        :math:`\\lambda_s` [-].
    step_h : float
        Step [h].
    options : SolveOptions
        Dispatch mode; ``threads`` 1 is best with several workers.
    workers : int, optional
        Worker processes (default: the CPUs available); 1 solves in this process.
    ft_change_thb_per_kwh : list of ndarray, shape (S, P) each, optional
        Per source, each sample's import price change in each billing month from its Ft path
        [THB/kWh]; none by default (the meters' own prices).

    Returns
    -------
    (metrics, cpu_s) : ndarray of shape (B, S, len(METRICS) + 1), float
        The metrics of :data:`~munigrid.models.simulation.ensemble.METRICS`, then the objective
        [THB]; NaN for a sample without a schedule. CPU seconds the solves took, over all workers.
    """
    n_samples = day_map.shape[0]
    workers = min(worker_count(workers), n_samples)
    ft_change = ft_change_thb_per_kwh
    if workers == 1 or not sources:
        return _chunk((sources, day_map, load_scale, ft_change, step_h, options))
    bounds = np.linspace(0, n_samples, min(n_samples, 4 * workers) + 1).astype(int)
    tasks = [(sources, day_map[a:b], load_scale[a:b], None if ft_change is None else [c[a:b] for c in ft_change],
              step_h, options) for a, b in zip(bounds[:-1], bounds[1:])]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        done = list(pool.map(_chunk, tasks))
    return np.concatenate([values for values, _ in done], axis=1), float(sum(cpu for _, cpu in done))
