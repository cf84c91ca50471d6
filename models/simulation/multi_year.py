r"""Multi-year simulation: the same year replayed while the battery and PV age.

Year :math:`y = 0, 1, \ldots` runs the battery kernel once with capacity
:math:`E_y = E_0 (1 - \sum_{i<y} Q_i)` (fade :math:`Q_i` from
:func:`~munigrid.models.simulation.degradation.battery_fade`, calendar part at age
:math:`i`) and PV :math:`PV_t (1 - \rho)^y` (PV degradation :math:`\rho`, 0.5 %/year by
default: shared/reference/thai-energy.md, "PV degradation 0.5 %/year"). The battery starts
each year with the state of charge it ended the previous one with.

:func:`age_one_year` is the ageing step of the project-life simulation
(:mod:`munigrid.scenarios.lifetime`): a year's own cycling and the calendar fade at the battery's
age, and the replacement rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from munigrid.models.errors import Problem
from munigrid.models.simulation.battery import simulate_battery
from munigrid.models.simulation.degradation import DegradationParams, battery_fade, calendar_fade_frac
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.strategies import Band
from munigrid.models.simulation.validation import raise_if

PV_FADE_FRAC_PER_YEAR = 0.005


def simulate_years(load_kw, pv_kw, battery: BatteryParams, *, step_h: float, n_years: int,
                   strategy: Band | None = None, export_allowed: bool = False, temp_c: float | None = None,
                   degradation: DegradationParams | None = None,
                   pv_fade_frac_per_year: float = PV_FADE_FRAC_PER_YEAR) -> xr.Dataset:
    """Yearly energy totals and battery ageing over ``n_years`` (module equations).

    Parameters
    ----------
    load_kw, pv_kw : array, shape (T,)
        One year of load and first-year PV [kW].
    battery : BatteryParams
        The new battery (``energy_kwh > 0``).
    step_h : float
        Step [h].
    n_years : int
        Years simulated, >= 1.
    strategy, export_allowed
        As in :func:`~munigrid.models.simulation.battery.simulate_battery`.
    temp_c, degradation
        As in :func:`~munigrid.models.simulation.degradation.battery_fade`.
    pv_fade_frac_per_year : float
        :math:`\\rho` [1/year].

    Returns
    -------
    xarray.Dataset
        Dim ``year``: ``capacity_kwh`` (at the start of the year), ``fade_frac``,
        ``equivalent_full_cycles``, ``import_kwh``, ``export_kwh``, ``curtail_kwh``, ``pv_kwh``.
    """
    problems: list[Problem] = []
    if not (isinstance(n_years, (int, np.integer)) and n_years >= 1):
        problems.append(Problem("n_years", f"must be an integer >= 1, got {n_years!r}"))
    if not 0.0 <= pv_fade_frac_per_year < 1.0:
        problems.append(Problem("pv_fade_frac_per_year", f"must be in [0, 1), got {pv_fade_frac_per_year!r}"))
    if not battery.energy_kwh > 0:
        problems.append(Problem("battery.energy_kwh", f"must be > 0 kWh to age, got {battery.energy_kwh!r}"))
    raise_if(problems)
    pv = np.asarray(pv_kw, dtype=float)
    rows = []
    faded = 0.0
    soc_frac = battery.soc_initial_frac
    for year in range(n_years):
        capacity = battery.energy_kwh * max(1.0 - faded, 0.0)
        aged = replace(battery, energy_kwh=capacity, soc_initial_frac=soc_frac)
        trace = simulate_battery(load_kw, pv * (1.0 - pv_fade_frac_per_year) ** year, aged, strategy,
                                 step_h=step_h, export_allowed=export_allowed)
        fade = battery_fade(trace.soc_kwh, battery.energy_kwh, step_h=step_h, age_years=float(year),
                            temp_c=temp_c, params=degradation)
        rows.append((capacity, fade.total_fade_frac, fade.equivalent_full_cycles, step_h * trace.import_kw.sum(),
                     step_h * trace.export_kw.sum(), step_h * trace.curtail_kw.sum(),
                     step_h * pv.sum() * (1.0 - pv_fade_frac_per_year) ** year))
        faded += fade.total_fade_frac
        soc_frac = float(np.clip(trace.soc_kwh[-1] / capacity, battery.soc_min_frac, battery.soc_max_frac)) \
            if capacity > 0 else battery.soc_initial_frac
    names = [("capacity_kwh", "kWh"), ("fade_frac", "-"), ("equivalent_full_cycles", "-"), ("import_kwh", "kWh"),
             ("export_kwh", "kWh"), ("curtail_kwh", "kWh"), ("pv_kwh", "kWh")]
    table = np.array(rows)
    return xr.Dataset({name: ("year", table[:, i], {"units": unit}) for i, (name, unit) in enumerate(names)},
                      coords={"year": np.arange(n_years)})


@dataclass(frozen=True)
class BatteryAge:
    """A battery at the start of a project year.

    Attributes
    ----------
    capacity_frac : float
        Usable capacity relative to new [-].
    age_years : float
        Years since it was installed [year].
    """

    capacity_frac: float = 1.0
    age_years: float = 0.0


def age_one_year(state: BatteryAge, cycle_fade_frac: float, *, eol_frac: float, life_years: float,
                 params: DegradationParams | None = None, temp_c: float | None = None,
                 replace_allowed: bool = True, augment: bool = False) -> tuple[BatteryAge, float, str]:
    r"""The battery one year on: cycle fade of the year's own cycling plus calendar fade.

    .. math::

        c_{end} = c - Q_{cyc} - Q_{cal}(a, a + 1)

    At the end of the year the pack is replaced when :math:`a + 1 \ge \ell` (calendar life), or
    when :math:`c_{end} < c_{EoL}`; in that second case, with ``augment``, new modules of
    :math:`1 - c_{end}` of the nominal capacity are added instead (capacity back to 1, the pack's
    age taken as the capacity-weighted age :math:`c_{end}\,(a+1)`). A replaced pack starts new
    (:math:`c = 1`, :math:`a = 0`).

    Parameters
    ----------
    state : BatteryAge
        At the start of the year.
    cycle_fade_frac : float
        :math:`Q_{cyc}` of the year's cycling [-] (``battery_fade(...).cycle_fade_frac``).
    eol_frac : float
        :math:`c_{EoL}`: capacity below which the battery is replaced or augmented [-].
    life_years : float
        :math:`\ell`: calendar life after which the pack is replaced whatever its capacity [years].
    params, temp_c
        As in :func:`~munigrid.models.simulation.degradation.calendar_fade_frac`.
    replace_allowed : bool
        False in the last project year: nothing is bought after the project.
    augment : bool
        Add modules instead of replacing the pack when the capacity falls below :math:`c_{EoL}`.

    Returns
    -------
    next_state : BatteryAge
        At the start of the next year.
    end_capacity_frac : float
        :math:`c_{end}`, the capacity at the end of this year (before any purchase) [-].
    event : {"", "replace", "augment"}
        What is bought at the end of this year.
    """
    params = params or DegradationParams()
    calendar = calendar_fade_frac(1.0, params, age_years=state.age_years, temp_c=temp_c)
    end = max(0.0, state.capacity_frac - cycle_fade_frac - calendar)
    age = state.age_years + 1.0
    if not replace_allowed or (end >= eol_frac and age < life_years):
        return BatteryAge(end, age), end, ""
    if augment and age < life_years:
        return BatteryAge(1.0, end * age), end, "augment"
    return BatteryAge(), end, "replace"
