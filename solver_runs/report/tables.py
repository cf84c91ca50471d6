"""HTML pieces of a report that are not charts: KPI cards, tables, notes and missing-section notices.

Every text is given in both languages (:func:`~.i18n.span` / :func:`~.i18n.both`); numbers
are formatted by :mod:`.fmt` per language (THB as ``THB 1.23 M`` or ``1.23 ล้านบาท``).
"""

from __future__ import annotations

import html

import pandas as pd

from munigrid.solver_runs.report import fmt
from munigrid.solver_runs.report.i18n import LANGS, all_labels, both, span


def note(key: str, **fields) -> str:
    """A paragraph of explanation under a chart."""
    return f'<p class="note">{span(key, **fields)}</p>'


def missing(key: str) -> str:
    """The notice shown in place of a section whose input file is absent."""
    return f'<p class="missing">{span(key)}</p>'


def card(title_key: str, value: dict[str, str], detail: dict[str, str] | None = None) -> str:
    """One KPI card: a label, a big value and an optional detail line (texts per language)."""
    detail_html = f'<div class="detail">{both(detail)}</div>' if detail else ""
    return (f'<div class="card"><div class="label">{span(title_key)}</div>'
            f'<div class="value">{both(value)}</div>{detail_html}</div>')


def same(text: str) -> dict[str, str]:
    """The same text in every language (numbers, names)."""
    return {lang: text for lang in LANGS}


def kpi_cards(summary: pd.DataFrame, manifest: dict) -> str:
    """Cards with the site totals: energy, solar, self-sufficiency, bills, savings, peak, CO2, solver."""
    total = summary.loc["total"] if "total" in summary.index else summary.sum()
    before, after = float(total["cost_before_thb"]), float(total["cost_after_thb"])
    saved = before - after
    saved_pct = 100.0 * saved / before if before else float("nan")
    meters = manifest.get("solver", {}).get("meters", {})
    statuses = sorted({str(m.get("status", "?")) for m in meters.values()}) or ["–"]
    gaps = [m.get("gap") for m in meters.values() if isinstance(m.get("gap"), (int, float))]
    gap_text = f"gap ≤ {max(gaps):.2g}" if gaps else ""
    cards = [
        card("kpi_load", same(fmt.number(total["load_mwh"], 1, "MWh"))),
        card("kpi_pv", same(fmt.number(total["pv_mwh"], 1, "MWh"))),
        card("kpi_self_sufficiency", same(fmt.percent(total["self_sufficiency_pct"]))),
        card("kpi_bill_before", {lang: fmt.thb(before, lang) for lang in LANGS}),
        card("kpi_bill_after", {lang: fmt.thb(after, lang) for lang in LANGS}),
        card("kpi_savings", {lang: fmt.thb(saved, lang) for lang in LANGS},
             {lang: f"{fmt.percent(saved_pct)} {all_labels()['of_bill'][lang]}" for lang in LANGS}),
        card("kpi_peak", same(fmt.number(total["peak_kw"], 0, "kW"))),
        card("kpi_co2", {lang: fmt.number(total["co2_avoided_t"], 1, "t" if lang == "en" else "ตัน") for lang in LANGS}),
        card("kpi_solver", same("/".join(statuses)), same(gap_text) if gap_text else None),
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def table(frame: pd.DataFrame, headers: dict[str, str] | None = None, index_header: str | None = None) -> str:
    """An HTML table of ``frame``; columns formatted by their unit suffix (:func:`.fmt.cell`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows to show; the index is the first column when ``index_header`` is given.
    headers : dict of str to str, optional
        Column -> label key; columns without one show their own name.
    index_header : str, optional
        Label key of the index column; without it the index is not shown.
    """
    headers = headers or {}
    cells = [f"<th>{span(index_header)}</th>"] if index_header else []
    cells += [f"<th>{span(headers[c]) if c in headers else html.escape(fmt.header(str(c)))}</th>" for c in frame.columns]
    rows = [f"<tr>{''.join(cells)}</tr>"]
    for label, row in frame.iterrows():
        out = [f"<th>{html.escape(str(label))}</th>"] if index_header else []
        for column, value in row.items():
            texts = {lang: fmt.cell(value, str(column), lang) for lang in LANGS}
            out.append(f'<td class="{"num" if not isinstance(value, str) else "txt"}">{both(texts)}</td>')
        rows.append(f"<tr>{''.join(out)}</tr>")
    return f'<div class="table-wrap"><table>{"".join(rows)}</table></div>'


def items(rows: list[tuple[str, str | dict[str, str]]]) -> str:
    """A two-column table of (label key, value) pairs; a value is one text or one per language."""
    body = []
    for key, value in rows:
        texts = value if isinstance(value, dict) else same(str(value))
        body.append(f"<tr><th>{span(key)}</th><td>{both(texts)}</td></tr>")
    return f'<div class="table-wrap"><table class="items">{"".join(body)}</table></div>'
