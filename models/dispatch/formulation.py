r"""The formulation: which constraint and cost family applies to which index set.

The families themselves are Pyomo rules in ``families_*.py`` and :mod:`.costs`; this module
lists them once. :func:`declare_components` creates the Pyomo components they refer to, either
*symbolic* (variables and parameters without data: enough for template compilation, built in
microseconds) or *materialised* (a full :class:`pyomo.environ.ConcreteModel` with data, for
inspection, other solvers and the tests that check the fast path against Pyomo itself).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from munigrid.models.dispatch import costs, families_energy as fe, families_generator as fg
from munigrid.models.dispatch import families_flex as fx, families_outage as fo, families_sizing as fs
from munigrid.models.dispatch import families_tariff as ft
from munigrid.models.dispatch.layout import ModelData

# (family name, rule, index-set name); a family is skipped when its set is absent or empty.
CONSTRAINT_FAMILIES = (
    ("power_balance", fe.power_balance, "MT"),
    ("pv_available", fe.pv_available, "MAT_sized"),
    ("soc_dynamics", fe.soc_dynamics, "MNT_battery"),
    ("soc_initial", fe.soc_initial, "MN_battery_first"),
    ("soc_final", fe.soc_final, "MN_battery_last"),
    ("soc_final_cap", fe.soc_final_cap, "MN_battery_last_equal"),
    ("soc_lower", fe.soc_lower, "MNT1_battery_sized"),
    ("soc_upper", fe.soc_upper, "MNT1_battery_sized"),
    ("charge_limit", fe.charge_limit, "MNT_battery_sized"),
    ("discharge_limit", fe.discharge_limit, "MNT_battery_sized"),
    ("c_rate_limit", fe.c_rate_limit, "MN_c_rate"),
    ("charge_exclusive", fe.charge_exclusive, "MNT_exclusive"),
    ("discharge_exclusive", fe.discharge_exclusive, "MNT_exclusive"),
    ("flex_load", fx.flex_load, "MT_flex"),
    ("reservoir_balance", fx.reservoir_balance, "MT_pump"),
    ("pump_units_max", fx.pump_units_max, "MT_pump_units"),
    ("pump_units_min", fx.pump_units_min, "MT_pump_units"),
    ("zone_dynamics", fx.zone_dynamics, "MT_zone"),
    ("store_balance", fx.store_balance, "MT_store"),
    ("store_floor", fs.store_floor, "MT1_store_sized"),
    ("store_ceiling", fs.store_ceiling, "MT1_store_sized"),
    ("store_charge_sized", fs.store_charge_sized, "MT_store_sized"),
    ("store_discharge_sized", fs.store_discharge_sized, "MT_store_sized"),
    ("ev_energy", fx.ev_energy, "MVT_ev"),
    ("gen_rating", fg.gen_rating, "MT_gen_sized"),
    ("gen_on_limit", fg.gen_on_limit, "MT_commit"),
    ("gen_min_load", fg.gen_min_load, "MT_commit"),
    ("gen_no_load_fuel", fg.gen_no_load_fuel, "MT_commit"),
    ("gen_startup", fg.gen_startup, "MT_commit_later"),
    ("gen_startup_first", fg.gen_startup_first, "M_commit_first"),
    ("demand_window", ft.demand_window, "MFKT"),
    ("demand_piece", ft.demand_piece, "MFJP"),
    ("demand_ratchet", ft.demand_ratchet, "MFPQ"),
    ("lookback_peak", ft.lookback_peak, "MFPQ_lookback"),
    ("demand_piece_lookback", ft.demand_piece_lookback, "MFJP_lookback"),
    ("netted_within_export", ft.netted_within_export, "MT_nm"),
    ("net_balance_first", ft.net_balance_first, "M_nm_first"),
    ("net_balance", ft.net_balance, "MT_nm_later"),
    ("floor_energy_first", ft.floor_energy_first, "M_floor_first"),
    ("floor_energy", ft.floor_energy, "MT_floor_later"),
    ("minimum_charge", ft.minimum_charge, "MFPQ_floor"),
    ("minimum_charge_history", ft.minimum_charge_history, "MP_floor"),
    ("cumulative_import_first", ft.cumulative_import_first, "M_blocks_first"),
    ("cumulative_import", ft.cumulative_import, "MT_blocks_later"),
    ("energy_block", ft.energy_block, "MPB"),
    ("block_energy_sum", ft.block_energy_sum, "MP_blocks_mip"),
    ("block_full", ft.block_full, "MPB_blocks_edge"),
    ("block_opens", ft.block_opens, "MPB_blocks_edge"),
    ("block_charge", ft.block_charge, "MP_blocks_mip"),
    ("pv_block", fs.pv_block, "MA_block"),
    ("battery_block", fs.battery_block, "MN_battery_block"),
    ("gen_block", fs.gen_block, "M_gen_block"),
    ("budget", fs.budget, "ONE_budget"),
    ("self_sufficiency", fs.self_sufficiency, "ONE_self_sufficiency"),
    ("renewable_share", fs.renewable_share, "ONE_renewable"),
    ("co2_cap", fs.co2_cap, "ONE_co2"),
) + fo.CONSTRAINT_FAMILIES

COST_FAMILIES = (
    ("energy", costs.energy_cost, "MT"),
    ("demand", costs.demand_cost, "MFP"),
    ("minimum_charge", costs.minimum_charge_cost, "MP_floor"),
    ("net_metering", costs.net_metering_credit, "MT_nm"),
    ("energy_blocks", costs.block_cost, "MP_blocks"),
    ("fixed", costs.fixed_cost, "M"),
    ("degradation", costs.degradation_cost, "MNT_battery"),
    ("fuel", costs.fuel_cost, "MT_gen"),
    ("no_load_fuel", costs.no_load_fuel_cost, "MT_commit"),
    ("startup", costs.startup_cost, "MT_commit"),
    ("lost_load", costs.shed_cost, "MT_shed"),
    ("pv_capital", costs.pv_capital_cost, "MA_sized"),
    ("battery_capital", costs.battery_capital_cost, "MN_battery_sized"),
    ("gen_capital", costs.gen_capital_cost, "M_gen_sized"),
    ("store_capital", costs.store_capital_cost, "M_store_sized"),
) + fo.COST_FAMILIES

# (variable family, equality family defining it), substituted out in this order before HiGHS solves
# (see munigrid.models.dispatch.reduction): import by the power balance, discharge by the SoC recurrence,
# the flexible load by the sum of its parts, pump power by the reservoir balance, cooling power by the zone's
DEFINED_BY = (
    ("import_kw", "power_balance"),
    ("discharge_kw", "soc_dynamics"),
    ("flex_kw", "flex_load"),
    ("pump_kw", "reservoir_balance"),
    ("cool_kw", "zone_dynamics"),
)

# parameters used as indices of other components (integers, never mutable)
INDEX_PARAMS = frozenset({"period_of_step", "period_last_step", "floor_last_step", "window_period"}) | fo.INDEX_PARAMS


def active(families, data: ModelData):
    """The families whose index set holds at least one member."""
    return [(name, rule, set_name) for name, rule, set_name in families
            if set_name in data.sets and len(data.sets[set_name][0])]


def _ranges(shape):
    return [pyo.RangeSet(0, n - 1) for n in shape]


def _tuples(index):
    return list(zip(*(a.tolist() for a in index))) if len(index) > 1 else index[0].tolist()


def declare_components(data: ModelData, materialise: bool = False) -> pyo.ConcreteModel:
    """Pyomo variables, parameters and sets of the instance.

    Parameters
    ----------
    data : ModelData
        Shapes, bounds, parameters and index sets.
    materialise : bool
        False: components without data, for template compilation. True: every variable with
        its bounds and domain, every parameter and set filled.
    """
    m = pyo.ConcreteModel()
    for name, shape in data.columns.shape.items():
        if not materialise:
            m.add_component(name, pyo.Var(*_ranges(shape), dense=False))
            continue
        lower, upper = data.lower[name], data.upper[name]
        integer = np.broadcast_to(data.integer.get(name, False), shape)

        def bounds(_, *idx, lower=lower, upper=upper):
            lo, up = float(lower[idx]), float(upper[idx])
            return (None if lo == -np.inf else lo, None if up == np.inf else up)

        def domain(_, *idx, integer=integer):
            return pyo.Integers if integer[idx] else pyo.Reals

        m.add_component(name, pyo.Var(*_ranges(shape), bounds=bounds, domain=domain))
    for name, value in data.params.items():
        if np.ndim(value) == 0:
            m.add_component(name, pyo.Param(initialize=float(value), mutable=True, within=pyo.Reals))
        elif not materialise:  # symbolic: looked up by template compilation, never stored in Pyomo
            m.add_component(name, pyo.Param(pyo.Any, mutable=name not in INDEX_PARAMS, within=pyo.Any))
        elif name in INDEX_PARAMS:
            init = {idx: int(v) for idx, v in np.ndenumerate(value)}
            m.add_component(name, pyo.Param(*_ranges(np.shape(value)), initialize=init, within=pyo.Integers))
        else:
            init = {idx: float(v) for idx, v in np.ndenumerate(value)}
            m.add_component(name, pyo.Param(*_ranges(np.shape(value)), initialize=init, mutable=True,
                                            within=pyo.Reals))
    for name, index in data.sets.items():
        m.add_component(name, pyo.Set(dimen=len(index), initialize=_tuples(index) if materialise else None,
                                      ordered=True))
    return m


def materialise(data: ModelData) -> pyo.ConcreteModel:
    """The full Pyomo model of the instance: constraints per family and the total-cost objective."""
    m = declare_components(data, materialise=True)
    for name, rule, set_name in active(CONSTRAINT_FAMILIES, data):
        m.add_component(name, pyo.Constraint(m.component(set_name), rule=rule))
    total = 0.0
    for name, rule, set_name in active(COST_FAMILIES, data):
        index_set = m.component(set_name)
        total = total + sum(rule(m, *(idx if isinstance(idx, tuple) else (idx,))) for idx in index_set)
    m.total_cost_thb = pyo.Objective(expr=total, sense=pyo.minimize)
    return m
