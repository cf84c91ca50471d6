r"""From a :class:`~munigrid.models.dispatch.problem.DispatchProblem` to model data: arrays only.

The model is written over dense, padded index ranges: meters :math:`i < M`, steps :math:`t < T`,
PV arrays :math:`a < A`, demand families :math:`f < F`, windows :math:`k < K`, pieces
:math:`j < J`, billing periods :math:`p < P`, energy blocks :math:`b < B`. :class:`ModelData`
holds

* the variable families present, their shapes, bounds and integrality (fixed sizes turn the
  families that tie flows to sizes into bounds: e.g. :math:`c_{i,t} \le P_i` becomes an upper
  bound when :math:`P_i` is fixed);
* parameter arrays by name;
* index sets by name (one integer array per position), which select the rows of each
  constraint family and the terms of each cost family.

It does no modelling itself: :mod:`munigrid.models.dispatch.formulation` names which family
uses which set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from munigrid.models.errors import InputError
from munigrid.models.dispatch.families_outage import add_outage_recourse
from munigrid.models.dispatch.layout_flex import flex_layout
from munigrid.models.dispatch.problem import DispatchProblem, Meter, capital_recovery_factor
from munigrid.models.dispatch.template_compile import ColumnLayout


@dataclass
class ModelData:
    """Arrays that define one instance of the formulation."""

    columns: ColumnLayout
    lower: dict[str, np.ndarray]
    upper: dict[str, np.ndarray]
    integer: dict[str, np.ndarray]
    params: dict[str, np.ndarray | float]
    sets: dict[str, tuple[np.ndarray, ...]]
    dims: dict[str, int]
    needs_commitment: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def with_exclusive_steps(self, meters: np.ndarray, batteries: np.ndarray, steps: np.ndarray) -> ModelData:
        """A copy with charge/discharge binaries at the given (meter, battery, step) triples added."""
        shape = self.columns.shape["charge_kw"]
        shapes = dict(self.columns.shape)
        shapes["charging"] = shape
        integer = dict(self.integer)
        mask = np.zeros(shape, dtype=bool)
        mask[meters, batteries, steps] = True
        integer["charging"] = mask
        sets = dict(self.sets)
        sets["MNT_exclusive"] = (np.asarray(meters), np.asarray(batteries), np.asarray(steps))
        return ModelData(ColumnLayout.from_shapes(shapes), {**self.lower, "charging": np.zeros(shape)},
                         {**self.upper, "charging": np.ones(shape)}, integer, self.params, sets, self.dims,
                         self.needs_commitment)

    def bounds_vector(self) -> tuple[np.ndarray, np.ndarray]:
        """Column lower and upper bounds in column order."""
        names = list(self.columns.shape)
        return (np.concatenate([self.lower[n].ravel() for n in names]),
                np.concatenate([self.upper[n].ravel() for n in names]))

    def integrality_vector(self) -> np.ndarray:
        """True for integer columns, in column order."""
        names = list(self.columns.shape)
        return np.concatenate([np.broadcast_to(self.integer.get(n, False), self.columns.shape[n]).ravel()
                               for n in names])


def _pairs(mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """Index arrays of the True entries of ``mask``."""
    return tuple(np.asarray(a, dtype=np.int64) for a in np.nonzero(mask))


def _meter_mask(meters: list[Meter], predicate) -> np.ndarray:
    return np.array([bool(predicate(m)) for m in meters], dtype=bool)


class _Builder:
    """Accumulates variable families, parameters and sets."""

    def __init__(self):
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.lower, self.upper, self.integer = {}, {}, {}
        self.params: dict[str, np.ndarray | float] = {}
        self.sets: dict[str, tuple[np.ndarray, ...]] = {}

    def var(self, name, lower, upper, integer=False):
        lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        self.shapes[name] = lower.shape
        self.lower[name], self.upper[name] = lower, np.broadcast_to(upper, lower.shape).copy()
        self.integer[name] = integer

    def rows(self, name, mask_or_index):
        index = _pairs(mask_or_index) if isinstance(mask_or_index, np.ndarray) else mask_or_index
        self.sets[name] = tuple(np.asarray(a, dtype=np.int64) for a in index)


def build_model_data(problem: DispatchProblem) -> ModelData:
    """All arrays of the instance: variables, parameters and index sets (see module docstring)."""
    meters, step_h, sizing = problem.meters, float(problem.step_h), problem.options.mode == "sizing"
    n_m, n_t = len(meters), problem.n_steps
    out = _Builder()
    out.params["step_h"] = step_h
    all_mt = np.ones((n_m, n_t), dtype=bool)
    out.rows("MT", all_mt)
    out.rows("M", (np.arange(n_m),))
    load = np.array([m.load_kw for m in meters], dtype=float)
    out.params["load_kw"] = load
    out.params["load_kwh"] = float(load.sum() * step_h)
    outage = np.array([np.zeros(n_t, bool) if m.outage is None else np.asarray(m.outage, bool) for m in meters])
    import_ub = np.where(outage, 0.0, np.array([m.import_limit_kw for m in meters], float)[:, None])
    export_limit = np.array([m.export_limit_kw if m.terms.export_allowed else 0.0 for m in meters], float)
    export_ub = np.where(outage, 0.0, export_limit[:, None])
    out.var("import_kw", np.zeros((n_m, n_t)), import_ub)
    out.var("export_kw", np.zeros((n_m, n_t)), export_ub)
    out.params["import_thb_per_kwh"] = np.array([m.terms.import_thb_per_kwh for m in meters], float)
    out.params["export_thb_per_kwh"] = np.array([m.terms.export_thb_per_kwh for m in meters], float)
    out.params["fixed_thb"] = np.array([float(np.sum(m.terms.fixed_thb_per_period)) for m in meters])
    out.params["grid_co2_kg_per_kwh"] = np.array([m.grid_co2_kg_per_kwh for m in meters], float)
    _shed(out, meters, load)
    _pv(out, problem, sizing)
    _battery(out, problem, sizing)
    commitment = _generator(out, problem, sizing)
    flex_layout(out, problem)
    _demand(out, meters, n_t)
    _energy_blocks(out, meters, n_t, step_h)
    _net_metering(out, meters, n_t)
    _targets(out, problem)
    add_outage_recourse(out, problem)
    dims = {"M": n_m, "T": n_t}
    return ModelData(ColumnLayout.from_shapes(out.shapes), out.lower, out.upper, out.integer, out.params, out.sets,
                     dims, commitment)


def _shed(out: _Builder, meters: list[Meter], load: np.ndarray) -> None:
    has = _meter_mask(meters, lambda m: m.voll_thb_per_kwh is not None)
    if not has.any():
        return
    shed_frac = np.array([1.0 - m.critical_frac if h else 0.0 for m, h in zip(meters, has)])
    out.var("shed_kw", np.zeros(load.shape), shed_frac[:, None] * np.maximum(load, 0.0))
    out.params["voll_thb_per_kwh"] = np.array([m.voll_thb_per_kwh or 0.0 for m in meters], float)
    out.rows("MT_shed", np.repeat(has[:, None], load.shape[1], axis=1))


def _annual_factor(problem: DispatchProblem, life_years: float, capex: float, om: float) -> float:
    """Horizon share of the annualised capital plus O&M per unit added [THB/unit]."""
    crf = capital_recovery_factor(problem.economics.discount_rate_frac, life_years)
    return problem.horizon_years * (crf * capex + om)


def _pv(out: _Builder, problem: DispatchProblem, sizing: bool) -> None:
    meters, n_t = problem.meters, problem.n_steps
    n_a = max((len(m.pv) for m in meters), default=0)
    if n_a == 0:
        return
    n_m = len(meters)
    exists = np.zeros((n_m, n_a), bool)
    sized = np.zeros((n_m, n_a), bool)
    blocks = np.zeros((n_m, n_a), bool)
    profile = np.zeros((n_m, n_a, n_t))
    installed, max_kwp = np.zeros((n_m, n_a)), np.zeros((n_m, n_a))
    names = ("capex", "annual", "block")
    values = {k: np.zeros((n_m, n_a)) for k in names}
    for i, meter in enumerate(meters):
        for a, arr in enumerate(meter.pv):
            exists[i, a] = True
            profile[i, a] = arr.ac_kw_per_kwp
            installed[i, a] = arr.capacity_kwp
            sized[i, a] = sizing and arr.max_kwp is not None and arr.max_kwp > arr.capacity_kwp
            max_kwp[i, a] = arr.max_kwp if sized[i, a] else arr.capacity_kwp
            values["capex"][i, a] = arr.capex_thb_per_kwp
            values["annual"][i, a] = _annual_factor(problem, arr.life_years, arr.capex_thb_per_kwp,
                                                    arr.om_thb_per_kwp_year)
            blocks[i, a] = sized[i, a] and arr.block_kwp is not None
            values["block"][i, a] = arr.block_kwp or 0.0
    out.var("pv_kw", np.zeros((n_m, n_a, n_t)), np.where(sized[:, :, None], np.inf, profile * installed[:, :, None]))
    out.var("pv_kwp", installed, max_kwp)
    out.params.update(pv_kw_per_kwp=profile, pv_installed_kwp=installed, pv_capex_thb_per_kwp=values["capex"],
                      pv_annual_thb_per_kwp=values["annual"], pv_block_kwp=values["block"])
    out.rows("A", (np.arange(n_a),))
    out.rows("MA", exists)
    out.rows("MAT", np.repeat(exists[:, :, None], n_t, axis=2))
    out.rows("MAT_sized", np.repeat(sized[:, :, None], n_t, axis=2))
    out.rows("MA_sized", sized)
    if blocks.any():
        span = np.where(blocks, (max_kwp - installed) / np.where(blocks, values["block"], 1.0), 0.0)
        out.var("pv_blocks", np.zeros((n_m, n_a)), np.floor(span + 1e-9), integer=True)
        out.rows("MA_block", blocks)


def _battery_values(problem: DispatchProblem, bat, sized: bool) -> dict[str, float]:
    """Parameters of one battery (the ``_battery`` arrays at one slot) and its largest size ``max_kwh``."""
    e0, p0 = float(bat.energy_kwh), bat.installed_power_kw
    max_kwh = max(e0, bat.max_energy_kwh or e0) if sized else e0
    if sized and bat.max_power_kw is not None:
        max_kw = max(p0, bat.max_power_kw)
    elif sized:
        max_kw = max(p0, (bat.c_rate_per_h or 0.0) * max_kwh)
    else:
        max_kw = p0
    final = bat.soc_initial_frac if bat.soc_final_frac is None else bat.soc_final_frac
    return dict(charge_eff_frac=bat.charge_eff_frac, discharge_eff_frac=bat.discharge_eff_frac,
                soc_min_frac=bat.soc_min_frac, soc_max_frac=bat.soc_max_frac,
                soc_initial_frac=bat.soc_initial_frac, soc_final_frac=final,
                degradation_thb_per_kwh=bat.degradation_thb_per_kwh, max_power_kw=max_kw,
                c_rate_per_h=bat.c_rate_per_h or 0.0, battery_installed_kwh=e0, battery_installed_kw=p0,
                battery_capex_thb_per_kwh=bat.capex_thb_per_kwh, battery_capex_thb_per_kw=bat.capex_thb_per_kw,
                battery_annual_thb_per_kwh=_annual_factor(problem, bat.life_years, bat.capex_thb_per_kwh,
                                                          bat.om_thb_per_kwh_year),
                battery_annual_thb_per_kw=_annual_factor(problem, bat.life_years, bat.capex_thb_per_kw, 0.0),
                battery_block_kwh=bat.block_kwh or 0.0, max_kwh=max_kwh)


def _battery(out: _Builder, problem: DispatchProblem, sizing: bool) -> None:
    r"""Battery flows, stored energy and sizes, shape (M, N[, T]): slot :math:`n` of meter :math:`i`
    holds its :math:`n`-th battery; empty slots have every flow and size fixed at zero."""
    meters, n_t, n_m = problem.meters, problem.n_steps, len(problem.meters)
    n_b = max((len(m.batteries) for m in meters), default=0)
    if n_b == 0:
        return
    has = np.zeros((n_m, n_b), bool)
    sized, crate_row, block = (np.zeros((n_m, n_b), bool) for _ in range(3))
    p: dict[str, np.ndarray] = {}
    for i, meter in enumerate(meters):
        for n, bat in enumerate(meter.batteries):
            has[i, n] = True
            sized[i, n] = sizing and (bat.max_energy_kwh is not None or bat.max_power_kw is not None)
            crate_row[i, n] = sized[i, n] and bat.c_rate_per_h is not None
            block[i, n] = sized[i, n] and bat.block_kwh is not None
            for key, value in _battery_values(problem, bat, sized[i, n]).items():
                p.setdefault(key, np.zeros((n_m, n_b)))[i, n] = value
    max_kwh = p.pop("max_kwh")
    out.params.update(p)
    fixed = has & ~sized
    power_ub = np.where(sized, np.inf, p["battery_installed_kw"])[:, :, None] * has[:, :, None]
    out.var("charge_kw", np.zeros((n_m, n_b, n_t)), np.broadcast_to(power_ub, (n_m, n_b, n_t)))
    out.var("discharge_kw", np.zeros((n_m, n_b, n_t)), np.broadcast_to(power_ub, (n_m, n_b, n_t)))
    e0 = p["battery_installed_kwh"]
    soc_lb = np.where(fixed, p["soc_min_frac"] * e0, 0.0)[:, :, None] * np.ones((1, 1, n_t + 1))
    soc_ub = np.where(fixed, p["soc_max_frac"] * e0, np.where(sized, np.inf, 0.0))[:, :, None] * np.ones((1, 1, n_t + 1))
    out.var("soc_kwh", soc_lb, soc_ub)
    out.var("battery_kwh", e0, np.where(sized, max_kwh, e0))
    out.var("battery_kw", p["battery_installed_kw"], np.where(sized, p["max_power_kw"], p["battery_installed_kw"]))
    out.rows("N", (np.arange(n_b),))
    out.rows("MN", np.ones((n_m, n_b), bool))
    out.rows("MNT_battery", np.repeat(has[:, :, None], n_t, axis=2))
    first = np.nonzero(has)
    out.rows("MN_battery_first", (*first, np.zeros(has.sum(), np.int64)))
    out.rows("MN_battery_last", (*first, np.full(has.sum(), n_t, np.int64)))
    equal = np.zeros((n_m, n_b), bool)
    for i, meter in enumerate(meters):
        equal[i, :len(meter.batteries)] = [bat.soc_final_equal for bat in meter.batteries]
    last_equal = np.nonzero(equal)
    out.rows("MN_battery_last_equal", (*last_equal, np.full(equal.sum(), n_t, np.int64)))
    out.rows("MNT_battery_sized", np.repeat(sized[:, :, None], n_t, axis=2))
    out.rows("MNT1_battery_sized", np.repeat(sized[:, :, None], n_t + 1, axis=2))
    out.rows("MN_battery_sized", sized)
    out.rows("MN_c_rate", crate_row)
    if block.any():
        span = np.where(block, (max_kwh - e0) / np.where(block, p["battery_block_kwh"], 1.0), 0.0)
        out.var("battery_blocks", np.zeros((n_m, n_b)), np.floor(span + 1e-9), integer=True)
        out.rows("MN_battery_block", block)


def _generator(out: _Builder, problem: DispatchProblem, sizing: bool) -> np.ndarray:
    meters, n_t, n_m = problem.meters, problem.n_steps, len(problem.meters)
    has = _meter_mask(meters, lambda m: m.generator is not None)
    commit = _meter_mask(meters, lambda m: m.generator is not None and m.generator.needs_commitment)
    if not has.any():
        return commit
    keys = ("gen_installed_kw", "gen_max_kw", "gen_min_load_frac", "fuel_slope_l_per_kwh", "fuel_intercept_l_per_kwh",
            "fuel_thb_per_l", "startup_thb", "gen_initially_on", "gen_co2_kg_per_l", "gen_capex_thb_per_kw",
            "gen_annual_thb_per_kw", "gen_block_kw")
    p = {k: np.zeros(n_m) for k in keys}
    sized, block = np.zeros(n_m, bool), np.zeros(n_m, bool)
    for i, meter in enumerate(meters):
        gen = meter.generator
        if gen is None:
            continue
        sized[i] = sizing and gen.max_rating_kw is not None and gen.max_rating_kw > gen.rating_kw
        block[i] = sized[i] and gen.block_kw is not None
        values = dict(gen_installed_kw=gen.rating_kw, gen_max_kw=gen.max_rating_kw if sized[i] else gen.rating_kw,
                      gen_min_load_frac=gen.min_load_frac, fuel_slope_l_per_kwh=gen.fuel_slope_l_per_kwh,
                      fuel_intercept_l_per_kwh=gen.fuel_intercept_l_per_kwh, fuel_thb_per_l=gen.fuel_thb_per_l,
                      startup_thb=gen.startup_thb, gen_initially_on=float(gen.initially_on),
                      gen_co2_kg_per_l=gen.co2_kg_per_l, gen_capex_thb_per_kw=gen.capex_thb_per_kw,
                      gen_annual_thb_per_kw=_annual_factor(problem, gen.life_years, gen.capex_thb_per_kw,
                                                           gen.om_thb_per_kw_year),
                      gen_block_kw=gen.block_kw or 0.0)
        for key, value in values.items():
            p[key][i] = value
    out.params.update(p)
    may_run = _generator_may_run(meters, n_t)
    gen_ub = np.where(may_run, np.where(sized, np.inf, p["gen_installed_kw"])[:, None], 0.0)
    out.var("gen_kw", np.zeros((n_m, n_t)), gen_ub)
    out.var("gen_rating_kw", p["gen_installed_kw"], p["gen_max_kw"])
    out.rows("MT_gen", np.repeat(has[:, None], n_t, axis=1))
    out.rows("MT_gen_sized", np.repeat(sized[:, None], n_t, axis=1))
    out.rows("M_gen_sized", (np.flatnonzero(sized),))
    if commit.any():
        rows = np.repeat(commit[:, None], n_t, axis=1)
        out.var("gen_on", np.zeros((n_m, n_t)), (rows & may_run).astype(float))
        out.var("gen_start", np.zeros((n_m, n_t)), (rows & may_run).astype(float))
        out.var("gen_noload_l_per_h", np.zeros((n_m, n_t)), np.where(rows, np.inf, 0.0))
        out.rows("MT_commit", rows)
        later = rows.copy()
        later[:, 0] = False
        out.rows("MT_commit_later", later)
        out.rows("M_commit_first", (np.flatnonzero(commit), np.zeros(commit.sum(), np.int64)))
    if block.any():
        span = np.where(block, (p["gen_max_kw"] - p["gen_installed_kw"]) / np.where(block, p["gen_block_kw"], 1), 0)
        out.var("gen_blocks", np.zeros(n_m), np.floor(span + 1e-9), integer=True)
        out.rows("M_gen_block", (np.flatnonzero(block),))
    return commit


def _generator_may_run(meters: list[Meter], n_t: int) -> np.ndarray:
    """Mask (M, T) of the steps a meter's generator may run: all of them, or only its outage steps
    when it is standby only."""
    may_run = np.ones((len(meters), n_t), bool)
    for i, meter in enumerate(meters):
        if meter.generator is not None and meter.generator.standby_only:
            may_run[i] = np.zeros(n_t, bool) if meter.outage is None else np.asarray(meter.outage, bool)
    return may_run


def _demand(out: _Builder, meters: list[Meter], n_t: int) -> None:
    charges = [m.terms.demand_charges for m in meters]
    n_f = max((len(c) for c in charges), default=0)
    if n_f == 0:
        return
    n_m = len(meters)
    n_k = max(dc.window_mask.shape[0] for c in charges for dc in c)
    n_j = max(dc.slope_thb_per_kw.shape[0] for c in charges for dc in c)
    n_p = max(m.terms.n_periods for m in meters)
    period = np.array([m.terms.period_of_step for m in meters], dtype=np.int64)
    window = np.zeros((n_m, n_f, n_k, n_t), bool)
    window_period = np.zeros((n_m, n_f, n_k, n_t), np.int64)
    piece = np.zeros((n_m, n_f, n_j, n_p), bool)
    valid = np.zeros((n_m, n_f, n_p), bool)
    slope, intercept = np.zeros((n_m, n_f, n_j, n_k)), np.zeros((n_m, n_f, n_j))
    registered, ratchet = np.zeros((n_m, n_f, n_k, n_p)), np.zeros((n_m, n_f))
    charge_floor = np.zeros((n_m, n_f, n_p))
    ratchet_pairs = []
    for i, meter in enumerate(meters):
        n_pi = meter.terms.n_periods
        for f, dc in enumerate(meter.terms.demand_charges):
            k_count, j_count = dc.window_mask.shape[0], dc.slope_thb_per_kw.shape[0]
            window[i, f, :k_count] = dc.window_mask
            window_period[i, f, :k_count] = dc.periods_of(meter.terms.period_of_step)
            piece[i, f, :j_count, :n_pi] = True
            valid[i, f, :n_pi] = True
            slope[i, f, :j_count, :k_count] = dc.slope_thb_per_kw
            intercept[i, f, :j_count] = dc.intercept_thb
            registered[i, f, :k_count, :n_pi] = np.asarray(dc.registered_kw, float).T
            ratchet[i, f] = dc.ratchet_frac
            if dc.ratchet_frac > 0 and not dc.ratchet_floors_bill:
                charge_floor[i, f, :n_pi] = dc.ratchet_frac * dc.ratchet_history_thb
                for p in range(n_pi):
                    for q in range(max(0, p - dc.ratchet_lookback_periods), p):
                        ratchet_pairs.append((i, f, p, q))
    dem_valid = np.zeros((n_m, n_f, n_k, n_p), bool)
    for i, meter in enumerate(meters):
        for f, dc in enumerate(meter.terms.demand_charges):
            dem_valid[i, f, :dc.window_mask.shape[0], :meter.terms.n_periods] = True
    out.var("demand_kw", registered, np.where(dem_valid, np.inf, 0.0))
    out.var("demand_thb", charge_floor, np.where(valid, np.inf, 0.0))
    out.params.update(period_of_step=period, window_period=window_period, piece_slope_thb_per_kw=slope,
                      piece_intercept_thb=intercept, ratchet_frac=ratchet)
    out.rows("K", (np.arange(n_k),))
    out.rows("MFKT", window)
    out.rows("MFJP", piece)
    out.rows("MFP", valid)
    pairs = np.array(ratchet_pairs, dtype=np.int64).reshape(-1, 4)
    out.rows("MFPQ", tuple(pairs.T))
    out.rows("F", (np.arange(n_f),))
    _lookback(out, meters, piece, n_p)
    _bill_floor(out, meters, n_t)


def _lookback(out: _Builder, meters: list[Meter], piece: np.ndarray, n_p: int) -> None:
    """kW lookback of one-window families: a lifted demand and its pieces (see :mod:`.families_tariff`)."""
    n_m, n_f = piece.shape[0], piece.shape[1]
    frac = np.zeros((n_m, n_f))
    has = np.zeros((n_m, n_f), bool)
    pairs = []
    for i, meter in enumerate(meters):
        for f, dc in enumerate(meter.terms.demand_charges):
            if dc.lookback_frac > 0 and dc.lookback_mask is not None:
                frac[i, f], has[i, f] = dc.lookback_frac, True
                pairs += [(i, f, p, q) for p, q in zip(*np.nonzero(dc.lookback_mask))]
    if not has.any():
        return
    out.var("lookback_kw", np.zeros((n_m, n_f, n_p)), np.where(has[:, :, None], np.inf, 0.0) * np.ones((1, 1, n_p)))
    out.params["lookback_frac"] = frac
    out.rows("MFPQ_lookback", tuple(np.array(pairs, dtype=np.int64).reshape(-1, 4).T))
    out.rows("MFJP_lookback", piece & has[:, :, None, None])


def _net_metering(out: _Builder, meters: list[Meter], n_t: int) -> None:
    """Netted export, its running balance against imports and its credit (see :mod:`.families_tariff`)."""
    has = np.array([m.terms.net_metering_thb_per_kwh is not None for m in meters])
    if not has.any():
        return
    n_m = len(meters)
    bonus, continues = np.zeros((n_m, n_t)), np.ones((n_m, n_t))
    balance_lower = np.zeros((n_m, n_t))
    for i, meter in enumerate(meters):
        if not has[i]:
            continue
        netting = np.asarray(meter.terms.netting_period_of_step)
        bonus[i] = meter.terms.net_metering_thb_per_kwh
        continues[i, 1:] = netting[1:] == netting[:-1]
        last = np.append(netting[1:] != netting[:-1], True)
        balance_lower[i] = np.where(last, 0.0, -np.inf)
    out.var("netted_kw", np.zeros((n_m, n_t)), np.where(has[:, None], np.inf, 0.0) * np.ones((1, n_t)))
    _running_sum(out, "net_balance_kwh", "nm", has, np.where(has[:, None], balance_lower, 0.0))
    out.params.update(net_metering_thb_per_kwh=bonus, netting_continues=continues)
    out.rows("MT_nm", np.repeat(has[:, None], n_t, axis=1))


def _running_sum(out: _Builder, name: str, tag: str, has: np.ndarray, lower: np.ndarray) -> None:
    """A running sum over each period, shape (M, T): its variable (free above ``lower`` on the
    meters in ``has``) and the index sets ``M_<tag>_first`` and ``MT_<tag>_later`` of its rows."""
    out.var(name, lower, np.where(has[:, None], np.inf, 0.0) * np.ones((1, lower.shape[1])))
    out.rows(f"M_{tag}_first", (np.flatnonzero(has), np.zeros(has.sum(), np.int64)))
    later = np.repeat(has[:, None], lower.shape[1], axis=1)
    later[:, 0] = False
    out.rows(f"MT_{tag}_later", later)


def _bill_floor(out: _Builder, meters: list[Meter], n_t: int) -> None:
    """Minimum charge on the month's energy + demand charges (see :mod:`.families_tariff`)."""
    has = np.array([m.terms.bill_floor is not None for m in meters])
    if not has.any():
        return
    for meter in meters:
        if meter.terms.bill_floor is not None and meter.terms.tier_sets:
            raise InputError("a minimum charge on the bill together with energy blocks or tiers is not supported by "
                             "the optimiser; use ratchet_floors: demand_charge or drop the blocks "
                             f"(meter '{meter.name}')",
                             "tariff.demand.ratchet_floors")
    n_m, n_p = len(meters), max(m.terms.n_periods for m in meters)
    base, continues = np.zeros((n_m, n_t)), np.ones((n_m, n_t))
    last, history = np.zeros((n_m, n_p), np.int64), np.zeros((n_m, n_p))
    valid = np.zeros((n_m, n_p), bool)
    pairs = []
    for i, meter in enumerate(meters):
        charge = meter.terms.bill_floor
        if charge is None:
            continue
        f, n_pi = meter.terms.demand_charges.index(charge), meter.terms.n_periods
        periods = np.asarray(meter.terms.period_of_step)
        base[i] = meter.terms.base_energy_thb_per_kwh
        continues[i, 1:] = periods[1:] == periods[:-1]
        last[i, :n_pi] = [np.flatnonzero(periods == p).max() for p in range(n_pi)]
        valid[i, :n_pi] = True
        history[i, :n_pi] = charge.ratchet_frac * charge.ratchet_history_thb
        pairs += [(i, f, p, q) for p in range(n_pi) for q in range(max(0, p - charge.ratchet_lookback_periods), p)]
    _running_sum(out, "cum_base_thb", "floor", has, np.zeros((n_m, n_t)))
    out.var("min_charge_thb", np.zeros((n_m, n_p)), np.where(valid, np.inf, 0.0))
    out.params.update(base_energy_thb_per_kwh=base, floor_continues=continues, floor_last_step=last,
                      floor_history_thb=history)
    out.rows("MP_floor", valid)
    out.rows("MFPQ_floor", tuple(np.array(pairs, dtype=np.int64).reshape(-1, 4).T))


def max_import_kw(out: _Builder, load_kw: np.ndarray) -> np.ndarray:
    r"""Largest import each step can have [kW], shape (M, T).

    From the power balance, with every other supply at zero and every other use at its most,

    .. math:: \bar m_{i,t} = \min\big(\text{limit}_{i,t},\ \max(0,\ L_{i,t} + \sum_n \bar P_{i,n} + \bar x_{i,t})\big)

    (import limit, 0 in an outage; load :math:`L` with the most flexible load added; largest
    power :math:`\bar P` of each battery; export limit :math:`\bar x`, 0 where export is not
    allowed). Infinite only when both the import and the export limit are.
    """
    charge_kw = np.asarray(out.params.get("max_power_kw", np.zeros((load_kw.shape[0], 1))), float).sum(axis=1)
    through_kw = np.maximum(0.0, load_kw + out.params.get("flex_max_kw", 0.0) + charge_kw[:, None]
                            + out.upper["export_kw"])
    return np.minimum(out.upper["import_kw"], through_kw)


def max_period_import_kwh(out: _Builder, load_kw: np.ndarray, step_h: float, period_of_step: np.ndarray,
                          i: int) -> np.ndarray:
    r"""Largest energy meter ``i`` can import in each billing period [kWh], shape (P,).

    Summing the power balance over the period (PV, generator and shed load only lower the
    import) gives :math:`Y_p \le \Delta t \sum_{t \in p} (L_t + \bar x_t) + \Delta t \sum_{t \in p} (c_t - d_t)`.
    With :math:`H_p` the period's hours, :math:`C = \Delta t \sum c \le \bar P H_p` and a stored
    energy change :math:`\eta^c C - D/\eta^d` of at most the state-of-charge span
    :math:`S = (\overline\sigma - \underline\sigma)\bar E`, the battery adds at most

    .. math:: \Delta t \sum_{t \in p} (c_t - d_t) \le \min(\bar P H_p,\ S/\eta^c)
              + \max(0,\ \bar P H_p - S/\eta^c)\,(1 - \eta^c \eta^d)

    (fill the span, then lose the round-trip share of whatever is cycled), summed over the
    meter's batteries. The bound is the smaller of this and the sum of the step bounds
    :math:`\Delta t \sum_{t \in p} \bar m_t` (:func:`max_import_kw`).
    """
    n_p = int(period_of_step.max()) + 1
    steps = np.bincount(period_of_step, weights=step_h * max_import_kw(out, load_kw)[i], minlength=n_p)
    flex_kw = out.params["flex_max_kw"][i] if "flex_max_kw" in out.params else 0.0
    through = np.bincount(period_of_step, weights=step_h * (load_kw[i] + flex_kw + out.upper["export_kw"][i]),
                          minlength=n_p)
    if "battery_kwh" in out.upper:
        hours = step_h * np.bincount(period_of_step, minlength=n_p)
        for n in range(out.upper["battery_kwh"].shape[1]):
            power_kw, eff_c, eff_d = (float(out.params[k][i, n]) for k in ("max_power_kw", "charge_eff_frac",
                                                                            "discharge_eff_frac"))
            span_kwh = (out.params["soc_max_frac"][i, n] - out.params["soc_min_frac"][i, n]) * float(
                out.upper["battery_kwh"][i, n])
            charged_kwh = power_kw * hours
            fill_kwh = span_kwh / eff_c if eff_c > 0 else 0.0
            through = through + np.minimum(charged_kwh, fill_kwh) + np.maximum(0.0, charged_kwh - fill_kwh) * (
                1.0 - eff_c * eff_d)
    return np.maximum(0.0, np.minimum(steps, through))


def _block_widths(blocks, period_max_kwh: np.ndarray) -> np.ndarray:
    r"""Widths :math:`W_{p,b}` of the blocks clipped to the period's largest energy [kWh], shape (P, B).

    .. math:: W_{p,b} = \min\big(U_b - U_{b-1},\ \max(0,\ \bar Y_p - U_{b-1})\big)

    (:math:`\bar Y_p` bounds the period's whole import, so also a tier set's share of it).
    """
    upper = np.asarray(blocks.upper_kwh, float)
    lower = np.concatenate([[0.0], upper[:-1]])
    room = np.maximum(0.0, period_max_kwh[:, None] - lower[None, :])
    return np.minimum((upper - lower)[None, :], room)


def _energy_blocks(out: _Builder, meters: list[Meter], n_t: int, step_h: float) -> None:
    """Energy blocks and tier sets :math:`s` of every meter, indexed (meter, set, period, block)."""
    sets_of = [m.terms.tier_sets for m in meters]
    n_s = max(len(sets) for sets in sets_of)
    if n_s == 0:
        return
    n_m = len(meters)
    n_b = max(len(b.price_thb_per_kwh) for sets in sets_of for b in sets)
    n_p = max(m.terms.n_periods for m in meters)
    price, icpt = np.zeros((n_m, n_s, n_b)), np.zeros((n_m, n_s, n_b))
    weight = np.zeros((n_m, n_s, n_t))
    has, nonconvex = np.zeros((n_m, n_s), bool), np.zeros((n_m, n_s), bool)
    rows = np.zeros((n_m, n_s, n_p, n_b), bool)
    last = np.zeros((n_m, n_p), np.int64)
    continues = np.ones((n_m, n_t))
    width = np.zeros((n_m, n_s, n_p, n_b))
    load = np.asarray(out.params["load_kw"], float)
    for i, meter in enumerate(meters):
        if not sets_of[i]:
            continue
        periods = np.asarray(meter.terms.period_of_step)
        n_pi = meter.terms.n_periods
        last[i, :n_pi] = np.array([np.flatnonzero(periods == p).max() for p in range(n_pi)])
        continues[i, 1:] = periods[1:] == periods[:-1]
        for s, blocks in enumerate(sets_of[i]):
            prices = np.asarray(blocks.price_thb_per_kwh, float)
            widths = np.diff(np.concatenate([[0.0], np.asarray(blocks.upper_kwh, float)]))
            n_bs = len(prices)
            price[i, s, :n_bs] = prices
            icpt[i, s, :n_bs] = [float(np.sum((prices[:b] - prices[b]) * widths[:b])) for b in range(n_bs)]
            weight[i, s] = 1.0 if blocks.step_weight is None else np.asarray(blocks.step_weight, float)
            has[i, s], nonconvex[i, s] = True, not blocks.is_convex
            counted = np.bincount(periods, weights=weight[i, s], minlength=n_pi) > 0
            rows[i, s, :n_pi, :n_bs] = counted[:, None]
            if nonconvex[i, s]:
                period_max_kwh = max_period_import_kwh(out, load, step_h, periods, i)
                width[i, s, :n_pi, :n_bs] = _block_widths(blocks, period_max_kwh)
    out.var("cum_import_kwh", np.zeros((n_m, n_s, n_t)), np.where(has[:, :, None], np.inf, 0.0) * np.ones((1, 1, n_t)))
    block_valid = rows.any(axis=3)
    out.var("block_thb", np.where(block_valid, -np.inf, 0.0), np.where(block_valid, np.inf, 0.0))
    out.params.update(block_price_thb_per_kwh=price, block_intercept_thb=icpt, tier_weight=weight,
                      period_last_step=last, period_continues=continues)
    out.rows("M_blocks_first", (*np.nonzero(has), np.zeros(has.sum(), np.int64)))
    later = np.repeat(has[:, :, None], n_t, axis=2)
    later[:, :, 0] = False
    out.rows("MT_blocks_later", later)
    out.rows("MPB", rows & ~nonconvex[:, :, None, None])
    out.rows("MP_blocks", block_valid)
    if nonconvex.any():
        _nonconvex_blocks(out, rows & nonconvex[:, :, None, None], width)


def _nonconvex_blocks(out: _Builder, rows: np.ndarray, width_kwh: np.ndarray) -> None:
    """Block amounts, fill-in-order binaries and their index sets (see :mod:`.families_tariff`)."""
    n_b = rows.shape[3]
    edge = rows[..., :-1] & rows[..., 1:]  # every block but a set's last has a "full" binary
    out.var("block_kwh", np.zeros(rows.shape), np.where(rows, width_kwh, 0.0))
    out.var("block_is_full", np.zeros(edge.shape), edge.astype(float), integer=edge)
    out.params["block_width_kwh"] = width_kwh
    out.rows("B", (np.arange(n_b),))
    out.rows("MP_blocks_mip", rows.any(axis=3))
    out.rows("MPB_blocks_edge", edge)


def _targets(out: _Builder, problem: DispatchProblem) -> None:
    econ, sizing = problem.economics, problem.options.mode == "sizing"
    targets = {"budget": (econ.budget_thb if sizing else None, "budget_thb"),
               "self_sufficiency": (econ.min_self_sufficiency_frac, "min_self_sufficiency_frac"),
               "renewable": (econ.min_renewable_frac, "min_renewable_frac"),
               "co2": (econ.max_co2_kg, "max_co2_kg")}
    for key, (value, param) in targets.items():
        if value is not None:
            out.params[param] = float(value)
            out.rows(f"ONE_{key}", (np.zeros(1, np.int64),))
