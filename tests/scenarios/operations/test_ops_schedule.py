"""The afternoon job: schedule rows, physics, registered demand, robust planning, files, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from ops_quick import make_schedule

from munigrid.models.errors import InputError
from munigrid.scenarios.operations.daily import parse_day
from munigrid.scenarios.operations.schedule_file import read_schedule

WEEKDAY, SUNDAY = "2026-03-10", "2026-03-15"


def test_rows_follow_battery_physics_and_limits(site):
    out = make_schedule(site, parse_day(WEEKDAY, site), soc_frac=0.5, peak_kw=0.0)
    rows, b = out.rows, site.battery
    assert len(rows) == 24 and rows.index[0] == pd.Timestamp(WEEKDAY, tz="Asia/Bangkok")
    soc = np.concatenate([[0.5 * b.energy_kwh], rows["expected_soc_kwh"].to_numpy()])
    charge = rows["battery_setpoint_kw"].clip(lower=0).to_numpy()
    discharge = (-rows["battery_setpoint_kw"]).clip(lower=0).to_numpy()
    np.testing.assert_allclose(np.diff(soc), b.charge_eff_frac * charge - discharge / b.discharge_eff_frac, atol=1e-6)
    assert soc.min() >= b.soc_min_frac * b.energy_kwh - 1e-6 and soc.max() <= b.soc_max_frac * b.energy_kwh + 1e-6
    assert (rows["expected_import_kw"] >= -1e-9).all()
    # energy balance with no export: import = load - PV used + set point, PV used <= PV forecast
    pv_used = rows["load_forecast_kw"] + rows["battery_setpoint_kw"] - rows["expected_import_kw"]
    assert (pv_used <= rows["pv_forecast_kw"] + 1e-6).all() and (pv_used >= -1e-6).all()
    held = rows["demand_limit_kw"].notna()
    assert held.any() and (rows.loc[held, "expected_import_kw"] <= rows.loc[held, "demand_limit_kw"] + 1e-6).all()
    assert rows.index[held].hour.min() >= 9  # PEA 3.2 on-peak demand: 09:00-22:00 on working days


def test_sunday_has_no_demand_limit(site):
    rows = make_schedule(site, parse_day(SUNDAY, site), soc_frac=0.5, peak_kw=0.0).rows
    assert rows["demand_limit_kw"].isna().all()


def test_a_peak_already_paid_costs_nothing_to_reach_again(site):
    day = parse_day(WEEKDAY, site)
    fresh = make_schedule(site, day, soc_frac=0.5, peak_kw=0.0)
    paid = make_schedule(site, day, soc_frac=0.5, peak_kw=150.0)
    assert paid.rows["demand_limit_kw"].dropna().eq(150.0).all()
    assert paid.plan.expected_cost_thb < fresh.plan.expected_cost_thb
    assert fresh.rows["demand_limit_kw"].max() < 150.0


def test_robust_plans_against_p90(site):
    out = make_schedule(site, parse_day(WEEKDAY, site), soc_frac=0.5, peak_kw=0.0, robust=True)
    np.testing.assert_allclose(out.rows["load_forecast_kw"], out.rows["load_p90_kw"])
    assert (out.rows["load_p10_kw"] <= out.rows["load_p50_kw"] + 1e-9).all()
    assert (out.rows["load_p50_kw"] <= out.rows["load_p90_kw"] + 1e-9).all()
    assert (out.rows["pv_p10_kw"] <= out.rows["pv_p90_kw"] + 1e-9).all()


def test_files_round_trip_with_header(site, tmp_path):
    out = make_schedule(site, parse_day(WEEKDAY, site), folder=tmp_path)
    text = out.paths["csv"].read_text()
    assert text.startswith("# munigrid-schedule/1") and "# fallbacks: no SoC reading" in text
    table = pd.read_csv(out.paths["csv"], comment="#")
    assert table["time"].iloc[0] == "2026-03-10T00:00:00+07:00" and len(table) == 24
    header, rows = read_schedule(out.paths["json"])
    assert header["day"] == WEEKDAY and header["start_state"]["sources"]["soc"].startswith("fallback")
    np.testing.assert_allclose(rows["battery_setpoint_kw"], out.rows["battery_setpoint_kw"], atol=1e-4)
    assert json.loads(out.paths["json"].read_text())["rows"][0]["demand_limit_kw"] is None


def test_next_day_starts_where_the_previous_schedule_ends(site, tmp_path):
    first = make_schedule(site, parse_day(WEEKDAY, site), folder=tmp_path, soc_frac=0.3, peak_kw=20.0)
    second = make_schedule(site, parse_day("2026-03-11", site), folder=tmp_path)
    assert second.state.soc_kwh == pytest.approx(first.header["end_state"]["soc_kwh"])
    assert second.state.peak_kw == first.header["end_state"]["peak_kw"]
    assert "previous day's schedule" in second.state.sources["soc"]


def test_soc_reading_out_of_range(site):
    with pytest.raises(InputError) as err:
        make_schedule(site, parse_day(WEEKDAY, site), soc_frac=1.5)
    assert err.value.problems[0].path == "--soc-frac"
    clipped = make_schedule(site, parse_day(WEEKDAY, site), soc_frac=0.97)
    assert clipped.state.soc_kwh == pytest.approx(site.battery.soc_max_frac * site.battery.energy_kwh)
    assert any("outside the operating range" in note for note in clipped.header["fallbacks"])


def test_no_history_before_the_issue_time(site):
    first_day = site.index[0].normalize() + pd.Timedelta(days=3)
    with pytest.raises(InputError) as err:
        make_schedule(site, first_day)
    assert err.value.problems[0].path == "history" and "at least 14 days" in err.value.problems[0].message


def test_stale_history_is_a_reported_fallback(site):
    day = parse_day(WEEKDAY, site)
    out = make_schedule(site, day, issue_time=day - pd.Timedelta(hours=9))
    assert not any("history ends" in n for n in out.header["fallbacks"])
    stale = site.load_kw.copy()
    stale[(stale.index >= day - pd.Timedelta(days=3))] = np.nan
    from dataclasses import replace
    late = make_schedule(replace(site, load_kw=stale), day)
    assert any("history ends" in n for n in late.header["fallbacks"])


def test_weather_forecast_must_cover_the_day(site):
    day = parse_day(WEEKDAY, site)
    short = site.weather[(site.weather.index >= day) & (site.weather.index < day + pd.Timedelta(hours=12))]
    with pytest.raises(InputError) as err:
        make_schedule(site, day, weather=short)
    assert err.value.problems[0].path == "--weather-forecast"
    one_day = site.weather[(site.weather.index >= day) & (site.weather.index < day + pd.Timedelta(days=1))]
    out = make_schedule(site, day, weather=one_day)
    assert any("look-ahead steps use the scenario's weather" in n for n in out.header["fallbacks"])


def test_bad_day(site):
    for text, fragment in (("tomorrow", "YYYY-MM-DD"), ("2030-01-01", "outside the site's data"),
                           ("2026-03-10 12:00", "without a time")):
        with pytest.raises(InputError, match=fragment):
            parse_day(text, site)
