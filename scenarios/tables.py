"""Terminal tables for CLI output.

Tables are laid out for the console's width and never cut a value: headers wrap at spaces,
row labels (building names) wrap at ``_`` or spaces, numbers keep their full width; when the
columns still do not fit, the table is printed in parts, each repeating the row labels.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

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
    "store_capacity_kwh_th": ("Store kWh_th", "{:,.1f}"),
    "flex_pumping_value_thb": ("Pumping value THB", "{:,.0f}"),
    "flex_cooling_value_thb": ("Pre-cooling value THB", "{:,.0f}"),
    "flex_ev_value_thb": ("EV charging value THB", "{:,.0f}"),
    "flex_store_value_thb": ("of which store THB", "{:,.0f}"),
    "flex_value_thb": ("Flexibility value THB", "{:,.0f}"),
}

# characters a bordered rich table adds: one border plus two padding per column, one border more
PER_COLUMN = 3


def wide_console() -> Console:
    """A console for tables: the terminal's width, or 170 columns when piped (no wrapped tables)."""
    console = Console()
    return console if console.is_terminal else Console(width=170)


@dataclass(frozen=True)
class TextColumn:
    """One column of a fitted table: its header and its cells, already formatted."""

    header: str
    cells: Sequence[str]
    justify: str = "right"

    @property
    def natural_width(self) -> int:
        """Width without any wrapping [characters]."""
        return max([len(self.header), *map(len, self.cells)])

    def min_width(self, label: bool) -> int:
        """Narrowest width: the longest header word (split at spaces and after hyphens) and the
        longest value whole, or for labels their longest piece between ``_``/``-``/spaces."""
        words = max(map(len, _HEADER_BREAKS.split(self.header)), default=0)
        if label:
            return max([words, *(len(p.strip()) for cell in self.cells for p in _LABEL_PIECES.findall(cell))])
        return max([words, *map(len, self.cells)])


_HEADER_BREAKS = re.compile(r"\s+|(?<=-)")
_LABEL_PIECES = re.compile(r"[^_\-\s]*[_\-]|\S+|\s+")


def _wrap_label(text: str, width: int) -> str:
    """``text`` in lines of at most ``width`` characters, broken after ``_``, ``-`` or at spaces."""
    lines: list[str] = []
    for piece in _LABEL_PIECES.findall(text):
        if lines and len(lines[-1]) + len(piece) <= width:
            lines[-1] += piece
        elif not piece.isspace():
            lines += textwrap.wrap(piece, width, break_on_hyphens=False) or [piece]
    return "\n".join(line.rstrip() for line in lines)


def _fit_widths(columns: Sequence[TextColumn], space: int) -> list[int] | None:
    """Column widths that fit ``space`` characters of content, or None when even the narrowest do
    not. Value columns are narrowed first (their headers wrap), the widest first, then the label
    column (0); none below its minimum."""
    widths = [c.natural_width for c in columns]
    floors = [c.min_width(label=i == 0) for i, c in enumerate(columns)]
    if sum(floors) > space:
        return None
    while sum(widths) > space:
        i = max(range(len(widths)), key=lambda k: (widths[k] > floors[k], k > 0, widths[k]))
        widths[i] -= min(widths[i] - floors[i], sum(widths) - space)
    return widths


def _content_space(n_columns: int, width: int) -> int:
    return width - PER_COLUMN * n_columns - 1


def _parts(columns: Sequence[TextColumn], width: int) -> list[list[int]]:
    """Column indices of each part printed: all columns when they fit, else the fewest groups of
    about equal size that each fit beside the label column (0)."""
    values = list(range(1, len(columns)))
    for n_parts in range(1, len(values) + 1):
        size = -(-len(values) // n_parts)
        parts = [[0, *values[i:i + size]] for i in range(0, len(values), size)]
        if all(_fit_widths([columns[k] for k in part], _content_space(len(part), width)) is not None
               for part in parts):
            return parts
    return [[0, v] for v in values]


def fitted_tables(title: str, columns: Sequence[TextColumn], width: int,
                  bold_rows: Sequence[int] = ()) -> list[Table]:
    """Rich tables showing ``columns`` (the first holds the row labels) within ``width`` characters.

    Values are never cut: headers wrap at spaces, labels at ``_``/``-``/spaces; when that is not
    enough the columns are split over several tables (``title (1/2)``, ...), each starting with
    the labels. A single value wider than the console is printed whole (the line then overflows).
    """
    parts = _parts(columns, width)
    tables = []
    for n, indices in enumerate(parts, start=1):
        shown = [columns[i] for i in indices]
        widths = (_fit_widths(shown, _content_space(len(shown), width))
                  or [c.min_width(label=i == 0) for i, c in enumerate(shown)])
        suffix = f" ({n}/{len(parts)})" if len(parts) > 1 else ""
        table = Table(title=f"{title}{suffix}", title_justify="left")
        for column, w in zip(shown, widths):
            table.add_column(textwrap.fill(column.header, w, break_long_words=False), justify=column.justify,
                             width=w, no_wrap=True)
        for r in range(len(columns[0].cells)):
            cells = [_wrap_label(c.cells[r], w) if k == 0 else c.cells[r]
                     for k, (c, w) in enumerate(zip(shown, widths))]
            table.add_row(*cells, style="bold" if r in bold_rows else None)
        tables.append(table)
    return tables


def _uncertainty_lines(uncertainty: dict) -> list[str]:
    """What the Monte Carlo simulated, then the site's P10/P50/P90 bill and self-sufficiency."""
    site, system = uncertainty["site"], uncertainty.get("system")
    what = f"uncertainty: {uncertainty['samples']} bootstrap years"
    if system is not None:
        what += (f" of the {system['basis']} system (PV {system['pv_kwp']:,.1f} kWp, battery "
                 f"{system['battery_kwh']:,.1f} kWh / {system['battery_kw']:,.1f} kW)")
    if (uncertainty.get("ft") or {}).get("paths") == "sampled":
        what += ", each billing its own sampled Ft path"
    cost = site["cost_thb"]
    band = f"site bill P10 {cost['P10']:,.0f} / P50 {cost['P50']:,.0f} / P90 {cost['P90']:,.0f} THB"
    if "self_sufficiency_frac" in site:
        share = site["self_sufficiency_frac"]
        band += f"; self-sufficiency P10 {share['P10']:.1%} / P50 {share['P50']:.1%} / P90 {share['P90']:.1%}"
    if uncertainty.get("operator") == "optimiser":
        return [f"{what}, battery operated by the dispatch optimiser (every sampled year solved):", band]
    return [f"{what}, {uncertainty['strategy']} battery rule:", band]


def resilience_lines(resilience: dict) -> list[str]:
    """The run's resilience figures (:mod:`munigrid.scenarios.resilience`) as lines for a terminal:
    a heading, one line per building that can island, and the outage risk's expected figures."""
    lines = [f"resilience: the critical load in an outage from every step, followed up to "
             f"{resilience['max_evaluated_h']:g} h:"]
    for name, fig in resilience["survival"].items():
        shares = ", ".join(f"{d:g} h {fig['survive_frac'][f'{d:g}']:.1%}" for d in resilience["durations_h"])
        lines.append(f"{name} ({fig['critical_frac']:.0%} critical): mean {fig['mean_h']:,.1f} h, "
                     f"min {fig['min_h']:,.1f} h; starts surviving {shares}")
    if not resilience["survival"]:
        lines.append("no building has a battery or a generator: every outage drops the load at once")
    risk = resilience.get("outage_risk")
    if risk:
        site = risk["site"]
        priced = ", priced in the objective" if risk.get("in_objective") else ""
        text = (f"outage risk ({risk['events_per_year']:g} outages a year{priced}): expected unserved critical energy "
                f"{site['unserved_critical_kwh_per_year']:,.0f} kWh/year, lost load "
                f"{site['lost_load_kwh_per_year']:,.0f} kWh/year")
        value = site.get("lost_load_thb_per_year")
        lines.append(text + (f", value of lost load {value:,.0f} THB/year" if value is not None
                             else " (no grid.voll_thb_per_kwh: no value of lost load)"))
    return lines


def _print_wrapped(console: Console, text: str, first: str, rest: str) -> None:
    console.print(textwrap.fill(text, max(console.width - 1, 20), initial_indent=first, subsequent_indent=rest),
                  markup=False, highlight=False)


_MONTH = re.compile(r"\b\d{4}-\d{2}\b")


def _next_month(month: str) -> str:
    year, number = map(int, month.split("-"))
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def condensed_notes(notes: Sequence[str]) -> list[str]:
    """Notes for a terminal: consecutive notes that differ only in their first month (``YYYY-MM``,
    one month after the other) become one note naming the months, e.g.
    ``... for 2026-01 to 2026-04 (period 2026-01) ...``."""
    groups: list[tuple[str, str, list[str]]] = []  # text before and after the first month, the months
    for note in notes:
        match = _MONTH.search(note)
        if match is None:
            groups.append((note, "", []))
            continue
        before, after = note[:match.start()], note[match.end():]
        last = groups[-1] if groups else None
        if last and last[2] and last[:2] == (before, after) and _next_month(last[2][-1]) == match.group(0):
            groups[-1][2].append(match.group(0))
        else:
            groups.append((before, after, [match.group(0)]))
    return [before + (months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}" if months else "") + after
            for before, after, months in groups]


def print_resilience(resilience: dict | None, console: Console) -> None:
    """Print :func:`resilience_lines` (nothing for runs stored before resilience was computed)."""
    if resilience:
        heading, *rest = resilience_lines(resilience)
        _print_wrapped(console, heading, "", "  ")
        for line in rest:
            _print_wrapped(console, line, "  ", "    ")


def print_summary(outcome, console: Console | None = None) -> None:
    """Print a run's KPI table (one row per building and the total, fitted to the console), the
    solver line, the uncertainty band, the run's notes and where it is stored."""
    console = console or wide_console()
    summary = outcome.summary
    columns = [TextColumn("Building", [str(name) for name in summary.index], justify="left")]
    columns += [TextColumn(HEADERS[c][0], [HEADERS[c][1].format(v) for v in summary[c]]) for c in summary.columns]
    bold = [i for i, name in enumerate(summary.index) if name == "total"]
    for table in fitted_tables(f"munigrid run: {outcome.scenario_name}", columns, console.width, bold):
        console.print(table)
    console.print(f"solver: {outcome.solver_line()}")
    uncertainty = outcome.manifest.get("uncertainty")
    if uncertainty:
        heading, band = _uncertainty_lines(uncertainty)
        _print_wrapped(console, heading, "", "  ")
        _print_wrapped(console, band, "  ", "  ")
    print_resilience(outcome.manifest.get("resilience"), console)
    notes = condensed_notes(outcome.manifest.get("notes") or [])
    if notes:
        console.print("notes:")
        for note in notes:
            _print_wrapped(console, note, "  - ", "    ")
    if outcome.run_dir is not None:
        console.print(f"stored: {outcome.run_dir}")
    if outcome.report_path is not None:
        console.print(f"report: {outcome.report_path}")
