"""``munigrid size SCENARIO``: PV and battery sized over sampled years (or, with ``--lifetime``,
over the project life) against the typical year.

A thin layer over :func:`munigrid.scenarios.uncertainty_sizing.compare_sizing` and
:func:`munigrid.scenarios.lifetime_sizing.compare_life_sizing`.
"""

from __future__ import annotations

import json

import click

from munigrid.scenarios.commands.finite_float import FiniteFloat

COLUMNS = (("pv_kwp", "PV kWp", "{:,.1f}"), ("battery_kwh", "Battery kWh", "{:,.1f}"),
           ("battery_kw", "Battery kW", "{:,.1f}"), ("expected_thb", "Expected THB/yr", "{:,.0f}"),
           ("p90_thb", "P90 THB/yr", "{:,.0f}"), ("cvar_thb", "CVaR THB/yr", "{:,.0f}"))


#: options of ``--lifetime`` only
LIFE_OPTIONS = ("years", "escalation", "load_growth", "anchors", "battery_upkeep", "rounds", "days_per_month", "time_limit")


@click.command()
@click.argument("scenario")
@click.option("--samples", type=click.IntRange(1, 100), default=None,
              help="Sampled years sized over at once (default: the scenario's uncertainty.sizing_samples).")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True, help="Random seed.")
@click.option("--cvar-weight", type=click.FloatRange(min=0), default=None,
              help="Weight of the CVaR of the cost beside the expected cost (default: uncertainty.cvar_weight).")
@click.option("--cvar-alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="CVaR level, e.g. 0.9: the mean of the worst 10 % of the years (default: uncertainty.cvar_alpha_frac).")
@click.option("--cvar-limit", type=click.FloatRange(min=0), default=None,
              help="Upper bound of that CVaR of the cost over the horizon [THB] (default: uncertainty.cvar_limit_thb).")
@click.option("--lifetime", is_flag=True,
              help="Size over the project life instead: one size for anchor years with PV degradation, load growth, "
                   "escalated prices, battery fade and replacements, weighted by discount factors.")
@click.option("--years", type=click.IntRange(1, 40), default=20, show_default=True,
              help="With --lifetime: project life [years].")
@click.option("--escalation", type=click.Choice(["flat", "base", "high"]), default="base", show_default=True,
              help="With --lifetime: tariff and Ft escalation scenario (finance_defaults.yaml).")
@click.option("--load-growth", type=FiniteFloat(-0.2, 0.2), default=0.0, show_default=True,
              help="With --lifetime: yearly load growth [-/year], -0.2..0.2 (0.02 = 2 %/year).")
@click.option("--anchors", type=click.IntRange(2, 40), default=None,
              help="With --lifetime: anchor years, evenly spaced from 1 to --years (default: 2, or 3 with load growth).")
@click.option("--battery-upkeep", type=click.Choice(["replace", "augment"]), default="replace", show_default=True,
              help="With --lifetime: replace the battery, or add modules, below its end-of-life capacity.")
@click.option("--rounds", type=click.IntRange(1, 10), default=3, show_default=True,
              help="With --lifetime: most sizing rounds (each re-sizes at the previous design's simulated fade).")
@click.option("--days-per-month", type=click.IntRange(1, 31), default=None,
              help="With --lifetime: anchor years on the first N days of each month only (faster, approximate; "
                   "default: whole years).")
@click.option("--time-limit", type=FiniteFloat(1, 86400), default=None,
              help="With --lifetime: solver wall-clock limit per anchor year [s] (default: optimisation.time_limit_s).")
@click.option("--method", type=click.Choice(["auto", "decomposed", "monolithic"]), default="auto", show_default=True,
              help="Two-stage solve over samples: the L-shaped decomposition (auto where the problem splits by "
                   "sample) or one LP.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def size(scenario, samples, seed, cvar_weight, cvar_alpha, cvar_limit, lifetime, years, escalation, load_growth,
         anchors, battery_upkeep, rounds, days_per_month, time_limit, method, as_json):
    """Size PV and battery of SCENARIO over sampled years at once (or over its project life with
    --lifetime), beside sizing on its single year."""
    import math

    from munigrid.models.dispatch.two_stage import RiskTerms
    from munigrid.scenarios import api
    from munigrid.scenarios.cli import solver_output_to_stderr
    from munigrid.scenarios.uncertainty_sizing import compare_sizing

    for name, value in (("--cvar-weight", cvar_weight), ("--cvar-limit", cvar_limit)):
        if value is not None and not math.isfinite(value):
            raise click.BadParameter(f"must be a finite number, got {value}", param_hint=name)
    ctx = click.get_current_context()
    life_only = [f"--{name.replace('_', '-')}" for name in LIFE_OPTIONS
                 if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
    if life_only and not lifetime:
        raise click.BadParameter(f"{', '.join(life_only)} only apply with --lifetime", param_hint=life_only[0])
    loaded = api.load(scenario)
    if lifetime:
        given = [name for name, value in (("--samples", samples), ("--cvar-weight", cvar_weight),
                                          ("--cvar-alpha", cvar_alpha), ("--cvar-limit", cvar_limit),
                                          ("--method", None if method == "auto" else method)) if value is not None]
        if given:
            raise click.BadParameter(f"{', '.join(given)} size over sampled years; --lifetime sizes over the project "
                                     "life: give one or the other", param_hint="--lifetime")
        with solver_output_to_stderr():
            outcome = api.size_over_life(
                loaded, years=years, escalation=escalation, load_growth_frac_per_year=load_growth,
                anchors=anchors, battery_upkeep=battery_upkeep, rounds=rounds, days_per_month=days_per_month,
                time_limit_s=time_limit,
                progress=None if as_json else lambda stage: click.echo(f"... {stage}", err=True))
        click.echo(json.dumps(outcome, indent=2, ensure_ascii=False)) if as_json else _print_life(outcome)
        return
    settings = loaded.uncertainty
    risk = RiskTerms(settings.cvar_weight if cvar_weight is None else cvar_weight,
                     settings.cvar_alpha_frac if cvar_alpha is None else cvar_alpha,
                     settings.cvar_limit_thb if cvar_limit is None else cvar_limit)
    with solver_output_to_stderr():
        outcome = compare_sizing(loaded, loaded._base_dir, n_samples=samples, seed=seed, risk=risk, method=method,
                                 progress=None if as_json else lambda stage: click.echo(f"... {stage}", err=True))
    if as_json:
        click.echo(json.dumps(outcome, indent=2, ensure_ascii=False))
        return
    _print(outcome)


def _designs_table(title: str, columns, extra_label: str, rows: list[tuple[str, dict, str]]):
    """A rich table: one row per design, its ``columns`` and one extra column; and the console."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    view = Table(title=title, title_justify="left")
    view.add_column("Design")
    for _, label, _ in columns:
        view.add_column(label, justify="right")
    view.add_column(extra_label, justify="right")
    for label, row, extra in rows:
        view.add_row(label, *("-" if row[k] is None else fmt.format(row[k]) for k, _, fmt in columns), extra)
    console.print(view)
    return console


def _print(outcome: dict) -> None:
    risk = outcome["risk"]
    title = (f"munigrid size: {outcome['scenario']}, {outcome['samples']} sampled years, CVaR weight "
             f"{risk['cvar_weight']:g} at {risk['cvar_alpha_frac']:g}"
             + (f", CVaR limit {risk['cvar_limit_thb']:,.0f} THB" if risk["cvar_limit_thb"] is not None else ""))
    rows = [(label, outcome[key], "{expected_thb:,.0f} / {p90_thb:,.0f}".format(**outcome[key]["out_of_sample"]))
            for key, label in (("typical_year", "typical year"), ("two_stage", "two-stage"))]
    console = _designs_table(title, COLUMNS, "Out of sample: expected / P90 THB/yr", rows)
    console.print("cost = annualised capital of the sizes + the sampled year's bill and other operating costs; "
                  f"timings {outcome['timings_s']}")


LIFE_COLUMNS = (("pv_kwp", "PV kWp", "{:,.1f}"), ("battery_kwh", "Battery kWh", "{:,.1f}"),
                ("battery_kw", "Battery kW", "{:,.1f}"), ("life_cost_thb", "Life cost PV THB", "{:,.0f}"),
                ("npv_thb", "NPV THB", "{:,.0f}"), ("irr_frac", "IRR", "{:.1%}"),
                ("lcoe_thb_per_kwh", "LCOE THB/kWh", "{:.3f}"))


def _print_life(outcome: dict) -> None:
    title = (f"munigrid size --lifetime: {outcome['scenario']}, {outcome['years']} years, escalation "
             f"{outcome['escalation']}, load growth {outcome['load_growth_frac_per_year']:.1%}/yr, anchor years "
             f"{', '.join(map(str, outcome['anchors']))}"
             + (f" on the first {outcome['days_per_month']} days of each month" if outcome["days_per_month"] else ""))
    rows = []
    for key, label in (("typical_year", "typical year"), ("lifetime", "over the life")):
        row = outcome[key]
        bought = [str(y) for y in row["battery_replacement_years"]] + [
            f"{y} (+{share:.0%})" for y, share in row["battery_augmentation"]]
        rows.append((label, row, ", ".join(bought) or "-"))
    console = _designs_table(title, LIFE_COLUMNS, "Battery bought (year)", rows)
    console.print("life cost = present value of capital, replacements, O&M and bills on the anchor years (at the "
                  "sizing discount rate); NPV, IRR, LCOE and replacements from the simulated life (finance "
                  "--lifetime fast, municipal structure, finance discount rate)")
    for r in outcome["rounds"]:
        console.print(f"round {r['round']}: PV {r['pv_kwp']:,.1f} kWp, battery {r['battery_kwh']:,.1f} kWh / "
                      f"{r['battery_kw']:,.1f} kW, moved {r['moved_frac']:.1%}, {r['solve_s']:.1f} s")
    console.print(f"timings {outcome['timings_s']}")
