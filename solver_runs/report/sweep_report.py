"""The report of a sweep: ``report.html`` in the sweep folder, comparing its members.

Reads the sweep folder of :mod:`munigrid.solver_runs.sweeps.ledger` (``plan.json`` and the
finished members' ``summary.csv``) through :func:`~munigrid.solver_runs.sweeps.combine.member_table`,
one row per (member, site) with the site totals. Shows counts, the member table, each
member's bill after the project against its bill before, and self-sufficiency against bill.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from munigrid.solver_runs.report import figures, fmt
from munigrid.solver_runs.report.charts import build_chart
from munigrid.solver_runs.report.html import Page
from munigrid.solver_runs.report.i18n import LANGS, check_lang, span
from munigrid.solver_runs.report.rundata import REPORT_FILE
from munigrid.solver_runs.report.tables import card, items, note, same, table
from munigrid.solver_runs.sweeps.combine import member_table
from munigrid.solver_runs.sweeps.ledger import SweepFolder

KPI_COLUMNS = ("cost_before_thb", "cost_after_thb", "savings_thb", "self_sufficiency_pct", "peak_kw",
               "co2_avoided_t")
HEADERS = {"site": "col_site", "status": "col_status", "error": "col_error", "cost_before_thb": "col_cost_before_thb",
           "cost_after_thb": "col_cost_after_thb", "savings_thb": "col_savings_thb",
           "self_sufficiency_pct": "col_self_sufficiency_pct", "peak_kw": "col_peak_kw",
           "co2_avoided_t": "col_co2_avoided_t"}


def member_label(member: int, params: dict, parameters: list[dict]) -> str:
    """Short label of a member: ``#3 energy_kwh=150, annual_kwh×1.2`` (``×`` for scaled parameters)."""
    parts = []
    for p in parameters:
        short = p["path"].split(".")[-1]
        value = params.get(p["path"])
        parts.append(f"{short}×{value}" if p.get("apply") == "scale" else f"{short}={value}")
    return f"#{member} " + ", ".join(parts) if parts else f"#{member}"


def _cards(table_: pd.DataFrame, labels: dict[int, str]) -> str:
    status = table_["status"].value_counts()
    cards = [card("sweep_members", same(str(table_["member"].nunique()))),
             card("sweep_finished", same(str(int(status.get("ok", 0))))),
             card("sweep_failed", same(str(int(status.get("failed", 0))))),
             card("sweep_pending", same(str(int(status.get("pending", 0)))))]
    done = table_[table_["status"] == "ok"]
    for site, rows in done.groupby("site", sort=False):
        best = rows.loc[rows["cost_after_thb"].idxmin()]
        cards.append(card("sweep_best", {lang: fmt.thb(best["cost_after_thb"], lang) for lang in LANGS},
                          same(f"{site}: {labels[int(best['member'])]}")))
    return f'<div class="cards">{"".join(cards)}</div>'


def _plan_items(plan: dict) -> str:
    spec = plan.get("spec") or {}
    parameters = "; ".join(f"{p['path']} ({p['apply']})" for p in plan.get("parameters", [])) or "–"
    return items([("sweep_method", str(spec.get("method", "–"))), ("sweep_parameters", parameters),
                  ("sweep_sites", ", ".join(plan.get("sites", [])))])


def build_sweep_page(folder: SweepFolder, lang: str = "en") -> Page:
    """The comparison page of a sweep folder."""
    plan = folder.plan
    members = member_table(folder)
    params = {m["member"]: m["params"] for m in plan["members"]}
    labels = {m: member_label(m, p, plan["parameters"]) for m, p in params.items()}
    if "cost_after_thb" in members.columns:
        members["savings_thb"] = members["cost_before_thb"] - members["cost_after_thb"]
    shown = members.assign(member=members["member"].map(labels)).set_index("member")
    columns = ["site", "status"] + [c for c in KPI_COLUMNS if c in shown.columns]
    if (shown["status"] == "failed").any():
        columns.append("error")
    meta = (f"{span('run_id')}: {html.escape(folder.sweep_id)} · "
            f"{span('sweep_members')}: {members['member'].nunique()}")
    page = Page("sweep_title", meta, lang, footer_html="munigrid")
    page.section("sec_kpis", _cards(members, labels))
    done = members[members["status"] == "ok"]
    if done.empty:
        page.section("sec_member_costs", note("no_members_done"))
    else:
        page.section("sec_member_costs", build_chart("member_costs", lambda t: figures.member_costs(done, labels, t),
                                                     lang))
        page.section("sec_member_tradeoff",
                     build_chart("member_tradeoff", lambda t: figures.member_tradeoff(done, labels, t), lang))
    page.section("sec_members", table(shown[columns], HEADERS, index_header="col_member"))
    page.section("sec_assumptions", _plan_items(plan))
    return page


def write_sweep_report(sweep_dir: str | Path, lang: str = "en") -> Path:
    """Write ``report.html`` into a sweep folder and return its path.

    Parameters
    ----------
    sweep_dir : str or Path
        A sweep folder (``plan.json`` and ``members/``).
    lang : {"en", "th"}
        Language the report opens in (the page can switch).
    """
    check_lang(lang)
    folder = SweepFolder.open(Path(sweep_dir))
    return build_sweep_page(folder, lang).write(folder.path / REPORT_FILE)
