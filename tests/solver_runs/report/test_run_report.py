"""The run report: self-contained, every section, numbers that match the run."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from munigrid.models.errors import InputError
from munigrid.solver_runs.report import write_run_report
from munigrid.solver_runs.report.rundata import load_run
from munigrid.solver_runs.results_io import read_results
from munigrid.solver_runs.store import StoredRun
from report_payload import arr, charts_of

FULL_CHARTS = {"monthly_energy", "monthly_bill", "dispatch_week", "soc_heatmap", "load_duration", "monthly_peaks",
               "cash_flows-municipal", "cash_flows-ppa", "tornado-ppa", "distributions", "survival_curve",
               "survival_heatmap"}


def _trace(chart: dict, name: str, group: int = 0) -> dict:
    """The ``group``-th trace named ``name`` (English) of a chart."""
    return [t for t in chart["figure"]["data"] if t.get("name") == name][group]


def test_page_is_self_contained_with_plotly_inlined_once(full_report):
    text = full_report.read_text(encoding="utf-8")
    assert full_report.name == "report.html" and full_report.parent.name == "run-full"
    assert text.count("plotly.js v") == 1  # the library's banner comment, once per page
    assert not re.search(r"<script[^>]+src=", text) and "<link" not in text
    assert not list(full_report.parent.glob(".report.html.tmp-*"))


def test_full_run_has_every_chart_with_data(full_report):
    charts = charts_of(full_report)
    assert set(charts) == FULL_CHARTS
    for name, chart in charts.items():
        points = sum(arr(t.get("x", t.get("z", []))).size for t in chart["figure"]["data"])
        assert points > 0, name


def test_minimal_run_says_what_to_run_for_missing_sections(min_report):
    text = min_report.read_text(encoding="utf-8")
    assert set(charts_of(min_report)) == FULL_CHARTS - {"cash_flows-municipal", "cash_flows-ppa", "tornado-ppa",
                                                        "distributions", "survival_curve", "survival_heatmap"}
    assert text.count("munigrid finance RUN") >= 2 * 2  # cash flows and tornado, text and data-en
    assert "munigrid simulate SCENARIO --samples N" in text
    assert "munigrid forecast pv|load" in text
    assert "run the scenario again" in text  # resilience
    assert 'data-lang="th"' in text


def test_survival_charts_match_the_stored_hours(store_root, full_report):
    hours = read_results(store_root / "run-full" / "resilience.nc")["survived_h"].isel(building=0).to_numpy()
    charts = charts_of(full_report)
    curve = charts["survival_curve"]["figure"]["data"][0]
    x, y = arr(curve["x"]), arr(curve["y"])
    assert y[0] == pytest.approx(100.0) and x[-1] == pytest.approx(72.0)
    at_4h = int(np.searchsorted(x, 4.0))  # first curve point at or after 4 h
    assert y[at_4h] == pytest.approx(100.0 * (hours >= x[at_4h] - 1e-9).mean())
    heat = charts["survival_heatmap"]["figure"]["data"][0]
    z = arr(heat["z"]).astype(float)
    assert np.nanmean(z) == pytest.approx(hours.mean())  # every day has all 24 hours
    assert charts["survival_heatmap"]["texts"]["th"]["layout"]["xaxis.title.text"] == "ชั่วโมงที่เริ่มไฟดับ"


def test_monthly_energy_matches_the_results(store_root, full_report):
    results = StoredRun(store_root / "run-full").results()
    chart = charts_of(full_report)["monthly_energy"]
    after = _trace(chart, "Grid import after")
    before = _trace(chart, "Grid import before")
    monthly_kwh = results["import_kw"].sum("building").to_series().resample("MS").sum()
    np.testing.assert_allclose(arr(after["y"]), monthly_kwh.to_numpy() / 1000.0)
    assert arr(before["y"]).sum() == pytest.approx(float(results["baseline_import_kw"].sum()) / 1000.0)
    assert chart["figure"]["layout"]["xaxis"]["ticktext"][:2] == ["Jan 2026", "Feb 2026"]
    assert chart["texts"]["th"]["layout"]["xaxis.ticktext"][:2] == ["ม.ค. 2569", "ก.พ. 2569"]


def test_monthly_bills_before_and_after_match_the_files(store_root, full_report):
    chart = charts_of(full_report)["monthly_bill"]
    for name, file in (("Before", "bills_before.csv"), ("After", "bills.csv")):
        bills = pd.read_csv(store_root / "run-full" / file)
        assert arr(_trace(chart, name)["y"]).sum() == pytest.approx(bills["total_thb"].sum())


def test_dispatch_week_balances_and_starts_near_the_peak(store_root, full_report):
    results = StoredRun(store_root / "run-full").results()
    chart = charts_of(full_report)["dispatch_week"]
    site = [t for t in chart["figure"]["data"] if t.get("visible", True) is not False]
    supply = sum(arr(t["y"]) for t in site if str(t.get("stackgroup", "")).startswith(("supply", "charge")))
    load = arr(_trace(chart, "Load")["y"])
    np.testing.assert_allclose(supply, load, atol=1e-9)
    assert len(load) == 7 * 24
    peak = results["baseline_import_kw"].sum("building").to_series().idxmax()
    start = pd.Timestamp(arr(site[0]["x"])[0])
    assert start.tz_localize(None) <= peak.tz_localize(None) < start.tz_localize(None) + pd.Timedelta(days=7)
    labels = [b["label"] for b in chart["figure"]["layout"]["updatemenus"][0]["buttons"]]
    assert labels == ["Site total", "municipal_office", "municipal_school", "street_lighting"]


def test_chosen_week_and_bad_week(store_root, tmp_path):
    run = load_run(store_root / "run-full")
    from munigrid.solver_runs.report.figures import pick_week

    assert pick_week(run.results, dt.date(2026, 2, 2)) == pd.Timestamp("2026-02-02", tz="Asia/Bangkok")
    with pytest.raises(InputError, match="week: must be a date from 2026-01-01 to 2026-03-16"):
        write_run_report(store_root / "run-full", week=dt.date(2026, 6, 1))


def test_soc_heatmap_is_day_by_hour_means(store_root, full_report):
    results = StoredRun(store_root / "run-full").results()
    heat = charts_of(full_report)["soc_heatmap"]["figure"]["data"][0]
    z = arr(heat["z"]).astype(float)
    assert z.shape == (75, 24)
    soc = results["soc_kwh"].sum("building").to_series()
    assert z[0, 13] == pytest.approx(soc.iloc[13])
    assert np.nanmax(z) <= 0.9 * 200 + 1e-9


def test_load_duration_is_sorted_and_keeps_the_peak(store_root, full_report):
    results = StoredRun(store_root / "run-full").results()
    trace = _trace(charts_of(full_report)["load_duration"], "Load")
    y, x = arr(trace["y"]), arr(trace["x"])
    assert y[0] == pytest.approx(float(results["load_kw"].sum("building").max()))
    assert np.all(np.diff(y) <= 0)
    assert x[-1] == pytest.approx(75 * 24)


def test_monthly_peaks_per_meter_and_site_sum(store_root, full_report):
    results = StoredRun(store_root / "run-full").results()
    chart = charts_of(full_report)["monthly_peaks"]
    office = results["import_kw"].sel(building="municipal_office").to_series().resample("MS").max()
    np.testing.assert_allclose(arr(_trace(chart, "Peak after", group=1)["y"]), office.to_numpy())
    per_meter = results["import_kw"].to_dataframe()["import_kw"].unstack("building").resample("MS").max()
    np.testing.assert_allclose(arr(_trace(chart, "Peak after", group=0)["y"]), per_meter.sum(axis=1).to_numpy())


def test_tornado_bars_end_at_the_npv_of_each_case(store_root, full_report):
    table = pd.read_csv(store_root / "run-full" / "finance" / "ppa" / "tornado.csv")
    chart = charts_of(full_report)["tornado-ppa"]
    low = _trace(chart, "Low value")
    rows = table[table["party"] == "municipality"].set_index("driver").loc[list(low["y"])]
    np.testing.assert_allclose(arr(low["base"]) + arr(low["x"]), rows["npv_low_thb"])
    assert list(low["y"]) == ["tariff", "yield", "capex", "ft"]  # largest swing first
    assert chart["texts"]["th"]["layout"]["yaxis.ticktext"][0] == "อัตราค่าไฟฟ้าฐาน"


def test_distribution_lines_are_the_sample_percentiles(store_root, full_report):
    run = load_run(store_root / "run-full")
    chart = charts_of(full_report)["distributions"]
    cost = run.simulation["cost_thb"].to_numpy()
    p90 = [t for t in chart["figure"]["data"] if str(t.get("name", "")).startswith("P90")][0]
    assert arr(p90["x"])[0] == pytest.approx(np.percentile(cost, 90))
    bars = [t for t in chart["figure"]["data"] if t["type"] == "bar"]
    assert arr(bars[0]["y"]).sum() == cost.size
    assert [t["name"] for t in bars] == ["Electricity cost [THB]", "Self-sufficiency [%]", "Highest import [kW]"]


def test_kpis_assumptions_and_escaping(full_report):
    text = full_report.read_text(encoding="utf-8")
    assert "&lt;b&gt;not&lt;/b&gt;" in text and "<b>not</b>" not in text
    assert "Ft: built-in schedule &lt;2026&gt;" in text
    assert "0.4750 kgCO2e/kWh (TGO, from 1 Jan 2026)" in text
    assert "pea-3.2-lt22kv" in text and "0123456789abcdef" in text
    assert 'data-en="load"' in text and "mae [kW]" in text and "gradient boosting" in text  # forecast skill


def test_kpi_cards_show_the_summary_totals(store_root, full_report):
    from munigrid.solver_runs.report import fmt

    total = StoredRun(store_root / "run-full").summary().loc["total"]
    text = full_report.read_text(encoding="utf-8")
    for value in (fmt.thb(total["cost_before_thb"]), fmt.thb(total["cost_after_thb"], "th"),
                  fmt.percent(total["self_sufficiency_pct"]), fmt.number(total["pv_mwh"], 1, "MWh")):
        assert value in text


def test_not_a_run_folder(tmp_path):
    with pytest.raises(InputError, match="not a complete run folder"):
        write_run_report(tmp_path)


def test_finance_sections_name_their_structure_and_period(full_report):
    text = full_report.read_text(encoding="utf-8")
    # side by side first (two structures computed), then one cash-flow section per structure
    assert text.index("Ownership structures side by side") < text.index("Cash flows by party: municipal") \
        < text.index("Cash flows by party: ppa") < text.index("Sensitivity (tornado): ppa")
    assert "NPV at 6.0%, years 0-15 [THB]" in text and "net savings, years 1-15 [THB]" in text
    # the municipality's PPA flows are all positive: no IRR, the reason in a footnote
    assert "ppa, municipality: no IRR, all cash flows are positive (+ in years 1-15)" in text
    assert ">8.5%<" in text and ">9.0%<" in text  # IRRs that are returns are shown
    assert 'data-th="เงินประหยัดสุทธิ ปีที่ 1-15 [บาท]"' in text and 'data-th="ไม่มี IRR [1]"' in text
