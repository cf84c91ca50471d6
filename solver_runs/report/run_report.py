"""The report of one stored run: ``report.html`` in the run folder.

Sections, in order: key figures and buildings; monthly energy; monthly bill; a week's
dispatch; battery state of charge; load-duration curve; monthly peaks; the value of each
flexible load (runs with ``flexible_loads`` only); ownership structures
side by side (when several were computed); per structure its cash flows by party with its
metrics and its tornado; P10/P50/P90; resilience (survival curve, survival by start day and
hour, expected lost load of the outage risk); forecast skill; assumptions and data sources. The optional sections
(finance, simulation, forecast skill) show a notice naming the command that computes them
when their file is absent (files and columns: :mod:`.rundata`).
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from munigrid.models.finance.export import METRIC_LABELS, comparison_table
from munigrid.solver_runs.report import figures
from munigrid.solver_runs.report.charts import build_chart
from munigrid.solver_runs.report.html import Page
from munigrid.solver_runs.report.i18n import LANGS, Labels, all_labels, both, check_lang, span
from munigrid.solver_runs.report.rundata import REPORT_FILE, RunData, load_run
from munigrid.solver_runs.report.tables import items, kpi_cards, missing, note, table

SUMMARY_HEADERS = {c: f"col_{c}" for c in ("load_mwh", "pv_mwh", "import_mwh", "self_sufficiency_pct", "peak_kw",
                                           "cost_before_thb", "cost_after_thb", "co2_avoided_t", "solve_s")}
TGO_GRID_FACTOR_KG_PER_KWH = 0.4750  # TGO Scope 2 grid factor from 1 Jan 2026 (shared/reference/thai-energy.md)


def _per_lang(key: str) -> dict[str, str]:
    return dict(all_labels()[key])


def _meta(run: RunData) -> str:
    site = run.scenario.get("site", {}).get("name", run.manifest.get("scenario", ""))
    index = run.results.indexes["time"]
    step_min = int(round((index[1] - index[0]).total_seconds() / 60)) if len(index) > 1 else 0
    period = {lang: f"{Labels(lang).date(index[0])} – {Labels(lang).date(index[-1])}, "
                    f"{len(np.unique(index.date))} {all_labels()['days'][lang]}, "
                    f"{step_min} {all_labels()['step_min'][lang]}" for lang in LANGS}
    parts = [f"{span('run_id')}: {html.escape(run.path.name)}", f"{span('site')}: {html.escape(str(site))}",
             f"{span('period')}: {both(period)}"]
    created = run.manifest.get("created_utc")
    if created:
        parts.append(f"{span('generated')}: {html.escape(str(created))}")
    return " · ".join(parts)


def _footer(run: RunData) -> str:
    versions = run.manifest.get("versions", {})
    return "munigrid · " + html.escape(", ".join(f"{k} {v}" for k, v in versions.items()))


def _building_table(run: RunData) -> str:
    summary = run.summary[[c for c in SUMMARY_HEADERS if c in run.summary.columns]].copy()
    return table(summary, SUMMARY_HEADERS, index_header="col_building")


def _bills_section(page: Page, run: RunData, lang: str) -> None:
    if run.bills_after is None:
        page.section("sec_monthly_bill", missing("missing_bills"))
        return
    chart = build_chart("monthly_bill", lambda t: figures.monthly_bill(run.bills_after, run.bills_before, t), lang)
    notes = note("note_bills_vat") + ("" if run.bills_before is not None else note("note_no_bills_before"))
    page.section("sec_monthly_bill", chart, notes)


def _energy_sections(page: Page, run: RunData, lang: str, week: dt.date | None) -> None:
    results = run.results
    page.section("sec_monthly_energy", build_chart("monthly_energy", lambda t: figures.monthly_energy(results, t), lang))
    _bills_section(page, run, lang)
    start = figures.pick_week(results, week)
    page.section("sec_dispatch", build_chart("dispatch_week", lambda t: figures.dispatch_week(results, start, t), lang),
                 note("note_week", start=start.date().isoformat()))
    if run.has_battery:
        page.section("sec_soc", build_chart("soc_heatmap", lambda t: figures.soc_heatmap(results, t), lang),
                     note("note_soc"))
    else:
        page.section("sec_soc", note("note_no_battery"))
    page.section("sec_duration", build_chart("load_duration", lambda t: figures.load_duration(results, t), lang),
                 note("note_duration"))
    page.section("sec_peaks", build_chart("monthly_peaks", lambda t: figures.monthly_peaks(results, t), lang),
                 note("note_peaks"))


def _flexibility_section(page: Page, run: RunData) -> None:
    """What each flexible load saves: the bill with it run the baseline way against optimised
    (the run's manifest, :mod:`munigrid.scenarios.flex_value`); nothing for runs without any."""
    rows = run.manifest.get("flexibility")
    if not rows:
        return
    frame = pd.DataFrame(rows).set_index("building")
    headers = {"flexibility": "col_flexibility", "bill_baseline_thb": "col_bill_baseline_thb",
               "bill_optimised_thb": "col_bill_optimised_thb", "value_thb": "col_flex_value_thb"}
    page.section("sec_flexibility", note("note_flexibility"), table(frame, headers, index_header="col_building"))


def _comparison(metrics: list[pd.DataFrame]) -> str:
    """Structures side by side (rows labelled with their period, in both languages) and the IRR
    footnotes (reasons in English), as HTML."""
    frame = pd.concat(metrics, ignore_index=True)
    sides = {}
    for lang in LANGS:
        t = Labels(lang)
        labels = {key: t(f"fin_{key}") for key in METRIC_LABELS}
        sides[lang], footnotes = comparison_table(frame, labels=labels)
    rows = []
    for i, (party, _) in enumerate(sides["en"].index):
        cells = [span(party)] + [both({lang: sides[lang].index[i][1] for lang in LANGS})]
        cells += [both({lang: sides[lang].iloc[i, j] for lang in LANGS}) for j in range(sides["en"].shape[1])]
        rows.append("<tr>" + "".join(f'<td class="{"num" if k > 1 else "txt"}">{c}</td>'
                                     for k, c in enumerate(cells)) + "</tr>")
    header = "".join(f"<th>{h}</th>" for h in [span("col_party"), span("col_metric"),
                                                  *(html.escape(str(c)) for c in sides["en"].columns)])
    notes = "".join(f'<p class="note">{html.escape(line)}</p>' for line in footnotes)
    return f'<div class="table-wrap"><table><tr>{header}</tr>{"".join(rows)}</table></div>{notes}'


def _finance_sections(page: Page, run: RunData, lang: str) -> None:
    """A side-by-side table when several structures were computed, then each structure's cash
    flows (chart and metrics) and tornado, its name in every heading."""
    legacy = note("note_finance_legacy") if run.finance_legacy else ""
    if not run.finance:
        page.section("sec_cash_flows", missing("missing_finance"), legacy)
        page.section("sec_tornado", missing("missing_finance"))
        return
    if len(run.finance) > 1:
        page.section("sec_structures", note("note_structures"),
                     _comparison([tables["metrics"] for tables in run.finance.values()]), legacy, anchor="structures")
        legacy = ""
    for structure, tables in run.finance.items():
        fields = {"structure": structure}
        parties = {p: tables[p] for p in figures.finance.FLOW_COLUMN if p in tables}
        parts = [note("note_structure", **fields), _comparison([tables["metrics"]]), legacy]
        if parties:
            parts[:0] = [build_chart(f"cash_flows-{structure}", lambda t: figures.cash_flows(parties, t), lang),
                         note("note_cash_flows")]
        page.section("sec_cash_flows_of", *parts, fields=fields, anchor=f"finance-{structure}")
        if "tornado" in tables:
            tornado = tables["tornado"]
            page.section("sec_tornado_of", build_chart(f"tornado-{structure}", lambda t: figures.tornado(tornado, t),
                                                       lang), note("note_tornado"), fields=fields)
        _lifetime_sections(page, tables, fields)


#: columns of the report's project-life table (the CSV has more)
LIFETIME_COLUMNS = ("pv_used_kwh", "import_after_kwh", "bill_before_thb", "bill_after_thb", "bill_savings_thb",
                    "battery_capacity_start_frac", "battery_capacity_frac", "replacement_cost_thb")


def _lifetime_sections(page: Page, tables: dict[str, pd.DataFrame], fields: dict[str, str]) -> None:
    """A structure's project life year by year and who receives which incentive, when written."""
    if "lifetime" in tables:
        years = tables["lifetime"].set_index("year")
        page.section("sec_lifetime_of", note("note_lifetime"),
                     table(years[[c for c in LIFETIME_COLUMNS if c in years.columns]], index_header="col_year"),
                     fields=fields)
    if "incentives" in tables and not tables["incentives"].empty:
        page.section("sec_incentives_of", note("note_incentives"), table(tables["incentives"].drop(columns="structure")),
                     fields=fields)


def operated_by(uncertainty: dict) -> str:
    """Who operated the battery in the sampled years: ``<strategy> rule`` or ``dispatch optimiser``."""
    if uncertainty.get("operator") == "optimiser":
        return "dispatch optimiser (every sampled year solved)"
    return f"{uncertainty['strategy']} rule"


def _uncertainty_section(page: Page, run: RunData, lang: str) -> None:
    parts: list = []
    samples = figures.sample_variables(run.simulation) if run.simulation is not None else {}
    if samples:
        parts += [build_chart("distributions", lambda t: figures.distributions(samples, t), lang),
                  note("note_distributions")]
        system = (run.manifest.get("uncertainty") or {}).get("system")
        if system is not None:  # which system the samples are of (the sized one after a sizing run)
            parts.append(note(f"note_system_{system['basis']}", pv_kwp=f"{system['pv_kwp']:,.1f}",
                              battery_kwh=f"{system['battery_kwh']:,.1f}", battery_kw=f"{system['battery_kw']:,.1f}",
                              strategy=operated_by(run.manifest["uncertainty"])))
        ft = (run.manifest.get("uncertainty") or {}).get("ft") or {}
        if ft.get("paths") == "sampled":
            mean = ft["sample_mean_thb_per_kwh"]
            parts.append(note("note_ft_sampled", volatility=f"{ft['volatility_thb_per_kwh']:.3f}",
                              persistence=f"{ft['persistence_frac']:.2f}", p10=f"{mean['P10']:.3f}",
                              p50=f"{mean['P50']:.3f}", p90=f"{mean['P90']:.3f}"))
    percentiles = [tables["npv_percentiles"] for tables in run.finance.values() if "npv_percentiles" in tables]
    if percentiles:
        parts.append(table(pd.concat(percentiles, ignore_index=True)))
    page.section("sec_distributions", *(parts or [missing("missing_simulation")]))


def _survival_frame(survival: dict, durations_h: list[float]) -> pd.DataFrame:
    """One row per building that can island: critical share, mean and shortest survival, shares surviving."""
    rows = {name: {"critical_frac": fig["critical_frac"], "mean_h": fig["mean_h"], "min_h": fig["min_h"],
                   **{f"survive_{d:g}_frac": fig["survive_frac"][f"{d:g}"] for d in durations_h}}
            for name, fig in survival.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def _outage_risk_frame(risk: dict) -> pd.DataFrame:
    """Expected yearly unserved critical energy, lost load and its value, by building and for the site."""
    rows = {**risk["buildings"], "total": risk["site"]}
    return pd.DataFrame({"unserved_kwh": [r["unserved_critical_kwh_per_year"] for r in rows.values()],
                         "lost_kwh": [r["lost_load_kwh_per_year"] for r in rows.values()],
                         "lost_thb": [r["lost_load_thb_per_year"] for r in rows.values()]}, index=list(rows))


def _resilience_section(page: Page, run: RunData, lang: str) -> None:
    """Survival table, curve and heat map of the buildings that can island; the outage risk's expected figures."""
    stats = run.manifest.get("resilience")
    if not stats or run.resilience is None:
        page.section("sec_resilience", missing("missing_resilience"))
        return
    max_h = float(stats["max_evaluated_h"])
    parts = [note("note_resilience", max_h=f"{max_h:g}")]
    survived = figures.survival_by_building(run.resilience)
    if survived:
        headers = {"critical_frac": "col_res_critical_frac", "mean_h": "col_res_mean_h", "min_h": "col_res_min_h"}
        headers |= {f"survive_{d:g}_frac": f"col_res_survive_{d:g}" for d in stats["durations_h"]}
        frame = _survival_frame(stats["survival"], stats["durations_h"])
        parts += [table(frame, headers, index_header="col_building"),
                  build_chart("survival_curve", lambda t: figures.survival_curve(survived, max_h, t), lang),
                  note("note_survival_curve"),
                  build_chart("survival_heatmap", lambda t: figures.survival_heatmap(survived, max_h, t), lang),
                  note("note_survival_heatmap")]
    else:
        parts.append(note("note_no_island"))
    risk = stats.get("outage_risk")
    if risk:
        parts += [note("note_outage_risk_priced" if risk.get("in_objective") else "note_outage_risk",
                       events=f"{risk['events_per_year']:g}"),
                  table(_outage_risk_frame(risk), {"unserved_kwh": "col_res_unserved_kwh",
                                                   "lost_kwh": "col_res_lost_kwh", "lost_thb": "col_res_lost_thb"},
                        index_header="col_building")]
    page.section("sec_resilience", *parts, anchor="resilience")


def _skill_section(page: Page, run: RunData) -> None:
    if run.forecast_skill is None:
        page.section("sec_forecast_skill", missing("missing_forecast_skill"))
    else:
        page.section("sec_forecast_skill", table(run.forecast_skill))


def _yes_no(value) -> dict[str, str]:
    return _per_lang("word_yes" if value else "word_no")


def _scenario_items(scenario: dict) -> list[tuple[str, str | dict[str, str]]]:
    site, time = scenario.get("site", {}), scenario.get("time", {})
    weather, tariffs = scenario.get("weather", {}), scenario.get("tariffs", {})
    factor = scenario.get("emissions", {}).get("grid_kg_per_kwh")
    factor_text = "–" if factor is None else f"{factor:.4f} kgCO2e/kWh" + (
        " (TGO, from 1 Jan 2026)" if np.isclose(factor, TGO_GRID_FACTOR_KG_PER_KWH) else "")
    if weather.get("source") == "file":
        weather_text = f"file: {weather.get('file')}"
    else:
        weather_text = f"{weather.get('source', 'synthetic')} typical year, seed {weather.get('seed', 0)}"
    ft = tariffs.get("ft_thb_per_kwh")
    rows = [("scenario_description", f"{scenario.get('name', '')}: {scenario.get('description', '').strip()}"),
            ("location", f"{site.get('name', '')} ({site.get('latitude_deg', '–')}° N, "
                         f"{site.get('longitude_deg', '–')}° E, {site.get('altitude_m', 0)} m)"),
            ("period", f"{time.get('start', '–')}, {time.get('days', '–')} d, {time.get('step_min', '–')} min"),
            ("weather_source", weather_text),
            ("ft", _per_lang("ft_builtin") if ft is None else f"{ft:.4f} THB/kWh"),
            ("export_allowed", _yes_no(tariffs.get("export_allowed", False))),
            ("emission_factor", factor_text)]
    banks = [scenario["battery"]] if scenario.get("battery") else scenario.get("batteries") or []
    for battery in banks:
        label = "" if len(banks) == 1 else f" {battery.get('name', '')}"
        rows.append(("battery", f"{battery['building']}{label}: {battery['energy_kwh']:,.0f} kWh / "
                                f"{battery['power_kw']:,.0f} kW, η {battery.get('charge_eff_frac', '–')} / "
                                f"{battery.get('discharge_eff_frac', '–')}, SoC {battery.get('soc_min_frac', '–')}–"
                                f"{battery.get('soc_max_frac', '–')}"))
    rows += [("connection", f"{conn['name']}: {', '.join(conn['buildings'])}")
             for conn in scenario.get("connections") or []]
    return rows


def _meter_file(building: dict) -> str:
    """The meter file of a building's ``load_csv`` (a path or a mapping with ``file``), or a dash."""
    load_csv = building.get("load_csv") or "–"
    return load_csv.get("file", "–") if isinstance(load_csv, dict) else str(load_csv)


def _buildings_frame(scenario: dict) -> pd.DataFrame:
    rows = []
    for b in scenario.get("buildings", []):
        rows.append({"building": b["name"], "kind": b.get("kind", ""), "tariff": b.get("tariff", ""),
                     "annual_kwh": b.get("annual_kwh") if b.get("annual_kwh") is not None else _meter_file(b),
                     "pv_kwp": float(sum(a.get("capacity_kwp", 0.0) for a in b.get("pv_arrays", []))),
                     "roof_area_m2": b.get("roof_area_m2", 0.0), "notes": " ".join(str(b.get("notes", "")).split())})
    return pd.DataFrame(rows).set_index("building") if rows else pd.DataFrame()


def _solver_frame(manifest: dict) -> pd.DataFrame:
    meters = manifest.get("solver", {}).get("meters", {})
    rows = {name: {k: v for k, v in m.items() if isinstance(v, (str, int, float)) or v is None}
            for name, m in meters.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def _assumptions_section(page: Page, run: RunData) -> None:
    parts = [items(_scenario_items(run.scenario))] if run.scenario else []
    buildings = _buildings_frame(run.scenario)
    if not buildings.empty:
        parts.append(table(buildings, {"kind": "col_kind", "tariff": "col_tariff"}, index_header="col_building"))
    parts.append(items([("inputs_hash", str(run.manifest.get("inputs_hash", "–"))),
                        ("versions", ", ".join(f"{k} {v}" for k, v in run.manifest.get("versions", {}).items()))]))
    solver = _solver_frame(run.manifest)
    if not solver.empty:
        parts.append(table(solver, index_header="col_building"))
    notes = run.manifest.get("notes") or []
    if notes:
        parts.append(f"<h3>{span('run_notes')}</h3><ul>"
                     + "".join(f"<li>{html.escape(str(n))}</li>" for n in notes) + "</ul>")
    page.section("sec_assumptions", *parts)


def build_run_page(run: RunData, lang: str = "en", week: dt.date | None = None,
                   progress: Callable[[str], None] | None = None) -> Page:
    """The report page of a loaded run (see the module docstring for its sections);
    ``progress`` is called with the name of each stage."""
    say = progress or (lambda stage: None)
    page = Page("report_title", _meta(run), lang, footer_html=_footer(run))
    page.section("sec_kpis", kpi_cards(run.summary, run.manifest), _building_table(run))
    say("energy, bill and dispatch charts")
    _energy_sections(page, run, lang, week)
    _flexibility_section(page, run)
    say(f"finance charts ({len(run.finance)} structures)")
    _finance_sections(page, run, lang)
    say("uncertainty, forecast skill, assumptions")
    _uncertainty_section(page, run, lang)
    say("resilience charts")
    _resilience_section(page, run, lang)
    _skill_section(page, run)
    _assumptions_section(page, run)
    return page


def write_run_report(run_dir: str | Path, lang: str = "en", *, week: dt.date | None = None,
                     progress: Callable[[str], None] | None = None) -> Path:
    """Write ``report.html`` into a stored run folder and return its path.

    Parameters
    ----------
    run_dir : str or Path
        A complete run folder (``manifest.json``, ``results.nc``, ``summary.csv``; optional
        files in :mod:`.rundata`).
    lang : {"en", "th"}
        Language the report opens in (the page can switch).
    week : datetime.date, optional
        First day of the dispatch week; default: around the highest import before the project.
    progress : callable, optional
        Called with a short description of each stage.
    """
    check_lang(lang)
    if progress:
        progress("reading the run folder")
    run = load_run(run_dir)
    page = build_run_page(run, lang, week, progress)
    if progress:
        progress("writing report.html")
    return page.write(run.path / REPORT_FILE)
