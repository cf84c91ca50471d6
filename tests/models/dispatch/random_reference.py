"""Random small dispatch instances and an independent reference MILP for them (Pyomo + HiGHS).

The reference is written here from the problem statement, not from munigrid's formulation: every
step has a charge/discharge binary and a generator on/off binary, demand charges are the maximum
import in the window per billing period with the ratchet, and no-load fuel is charged on the
on/off directly. :func:`recomputed_cost_thb` prices a schedule from the same statement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from munigrid.models.dispatch import Battery, DispatchProblem, Generator, Meter, MeterSchedule, PVArray, SolveOptions
from munigrid.models.tariffs.terms import DemandCharge, TariffCostTerms
from reference_flex import random_flex, reference_flex

FAMILIES = ("negative_prices", "lossy_battery", "export", "generator", "outage_voll", "demand_ratchet",
            "quarter_hour")


@dataclass
class Building:
    """One building behind a shared connection: its load [kW], the indices of its PV arrays and batteries."""

    load_kw: np.ndarray
    pv: list[int]
    batteries: list[int]


@dataclass
class Reference:
    """Outcome of the reference MILP: ``feasible`` and its optimum [THB] (NaN when infeasible)."""

    feasible: bool
    objective_thb: float


def random_instance(seed: int) -> DispatchProblem:
    """A random one-meter instance whose main family is ``FAMILIES[seed % 7]``, other features drawn at random."""
    rng = np.random.default_rng(seed)
    family = FAMILIES[seed % len(FAMILIES)]
    step_h = 0.25 if family == "quarter_hour" or rng.random() < 0.15 else 1.0
    n_t = int(rng.integers(6, 11) / step_h) if step_h == 0.25 else int(rng.integers(24, 37))
    hour = (np.arange(n_t) * step_h) % 24
    day = (hour >= 8) & (hour < 18)
    load_kw = 8 + 25 * day * rng.random() + 10 * rng.random(n_t)
    price = np.where(day, 4.2, 2.6) + 0.5 * rng.random(n_t)
    if family == "negative_prices" or rng.random() < 0.2:
        for start in rng.choice(n_t, size=2, replace=False):
            price[start:start + int(rng.integers(2, max(3, n_t // 3)))] = -rng.uniform(0.5, 4.0)
    import_limit_kw = float(2 * load_kw.max() + 60)  # negative prices with an unlimited import and export: unbounded
    export_allowed = family == "export" or rng.random() < 0.25
    export_price = rng.uniform(0.0, 3.0) * (0.5 + rng.random(n_t)) if export_allowed else np.zeros(n_t)
    periods = (np.arange(n_t) >= n_t // 2).astype(int)
    charges = []
    if family == "demand_ratchet" or rng.random() < 0.3:
        window = day if rng.random() < 0.5 else np.ones(n_t, bool)
        ratchet = rng.uniform(0.5, 0.9) if family == "demand_ratchet" or rng.random() < 0.5 else 0.0
        charges.append(DemandCharge("demand", window[None, :], np.array([[rng.uniform(50, 250)]]), np.zeros(1),
                                    np.zeros((2, 1)), ratchet_frac=ratchet, ratchet_lookback_periods=1 if ratchet else 0,
                                    ratchet_history_thb=rng.uniform(0, 3000) if ratchet else 0.0))
    terms = TariffCostTerms(step_h, periods, price, export_price, export_allowed, None, charges,
                            np.full(2, rng.uniform(0, 100)))
    sun = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * rng.uniform(0.5, 1.0, n_t)
    pv = [PVArray("roof", sun, capacity_kwp=rng.uniform(0, 40))] if rng.random() < 0.8 else []
    battery = None
    if family in ("negative_prices", "lossy_battery") or rng.random() < 0.7:
        lossy = family == "lossy_battery" or rng.random() < 0.4
        soc_min, soc_max = rng.uniform(0, 0.2), rng.uniform(0.8, 1.0)
        battery = Battery(energy_kwh=rng.uniform(10, 60), power_kw=rng.uniform(5, 30),
                          charge_eff_frac=rng.uniform(0.6, 0.9) if lossy else 0.95,
                          discharge_eff_frac=rng.uniform(0.6, 0.9) if lossy else 0.95,
                          soc_min_frac=soc_min, soc_max_frac=soc_max, soc_initial_frac=rng.uniform(soc_min, soc_max),
                          soc_final_frac=None if rng.random() < 0.5 else rng.uniform(soc_min, soc_max),
                          soc_final_equal=bool(rng.random() < 0.2),
                          degradation_thb_per_kwh=rng.choice([0.0, rng.uniform(0, 0.5)]))
    outage = None
    if family in ("outage_voll", "generator") or rng.random() < 0.3:
        outage = np.zeros(n_t, bool)
        for start in rng.choice(n_t - 2, size=int(rng.integers(1, 3)), replace=False):
            outage[start:start + int(rng.integers(2, max(3, int(6 / step_h))))] = True
    generator = None
    if family == "generator" or rng.random() < 0.3:
        generator = Generator(rating_kw=rng.uniform(20, 60), min_load_frac=rng.choice([0.0, rng.uniform(0.2, 0.5)]),
                              startup_thb=rng.choice([0.0, rng.uniform(20, 300)]),
                              fuel_intercept_l_per_kwh=rng.choice([0.0, 0.08]), fuel_thb_per_l=32.0,
                              standby_only=bool(rng.random() < 0.5), initially_on=bool(rng.random() < 0.1))
    shed = outage is not None and (family == "outage_voll" or rng.random() < 0.7)
    meter = Meter("m", load_kw, terms, pv=pv, battery=battery, generator=generator, import_limit_kw=import_limit_kw,
                  export_limit_kw=rng.uniform(2, 20) if export_allowed and rng.random() < 0.6 else math.inf,
                  outage=outage, voll_thb_per_kwh=rng.uniform(50, 300) if shed else None,
                  critical_frac=rng.uniform(0, 0.8) if shed else 1.0)
    return DispatchProblem(step_h, [meter], SolveOptions(mip_rel_gap=1e-5, time_limit_s=30))


def random_shared_instance(seed: int) -> tuple[DispatchProblem, list[Building]]:
    """:func:`random_instance` ``seed`` as two buildings behind one connection, with several batteries.

    The load is split between the buildings at random step by step, the PV arrays and batteries
    are spread over them, and two or three batteries with their own sizes, efficiencies, state-of-
    charge windows and wear costs are behind the connection (one of them the instance's own).
    """
    base = random_instance(seed)
    meter, rng = base.meters[0], np.random.default_rng(10_000 + seed)
    n_t = base.n_steps
    share = rng.uniform(0.2, 0.8, n_t)
    loads = [meter.load_kw * share, meter.load_kw * (1 - share)]
    pv = list(meter.pv) + [PVArray("canopy", meter.pv[0].ac_kw_per_kwp if meter.pv else np.zeros(n_t),
                                   capacity_kwp=rng.uniform(0, 20))]
    batteries = list(meter.batteries)
    while len(batteries) < int(rng.integers(2, 4)):
        soc_min, soc_max = rng.uniform(0, 0.3), rng.uniform(0.7, 1.0)
        batteries.append(Battery(energy_kwh=rng.uniform(5, 40), power_kw=rng.uniform(3, 20),
                                 charge_eff_frac=rng.uniform(0.7, 0.98), discharge_eff_frac=rng.uniform(0.7, 0.98),
                                 soc_min_frac=soc_min, soc_max_frac=soc_max,
                                 soc_initial_frac=rng.uniform(soc_min, soc_max),
                                 soc_final_frac=None if rng.random() < 0.6 else soc_min,
                                 degradation_thb_per_kwh=rng.uniform(0, 1.0), name=f"bank{len(batteries)}"))
    shared = replace(meter, battery=None, batteries=batteries, pv=pv)
    owners = [Building(loads[b], [a for a in range(len(pv)) if a % 2 == b],
                       [n for n in range(len(batteries)) if n % 2 == b]) for b in range(2)]
    return replace(base, meters=[shared]), owners


def random_flex_instance(seed: int) -> tuple[DispatchProblem, list[Building] | None]:
    """:func:`random_instance` ``seed`` (every third seed :func:`random_shared_instance`, with several
    batteries) with random flexible loads on its meter (:func:`reference_flex.random_flex`), solved to a
    relative gap of 1e-7 so that the optima agree to 1e-6."""
    problem, buildings = random_shared_instance(seed) if seed % 3 == 2 else (random_instance(seed), None)
    flex = random_flex(np.random.default_rng(20_000 + seed), problem.n_steps, problem.step_h)
    return replace(problem, meters=[replace(problem.meters[0], flex=flex)],
                   options=replace(problem.options, mip_rel_gap=1e-7)), buildings


def _arrays(meter: Meter, n_t: int):
    outage = np.zeros(n_t, bool) if meter.outage is None else np.asarray(meter.outage, bool)
    export_cap = meter.export_limit_kw if meter.terms.export_allowed else 0.0
    return outage, np.where(outage, 0.0, meter.import_limit_kw), np.where(outage, 0.0, export_cap)


def _reference_battery(block, bat: Battery, n_t: int, dt: float) -> None:
    """One battery with a charge/discharge binary at every step, on a Pyomo block."""
    import pyomo.environ as pyo

    steps, power, e_kwh = range(n_t), bat.installed_power_kw, bat.energy_kwh
    block.ch = pyo.Var(steps, bounds=(0, power))
    block.dis = pyo.Var(steps, bounds=(0, power))
    block.mode = pyo.Var(steps, domain=pyo.Binary)
    block.soc = pyo.Var(range(n_t + 1), bounds=(bat.soc_min_frac * e_kwh, bat.soc_max_frac * e_kwh))
    block.ch_mode = pyo.Constraint(steps, rule=lambda b, t: b.ch[t] <= power * b.mode[t])
    block.dis_mode = pyo.Constraint(steps, rule=lambda b, t: b.dis[t] <= power * (1 - b.mode[t]))
    block.soc_step = pyo.Constraint(steps, rule=lambda b, t: b.soc[t + 1] == b.soc[t] + dt * (
        bat.charge_eff_frac * b.ch[t] - b.dis[t] / bat.discharge_eff_frac))
    block.soc_start = pyo.Constraint(expr=block.soc[0] == bat.soc_initial_frac * e_kwh)
    final = bat.soc_initial_frac if bat.soc_final_frac is None else bat.soc_final_frac
    block.soc_end = pyo.Constraint(expr=(block.soc[n_t] == final * e_kwh) if bat.soc_final_equal else
                                   (block.soc[n_t] >= final * e_kwh))


def reference_milp(problem: DispatchProblem, buildings: list[Building] | None = None) -> Reference:
    """Solve ``problem`` (one meter) with binaries at every step in Pyomo + HiGHS (gap 1e-7).

    ``buildings`` (a shared connection): each building has its own power balance with what it
    takes from the connection's bus, and the connection imports or exports their sum; without
    it, the meter is one building with all the assets. The meter's flexible loads are drawn by
    the first building (:func:`reference_flex.reference_flex`).
    """
    import pyomo.environ as pyo
    from pyomo.contrib.appsi.base import TerminationCondition
    from pyomo.contrib.appsi.solvers import Highs

    meter, n_t, dt = problem.meters[0], problem.n_steps, problem.step_h
    terms, gen = meter.terms, meter.generator
    site = buildings or [Building(meter.load_kw, list(range(len(meter.pv))), list(range(len(meter.batteries))))]
    pv_owner = {a: b for b, bld in enumerate(site) for a in bld.pv}
    bat_owner = {n: b for b, bld in enumerate(site) for n in bld.batteries}
    outage, import_ub, export_ub = _arrays(meter, n_t)
    steps = range(n_t)
    m = pyo.ConcreteModel()
    m.imp = pyo.Var(steps, bounds=lambda _, t: (0, import_ub[t]))
    m.exp = pyo.Var(steps, bounds=lambda _, t: (0, export_ub[t]))
    m.bus = pyo.Var(range(len(site)), steps)  # what each building takes from the connection's bus [kW]
    m.connection = pyo.Constraint(steps, rule=lambda m, t: m.imp[t] - m.exp[t] == sum(m.bus[b, t] for b in range(len(site))))
    flows = [{t: m.bus[b, t] for t in steps} for b in range(len(site))]  # supply of each building
    cost = sum(dt * (terms.import_thb_per_kwh[t] * m.imp[t] - terms.export_thb_per_kwh[t] * m.exp[t]) for t in steps)
    m.pv = pyo.Var(range(len(meter.pv)), steps,
                   bounds=lambda _, a, t: (0, meter.pv[a].ac_kw_per_kwp[t] * meter.pv[a].capacity_kwp))
    for a in range(len(meter.pv)):
        for t in steps:
            flows[pv_owner[a]][t] += m.pv[a, t]
    m.bat = pyo.Block(range(len(meter.batteries)))
    for n, bat in enumerate(meter.batteries):
        _reference_battery(m.bat[n], bat, n_t, dt)
        for t in steps:
            flows[bat_owner[n]][t] += m.bat[n].dis[t] - m.bat[n].ch[t]
        cost += sum(dt * bat.degradation_thb_per_kwh * m.bat[n].dis[t] for t in steps)
    if gen is not None:
        may_run = outage if gen.standby_only else np.ones(n_t, bool)
        rating = gen.rating_kw
        m.g = pyo.Var(steps, bounds=lambda _, t: (0, rating * may_run[t]))
        m.on = pyo.Var(steps, domain=pyo.Binary, bounds=lambda _, t: (0, float(may_run[t])))
        m.start = pyo.Var(steps, bounds=(0, 1))
        m.g_max = pyo.Constraint(steps, rule=lambda m, t: m.g[t] <= rating * m.on[t])
        m.g_min = pyo.Constraint(steps, rule=lambda m, t: m.g[t] >= gen.min_load_frac * rating * m.on[t])
        m.starts = pyo.Constraint(steps, rule=lambda m, t: m.start[t] >= m.on[t] - (
            m.on[t - 1] if t > 0 else float(gen.initially_on)))
        for t in steps:
            flows[0][t] += m.g[t]
        cost += sum(dt * gen.fuel_thb_per_l * (gen.fuel_slope_l_per_kwh * m.g[t]
                                               + gen.fuel_intercept_l_per_kwh * rating * m.on[t])
                    + gen.startup_thb * m.start[t] for t in steps)
    if meter.voll_thb_per_kwh is not None:
        m.shed = pyo.Var(range(len(site)), steps,
                         bounds=lambda _, b, t: (0, (1 - meter.critical_frac) * max(site[b].load_kw[t], 0.0)))
        for b in range(len(site)):
            for t in steps:
                flows[b][t] += m.shed[b, t]
        cost += sum(dt * meter.voll_thb_per_kwh * m.shed[b, t] for b in range(len(site)) for t in steps)
    if meter.flex is not None:  # the flexible loads are in the first building
        m.flex = pyo.Block()
        for t, flex_kw in enumerate(reference_flex(m.flex, meter.flex, n_t, dt)):
            flows[0][t] -= flex_kw
    m.balance = pyo.Constraint(range(len(site)), steps, rule=lambda m, b, t: flows[b][t] == site[b].load_kw[t])
    periods = np.asarray(terms.period_of_step)
    charges = terms.demand_charges
    pairs = [(f, p) for f in range(len(charges)) for p in range(terms.n_periods)]
    m.demand = pyo.Var(pairs, bounds=(0, None))
    m.bill = pyo.Var(pairs, bounds=lambda _, f, p: (charges[f].ratchet_frac * charges[f].ratchet_history_thb, None))
    m.peaks = pyo.ConstraintList()
    for f, charge in enumerate(charges):
        for p in range(terms.n_periods):
            for t in np.flatnonzero(charge.window_mask[0] & (periods == p)):
                m.peaks.add(m.demand[f, p] >= m.imp[int(t)])
            m.peaks.add(m.bill[f, p] >= float(charge.slope_thb_per_kw[0, 0]) * m.demand[f, p])
            for q in range(max(0, p - charge.ratchet_lookback_periods), p):
                m.peaks.add(m.bill[f, p] >= charge.ratchet_frac * m.bill[f, q])
            cost += m.bill[f, p]
    m.cost = pyo.Objective(expr=cost)
    solver = Highs()
    solver.config.load_solution = False
    solver.config.mip_gap = 1e-7
    solver.config.time_limit = 60
    solver.highs_options.update({"threads": 1, "mip_abs_gap": 1e-6})
    results = solver.solve(m)
    condition = results.termination_condition
    if condition != TerminationCondition.optimal:
        assert condition in (TerminationCondition.infeasible, TerminationCondition.infeasibleOrUnbounded), condition
        return Reference(False, math.nan)
    return Reference(True, float(results.best_feasible_objective) + float(np.sum(terms.fixed_thb_per_period)))


def recomputed_cost_thb(problem: DispatchProblem, schedule: MeterSchedule) -> float:
    """Total cost [THB] of ``schedule`` priced from the problem statement (same rules as the reference)."""
    meter, dt = problem.meters[0], problem.step_h
    terms, gen = meter.terms, meter.generator
    cost = dt * float(np.sum(terms.import_thb_per_kwh * schedule.import_kw - terms.export_thb_per_kwh * schedule.export_kw))
    cost += float(np.sum(terms.fixed_thb_per_period))
    periods = np.asarray(terms.period_of_step)
    for charge in terms.demand_charges:
        previous = []
        for p in range(terms.n_periods):
            steps = charge.window_mask[0] & (periods == p)
            peak = float(schedule.import_kw[steps].max(initial=0.0))
            bill = max(float(charge.slope_thb_per_kw[0, 0]) * peak, charge.ratchet_frac * charge.ratchet_history_thb,
                       *[charge.ratchet_frac * b for b in previous[-charge.ratchet_lookback_periods:]]) \
                if charge.ratchet_frac else float(charge.slope_thb_per_kw[0, 0]) * peak
            previous.append(bill)
            cost += bill
    for bat in meter.batteries:
        cost += dt * bat.degradation_thb_per_kwh * float(schedule.batteries[bat.name].discharge_kw.sum())
    if gen is not None:
        on = schedule.gen_on.astype(float)
        starts = np.maximum(np.diff(np.r_[float(gen.initially_on), on]), 0.0)
        cost += dt * gen.fuel_thb_per_l * float(np.sum(gen.fuel_slope_l_per_kwh * schedule.gen_kw
                                                        + gen.fuel_intercept_l_per_kwh * gen.rating_kw * on))
        cost += gen.startup_thb * float(starts.sum())
    if meter.voll_thb_per_kwh is not None:
        cost += dt * meter.voll_thb_per_kwh * float(schedule.shed_kw.sum())
    return cost
