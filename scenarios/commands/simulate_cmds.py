"""``munigrid simulate SCENARIO --samples N``: Monte Carlo of a scenario with the numba core.

A thin layer over :func:`munigrid.scenarios.simulation.simulate_scenario` (see there for
how samples are drawn).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from munigrid.models.simulation.strategies import STRATEGIES
from munigrid.scenarios.commands.finite_float import FiniteFloat

SHOWN = (("cost_thb", "Cost THB", "{:,.0f}"), ("self_sufficiency_frac", "Self-suff. %", "{:.1%}"),
         ("peak_import_kw", "Peak kW", "{:,.1f}"))


def _table(result) -> dict:
    from munigrid.models.simulation.montecarlo import summarize
    from munigrid.scenarios.simulation import site_totals

    out = {}
    per_building = [m for m in result.data_vars if "building" in result[m].dims]
    for name in result.building.values:
        stats = summarize(result[per_building].sel(building=name))
        out[str(name)] = {m: dict(zip(stats["quantile"].values.tolist(), stats[m].values.tolist()))
                          for m in per_building}
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
@click.option("--threshold-kw", type=FiniteFloat(min=0), default=None,
              help="Import level peak_shaving defends [kW].")
@click.option("--block-days", type=click.IntRange(1, 366), default=7, show_default=True,
              help="Days per bootstrap block.")
@click.option("--load-sigma", "load_sigma_frac", type=FiniteFloat(0, 1), default=0.0, show_default=True,
              help="Spread of the yearly load level, a share of the load [-].")
@click.option("--weather-years", "n_weather_years", type=click.IntRange(1, 50), default=1, show_default=True,
              help="Synthetic weather years to draw days from.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--operator", type=click.Choice(["rule", "optimiser"]), default=None,
              help="Who operates the battery in each sampled year: the --strategy rule (numba) or the dispatch "
                   "optimiser solving every year (default: the scenario's uncertainty.operator).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes of the optimiser (default: the CPUs available).")
@click.option("--ft-paths", type=click.Choice(["fixed", "sampled"]), default=None,
              help="Ft of each sampled year: the run's schedule, or an Ft path sampled around it "
                   "(default: the scenario's uncertainty.ft_paths).")
@click.option("--ft-volatility", "ft_volatility_thb_per_kwh", type=FiniteFloat(0, 5), default=None,
              help="Standard deviation of one four-month Ft shock [THB/kWh] (default: the scenario's, else "
                   "estimated from the billed Ft).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write all samples to this netCDF file.")
@click.option("--json", "as_json", is_flag=True, help="Print P10/P50/P90 as one JSON object.")
def simulate(scenario, samples, strategy, threshold_kw, block_days, load_sigma_frac, n_weather_years, seed, operator,
             workers, ft_paths, ft_volatility_thb_per_kwh, out, as_json):
    """Monte Carlo of SCENARIO: P10/P50/P90 of annual cost, self-sufficiency and peak import."""
    from munigrid.scenarios import api
    from munigrid.scenarios.simulation import ft_process_for, ft_summary, simulate_scenario

    loaded = api.load(scenario)
    operator = operator or loaded.uncertainty.operator
    result, timing = simulate_scenario(loaded, samples=samples, strategy=strategy, seed=seed,
                                       block_days=block_days, load_sigma_frac=load_sigma_frac,
                                       threshold_kw=threshold_kw, n_weather_years=n_weather_years,
                                       operator=operator, workers=workers,
                                       ft_process=ft_process_for(loaded, ft_paths, ft_volatility_thb_per_kwh))
    if operator == "optimiser":
        strategy = "optimiser"
    if out is not None:
        from munigrid.solver_runs.results_io import write_results

        write_results(result, out)
    table = _table(result)
    if as_json:
        click.echo(json.dumps({"scenario": result.attrs["scenario"], "strategy": strategy, "samples": samples,
                               "seed": seed, "ft": ft_summary(result), "quantiles": table, "timing": timing,
                               "out": str(out) if out else None}, indent=2))
        return
    _print(result.attrs["scenario"], strategy, samples, table, timing, out, ft_summary(result))


def ft_line(ft: dict) -> str:
    """One line on the Ft the sampled years billed (:func:`munigrid.scenarios.simulation.ft_summary`)."""
    if ft.get("paths") != "sampled":
        return "Ft: the run's schedule in every sampled year"
    mean = ft["sample_mean_thb_per_kwh"]
    return (f"Ft: sampled paths (shock {ft['volatility_thb_per_kwh']:.3f} THB/kWh per 4-month period, persistence "
            f"{ft['persistence_frac']:.2f}, bounds {ft['min_thb_per_kwh']:.3f}..{ft['max_thb_per_kwh']:.3f}); "
            f"year-mean Ft P10 {mean['P10']:.3f} / P50 {mean['P50']:.3f} / P90 {mean['P90']:.3f} THB/kWh "
            f"(schedule {ft['schedule_mean_thb_per_kwh']:.3f})")


def _print(name, strategy, samples, table, timing, out, ft) -> None:
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
    console.print(ft_line(ft))
    solver = f", optimiser {timing['optimiser_s']:.2f} s" if "optimiser_s" in timing else ""
    console.print(f"inputs {timing['inputs_s']:.2f} s, kernels {timing['kernels_s']:.2f} s{solver}, "
                  f"total {timing['total_s']:.2f} s" + (f"; samples written to {out}" if out else ""))
