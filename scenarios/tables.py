"""Terminal tables for CLI output."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

HEADERS = {
    "load_mwh": ("Load MWh", "{:,.1f}"),
    "pv_mwh": ("PV MWh", "{:,.1f}"),
    "import_mwh": ("Grid MWh", "{:,.1f}"),
    "self_sufficiency_pct": ("Self-suff. %", "{:.1f}"),
    "peak_kw": ("Peak kW", "{:,.1f}"),
    "cost_before_thb": ("Cost before THB", "{:,.0f}"),
    "cost_after_thb": ("Cost after THB", "{:,.0f}"),
    "co2_avoided_t": ("CO2 avoided t", "{:,.1f}"),
    "solve_s": ("Solve s", "{:.2f}"),
    "pv_kwp": ("PV kWp", "{:,.1f}"),
    "battery_kwh": ("Battery kWh", "{:,.1f}"),
    "battery_kw": ("Battery kW", "{:,.1f}"),
    "generator_kw": ("Generator kW", "{:,.1f}"),
}


def wide_console() -> Console:
    """A console for tables: the terminal's width, or 170 columns when piped (no wrapped tables)."""
    console = Console()
    return console if console.is_terminal else Console(width=170)


def print_summary(outcome) -> None:
    """Print a run's KPI table, one row per building and the total, then where it is stored."""
    console = wide_console()
    table = Table(title=f"munigrid run: {outcome.scenario_name}", title_justify="left")
    table.add_column("Building")
    for column in outcome.summary.columns:
        table.add_column(HEADERS[column][0], justify="right")
    for name, row in outcome.summary.iterrows():
        style = "bold" if name == "total" else None
        table.add_row(str(name), *(HEADERS[c][1].format(row[c]) for c in outcome.summary.columns), style=style)
    console.print(table)
    console.print(f"solver: {outcome.solver_line()}")
    uncertainty = outcome.manifest.get("uncertainty")
    if uncertainty:
        cost = uncertainty["site"]["cost_thb"]
        console.print(f"uncertainty ({uncertainty['samples']} bootstrap years, {uncertainty['strategy']} battery rule): "
                      f"site bill P10 {cost['P10']:,.0f} / P50 {cost['P50']:,.0f} / P90 {cost['P90']:,.0f} THB")
    if outcome.run_dir is not None:
        console.print(f"stored: {outcome.run_dir}")
    if outcome.report_path is not None:
        console.print(f"report: {outcome.report_path}")
