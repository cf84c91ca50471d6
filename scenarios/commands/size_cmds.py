"""``munigrid size SCENARIO``: PV and battery sized over sampled years against the typical year.

A thin layer over :func:`munigrid.scenarios.uncertainty_sizing.compare_sizing`.
"""

from __future__ import annotations

import json

import click

COLUMNS = (("pv_kwp", "PV kWp", "{:,.1f}"), ("battery_kwh", "Battery kWh", "{:,.1f}"),
           ("battery_kw", "Battery kW", "{:,.1f}"), ("expected_thb", "Expected THB/yr", "{:,.0f}"),
           ("p90_thb", "P90 THB/yr", "{:,.0f}"), ("cvar_thb", "CVaR THB/yr", "{:,.0f}"))


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
@click.option("--method", type=click.Choice(["auto", "decomposed", "monolithic"]), default="auto", show_default=True,
              help="Two-stage solve: the L-shaped decomposition (auto where the problem splits by sample) or one LP.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def size(scenario, samples, seed, cvar_weight, cvar_alpha, cvar_limit, method, as_json):
    """Size PV and battery of SCENARIO over sampled years at once, beside sizing on its single year."""
    import math

    from munigrid.models.dispatch.two_stage import RiskTerms
    from munigrid.scenarios import api
    from munigrid.scenarios.cli import solver_output_to_stderr
    from munigrid.scenarios.uncertainty_sizing import compare_sizing

    for name, value in (("--cvar-weight", cvar_weight), ("--cvar-limit", cvar_limit)):
        if value is not None and not math.isfinite(value):
            raise click.BadParameter(f"must be a finite number, got {value}", param_hint=name)
    loaded = api.load(scenario)
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


def _print(outcome: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    risk = outcome["risk"]
    title = (f"munigrid size: {outcome['scenario']}, {outcome['samples']} sampled years, CVaR weight "
             f"{risk['cvar_weight']:g} at {risk['cvar_alpha_frac']:g}"
             + (f", CVaR limit {risk['cvar_limit_thb']:,.0f} THB" if risk["cvar_limit_thb"] is not None else ""))
    view = Table(title=title, title_justify="left")
    view.add_column("Design")
    for _, label, _ in COLUMNS:
        view.add_column(label, justify="right")
    view.add_column("Out of sample: expected / P90 THB/yr", justify="right")
    for key, label in (("typical_year", "typical year"), ("two_stage", "two-stage")):
        row = outcome[key]
        held = row["out_of_sample"]
        view.add_row(label, *(fmt.format(row[k]) for k, _, fmt in COLUMNS),
                     f"{held['expected_thb']:,.0f} / {held['p90_thb']:,.0f}")
    console.print(view)
    console.print("cost = annualised capital of the sizes + the sampled year's bill and other operating costs; "
                  f"timings {outcome['timings_s']}")
