"""What the run and forecast commands print and write: no misleading band, notes, whole numbers
at any width, forecast files with named columns."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from rich.console import Console

from munigrid.forecasting.archetypes import archetype_load_kw
from munigrid.models.timegrid import make_index
from munigrid.scenarios import api
from munigrid.scenarios.cli import cli
from munigrid.scenarios.commands.forecast_cmds import csv_frame
from munigrid.scenarios.simulation import simulate_run
from munigrid.scenarios.tables import HEADERS, condensed_notes, print_summary

# year-sized values: a week's energy and money scaled to a year, so the widths are realistic
YEAR_SCALED = ("load_mwh", "pv_mwh", "import_mwh", "cost_before_thb", "cost_after_thb", "co2_avoided_t")


@pytest.fixture(scope="module")
def week_run():
    scenario = api.load("tha-yang")
    scenario.time.start = "2026-03-02"
    scenario.time.days = 7
    outcome = api.run(scenario, store=False)
    outcome.summary[list(YEAR_SCALED)] *= 52
    return outcome


def _printed(outcome, width: int) -> str:
    buffer = io.StringIO()
    print_summary(outcome, Console(file=buffer, width=width, color_system=None))
    return buffer.getvalue()


@pytest.mark.parametrize("width", [80, 100, 170])
def test_run_table_never_cuts_a_number_or_a_name(week_run, width):
    text = _printed(week_run, width)
    assert "…" not in text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= width
    for column in week_run.summary.columns:
        for value in week_run.summary[column]:
            shown = HEADERS[column][1].format(value)
            assert re.search(rf"(?<![\d,.]){re.escape(shown)}(?![\d,.])", text), (column, shown)
    assert week_run.summary.loc["total", "cost_before_thb"] > 1_000_000  # 9-character money values
    # names may wrap over lines: the first column's pieces, read down, spell every name whole
    labels = "".join(line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│"))
    for name in week_run.summary.index:
        assert name in labels


def test_run_table_fits_on_one_screen_width_when_it_can(week_run):
    assert "(1/2)" not in _printed(week_run, 100)
    assert "(1/2)" in _printed(week_run, 80) and "(2/2)" in _printed(week_run, 80)


def test_run_notes_are_printed_under_the_table(week_run):
    text = _printed(week_run, 100)
    assert week_run.manifest["notes"], "the hourly run always notes the 15-min demand"
    notes = text[text.index("notes:"):]
    assert text.index("notes:") > text.index("solver:")
    assert "understates" in re.sub(r"\s+", " ", notes)


def test_consecutive_monthly_notes_are_condensed():
    notes = ["60-min steps: demand understates", *(f"no Ft for 2026-{m:02d}; used 0.1623 (period 2026-05)"
                                                   for m in (9, 10, 11, 12)),
             "no Ft for 2027-02; used 0.1623 (period 2026-05)", "holidays after 2025 are projected"]
    assert condensed_notes(notes) == [
        "60-min steps: demand understates", "no Ft for 2026-09 to 2026-12; used 0.1623 (period 2026-05)",
        "no Ft for 2027-02; used 0.1623 (period 2026-05)", "holidays after 2025 are projected"]


@pytest.fixture(scope="module")
def sizing_run(tmp_path_factory):
    scenario = api.load("tha-yang-sizing")
    scenario.time.days = 28  # the shortest horizon the day-block bootstrap samples from
    return api.run(scenario, root=tmp_path_factory.mktemp("runs"), samples=30)


def test_sizing_run_simulates_the_sized_system(sizing_run):
    uncertainty = sizing_run.manifest["uncertainty"]
    system, summary = uncertainty["system"], sizing_run.summary
    assert system["basis"] == "sized"
    assert system["pv_kwp"] == pytest.approx(summary.loc["total", "pv_kwp"]) and system["pv_kwp"] > 10
    assert system["battery_kwh"] == pytest.approx(summary.loc["total", "battery_kwh"])
    # the band brackets the sized result, not the 0 kWp / 0 kWh inputs (self-sufficiency 0)
    share = uncertainty["site"]["self_sufficiency_frac"]
    assert share["P10"] > 0.5 * summary.loc["total", "self_sufficiency_pct"] / 100
    assert abs(share["P50"] - summary.loc["total", "self_sufficiency_pct"] / 100) < 0.05
    assert sizing_run.samples.attrs["system_basis"] == "sized"
    text = _printed(sizing_run, 120)
    assert "of the sized system (PV" in re.sub(r"\s+", " ", text)
    report = sizing_run.report_path.read_text(encoding="utf-8")
    assert f"Simulated system: the sized one, PV {system['pv_kwp']:,.1f} kWp" in report


def test_run_reports_the_sampled_ft_paths(sizing_run):
    """The run's uncertainty block, summary line and report say each sampled year billed its own Ft path."""
    ft = sizing_run.manifest["uncertainty"]["ft"]
    assert ft["paths"] == "sampled" and ft["volatility_thb_per_kwh"] > 0
    mean = ft["sample_mean_thb_per_kwh"]
    assert mean["P10"] < mean["P50"] < mean["P90"]
    assert "each billing its own sampled Ft path" in re.sub(r"\s+", " ", _printed(sizing_run, 120))
    report = sizing_run.report_path.read_text(encoding="utf-8")
    assert f"P10 {mean['P10']:.3f} / P50 {mean['P50']:.3f} / P90 {mean['P90']:.3f} THB/kWh" in report


def test_installed_system_without_sizes(sizing_run):
    scenario = api.load("tha-yang-sizing")
    scenario.time.days = 28
    samples, _, system = simulate_run(scenario, sizing_run.inputs, None, samples=5)
    assert system == {"basis": "installed", "pv_kwp": 0.0, "battery_kwh": 0.0, "battery_kw": 0.0}
    assert float(samples["pv_kwh"].sum()) == 0.0


def _history(tmp_path, days=35):
    index = make_index("2025-01-01", 24 * days, 60)
    load = archetype_load_kw("office", index, annual_kwh=200_000, seed=5)
    path = tmp_path / "meter.csv"
    pd.DataFrame({"time": index.strftime("%Y-%m-%d %H:%M"), "load_kw": load.to_numpy()}).to_csv(path, index=False)
    return path


def test_week_ahead_forecast_file_has_named_columns_and_the_screen_a_summary(tmp_path):
    out = tmp_path / "forecast.csv"
    res = CliRunner().invoke(cli, ["forecast", "load", "--history", str(_history(tmp_path)), "--tz",
                                   "Asia/Bangkok", "--horizon", "7d", "--model", "profile_scaling", "--out", str(out)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["time", "p10_kw", "p50_kw", "p90_kw"]
    assert len(frame) == 168 and (frame["p10_kw"] <= frame["p90_kw"]).all()
    lines = [line for line in res.stdout.splitlines() if line.strip()]
    assert len(lines) <= 6, res.stdout
    assert "168 steps written to" in res.stdout and "P50: energy" in res.stdout
    energy = float(re.search(r"P50: energy ([\d,]+) kWh", res.stdout).group(1).replace(",", ""))
    assert energy == pytest.approx(frame["p50_kw"].sum(), abs=1)


def test_pv_forecast_file_names_the_variable_with_its_unit(tmp_path):
    out = tmp_path / "pv.csv"
    res = CliRunner().invoke(cli, ["forecast", "pv", "--lat", "12.97", "--lon", "99.89", "--kwp", "10",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["time", "pv_ac_kw"]
    assert len(frame) == 8760 and np.isclose(frame["pv_ac_kw"].max(), 10 / 1.2, rtol=0.1)


def test_backtest_file_columns_are_named_with_units():
    index = make_index("2025-03-01", 3, 60)
    frame = pd.DataFrame({"model": "ensemble", "origin": index[0], "actual": [1.0, 2.0, 3.0], 0.1: 0.5, 0.5: 1.5,
                          0.9: 2.5}, index=index)
    written = csv_frame(frame, "load_kw").reset_index()
    assert list(written.columns) == ["time", "model", "origin", "actual_kw", "p10_kw", "p50_kw", "p90_kw"]
