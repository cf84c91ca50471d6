r"""Resilience of a run: outages starting at every step of the optimised schedule.

Survival (every meter with a battery or a generator). For an outage starting at step
:math:`t_0`, the meter (a building, or the buildings behind a shared connection) is islanded
with each battery's stored energy of the optimised schedule at :math:`t_0` (``soc_kwh``, the
beginning of the step; every battery behind the meter serves its critical load, each within
its own limits, :mod:`munigrid.models.simulation.outage`), the generator's fuel on site
(``generator.tank_l``; none: no limit, fuel is brought in as the outage lasts) and all the PV
its arrays give (``pv_ac_kw``, curtailed PV included). The critical load

.. math:: L^{crit}_t = \phi_b\, L_t, \qquad \phi_b = \texttt{buildings[].critical\_frac}
          \text{ or } \texttt{grid.critical\_frac},

is served by the rule of :mod:`munigrid.models.simulation.outage` (PV first, surplus charges
the battery, then the generator, then the battery) until a step cannot be served in full;
the steps served are the survival, capped at ``grid.survival_max_h`` and wrapping around the
horizon's end, as REopt's outage simulator evaluates every start hour of the year. Reported:
mean and minimum survival [h] and the share of start steps that survive 4, 8 and 24 h.

Outage risk (``grid.outage_risk``, every building). Outages of lengths :math:`d` with
probabilities :math:`p_d` start at step :math:`t_0` with weight :math:`w_{t_0}` (the hour
weights, normalised over the horizon; equal weights without them). The same rule carried on
through shortfalls gives the unserved critical energy :math:`U_{t_0,d}` [kWh]; a building
without a battery or a generator has no source that can form an island (grid-tied PV
inverters trip with the grid), so its whole critical load is unserved. Per outage

.. math:: E[U] = \sum_{t_0} w_{t_0} \sum_d p_d\, U_{t_0,d}, \qquad
          E[LL] = E[U] + \sum_{t_0} w_{t_0} \sum_d p_d \sum_{k<d} (1-\phi_b) L_{t_0+k}\,\Delta t,

the lost load :math:`LL` adding the non-critical load, which is off during the outage; yearly
figures are ``events_per_year`` times these, and the expected value of lost load is
``grid.voll_thb_per_kwh`` times :math:`E[LL]` (absent without a value of lost load).

In the objective (``outage_risk.in_objective``): :func:`outage_recourse` picks
``objective_starts`` representative start steps (each an equal share of the start weight) and
the dispatch model gives every start x length its own island operation from the schedule's
stored energy (:mod:`munigrid.models.dispatch.families_outage`), so the schedule keeps energy
in the battery where outages are likely and costly. The figures above stay those of every start
step under the rule; the objective's own expected value is of the representative starts under
optimal island operation, and the two differ by that sampling and operation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from munigrid.models.dispatch.families_outage import OutageRecourse
from munigrid.models.simulation.outage import IslandCase, survival_of, unserved_of
from munigrid.models.simulation.params import BatteryParams, GeneratorParams
from munigrid.scenarios.connections import battery_specs, meter_buildings
from munigrid.scenarios.schema import Scenario

#: outage lengths whose survival probability every run reports [h]
SURVIVAL_DURATIONS_H = (4.0, 8.0, 24.0)


def critical_frac(scenario: Scenario, building: str) -> float:
    """Share of ``building``'s load that must be served in an outage [-] (its own, else the grid's)."""
    own = next((b.critical_frac for b in scenario.buildings if b.name == building), None)
    return scenario.grid.critical_frac if own is None else float(own)


@dataclass(frozen=True)
class IslandAssets:
    """What serves a meter's critical load in an outage.

    Attributes
    ----------
    batteries : tuple of BatteryParams
        Every battery behind the meter with usable energy, at the run's size, in the scenario's
        order (empty when there is none).
    soc_names : tuple of str
        Where each battery's stored energy is in the results: ``""`` for the meter's
        ``soc_kwh``, else the battery's name on the ``battery`` dimension.
    generator : GeneratorParams or None
        The generator at the run's rating.
    fuel_l : float
        Fuel on site at the start of an outage [L] (``math.inf``: no limit).
    """

    batteries: tuple[BatteryParams, ...]
    soc_names: tuple[str, ...]
    generator: GeneratorParams | None
    fuel_l: float

    @property
    def can_island(self) -> bool:
        """True when a battery or a generator can carry the building through an outage."""
        return bool(self.batteries) or self.generator is not None


def _battery_sizes(results: xr.Dataset, meter: str, name: str, several: bool) -> tuple[float, float, str]:
    """Energy [kWh], power [kW] of battery ``name`` behind ``meter`` in the run, and where its
    stored energy is (:attr:`IslandAssets.soc_names`)."""
    if several and "battery" in results.dims and name in results["battery"].values:
        bank = results.sel(battery=name)
        return float(bank["battery_energy_kwh"]), float(bank["battery_power_kw"]), name
    sizes = results.sel(building=meter)
    return float(sizes["battery_kwh"]), float(sizes["battery_kw"]), ""


def island_assets(scenario: Scenario, results: xr.Dataset, building: str) -> IslandAssets:
    """The batteries and generator behind meter ``building`` (its own building's, or every
    member's of a shared connection), at the sizes the run used (``results``)."""
    members = meter_buildings(scenario).get(building, [building])
    specs = [spec for spec in battery_specs(scenario) if spec.building in members]
    batteries, soc_names = [], []
    for spec in specs:
        energy_kwh, power_kw, where = _battery_sizes(results, building, spec.name, len(specs) > 1)
        if spec.soc_max_frac > spec.soc_min_frac and energy_kwh > 0 and power_kw > 0:  # else nothing usable
            batteries.append(BatteryParams(energy_kwh, power_kw, spec.charge_eff_frac, spec.discharge_eff_frac,
                                           spec.soc_min_frac, spec.soc_max_frac, spec.soc_initial_frac))
            soc_names.append(where)
    generator = None
    gen = scenario.generator
    if gen is not None and gen.building in members and float(results.sel(building=building)["generator_kw"]) > 0:
        generator = GeneratorParams(float(results.sel(building=building)["generator_kw"]), gen.min_load_frac,
                                    gen.fuel_intercept_l_per_kwh, gen.fuel_slope_l_per_kwh)
    fuel_l = math.inf if gen is None or gen.tank_l is None else float(gen.tank_l)
    return IslandAssets(tuple(batteries), tuple(soc_names), generator, fuel_l if generator is not None else 0.0)


def _series(results: xr.Dataset, name: str, building: str) -> np.ndarray:
    return results[name].sel(building=building).to_numpy().astype(float)


def island_case(scenario: Scenario, results: xr.Dataset, building: str) -> IslandCase:
    """``building`` in an outage: critical load, PV (none without a battery or a generator to
    form the island), each battery's stored energy in the schedule, its batteries, generator and
    fuel (all the meter's batteries serve its critical load)."""
    assets = island_assets(scenario, results, building)
    load = critical_frac(scenario, building) * _series(results, "load_kw", building)
    pv = _series(results, "pv_ac_kw", building) if assets.can_island else np.zeros_like(load)
    if not assets.batteries:
        return IslandCase(load, pv, np.zeros_like(load), BatteryParams(0.0, 0.0), assets.generator, assets.fuel_l)
    soc = [_series(results, "soc_kwh", building) if not where
           else results["battery_soc_kwh"].sel(battery=where).to_numpy().astype(float) for where in assets.soc_names]
    battery = assets.batteries[0] if len(assets.batteries) == 1 else assets.batteries
    return IslandCase(load, pv, soc[0] if len(soc) == 1 else np.array(soc), battery, assets.generator, assets.fuel_l)


def survival_figures(survived_h: np.ndarray, max_h: float) -> dict:
    """Mean and minimum survival [h], share of starts reaching :data:`SURVIVAL_DURATIONS_H` and the cap."""
    shares = (survived_h[None, :] >= np.array(SURVIVAL_DURATIONS_H)[:, None] - 1e-9).mean(axis=1)
    return {"mean_h": float(survived_h.mean()), "min_h": float(survived_h.min()), "max_evaluated_h": float(max_h),
            "survive_frac": {f"{d:g}": float(s) for d, s in zip(SURVIVAL_DURATIONS_H, shares)}}


def start_weights(index, hour_weights: list[float] | None) -> np.ndarray:
    """Weight of each start step, summing to 1: by its hour of day, or equal [-]."""
    if hour_weights is None:
        return np.full(len(index), 1.0 / len(index))
    weights = np.asarray(hour_weights, dtype=float)[np.asarray(index.hour)]
    total = weights.sum()
    return weights / total if total > 0 else np.full(len(index), 1.0 / len(index))


def representative_starts(index, hour_weights: list[float] | None, count: int) -> np.ndarray:
    """``count`` start steps, each standing for an equal share of the start weight: the steps
    where the cumulative weight first reaches :math:`(j + 1/2)/N`, :math:`j < N`."""
    cumulative = np.cumsum(start_weights(index, hour_weights))
    targets = (np.arange(count) + 0.5) / count
    return np.minimum(np.searchsorted(cumulative, targets * cumulative[-1], side="left"), len(index) - 1)


def outage_recourse(scenario: Scenario, index, step_h: float) -> OutageRecourse | None:
    """The representative outages of ``grid.outage_risk`` for the objective (None unless ``in_objective``)."""
    risk = scenario.grid.outage_risk
    if risk is None or not risk.in_objective:
        return None
    steps = np.maximum(np.rint(np.array([d.hours for d in risk.durations]) / step_h).astype(np.int64), 1)
    return OutageRecourse(representative_starts(index, risk.start_hour_weights, risk.objective_starts), steps,
                          np.array([d.probability_frac for d in risk.durations]), risk.events_per_year,
                          float(scenario.grid.voll_thb_per_kwh))


def window_sums_kwh(power_kw: np.ndarray, duration_steps: np.ndarray, step_h: float) -> np.ndarray:
    """Energy [kWh] of ``power_kw`` over each window of ``duration_steps`` from every step
    (wrapping around the end), shape (T, D)."""
    n = power_kw.size
    reps = int(np.ceil(duration_steps.max() / n)) + 1
    cumulative = np.concatenate([[0.0], np.cumsum(np.tile(power_kw, reps))]) * step_h
    starts = np.arange(n)
    return cumulative[starts[:, None] + duration_steps[None, :]] - cumulative[starts][:, None]


def outage_risk_figures(scenario: Scenario, results: xr.Dataset, step_h: float) -> tuple[dict, xr.DataArray]:
    """Expected unserved critical energy, lost load and value of lost load of ``grid.outage_risk``.

    Returns the figures (per outage and per year, by building and for the site) and the
    expected unserved critical energy of an outage starting at each step [kWh] (time x building).
    """
    risk = scenario.grid.outage_risk
    index = results.indexes["time"]
    weights = start_weights(index, risk.start_hour_weights)
    voll = scenario.grid.voll_thb_per_kwh
    names = [str(b) for b in results["building"].values]
    hours = np.array([d.hours for d in risk.durations])
    probability = np.array([d.probability_frac for d in risk.durations])
    steps = np.maximum(np.rint(hours / step_h).astype(np.int64), 1)
    unserved = unserved_of([island_case(scenario, results, n) for n in names], step_h=step_h, duration_h=hours)
    by_start, buildings = [], {}
    for name, lost_critical in zip(names, unserved):
        frac = critical_frac(scenario, name)
        off = window_sums_kwh((1.0 - frac) * _series(results, "load_kw", name), steps, step_h)
        by_start.append(lost_critical @ probability)
        per_event = {"unserved_critical_kwh": float(weights @ by_start[-1]),
                     "lost_load_kwh": float(weights @ ((lost_critical + off) @ probability))}
        buildings[name] = _yearly(per_event, risk.events_per_year, voll)
    site = {key: float(sum(b[key] for b in buildings.values())) if voll is not None or "thb" not in key else None
            for key in next(iter(buildings.values()))}
    figures = {"events_per_year": risk.events_per_year, "voll_thb_per_kwh": voll, "in_objective": risk.in_objective,
               "durations": [{"hours": d.hours, "probability_frac": d.probability_frac} for d in risk.durations],
               "start_hour_weights": risk.start_hour_weights, "buildings": buildings, "site": site}
    array = xr.DataArray(np.column_stack(by_start), dims=("time", "building"),
                         coords={"time": results["time"], "building": names},
                         attrs={"units": "kWh",
                                "label": "expected unserved critical energy of an outage from this step"})
    return figures, array


def _yearly(per_event: dict, events_per_year: float, voll: float | None) -> dict:
    out = {f"{k}_per_outage": v for k, v in per_event.items()}
    out.update({f"{k}_per_year": events_per_year * v for k, v in per_event.items()})
    out["lost_load_thb_per_year"] = None if voll is None else voll * out["lost_load_kwh_per_year"]
    return out


def run_resilience(scenario: Scenario, results: xr.Dataset, step_h: float) -> tuple[dict, xr.Dataset]:
    """Resilience figures of a run (manifest ``resilience``) and their series (``resilience.nc``).

    Parameters
    ----------
    scenario : Scenario
    results : xarray.Dataset
        The run's results (:func:`munigrid.scenarios.runner.results_dataset`).
    step_h : float
        Step [h].

    Returns
    -------
    figures : dict
        ``survival``: by building with a battery or a generator, :func:`survival_figures` plus
        ``critical_frac`` and ``fuel_l`` (None: no limit); ``outage_risk``: the figures of
        :func:`outage_risk_figures`, or None without ``grid.outage_risk``.
    series : xarray.Dataset
        ``survived_h`` (time x building, NaN without a battery or a generator) and, with an outage
        risk, ``expected_unserved_kwh`` (time x building).
    """
    max_h = scenario.grid.survival_max_h
    names = [str(b) for b in results["building"].values]
    islands = [n for n in names if island_assets(scenario, results, n).can_island]
    cases = [island_case(scenario, results, n) for n in islands]
    found = survival_of(cases, step_h=step_h, max_hours=max_h) if cases else []
    survival, survived = {}, {}
    for name, case, result in zip(islands, cases, found):
        survived[name] = result.survived_h
        survival[name] = {**survival_figures(result.survived_h, result.max_h), "critical_frac": critical_frac(
            scenario, name), "fuel_l": None if math.isinf(case.fuel_l) else case.fuel_l}
    table = np.full((results.sizes["time"], len(names)), np.nan)
    for name, hours in survived.items():
        table[:, names.index(name)] = hours
    series = xr.Dataset({"survived_h": (("time", "building"), table, {
        "units": "h", "label": "hours the critical load is served in an outage starting at this step "
                               "(NaN: no battery or generator)"})}, coords={"time": results["time"], "building": names})
    figures = {"durations_h": list(SURVIVAL_DURATIONS_H), "max_evaluated_h": max_h, "survival": survival,
               "outage_risk": None}
    if scenario.grid.outage_risk is not None:
        figures["outage_risk"], series["expected_unserved_kwh"] = outage_risk_figures(scenario, results, step_h)
    return figures, series
