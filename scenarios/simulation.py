"""Monte Carlo of a scenario with the numba simulation core.

Each building is simulated on its own meter: its load and PV (at installed capacity), the
battery when the scenario puts one there, its tariff's cost terms. Samples are years of
whole days drawn by the seasonal, weekday-keeping block bootstrap
(:mod:`munigrid.models.simulation.sampling`) from the scenario's horizon modelled under
``n_weather_years`` synthetic weather years (seeds ``seed, seed + 1, ...``: PV and the
weather-driven load move together), with an optional load-level spread; one parallel
kernel call per building simulates all samples. Every building draws with the same seed, so
sample ``s`` is the same sequence of days and the same load factor site-wide and the site
totals of a sample are coherent. Each sample also bills its own Ft path around the run's
schedule (``ft_process``; :mod:`munigrid.models.tariffs.ft_paths`; national, so the same path
for every building of a sample), unless Ft paths are fixed. With ``operator="rule"`` the battery follows a rule
(``strategy``): the distributions show how a rule-operated system varies with weather and load.
With ``operator="optimiser"`` every sampled year of a meter with something to decide is solved
by the dispatch optimiser (:mod:`munigrid.scenarios.uncertainty`, worker processes), on the same
sampled days and load factors as the rule would get.

After a sizing run, :func:`simulate_run` simulates the sized system (the PV and battery the
optimiser chose), not the scenario's installed capacities, and says which system it was.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import xarray as xr

from munigrid.models.errors import InputError, Problem
from munigrid.models.memory import require_memory
from munigrid.models.simulation.ensemble import N_METRICS, metrics_dataset
from munigrid.models.simulation.montecarlo import draw_samples, monte_carlo, sample_bytes, summarize
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.sampling import SampleSource
from munigrid.models.simulation.strategies import STRATEGIES
from munigrid.models.simulation.tariff_arrays import pack_tariff
from munigrid.models.tariffs.ft_paths import FtPaths, FtProcess, repriced_terms, sample_ft_paths
from munigrid.models.tariffs.grid import billing_months
from munigrid.scenarios.connections import battery_specs, meter_buildings, meter_of
from munigrid.scenarios.inputs import SiteInputs, build_inputs
from munigrid.scenarios.inputs import ft_schedule
from munigrid.scenarios.schema import Scenario
from munigrid.scenarios.uncertainty import OPERATORS, MeterSource, has_decisions, meter_source, optimised_metrics

SUMMED = ("cost_thb", "energy_cost_thb", "demand_cost_thb", "import_kwh", "export_kwh", "curtail_kwh", "load_kwh",
          "pv_kwh")


def _rule_batteries(scenario, members) -> list:
    """The batteries with energy the rule's kernel would simulate behind a meter of ``members``."""
    return [spec for spec in battery_specs(scenario) if spec.building in members and spec.energy_kwh > 0]


def rule_problems(scenario: Scenario) -> list[Problem]:
    """Why the rule operator cannot simulate ``scenario``: a meter with more than one battery (the
    rule's kernel simulates one battery per meter; the optimiser operator takes any number)."""
    problems = []
    for meter, members in meter_buildings(scenario).items():
        specs = _rule_batteries(scenario, members)
        if len(specs) > 1:
            problems.append(Problem("batteries", f"meter '{meter}' has {len(specs)} batteries "
                                                 f"({', '.join(s.name for s in specs)}); the rule operator simulates "
                                                 "one battery per meter: use --operator optimiser (scenario "
                                                 "uncertainty.operator: optimiser)"))
    return problems


def _battery_for(scenario, building) -> BatteryParams:
    """The battery behind ``building``'s meter (its own or a connection's) for the rule's kernel,
    zero size when there is none (:func:`rule_problems` refuses several)."""
    specs = _rule_batteries(scenario, building.members)
    if len(specs) != 1:
        return BatteryParams(0.0, 0.0)
    spec = specs[0]
    return BatteryParams(spec.energy_kwh, spec.power_kw, spec.charge_eff_frac, spec.discharge_eff_frac,
                         spec.soc_min_frac, spec.soc_max_frac, spec.soc_initial_frac)


def on_peak_steps(terms) -> np.ndarray:
    """Steps priced above the cheapest step of their billing period (Ft changes between months)."""
    price = np.asarray(terms.import_thb_per_kwh, dtype=float)
    period = np.asarray(terms.period_of_step)
    cheapest = np.full(terms.n_periods, np.inf)
    np.minimum.at(cheapest, period, price)
    return price > cheapest[period] + 1e-9


def _strategy(name: str, terms, threshold_kw: float | None, building: str):
    on_peak = on_peak_steps(terms)
    if name == "tou_arbitrage" and not on_peak.any():
        raise InputError(Problem("strategy (--strategy)", f"{building}'s tariff has one price at every step, so TOU "
                                               "arbitrage has nothing to gain; use self_consumption"))
    if name == "peak_shaving" and threshold_kw is None:
        raise InputError(Problem("threshold_kw (--threshold-kw)", "peak_shaving needs the import level to defend [kW]"))
    return STRATEGIES[name](len(on_peak), on_peak, threshold_kw=threshold_kw)


def weather_years(scenario, n_years: int) -> list:
    """Model inputs of ``scenario`` under ``n_years`` synthetic weather years (seeds counted up)."""
    if n_years > 1 and scenario.weather.source != "synthetic":
        raise InputError(Problem("weather_years (--weather-years)", "needs synthetic weather; this scenario reads one weather "
                                                    "year from a file"))
    base_dir = getattr(scenario, "_base_dir", None)
    years = []
    for k in range(n_years):
        weather = scenario.weather.model_copy(update={"seed": scenario.weather.seed + k})
        years.append(build_inputs(scenario.model_copy(update={"weather": weather}), base_dir or Path.cwd()))
    return years


def ft_process_for(scenario: Scenario, paths: str | None = None, volatility_thb_per_kwh: float | None = None
                   ) -> FtProcess | None:
    """The Ft process of ``scenario``'s Monte Carlo, ``None`` for fixed Ft paths.

    ``paths`` and ``volatility_thb_per_kwh`` (command-line values) override ``uncertainty.ft_paths``
    and ``uncertainty.ft_volatility_thb_per_kwh``; parameters left unset are estimated from the
    billed Ft (:meth:`FtProcess.estimated`).
    """
    settings = scenario.uncertainty
    if (paths or settings.ft_paths) == "fixed":
        return None
    given = {"volatility_thb_per_kwh": settings.ft_volatility_thb_per_kwh if volatility_thb_per_kwh is None
             else volatility_thb_per_kwh, "persistence_frac": settings.ft_persistence_frac,
             "min_thb_per_kwh": settings.ft_min_thb_per_kwh, "max_thb_per_kwh": settings.ft_max_thb_per_kwh}
    try:
        return FtProcess.estimated().with_values(**given)
    except InputError as err:  # e.g. a minimum above the estimated maximum
        raise InputError([Problem(f"uncertainty.{p.path}", p.message) for p in err.problems]) from None


def ft_attrs(process: FtProcess | None, paths: FtPaths) -> dict:
    """Flat attributes of the samples saying what Ft they billed (``ft_paths``, the process, the
    schedule's mean [THB/kWh])."""
    out = {"ft_paths": "fixed" if process is None else "sampled",
           "ft_schedule_mean_thb_per_kwh": float(paths.fixed_thb_per_kwh.mean())}
    if process is not None:
        out.update({f"ft_{name}": float(value) for name, value in process.__dict__.items()})
    return out


def ft_summary(samples: xr.Dataset) -> dict:
    """What Ft the samples billed (:func:`ft_attrs` without the prefix), with P10/P50/P90 and the mean
    of each sample's mean Ft [THB/kWh] when sampled."""
    out = {k.removeprefix("ft_"): v for k, v in samples.attrs.items() if k.startswith("ft_")}
    if out.get("paths") == "sampled":
        stats = summarize(samples[["ft_mean_thb_per_kwh"]])["ft_mean_thb_per_kwh"]
        out["sample_mean_thb_per_kwh"] = {str(q): float(v) for q, v in zip(stats["quantile"].values, stats.values)}
    return out


def _optimiser_sources(scenario: Scenario, years: list, ft, ft_paths: FtPaths | None = None
                       ) -> dict[int, MeterSource]:
    """Per building index, the :class:`MeterSource` of every building the optimiser has something to
    decide on (under the lowest Ft any sample bills: a negative price is a decision)."""
    from munigrid.scenarios.runner import meter_for

    inputs = years[0]
    dispatch = scenario.model_copy(
        update={"optimisation": scenario.optimisation.model_copy(update={"mode": "dispatch"})})
    sources = {}
    for i, building in enumerate(inputs.buildings):
        meter = cheapest = meter_for(building, inputs, dispatch, ft)[0]
        if ft_paths is not None:
            lowest = ft_paths.change_thb_per_kwh(building.tariff.vat_factor, building.tariff.spec.ft_applies)
            cheapest = replace(meter, terms=repriced_terms(meter.terms, lowest.min(axis=0)))
        if has_decisions(cheapest):
            flex_years = None if meter.flex is None else [meter.flex] + [
                meter_for(y.building(building.name), y, dispatch, ft)[0].flex for y in years[1:]]
            sources[i] = meter_source(meter, [y.building(building.name) for y in years], int(round(24 / inputs.step_h)),
                                      flex_years)
    return sources


def simulate_scenario(scenario: Scenario, *, samples: int, strategy: str = "self_consumption", seed: int = 0,
                      block_days: int = 7, load_sigma_frac: float = 0.0, threshold_kw: float | None = None,
                      n_weather_years: int = 1, inputs: SiteInputs | None = None, operator: str = "rule",
                      workers: int | None = None, ft_process: FtProcess | None = None) -> tuple[xr.Dataset, dict]:
    """Monte Carlo samples of every building of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        As loaded by :func:`munigrid.scenarios.api.load`.
    samples : int
        Sampled years per building.
    inputs : SiteInputs, optional
        The scenario's inputs when already built (one weather year only).
    operator : {"rule", "optimiser"}
        Who operates the battery in each sampled year: ``strategy`` in the numba kernel, or the
        dispatch optimiser (meters with nothing to decide stay in the kernel, see
        :func:`munigrid.scenarios.uncertainty.has_decisions`).
    workers : int, optional
        Worker processes of the optimiser (default: the CPUs available).
    ft_process : FtProcess, optional
        Each sample bills its own Ft path from this process (:func:`ft_process_for`); ``None``: the
        run's Ft schedule in every sample.

    Returns
    -------
    (samples, timing) : xarray.Dataset with dims (``building``, ``sample``) (and ``ft_mean_thb_per_kwh``,
    each sample's mean Ft, dim ``sample``; ``attrs`` from :func:`ft_attrs`), dict of seconds
    """
    if operator not in OPERATORS:
        raise InputError(Problem("operator (--operator)", f"must be one of {', '.join(OPERATORS)}, got {operator!r}"))
    if operator == "rule" and rule_problems(scenario):
        raise InputError(rule_problems(scenario))
    if scenario.time.days < block_days + 7:
        raise InputError(Problem("time.days", f"the Monte Carlo draws {block_days}-day blocks within +-1 week of their "
                                              f"date, so it needs at least {block_days + 7} days; got "
                                              f"{scenario.time.days}: lengthen the horizon or lower --block-days"))
    ft_bytes = 8 * (scenario.time.days // 28 + 2) * (len(scenario.buildings) + 3)  # paths, changes per building
    require_memory(sample_bytes(scenario.time.days, len(scenario.buildings) + 1) + ft_bytes, samples,
                   "Monte Carlo samples", "samples (--samples)")
    start = time.perf_counter()
    years = [inputs] if inputs is not None and n_weather_years == 1 else weather_years(scenario, n_weather_years)
    inputs = years[0]
    ft = ft_schedule(scenario)
    ft_paths = sample_ft_paths(ft, billing_months(inputs.index)[0], samples, process=ft_process, seed=seed)
    timing = {"inputs_s": time.perf_counter() - start, "kernels_s": 0.0}
    optimised = _optimiser_sources(scenario, years, ft, ft_paths) if operator == "optimiser" else {}
    ft_change = [ft_paths.change_thb_per_kwh(b.tariff.vat_factor, b.tariff.spec.ft_applies) for b in inputs.buildings]
    per_building = []
    for i, building in enumerate(inputs.buildings):
        terms = building.tariff.cost_terms(inputs.index, ft=ft)
        source = SampleSource.stacked_years([y.building(building.name).load_kw.to_numpy() for y in years],
                                            [y.building(building.name).pv_ac_kw.to_numpy() for y in years],
                                            step_h=inputs.step_h)
        if i in optimised:
            day_map, load_scale = draw_samples(source, samples, block_days=block_days,
                                               load_sigma_frac=load_sigma_frac, seed=seed)
            per_building.append(None)
            continue
        band = _strategy(strategy if operator == "rule" else "self_consumption", terms,
                         threshold_kw, building.name)
        tic = time.perf_counter()
        per_building.append(monte_carlo(source, _battery_for(scenario, building), 1.0, pack_tariff(terms),
                                        step_h=inputs.step_h, strategy=band, n_samples=samples,
                                        block_days=block_days, load_sigma_frac=load_sigma_frac, seed=seed,
                                        ft_change_thb_per_kwh=ft_change[i]))
        timing["kernels_s"] += time.perf_counter() - tic
    if optimised:
        tic = time.perf_counter()
        options = replace(runner_options(scenario), mode="dispatch", threads=1)
        values, timing["optimiser_cpu_s"] = optimised_metrics(
            list(optimised.values()), day_map, load_scale, step_h=inputs.step_h, options=options, workers=workers,
            ft_change_thb_per_kwh=None if ft_process is None else [ft_change[i] for i in optimised])
        timing["optimiser_s"] = time.perf_counter() - tic
        timing["optimiser_failed"] = int(np.isnan(values[:, :, 0]).sum())
        for k, i in enumerate(optimised):
            per_building[i] = metrics_dataset(values[k, :, :N_METRICS], ("sample",), {"sample": np.arange(samples)})
    result = xr.concat(per_building, dim="building").assign_coords(building=[b.name for b in inputs.buildings])
    result["ft_mean_thb_per_kwh"] = xr.DataArray(ft_paths.mean_thb_per_kwh(), dims="sample",
                                                 attrs={"units": "THB/kWh"})
    result.attrs.update(ft_attrs(ft_process, ft_paths))
    result.attrs.update(scenario=scenario.name, strategy=strategy, seed=seed, block_days=block_days,
                        load_sigma_frac=load_sigma_frac, weather_years=n_weather_years, operator=operator,
                        optimised_buildings=",".join(inputs.buildings[i].name for i in optimised))
    timing["total_s"] = time.perf_counter() - start
    return result, timing


def sized_system(scenario: Scenario, inputs: SiteInputs, sizes: dict[str, dict]) -> tuple[Scenario, SiteInputs]:
    """The scenario and its inputs with the capacities a sizing run chose.

    Parameters
    ----------
    scenario, inputs : Scenario, SiteInputs
        As run.
    sizes : dict
        Per building, the run's sizes as in the run manifest (``manifest["solver"]["sizes"]``):
        ``pv_kwp`` per array [kWp], ``battery_kwh`` [kWh], ``battery_kw`` [kW].

    Returns
    -------
    (scenario, inputs) with every PV array at its sized capacity and the battery at its sized
    energy and power.
    """
    buildings = [replace(b, pv_capacity_kwp={name: float(sizes[b.name]["pv_kwp"].get(name, kwp))
                                             for name, kwp in b.pv_capacity_kwp.items()})
                 for b in inputs.buildings]
    sized = [spec.model_copy(update=_sized_battery(sizes[meter_of(scenario, spec.building)], spec.name))
             for spec in battery_specs(scenario)]
    update = {"batteries": sized} if scenario.batteries else {"battery": sized[0] if sized else None}
    return scenario.model_copy(update=update), replace(inputs, buildings=buildings)


def _sized_battery(meter_sizes: dict, name: str) -> dict:
    """The sized ``energy_kwh`` and ``power_kw`` of battery ``name`` from its meter's run sizes."""
    bank = meter_sizes.get("batteries", {}).get(name, {"energy_kwh": meter_sizes["battery_kwh"],
                                                       "power_kw": meter_sizes["battery_kw"]})
    return {"energy_kwh": float(bank["energy_kwh"]), "power_kw": float(bank["power_kw"])}


def system_description(scenario: Scenario, inputs: SiteInputs, basis: str) -> dict:
    """What a Monte Carlo simulated: ``basis`` (``sized`` or ``installed``), site PV [kWp] and battery."""
    specs = battery_specs(scenario)
    return {"basis": basis, "pv_kwp": float(sum(sum(b.pv_capacity_kwp.values()) for b in inputs.buildings)),
            "battery_kwh": float(sum(spec.energy_kwh for spec in specs)),
            "battery_kw": float(sum(spec.power_kw for spec in specs))}


def runner_options(scenario: Scenario):
    """The scenario's solver options (:func:`munigrid.scenarios.runner.solve_options`)."""
    from munigrid.scenarios.runner import solve_options

    return solve_options(scenario)[0]


def simulate_run(scenario: Scenario, inputs: SiteInputs, sizes: dict[str, dict] | None, *, samples: int,
                 strategy: str = "self_consumption", operator: str = "rule",
                 workers: int | None = None) -> tuple[xr.Dataset, dict, dict]:
    """Monte Carlo of the system a run produced: the sized system after a sizing run (``sizes``
    given), else the installed one.

    Returns
    -------
    (samples, timing, system) : as :func:`simulate_scenario`, plus :func:`system_description`
    (also stored in the samples' ``attrs["system_*"]``).
    """
    basis = "installed"
    if sizes is not None:
        scenario, inputs = sized_system(scenario, inputs, sizes)
        basis = "sized"
    result, timing = simulate_scenario(scenario, samples=samples, strategy=strategy, inputs=inputs, operator=operator,
                                       workers=workers, ft_process=ft_process_for(scenario))
    system = system_description(scenario, inputs, basis)
    result.attrs.update({f"system_{k}": v for k, v in system.items()})
    return result, timing, system


def site_totals(result: xr.Dataset) -> xr.Dataset:
    """Site sums over buildings of THB and kWh metrics, and the site self-sufficiency, per sample."""
    site = result[list(SUMMED)].sum("building", keep_attrs=True)
    site["self_sufficiency_frac"] = (1.0 - site.import_kwh / site.load_kwh).assign_attrs(units="-")
    return site


def site_percentiles(samples: xr.Dataset) -> dict[str, dict[str, float]]:
    """P10/P50/P90 and mean over samples of the site's cost [THB], self-sufficiency [-] and import [kWh]."""
    stats = summarize(site_totals(samples)[["cost_thb", "self_sufficiency_frac", "import_kwh"]])
    return {name: {str(q): float(v) for q, v in zip(stats["quantile"].values, stats[name].values)}
            for name in stats.data_vars}
