"""``munigrid finance SCENARIO|RUN``: investment cases of one, several or all ownership structures.

A thin layer over :func:`munigrid.scenarios.api.finance`: options in, a table of the structures
side by side out; each structure is written to ``<run>/finance/<structure>/`` (or ``--out``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from munigrid.scenarios.commands.finite_float import FINITE_FLOAT

STRUCTURE_HELP = ("Ownership structure: municipal, esco, esco-guaranteed, ppa, ppp, several separated by "
                  "commas, or all (side by side).")


INCENTIVES = ("boi", "tver")


def _incentives(names: str, boi_scheme: str, tver_price, grant_frac: float, grant_thb_per_kwh: float,
                grant_years: int):
    """The Incentives of the options, or None when none is asked for; click.BadParameter names the option."""
    chosen = {n.strip() for n in names.split(",") if n.strip()}
    unknown = chosen - {*INCENTIVES, "all", "none"}
    if unknown or not chosen:
        raise click.BadParameter(f"unknown {', '.join(sorted(unknown)) or '(empty)'}; use boi, tver (comma list), "
                                 "all or none", param_hint="--incentives")
    if "all" in chosen:
        chosen = set(INCENTIVES)
    for value, low, high, hint in ((grant_frac, 0.0, 1.0, "--grant-frac"),
                                   (grant_thb_per_kwh, 0.0, 100.0, "--grant-thb-per-kwh"),
                                   (grant_years, 0, 40, "--grant-years"),
                                   (0.0 if tver_price is None else tver_price, 0.0, 100_000.0, "--tver-price")):
        if not low <= value <= high:
            raise click.BadParameter(f"must be between {low:g} and {high:g}, got {value}", param_hint=hint)
    if not chosen & set(INCENTIVES) and grant_frac == 0 and grant_thb_per_kwh == 0:
        return None
    from munigrid.models.finance.defaults import default_incentives

    return default_incentives(boi_scheme if "boi" in chosen else None, "tver" in chosen,
                              tver_price_thb_per_tco2e=tver_price, grant_capital_frac=grant_frac,
                              grant_performance_thb_per_kwh=grant_thb_per_kwh, grant_performance_years=grant_years)


def _print_outcome(outcome, source: str) -> None:
    """The structures side by side, IRR footnotes, notes and what was written."""
    import pandas as pd
    from rich.table import Table
    from rich.text import Text

    from munigrid.models.finance.export import comparison_table, metrics_table
    from munigrid.scenarios.finance import STRUCTURE_TITLES
    from munigrid.scenarios.tables import wide_console

    cases = outcome.cases
    years = next(iter(cases.values())).summary()["years"]
    table, footnotes = comparison_table(pd.concat([metrics_table(c) for c in cases.values()], ignore_index=True))
    where = f"run {outcome.run_dir.name}" if outcome.run_dir else f"{source} (dispatched now, not stored)"
    view = Table(title=f"finance of {where}: {', '.join(cases)}, {years}-year life", title_justify="left")
    view.add_column("party")
    view.add_column("metric")
    for name in table.columns:
        view.add_column(name, justify="right")
    previous = None
    for (party, metric), cells in table.iterrows():
        view.add_row(*(Text(cell) for cell in (party if party != previous else "", metric, *cells)))
        previous = party
    console = wide_console()
    console.print(view)
    for name in cases:
        console.print(f"{name}: {STRUCTURE_TITLES[name]}", markup=False, highlight=False)
    for line in footnotes:
        console.print(line, markup=False, highlight=False)
    for name, parties in outcome.scaled.items():
        ours = cases[name].summary()
        ours["project"] = cases[name].project_metrics()
        shown = [f"{party} {ours[party]['npv_thb']:,.0f} (scaled {parties[party]['npv_thb']:,.0f})"
                 for party in ("project", "municipality", "investor") if ours[party]["npv_thb"] or
                 parties[party]["npv_thb"]]
        console.print(f"{name}: NPV by simulated years ({outcome.lifetime}) vs year 1 scaled: {'; '.join(shown)}",
                      markup=False, highlight=False)
    for name, case in cases.items():
        for party, lines in case.incentives_received().items():
            shown = ", ".join(f"{line.removeprefix('incentive_')} {v['total_thb']:,.0f} (NPV {v['npv_thb']:,.0f})"
                              for line, v in lines.items())
            console.print(f"{name}: incentives to the {party}: {shown} THB", markup=False, highlight=False)
    for note in outcome.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    for name, folder in outcome.folders.items():
        state = " (replaced the earlier case)" if name in outcome.replaced else ""
        console.print(f"wrote {folder}{state}", markup=False, highlight=False)
    if not outcome.folders:
        console.print("nothing written: the scenario was dispatched now, not stored; give --out DIR for the "
                      "tables, or a stored run (`munigrid run` then `munigrid finance RUN`)", markup=False,
                      highlight=False)
    if outcome.report_path:
        console.print(f"report updated: {outcome.report_path}", markup=False, highlight=False)
    elif outcome.report_note:
        console.print(f"note: {outcome.report_note}", markup=False, highlight=False)


@click.command()
@click.argument("ref", metavar="SCENARIO|RUN")
@click.option("--structure", "structures", default="municipal", show_default=True, help=STRUCTURE_HELP)
@click.option("--years", type=int, default=20, show_default=True, help="Project life [years].")
@click.option("--term", type=int, default=20, show_default=True, help="Contract term [years] (esco, ppa, ppp).")
@click.option("--lifetime", type=click.Choice(["fast", "full", "scaled"]), default="fast", show_default=True,
              help="Project years: simulated year by year (fast: two anchor re-dispatches; full: every year "
                   "re-dispatched) or year 1 scaled; simulated cases also print the scaled NPV.")
@click.option("--battery-upkeep", type=click.Choice(["replace", "augment"]), default="replace", show_default=True,
              help="With simulated years: replace the battery, or add modules back to its capacity, when it falls "
                   "below the end-of-life capacity (the calendar life still replaces it).")
@click.option("--load-growth", type=float, default=0.0, show_default=True,
              help="Yearly load growth [-/year], -0.2..0.2 (0.02 = 2 %/year).")
@click.option("--incentives", "incentive_names", default="none", show_default=True,
              help="Incentives: boi (CIT holiday and machinery import duty of a BOI-promoted investor), tver "
                   "(T-VER carbon credits less registration and verification), a comma list, all or none; "
                   "grants by --grant-frac / --grant-thb-per-kwh. Values and sources: finance_defaults.yaml.")
@click.option("--boi-scheme", type=click.Choice(["esco", "solar-measure"]), default="esco", show_default=True,
              help="BOI scheme of the investor: esco (8-year CIT holiday, no cap) or solar-measure (3 years, "
                   "capped at 50 % of the investment).")
@click.option("--tver-price", type=float, default=None, help="T-VER credit price [THB/tCO2e] (default: TGO average).")
@click.option("--grant-frac", type=float, default=0.0, show_default=True,
              help="Capital grant as a share of the initial capex [-], 0..1, to whoever pays it.")
@click.option("--grant-thb-per-kwh", type=float, default=0.0, show_default=True,
              help="Performance-based subsidy per kWh of PV used [THB/kWh], 0..100, to the operator.")
@click.option("--grant-years", type=int, default=5, show_default=True,
              help="Years the performance-based subsidy is paid, 0..40.")
@click.option("--escalation", type=click.Choice(["flat", "base", "high"]), default="base", show_default=True,
              help="Tariff and Ft escalation scenario (finance_defaults.yaml).")
@click.option("--share", type=FINITE_FLOAT, default=0.7, show_default=True, help="ESCO share of savings [-].")
@click.option("--price", type=FINITE_FLOAT, default=None, help="PPA fixed price [THB/kWh]; default: a discount to grid.")
@click.option("--discount", type=FINITE_FLOAT, default=0.2, show_default=True, help="PPA discount to the grid [-].")
@click.option("--ppa-escalation", type=FINITE_FLOAT, default=0.0, show_default=True, help="PPA price escalation [-/year].")
@click.option("--buyout-year", type=int, default=None, help="PPA buy-out year.")
@click.option("--debt-frac", type=FINITE_FLOAT, default=0.0, show_default=True, help="Debt share of capex [-].")
@click.option("--debt-rate", type=FINITE_FLOAT, default=0.05, show_default=True, help="Debt interest rate [-/year].")
@click.option("--debt-tenor", type=int, default=10, show_default=True, help="Debt tenor [years].")
@click.option("--municipality-rate", type=FINITE_FLOAT, default=None, help="Municipality discount rate [-].")
@click.option("--investor-rate", type=FINITE_FLOAT, default=None, help="Investor discount rate [-].")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write <structure>/ folders (CSVs, case-<structure>.xlsx) here instead of <run>/finance/; "
                   "the run's report is then left as it is.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run store root for run ids (default: $MUNIGRID_RUNS or ./runs).")
@click.option("--fiscal", is_flag=True, help="Tables by Thai fiscal year (October-September).")
@click.option("--json", "as_json", is_flag=True, help="Print every structure's summary as one JSON object.")
def finance(ref, structures, years, term, lifetime, battery_upkeep, load_growth, incentive_names, boi_scheme, tver_price, grant_frac,
            grant_thb_per_kwh, grant_years, escalation, share, price, discount, ppa_escalation, buyout_year,
            debt_frac, debt_rate, debt_tenor, municipality_rate, investor_rate, out, root, fiscal, as_json):
    """Investment cases of SCENARIO (bundled name or YAML, run now) or RUN (stored run id or folder).

    Each structure goes to its own folder, <run>/finance/<structure>/, beside the others;
    --structure all evaluates and prints every structure side by side.
    """
    from munigrid.scenarios import api
    from munigrid.scenarios.cli import solver_output_to_stderr
    from munigrid.scenarios.commands.stages import stage_spinner
    from munigrid.scenarios.finance import ContractTerms

    if not -0.2 <= load_growth <= 0.2:
        raise click.BadParameter(f"must be a yearly fraction between -0.2 and 0.2, got {load_growth}",
                                 param_hint="--load-growth")
    incentives = _incentives(incentive_names, boi_scheme, tver_price, grant_frac, grant_thb_per_kwh, grant_years)
    terms = ContractTerms(term_years=term, esco_share_frac=share, ppa_price_thb_per_kwh=price,
                          ppa_discount_frac=discount, ppa_escalation_frac_per_year=ppa_escalation,
                          ppa_buyout_year=buyout_year, debt_frac=debt_frac, debt_rate_frac=debt_rate,
                          debt_tenor_years=debt_tenor)
    with solver_output_to_stderr(), stage_spinner("starting", as_json) as progress:
        outcome = api.finance(ref, structures, years=years, escalation=escalation, terms=terms,
                              municipality_rate_frac=municipality_rate, investor_rate_frac=investor_rate,
                              out=out, fiscal=fiscal, root=root, progress=progress, lifetime=lifetime,
                              load_growth_frac_per_year=load_growth, incentives=incentives,
                              battery_upkeep=battery_upkeep)
    if as_json:
        click.echo(json.dumps(outcome.summary(), indent=2, ensure_ascii=False, default=str))
        return
    _print_outcome(outcome, ref)
