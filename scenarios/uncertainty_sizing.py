"""Sizing under uncertainty for a scenario: one PV and battery size over sampled years, against
sizing on the scenario's single (typical) year.

The sampled years are the day-block bootstrap of the run's Monte Carlo
(:func:`munigrid.models.simulation.montecarlo.draw_samples`, the scenario's load and weather
year), each a copy of the site's meters (:func:`munigrid.scenarios.uncertainty.sampled_meter`).
:func:`compare_sizing` sizes the site three ways and prices every design on the same samples:

* **typical year**: the sizing a run does (:func:`munigrid.models.dispatch.solve`, one year);
* **two-stage**: :func:`munigrid.models.dispatch.two_stage.two_stage_sizing` over the samples,
  expected cost plus the scenario's CVaR weight and limit (``uncertainty.*``);
* each design is then evaluated on the samples with its sizes fixed, and on a second set of
  samples drawn with another seed (out of sample), giving expected cost and P90 cost.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from munigrid.models.dispatch import DispatchProblem, solve
from munigrid.models.dispatch.problem import Meter, Sizes
from munigrid.models.dispatch.two_stage import RiskTerms, TwoStageResult, cvar, two_stage_sizing
from munigrid.models.errors import InputError, NoSolutionError, Problem
from munigrid.models.simulation.montecarlo import draw_samples
from munigrid.models.simulation.sampling import SampleSource
from munigrid.scenarios.schema import Scenario
from munigrid.scenarios.uncertainty import meter_source, sampled_meter

#: Seed offset of the out-of-sample years.
OUT_OF_SAMPLE_SEED = 1000


@dataclass
class DesignCosts:
    """A design's sizes and its cost over sampled years.

    Attributes
    ----------
    pv_kwp, battery_kwh, battery_kw : float
        Site totals of the sizes [kWp, kWh, kW].
    sizes : dict
        Per meter, as :class:`~munigrid.models.dispatch.problem.Sizes` fields.
    expected_thb, p90_thb, cvar_thb : float
        Mean, 90th percentile and CVaR at the scenario's level of the annualised capital plus
        the year's operating cost over the samples it was sized on [THB/year].
    out_of_sample : dict
        The same three figures on the out-of-sample years [THB/year].
    """

    pv_kwp: float
    battery_kwh: float
    battery_kw: float
    sizes: dict
    expected_thb: float = float("nan")
    p90_thb: float = float("nan")
    cvar_thb: float = float("nan")
    out_of_sample: dict = field(default_factory=dict)


def _site_sizes(sizes: dict[str, Sizes]) -> tuple[float, float, float]:
    return (float(sum(sum(s.pv_kwp.values()) for s in sizes.values())),
            float(sum(s.battery_kwh for s in sizes.values())), float(sum(s.battery_kw for s in sizes.values())))


def _fixed(meters: list[Meter], sizes: dict[str, Sizes]) -> dict[str, np.ndarray]:
    """The size families of ``sizes`` as per-meter arrays (PV padded to the most arrays of a meter)."""
    n_arrays = max((len(m.pv) for m in meters), default=0)
    pv = np.zeros((len(meters), n_arrays))
    for i, meter in enumerate(meters):
        pv[i, :len(meter.pv)] = [sizes[meter.name].pv_kwp[a.name] for a in meter.pv]
    fixed = {"battery_kwh": np.array([sizes[m.name].battery_kwh for m in meters]),
             "battery_kw": np.array([sizes[m.name].battery_kw for m in meters]),
             "gen_rating_kw": np.array([sizes[m.name].generator_kw for m in meters])}
    if n_arrays:
        fixed["pv_kwp"] = pv
    return fixed


def _figures(costs: np.ndarray, alpha_frac: float) -> dict[str, float]:
    return {"expected_thb": float(np.mean(costs)), "p90_thb": float(np.quantile(costs, 0.9)),
            "cvar_thb": cvar(costs, alpha_frac)}


def _require(result: TwoStageResult, what: str) -> TwoStageResult:
    if not result.status.has_solution:
        raise NoSolutionError(result.status.value, [f"{what}: the solver returned {result.status.value}"])
    return result


def sample_sets(meters: list[Meter], inputs, n_samples: int, seed: int, block_days: int = 7) -> list[list[Meter]]:
    """``n_samples`` sampled years of every meter (one list of meters per sample), drawn as the
    run's Monte Carlo draws them (same seed, same days)."""
    steps_per_day = int(round(24 / inputs.step_h))
    sources = [meter_source(m, [inputs.building(m.name)], steps_per_day) for m in meters]
    calendar = np.zeros_like(sources[0].source_load_kw)  # only the calendar matters for the draw
    day_map, scale = draw_samples(SampleSource.stacked_years([calendar], [calendar], step_h=inputs.step_h), n_samples,
                                  block_days=block_days, seed=seed)
    return [[sampled_meter(src, day_map[s], float(scale[s])) for src in sources] for s in range(n_samples)]


def compare_sizing(scenario: Scenario, base_dir: Path, *, n_samples: int | None = None, seed: int = 0,
                   risk: RiskTerms | None = None, progress=None, method: str = "auto") -> dict:
    """Typical-year sizing against two-stage sizing over sampled years (module docstring).

    ``method`` goes to :func:`~munigrid.models.dispatch.two_stage.two_stage_sizing` (``auto``: the
    L-shaped decomposition where the problem splits by sample).

    Returns
    -------
    dict
        ``typical_year`` and ``two_stage``: :class:`DesignCosts` as dicts; ``samples``,
        ``seed``, ``risk``, ``timings_s``.
    """
    from munigrid.scenarios.runner import prepare, solve_options

    say = progress or (lambda stage: None)
    if scenario.optimisation.mode != "sizing":
        raise InputError(Problem("optimisation.mode", "must be sizing to size under uncertainty; set "
                                                      "optimisation.mode: sizing and the max_* bounds to size"))
    settings = scenario.uncertainty
    n_samples = n_samples or settings.sizing_samples
    risk = risk or RiskTerms(settings.cvar_weight, settings.cvar_alpha_frac, settings.cvar_limit_thb)
    if scenario.time.days < 28:
        raise InputError(Problem("time.days", f"sampled years need at least 28 days, got {scenario.time.days}"))
    clock = {"start": time.perf_counter()}
    say("weather, PV and loads")
    prepared = prepare(scenario, base_dir)
    meters, step_h = prepared.meters, prepared.inputs.step_h
    options, economics = solve_options(scenario)
    samples = sample_sets(meters, prepared.inputs, n_samples, seed)
    held_out = sample_sets(meters, prepared.inputs, n_samples, seed + OUT_OF_SAMPLE_SEED)
    say("sizing on the typical year")
    tic = time.perf_counter()
    typical = solve(DispatchProblem(step_h=step_h, meters=meters, options=options, economics=economics))
    if not typical.status.has_solution:
        raise NoSolutionError(typical.status.value, list(typical.diagnosis))
    clock["typical_year_s"] = time.perf_counter() - tic
    say(f"two-stage sizing over {n_samples} sampled years")
    tic = time.perf_counter()
    two_stage = _require(two_stage_sizing(samples, step_h, options=options, economics=economics, risk=risk,
                                          method=method, start_sizes=_fixed(meters, typical.sizes)),
                         "two-stage sizing")
    clock["two_stage_s"] = time.perf_counter() - tic
    clock["worker_cpu_s"] = two_stage.timings.get("worker_cpu_s", 0.0)
    out = {}
    for name, sizes in (("typical_year", typical.sizes), ("two_stage", two_stage.sizes)):
        say(f"pricing the {name.replace('_', ' ')} design on the samples")
        tic = time.perf_counter()
        design = DesignCosts(*_site_sizes(sizes), {n: asdict(s) for n, s in sizes.items()})
        for target, years in (("in", samples), ("out", held_out)):
            priced = _require(two_stage_sizing(years, step_h, options=options, economics=economics,
                                               fixed_sizes=_fixed(meters, sizes), method=method), f"pricing {name}")
            clock["worker_cpu_s"] += priced.timings.get("worker_cpu_s", 0.0)
            figures = _figures(priced.sample_cost_thb / _horizon_years(meters, step_h), risk.cvar_alpha_frac)
            if target == "in":
                design.expected_thb, design.p90_thb, design.cvar_thb = (figures[k] for k in figures)
            else:
                design.out_of_sample = figures
        clock[f"pricing_{name}_s"] = time.perf_counter() - tic
        out[name] = asdict(design)
    clock["total_s"] = time.perf_counter() - clock.pop("start")
    return {"scenario": scenario.name, "samples": n_samples, "seed": seed, "risk": asdict(risk), **out,
            "two_stage_objective_thb": two_stage.objective_thb, "two_stage_bound_thb": two_stage.bound_thb,
            "two_stage_method": two_stage.method, "two_stage_timings_s": _rounded(two_stage.timings),
            "timings_s": {k: round(v, 2) for k, v in clock.items()}}


def _rounded(timings: dict) -> dict:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in timings.items()}


def _horizon_years(meters: list[Meter], step_h: float) -> float:
    """Horizon length [year], to quote costs per year."""
    return len(meters[0].load_kw) * step_h / 8760.0
