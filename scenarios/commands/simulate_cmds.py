"""``munigrid simulate SCENARIO --samples N``: Monte Carlo of a scenario with the numba core.

Each building is simulated on its own meter: its load and PV (at installed capacity), the
battery when the scenario puts one there, its tariff's cost terms. Samples are years of
whole days drawn by the seasonal, weekday-keeping block bootstrap
(:mod:`munigrid.models.simulation.sampling`) from the scenario's horizon modelled under
``--weather-years`` synthetic weather years (seeds ``seed, seed + 1, ...``: PV and the
weather-driven load move together), with an optional load-level spread; one parallel
kernel call per building simulates all samples. Every building draws with the same seed, so
sample ``s`` is the same sequence of days and the same load factor site-wide and the site
totals of a sample are coherent.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
import numpy as np
import xarray as xr

from munigrid.models.errors import InputError, Problem
from munigrid.models.simulation.montecarlo import monte_carlo, summarize
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.sampling import SampleSource
from munigrid.models.simulation.strategies import STRATEGIES
from munigrid.models.simulation.tariff_arrays import pack_tariff

SHOWN = (("cost_thb", "Cost THB", "{:,.0f}"), ("self_sufficiency_frac", "Self-suff. %", "{:.1%}"),
         ("peak_import_kw", "Peak kW", "{:,.1f}"))
SUMMED = ("cost_thb", "energy_cost_thb", "demand_cost_thb", "import_kwh", "export_kwh", "curtail_kwh", "load_kwh",
          "pv_kwh")


def _battery_for(scenario, building_name: str) -> BatteryParams:
    spec = scenario.battery
    if spec is None or spec.building != building_name:
        return BatteryParams(0.0, 0.0)
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
        raise InputError(Problem("--strategy", f"{building}'s tariff has one price at every step, so TOU "
                                               "arbitrage has nothing to gain; use self_consumption"))
    if name == "peak_shaving" and threshold_kw is None:
        raise InputError(Problem("--threshold-kw", "peak_shaving needs the import level to defend [kW]"))
    return STRATEGIES[name](len(on_peak), on_peak, threshold_kw=threshold_kw)


def weather_years(scenario, n_years: int) -> list:
    """Model inputs of ``scenario`` under ``n_years`` synthetic weather years (seeds counted up)."""
    from munigrid.scenarios import api

    if n_years > 1 and scenario.weather.source != "synthetic":
        raise InputError(Problem("--weather-years", "needs synthetic weather; this scenario reads one weather "
                                                    "year from a file"))
    base_dir = getattr(scenario, "_base_dir", None)
    years = []
    for k in range(n_years):
        weather = scenario.weather.model_copy(update={"seed": scenario.weather.seed + k})
        years.append(api.inputs(scenario.model_copy(update={"weather": weather}), base_dir=base_dir))
    return years


def simulate_scenario(ref: str, *, samples: int, strategy: str = "self_consumption", seed: int = 0,
                      block_days: int = 7, load_sigma_frac: float = 0.0, threshold_kw: float | None = None,
                      n_weather_years: int = 1) -> tuple[xr.Dataset, dict]:
    """Monte Carlo samples of every building of scenario ``ref`` (bundled name or YAML path).

    Returns
    -------
    (samples, timing) : xarray.Dataset with dims (``building``, ``sample``), dict of seconds
    """
    from munigrid.scenarios import api
    from munigrid.scenarios.runner import ft_schedule

    start = time.perf_counter()
    scenario = api.load(ref)
    years = weather_years(scenario, n_weather_years)
    inputs = years[0]
    ft = ft_schedule(scenario)
    timing = {"inputs_s": time.perf_counter() - start, "kernels_s": 0.0}
    per_building = []
    for building in inputs.buildings:
        terms = building.tariff.cost_terms(inputs.index, ft=ft)
        source = SampleSource.stacked_years([y.building(building.name).load_kw.to_numpy() for y in years],
                                            [y.building(building.name).pv_ac_kw.to_numpy() for y in years],
                                            step_h=inputs.step_h)
        band = _strategy(strategy, terms, threshold_kw, building.name)
        tic = time.perf_counter()
        per_building.append(monte_carlo(source, _battery_for(scenario, building.name), 1.0, pack_tariff(terms),
                                        step_h=inputs.step_h, strategy=band, n_samples=samples,
                                        block_days=block_days, load_sigma_frac=load_sigma_frac, seed=seed))
        timing["kernels_s"] += time.perf_counter() - tic
    result = xr.concat(per_building, dim="building").assign_coords(building=[b.name for b in inputs.buildings])
    result.attrs.update(scenario=scenario.name, strategy=strategy, seed=seed, block_days=block_days,
                        load_sigma_frac=load_sigma_frac, weather_years=n_weather_years)
    timing["total_s"] = time.perf_counter() - start
    return result, timing


def site_totals(result: xr.Dataset) -> xr.Dataset:
    """Site sums over buildings of THB and kWh metrics, and the site self-sufficiency, per sample."""
    site = result[list(SUMMED)].sum("building", keep_attrs=True)
    site["self_sufficiency_frac"] = (1.0 - site.import_kwh / site.load_kwh).assign_attrs(units="-")
    return site


def _table(result: xr.Dataset) -> dict:
    out = {}
    for name in result.building.values:
        stats = summarize(result.sel(building=name))
        out[str(name)] = {m: dict(zip(stats["quantile"].values.tolist(), stats[m].values.tolist()))
                          for m in result.data_vars}
    stats = summarize(site_totals(result))
    out["site"] = {m: dict(zip(stats["quantile"].values.tolist(), stats[m].values.tolist()))
                   for m in stats.data_vars}
    return out


@click.command()
@click.argument("scenario")
@click.option("--samples", type=click.IntRange(1, 1_000_000), default=1000, show_default=True,
              help="Sampled years.")
@click.option("--strategy", type=click.Choice(sorted(STRATEGIES)), default="self_consumption", show_default=True,
              help="Battery dispatch rule.")
@click.option("--threshold-kw", type=click.FloatRange(min=0), default=None,
              help="Import level peak_shaving defends [kW].")
@click.option("--block-days", type=click.IntRange(1, 366), default=7, show_default=True,
              help="Days per bootstrap block.")
@click.option("--load-sigma", "load_sigma_frac", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Spread of the yearly load level, a share of the load [-].")
@click.option("--weather-years", "n_weather_years", type=click.IntRange(1, 50), default=1, show_default=True,
              help="Synthetic weather years to draw days from.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write all samples to this netCDF file.")
@click.option("--json", "as_json", is_flag=True, help="Print P10/P50/P90 as one JSON object.")
def simulate(scenario, samples, strategy, threshold_kw, block_days, load_sigma_frac, n_weather_years, seed, out,
             as_json):
    """Monte Carlo of SCENARIO: P10/P50/P90 of annual cost, self-sufficiency and peak import."""
    result, timing = simulate_scenario(scenario, samples=samples, strategy=strategy, seed=seed,
                                       block_days=block_days, load_sigma_frac=load_sigma_frac,
                                       threshold_kw=threshold_kw, n_weather_years=n_weather_years)
    if out is not None:
        from munigrid.solver_runs.results_io import write_results

        write_results(result, out)
    table = _table(result)
    if as_json:
        click.echo(json.dumps({"scenario": result.attrs["scenario"], "strategy": strategy, "samples": samples,
                               "seed": seed, "quantiles": table, "timing": timing,
                               "out": str(out) if out else None}, indent=2))
        return
    _print(result.attrs["scenario"], strategy, samples, table, timing, out)


def _print(name, strategy, samples, table, timing, out) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    view = Table(title=f"munigrid simulate: {name}, {strategy}, {samples} samples (P10 / P50 / P90)",
                 title_justify="left")
    view.add_column("Building")
    for _, label, _ in SHOWN:
        view.add_column(label, justify="right")
    for building, metrics in table.items():
        cells = []
        for key, _, fmt in SHOWN:
            q = metrics.get(key)
            cells.append(" / ".join(fmt.format(q[p]) for p in ("P10", "P50", "P90")) if q else "-")
        view.add_row(building, *cells, style="bold" if building == "site" else None)
    console.print(view)
    console.print(f"inputs {timing['inputs_s']:.2f} s, kernels {timing['kernels_s']:.2f} s, "
                  f"total {timing['total_s']:.2f} s" + (f"; samples written to {out}" if out else ""))
