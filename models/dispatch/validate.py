"""Check a :class:`~munigrid.models.dispatch.problem.DispatchProblem` and collect every problem at once."""

from __future__ import annotations

import math

import numpy as np

from munigrid.models.dispatch.problem import Battery, DispatchProblem, Meter
from munigrid.models.errors import InputError, Problem


def _length(problems, path, array, n_t):
    values = np.asarray(array, dtype=float)
    if values.shape != (n_t,):
        problems.append(Problem(path, f"must have one value per step ({n_t}), got shape {values.shape}"))
    elif not np.all(np.isfinite(values)):
        problems.append(Problem(path, f"has {int((~np.isfinite(values)).sum())} missing or infinite values; fill them"))


def _between(problems, path, value, low, high):
    if value is not None and not low <= value <= high:
        problems.append(Problem(path, f"must be between {low} and {high}, got {value}"))


def _nonnegative(problems, path, value):
    if value is not None and not value >= 0:
        problems.append(Problem(path, f"must be >= 0, got {value}"))


def _energy_blocks(problems, path, meter: Meter, blocks):
    """Blocks well formed; falling prices (mixed-integer) need a finite largest import per period."""
    weight = blocks.step_weight
    if weight is not None and (np.shape(weight) != (len(meter.load_kw),) or not np.all((np.asarray(weight) >= 0)
                                                                                        & (np.asarray(weight) <= 1))):
        problems.append(Problem(f"{path}.step_weight", "needs one weight in [0, 1] per step"))
    upper, prices = np.asarray(blocks.upper_kwh, float), np.asarray(blocks.price_thb_per_kwh, float)
    if upper.ndim != 1 or upper.shape != prices.shape or not len(upper):
        problems.append(Problem(f"{path}.upper_kwh", f"needs one edge per price, got {upper.shape} edges for "
                                                     f"{prices.shape} prices"))
        return
    if not (upper[-1] == np.inf and np.all(np.diff(upper) > 0) and upper[0] > 0):
        problems.append(Problem(f"{path}.upper_kwh",
                                f"must increase from above 0 and end with inf, got {upper.tolist()}"))
    if not blocks.is_convex and math.isinf(meter.import_limit_kw) and meter.terms.export_allowed \
            and math.isinf(meter.export_limit_kw):
        problems.append(Problem(f"{path}", "block prices that fall with use are modelled with binaries, which need "
                                           "a bound on the energy a billing period can import; with export allowed "
                                           "give a finite import_limit_kw or export_limit_kw"))


def _battery_problems(out: list[Problem], bw: str, bat: Battery) -> None:
    """Problems of one battery's parameters, named under ``bw``."""
    for field_name in ("charge_eff_frac", "discharge_eff_frac"):
        value = getattr(bat, field_name)
        if not 0 < value <= 1:
            out.append(Problem(f"{bw}.{field_name}", f"must be in (0, 1], got {value}"))
    for field_name in ("soc_min_frac", "soc_max_frac", "soc_initial_frac", "soc_final_frac"):
        _between(out, f"{bw}.{field_name}", getattr(bat, field_name), 0.0, 1.0)
    if bat.soc_min_frac > bat.soc_max_frac:
        out.append(Problem(f"{bw}.soc_min_frac", f"must be <= soc_max_frac {bat.soc_max_frac}, got {bat.soc_min_frac}"))
    if not bat.soc_min_frac <= bat.soc_initial_frac <= bat.soc_max_frac:
        out.append(Problem(f"{bw}.soc_initial_frac", "must lie between soc_min_frac and soc_max_frac"))
    if bat.soc_final_frac is not None and not bat.soc_min_frac <= bat.soc_final_frac <= bat.soc_max_frac:
        out.append(Problem(f"{bw}.soc_final_frac", "must lie between soc_min_frac and soc_max_frac"))
    if bat.power_kw is None and bat.c_rate_per_h is None:
        out.append(Problem(f"{bw}.power_kw", "give power_kw or c_rate_per_h"))
    _nonnegative(out, f"{bw}.energy_kwh", bat.energy_kwh)
    _nonnegative(out, f"{bw}.degradation_thb_per_kwh", bat.degradation_thb_per_kwh)


def problems_of(problem: DispatchProblem) -> list[Problem]:
    """Every problem with the input (empty when it is valid)."""
    out: list[Problem] = []
    if problem.step_h not in (0.25, 1.0):
        out.append(Problem("step_h", f"must be 0.25 or 1 h, got {problem.step_h}"))
    if not problem.meters:
        return out + [Problem("meters", "give at least one meter")]
    n_t = len(problem.meters[0].load_kw)
    opts = problem.options
    if opts.mode not in ("dispatch", "sizing"):
        out.append(Problem("options.mode", f"must be 'dispatch' or 'sizing', got {opts.mode!r}"))
    if not opts.time_limit_s > 0:
        out.append(Problem("options.time_limit_s", f"must be > 0, got {opts.time_limit_s}"))
    _between(out, "options.mip_rel_gap", opts.mip_rel_gap, 0.0, 1.0)
    names = [m.name for m in problem.meters]
    if len(set(names)) != len(names):
        out.append(Problem("meters", f"meter names must be unique, got {names}"))
    for i, meter in enumerate(problem.meters):
        where = f"meters[{i}]"
        _length(out, f"{where}.load_kw", meter.load_kw, n_t)
        terms = meter.terms
        if not math.isclose(terms.step_h, problem.step_h):
            out.append(Problem(f"{where}.terms.step_h", f"must equal the problem step {problem.step_h} h, got {terms.step_h}"))
        _length(out, f"{where}.terms.import_thb_per_kwh", terms.import_thb_per_kwh, n_t)
        _length(out, f"{where}.terms.export_thb_per_kwh", terms.export_thb_per_kwh, n_t)
        if np.shape(terms.period_of_step) != (n_t,):
            out.append(Problem(f"{where}.terms.period_of_step", f"must have one value per step ({n_t})"))
        if terms.energy_blocks is not None:
            _energy_blocks(out, f"{where}.terms.energy_blocks", meter, terms.energy_blocks)
        for s, tiers in enumerate(terms.energy_tiers):
            _energy_blocks(out, f"{where}.terms.energy_tiers[{s}]", meter, tiers)
        for f, dc in enumerate(terms.demand_charges):
            if np.shape(dc.window_mask)[1:] != (n_t,):
                out.append(Problem(f"{where}.terms.demand_charges[{f}].window_mask", f"must have {n_t} columns"))
        _nonnegative(out, f"{where}.import_limit_kw", meter.import_limit_kw)
        _nonnegative(out, f"{where}.export_limit_kw", meter.export_limit_kw)
        _between(out, f"{where}.critical_frac", meter.critical_frac, 0.0, 1.0)
        _nonnegative(out, f"{where}.voll_thb_per_kwh", meter.voll_thb_per_kwh)
        if meter.outage is not None and np.shape(meter.outage) != (n_t,):
            out.append(Problem(f"{where}.outage", f"must have one flag per step ({n_t})"))
        for a, arr in enumerate(meter.pv):
            _length(out, f"{where}.pv[{a}].ac_kw_per_kwp", arr.ac_kw_per_kwp, n_t)
            _nonnegative(out, f"{where}.pv[{a}].capacity_kwp", arr.capacity_kwp)
            if arr.max_kwp is not None and arr.max_kwp < arr.capacity_kwp:
                out.append(Problem(f"{where}.pv[{a}].max_kwp", f"must be >= capacity_kwp {arr.capacity_kwp}, got {arr.max_kwp}"))
            if arr.block_kwp is not None and not arr.block_kwp > 0:
                out.append(Problem(f"{where}.pv[{a}].block_kwp", f"must be > 0, got {arr.block_kwp}"))
        for n, bat in enumerate(meter.batteries):
            _battery_problems(out, f"{where}.battery" if meter.battery is not None else f"{where}.batteries[{n}]", bat)
        names = [bat.name for bat in meter.batteries]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            out.append(Problem(f"{where}.batteries", f"battery names must be unique on a meter; repeated: {', '.join(repeated)}"))
        if meter.generator is not None:
            gen, gw = meter.generator, f"{where}.generator"
            _between(out, f"{gw}.min_load_frac", gen.min_load_frac, 0.0, 1.0)
            _nonnegative(out, f"{gw}.rating_kw", gen.rating_kw)
            if gen.max_rating_kw is not None and gen.max_rating_kw < gen.rating_kw:
                out.append(Problem(f"{gw}.max_rating_kw", f"must be >= rating_kw {gen.rating_kw}"))
    econ = problem.economics
    _between(out, "economics.min_self_sufficiency_frac", econ.min_self_sufficiency_frac, 0.0, 1.0)
    _between(out, "economics.min_renewable_frac", econ.min_renewable_frac, 0.0, 1.0)
    _nonnegative(out, "economics.budget_thb", econ.budget_thb)
    _nonnegative(out, "economics.max_co2_kg", econ.max_co2_kg)
    if econ.min_renewable_frac is not None and not any(m.pv for m in problem.meters):
        out.append(Problem("economics.min_renewable_frac", "needs at least one PV array"))
    return out


def check(problem: DispatchProblem) -> None:
    """Raise :class:`InputError` listing every problem, or return."""
    found = problems_of(problem)
    if found:
        raise InputError(found)
