"""Sizing a scenario over its project life, beside sizing on its single (typical) year.

:func:`compare_life_sizing` sizes the site's PV and battery two ways and judges both designs by
the simulated project life of ``munigrid finance --lifetime fast``:

* **typical year**: the sizing a run does (one year, capital annualised with the capital
  recovery factor of each asset's life);
* **lifetime**: one size for every anchor year of the life
  (:func:`munigrid.scenarios.lifetime_anchors.size_over_life`): PV degraded, load grown,
  prices escalated, the battery's usable capacity faded as the simulated life of a design fades
  it, replacements or augmentation and residual value as finance counts them, each anchor
  weighted by the discount factors of the years it represents.

The fade depends on how the design cycles, so the sizing iterates: the first round uses the
simulated life of the typical-year design; each later round the life of the previous round's
design. It stops when the site's sizes move less than :data:`SIZE_TOLERANCE_FRAC` or after
``rounds`` rounds. Each design is then dispatched at its sizes for year 1, its life simulated
(``fast``) and priced (municipal structure: NPV, IRR, LCOE, replacement years), and its life's
cost on the anchors reported at its own simulated fade.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from munigrid.models.dispatch import DispatchProblem, solve
from munigrid.models.dispatch.problem import Meter, Sizes
from munigrid.models.errors import InputError, NoSolutionError, Problem
from munigrid.scenarios.lifetime_anchors import LifePlan, check_meters, size_over_life
from munigrid.scenarios.lifetime_days import representative_meters
from munigrid.scenarios.schema import Scenario
from munigrid.scenarios.uncertainty_sizing import _fixed, _site_sizes

#: stop iterating when no site size moves by more than this share [-]
SIZE_TOLERANCE_FRAC = 0.01


def anchor_years(years: int, count: int | None, load_growth_frac_per_year: float) -> tuple[int, ...]:
    """Anchor years: ``count`` evenly spaced from 1 to N, or ``fast``'s (1 and N; the middle year
    too when the load grows)."""
    if years == 1:
        return (1,)
    if count is None:  # as munigrid.scenarios.lifetime.simulate_lifetime anchors ``fast``
        return (1, (years + 2) // 2, years) if load_growth_frac_per_year != 0 and years >= 3 else (1, years)
    if not (isinstance(count, int) and 2 <= count <= years):
        raise InputError(Problem("anchors", f"must be a whole number from 2 to the project life ({years}), got {count!r}"))
    return tuple(sorted({int(round(1 + (years - 1) * k / (count - 1))) for k in range(count)}))


def plan_for(scenario: Scenario, prepared, *, years: int, escalation: str, load_growth_frac_per_year: float,
             anchors: tuple[int, ...], life=None) -> LifePlan:
    """The life of ``scenario``: its discount rate and PV degradation, the escalation scenario and
    finance defaults, and (``life``: the simulated :class:`munigrid.scenarios.lifetime.Lifetime` of a
    design) the battery's mid-year capacity, purchases and residual value."""
    import pandas as pd

    from munigrid.models.finance.defaults import default_escalation, default_value

    esc = default_escalation(escalation)
    index = prepared.inputs.index
    months = pd.PeriodIndex(sorted({pd.Period(year=y, month=m, freq="M") for y, m in zip(index.year, index.month)}))
    degradation = float(np.mean([a.degradation_frac_per_year for b in scenario.buildings for a in b.pv_arrays]
                                or [0.005]))
    plan = LifePlan(
        years=years, discount_rate_frac=scenario.sizing.discount_rate_frac, anchor_years=anchors,
        pv_degradation_frac_per_year=degradation, load_growth_frac_per_year=load_growth_frac_per_year,
        tariff_escalation_frac_per_year=esc.tariff_frac_per_year,
        ft_change_thb_per_kwh_per_year=esc.ft_change_thb_per_kwh_per_year,
        ft_floor_thb_per_kwh=esc.ft_floor_thb_per_kwh,
        ft_year1_thb_per_kwh=float(np.mean(prepared.ft.resolve(months).ft_thb_per_kwh)),
        vat_frac=float(prepared.inputs.buildings[0].tariff.vat_factor) - 1.0,
        om_escalation_frac_per_year=esc.om_frac_per_year,
        battery_replacement_cost_frac=float(default_value("costs", "battery_replacement_cost_frac")),
        inverter_share_frac=float(default_value("costs", "inverter_share_of_pv_capex_frac")),
        inverter_life_years=float(default_value("lives", "inverter_years")))
    if life is None or not life.energy.battery_capacity_frac:
        return plan
    eol = float(default_value("lives", "battery_end_of_life_capacity_frac"))
    mid = 0.5 * (life.table["battery_capacity_start_frac"].to_numpy() + life.table["battery_capacity_end_frac"].to_numpy())
    purchases = tuple(sorted([(int(y), 1.0) for y in life.energy.battery_replacement_years]
                             + [(int(y), float(s)) for y, s in life.energy.battery_augmentation]))
    residual = float(np.clip((life.energy.battery_end_capacity_frac - eol) / (1.0 - eol), 0.0, 1.0))
    return replace(plan, battery_capacity_frac=tuple(float(c) for c in np.clip(mid, 1e-3, 1.0)),
                   battery_purchases=purchases, battery_residual_frac=residual)


def with_sizes(meter: Meter, sizes: Sizes) -> Meter:
    """``meter`` with its assets installed at ``sizes`` (for a dispatch-mode solve)."""
    pv = [replace(a, capacity_kwp=sizes.pv_kwp.get(a.name, a.capacity_kwp)) for a in meter.pv]
    batteries = [replace(b, energy_kwh=sizes.battery_kwh, power_kw=sizes.battery_kw) for b in meter.batteries]
    generator = None if meter.generator is None else replace(meter.generator, rating_kw=sizes.generator_kw)
    return replace(meter, pv=pv, battery=None, batteries=batteries, generator=generator)


def _moved_frac(sizes: dict[str, Sizes], before: dict[str, Sizes]) -> float:
    """Largest relative change of the site's PV kWp, battery kWh and battery kW [-] (1 unit floor)."""
    now, then = _site_sizes(sizes), _site_sizes(before)
    return float(max(abs(a - b) / max(abs(b), 1.0) for a, b in zip(now, then)))


class DesignJudge:
    """Dispatches a design's year 1, simulates its life (``fast``) and prices it (municipal structure)."""

    def __init__(self, scenario: Scenario, prepared, *, years: int, escalation: str,
                 load_growth_frac_per_year: float, battery_upkeep: str):
        from munigrid.scenarios.runner import solve_options

        self.scenario, self.prepared = scenario, prepared
        self.years, self.escalation = years, escalation
        self.growth, self.upkeep = load_growth_frac_per_year, battery_upkeep
        self.options, self.economics = solve_options(scenario)

    def life(self, sizes: dict[str, Sizes]):
        """(Lifetime, finance case) of the design."""
        from munigrid.scenarios.finance import (
            ContractTerms,
            evaluate_structures,
            project_inputs,
            settings_with,
        )
        from munigrid.scenarios.lifetime import Lifetime
        from munigrid.scenarios.runner import results_dataset

        meters = [with_sizes(m, sizes[m.name]) for m in self.prepared.meters]
        result = solve(DispatchProblem(step_h=self.prepared.inputs.step_h, meters=meters, economics=self.economics,
                                       options=replace(self.options, mode="dispatch")))
        if not result.status.has_solution:
            raise NoSolutionError(result.status.value, ["year 1 of a sized design: the solver returned "
                                                        f"{result.status.value}", *result.diagnosis])
        results = results_dataset(self.prepared.inputs, {m.name: result for m in meters})
        inputs, notes, table = project_inputs(results, self.scenario, self.years, self.escalation, "fast",
                                              self.growth, None, self.upkeep)
        case = evaluate_structures(inputs, ("municipal",), ContractTerms(), settings_with(None, None))["municipal"]
        return Lifetime(inputs.lifetime, table, notes), case


def _design(sizes: dict[str, Sizes], life, case, life_cost_thb: float) -> dict:
    """A design's row of the comparison."""
    pv_kwp, battery_kwh, battery_kw = _site_sizes(sizes)
    metrics = case.project_metrics()
    energy = life.energy
    return {"pv_kwp": pv_kwp, "battery_kwh": battery_kwh, "battery_kw": battery_kw,
            "sizes": {n: asdict(s) for n, s in sizes.items()}, "life_cost_thb": life_cost_thb,
            "npv_thb": metrics["npv_thb"], "irr_frac": metrics["irr_frac"],
            "lcoe_thb_per_kwh": metrics["lcoe_thb_per_kwh"], "payback_years": metrics["payback_years"],
            "capex_thb": metrics["capex_thb"],
            "battery_replacement_years": list(energy.battery_replacement_years),
            "battery_augmentation": [list(a) for a in energy.battery_augmentation],
            "battery_end_capacity_frac": energy.battery_end_capacity_frac if energy.battery_capacity_frac else None}


def compare_life_sizing(scenario: Scenario, base_dir: Path, *, years: int = 20, escalation: str = "base",
                        load_growth_frac_per_year: float = 0.0, anchors: int | None = None,
                        battery_upkeep: str = "replace", rounds: int = 3, days_per_month: int | None = None,
                        time_limit_s: float | None = None, progress=None) -> dict:
    """Typical-year sizing against sizing over the project life, both judged by the simulated life
    (module docstring).

    Parameters
    ----------
    scenario : Scenario
        A sizing scenario (``optimisation.mode: sizing``).
    base_dir : Path
        Folder its relative paths start from.
    years : int
        Project life [years].
    escalation : {"flat", "base", "high"}
        Tariff and Ft escalation scenario of the finance defaults.
    load_growth_frac_per_year : float
        Yearly load growth [-/year].
    anchors : int, optional
        Number of anchor years (default: ``fast``'s anchors).
    battery_upkeep : {"replace", "augment"}
        What is bought when the battery's capacity falls below its end-of-life capacity.
    rounds : int
        Most sizing rounds (fade of the previous design, re-size).
    days_per_month : int, optional
        Anchor years on the first days of each month only
        (:mod:`munigrid.scenarios.lifetime_days`); None: whole years.
    time_limit_s : float, optional
        Solver wall-clock limit per anchor of the sizing over the life [s]; None: the scenario's
        ``optimisation.time_limit_s``.
    progress : callable, optional
        Called with a short description of each stage.

    Returns
    -------
    dict
        ``typical_year`` and ``lifetime`` designs (sizes, life cost on the anchors, NPV, IRR,
        LCOE, replacement years), ``rounds``, ``anchors`` and ``timings_s``.
    """
    from munigrid.scenarios.lifetime import check_options
    from munigrid.scenarios.runner import prepare, solve_meters, solve_options

    say = progress or (lambda stage: None)
    if scenario.optimisation.mode != "sizing":
        raise InputError(Problem("optimisation.mode", "must be sizing to size over the project life; set "
                                                      "optimisation.mode: sizing and the max_* bounds to size"))
    check_options("fast", years, load_growth_frac_per_year, battery_upkeep)
    if not (isinstance(rounds, int) and 1 <= rounds <= 10):
        raise InputError(Problem("rounds", f"must be a whole number from 1 to 10, got {rounds!r}"))
    points = anchor_years(years, anchors, load_growth_frac_per_year)
    clock = {"start": time.perf_counter()}
    say("weather, PV and loads")
    prepared = prepare(scenario, base_dir)
    meters, step_h = prepared.meters, prepared.inputs.step_h
    check_meters(meters)
    options, economics = solve_options(scenario)
    life_options = options if time_limit_s is None else replace(options, time_limit_s=float(time_limit_s))
    life_meters = meters if days_per_month is None else representative_meters(meters, prepared.inputs.index,
                                                                                days_per_month, economics)
    judge = DesignJudge(scenario, prepared, years=years, escalation=escalation,
                        load_growth_frac_per_year=load_growth_frac_per_year, battery_upkeep=battery_upkeep)

    def plan(life=None) -> LifePlan:
        return plan_for(scenario, prepared, years=years, escalation=escalation,
                        load_growth_frac_per_year=load_growth_frac_per_year, anchors=points, life=life)

    say("sizing on the typical year")
    tic = time.perf_counter()
    typical = solve_meters(meters, step_h, scenario, prepared.inputs.index)[meters[0].name]
    clock["typical_year_s"] = time.perf_counter() - tic
    say("simulating the life of the typical-year design")
    tic = time.perf_counter()
    typical_life, typical_case = judge.life(typical.sizes)
    clock["judge_s"] = time.perf_counter() - tic
    history, design, design_life, design_case = [], typical.sizes, typical_life, typical_case
    for round_no in range(1, rounds + 1):
        say(f"sizing over the life, round {round_no} ({len(points)} anchor years)")
        tic = time.perf_counter()
        sized = size_over_life(life_meters, step_h, plan(design_life), options=life_options, economics=economics)
        if not sized.result.status.has_solution:
            raise NoSolutionError(sized.result.status.value, [f"sizing over the life, round {round_no}: the solver "
                                                              f"returned {sized.result.status.value}"])
        clock[f"life_round{round_no}_s"] = time.perf_counter() - tic
        moved = _moved_frac(sized.result.sizes, design)
        history.append({"round": round_no, **dict(zip(("pv_kwp", "battery_kwh", "battery_kw"),
                                                      _site_sizes(sized.result.sizes))),
                        "life_cost_thb": sized.life_cost_thb, "moved_frac": moved,
                        "solve_s": round(clock[f"life_round{round_no}_s"], 2)})
        design = sized.result.sizes
        say(f"simulating the life of the round-{round_no} design")
        design_life, design_case = judge.life(design)
        if moved < SIZE_TOLERANCE_FRAC or not any(s.battery_kwh > 0 for s in design.values()):
            break  # sizes settled, or no battery whose fade the next round would update
    out = {}
    for name, sizes, life, case in (("typical_year", typical.sizes, typical_life, typical_case),
                                    ("lifetime", design, design_life, design_case)):
        say(f"pricing the {name.replace('_', ' ')} design on the anchors")
        tic = time.perf_counter()
        priced = size_over_life(life_meters, step_h, plan(life), options=life_options, economics=economics,
                                fixed_sizes=_fixed(meters, sizes))
        clock[f"pricing_{name}_s"] = time.perf_counter() - tic
        out[name] = _design(sizes, life, case, priced.life_cost_thb if priced.result.status.has_solution else np.nan)
    clock["total_s"] = time.perf_counter() - clock.pop("start")
    return {"scenario": scenario.name, "years": years, "escalation": escalation,
            "load_growth_frac_per_year": load_growth_frac_per_year, "battery_upkeep": battery_upkeep,
            "days_per_month": days_per_month, "anchors": list(points), "anchor_weights": [a.weight_frac for a in sized.anchors],
            "rounds": history, **out, "timings_s": {k: round(v, 2) for k, v in clock.items()}}
