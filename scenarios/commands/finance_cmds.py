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
def finance(ref, structures, years, term, escalation, share, price, discount, ppa_escalation, buyout_year,
            debt_frac, debt_rate, debt_tenor, municipality_rate, investor_rate, out, root, fiscal, as_json):
    """Investment cases of SCENARIO (bundled name or YAML, run now) or RUN (stored run id or folder).

    Each structure goes to its own folder, <run>/finance/<structure>/, beside the others;
    --structure all evaluates and prints every structure side by side.
    """
    from munigrid.scenarios import api
    from munigrid.scenarios.cli import solver_output_to_stderr
    from munigrid.scenarios.commands.stages import stage_spinner
    from munigrid.scenarios.finance import ContractTerms

    terms = ContractTerms(term_years=term, esco_share_frac=share, ppa_price_thb_per_kwh=price,
                          ppa_discount_frac=discount, ppa_escalation_frac_per_year=ppa_escalation,
                          ppa_buyout_year=buyout_year, debt_frac=debt_frac, debt_rate_frac=debt_rate,
                          debt_tenor_years=debt_tenor)
    with solver_output_to_stderr(), stage_spinner("starting", as_json) as progress:
        outcome = api.finance(ref, structures, years=years, escalation=escalation, terms=terms,
                              municipality_rate_frac=municipality_rate, investor_rate_frac=investor_rate,
                              out=out, fiscal=fiscal, root=root, progress=progress)
    if as_json:
        click.echo(json.dumps(outcome.summary(), indent=2, ensure_ascii=False, default=str))
        return
    _print_outcome(outcome, ref)
