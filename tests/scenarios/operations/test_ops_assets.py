"""The daily schedule and review of a meter with several batteries, a shared connection or flexible loads."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from assets_support import (LEAD_ACID, OFFICE_KW, SCHOOL_KW, connection_scenario, two_battery_document,
                            write_document)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ops_quick import QUICK_LOAD_MODEL, make_schedule

from munigrid.models.errors import InputError
from munigrid.scenarios import api
from munigrid.scenarios.flex_inputs import FlexStart
from munigrid.scenarios.operations.daily import asset_rows, parse_day
from munigrid.scenarios.operations.forecast import HorizonForecast
from munigrid.scenarios.operations.plan import plan_day
from munigrid.scenarios.operations.planner import OperationsPlanner
from munigrid.scenarios.operations.review import review_day, write_review
from munigrid.scenarios.operations.schedule_file import read_schedule
from munigrid.scenarios.operations.site import operations_site
from munigrid.scenarios.operations.state import DayState, with_socs

DAY, NEXT = "2026-03-10", "2026-03-11"  # a Tuesday and a Wednesday


@pytest.fixture(scope="module")
def two_batteries(tmp_path_factory):
    """Tha Yang's office with its battery ``lfp`` and a lead-acid bank: the operations site."""
    scenario = api.load(write_document(two_battery_document(), tmp_path_factory.mktemp("two")))
    return operations_site(scenario, scenario._base_dir)


@pytest.fixture(scope="module")
def flex_scenario():
    """The bundled scenario with flexible loads."""
    return api.load("tha-yang-flex")


def test_two_batteries_are_scheduled_and_each_soc_carries_to_the_next_day(two_batteries, tmp_path):
    site = two_batteries
    first = make_schedule(site, parse_day(DAY, site), folder=tmp_path)
    rows, end = first.rows, first.header["end_state"]
    assert list(first.header["batteries"]) == ["lfp", "lead_acid"] and "battery" not in first.header
    for name, battery in site.batteries.items():
        setpoint, soc = rows[f"{name}:battery_setpoint_kw"], rows[f"{name}:expected_soc_kwh"]
        assert setpoint.abs().max() > 1.0  # both are used
        assert setpoint.abs().max() <= battery.installed_power_kw + 1e-6
        assert soc.between(battery.soc_min_frac * battery.energy_kwh - 1e-6,
                           battery.soc_max_frac * battery.energy_kwh + 1e-6).all()
        assert end["battery_soc_kwh"][name] == pytest.approx(soc.iloc[-1])
    assert (rows["lfp:battery_setpoint_kw"] + rows["lead_acid:battery_setpoint_kw"]).to_numpy() == pytest.approx(
        rows["battery_setpoint_kw"].to_numpy(), abs=1e-9)
    assert end["soc_kwh"] == pytest.approx(sum(end["battery_soc_kwh"].values()))
    header, stored = read_schedule(first.paths["json"])
    assert "lead_acid:expected_soc_frac" in stored and "lead_acid:expected_soc_frac" in first.paths["csv"].read_text()
    second = make_schedule(site, parse_day(NEXT, site), folder=tmp_path)
    start = second.header["start_state"]
    assert start["battery_soc_kwh"] == end["battery_soc_kwh"]
    assert start["sources"]["soc"] == "end of the previous day's schedule"


def test_the_review_replays_each_battery_and_the_next_day_starts_from_it(two_batteries, tmp_path):
    site = two_batteries
    make_schedule(site, parse_day(DAY, site), folder=tmp_path)
    review = review_day(site, parse_day(DAY, site), tmp_path, intraday=None)
    write_review(review, tmp_path, site.building)
    ends = review.summary["end_battery_soc_kwh"]
    lead = site.batteries["lead_acid"]
    assert set(ends) == {"lfp", "lead_acid"}
    assert lead.soc_min_frac * lead.energy_kwh - 1e-6 <= ends["lead_acid"] <= lead.soc_max_frac * lead.energy_kwh + 1e-6
    assert review.summary["end_soc_kwh"] == pytest.approx(sum(ends.values()))
    nxt = make_schedule(site, parse_day(NEXT, site), folder=tmp_path)
    assert nxt.header["start_state"]["battery_soc_kwh"] == pytest.approx(ends)
    assert nxt.header["start_state"]["sources"]["soc"] == "end of the previous day's review"


def test_the_warm_planner_replans_each_battery(two_batteries, tmp_path):
    planner = OperationsPlanner(two_batteries, load_model=QUICK_LOAD_MODEL)
    planner.day_ahead(DAY)
    now = pd.Timestamp(f"{DAY}T10:00", tz="Asia/Bangkok")
    metered = two_batteries.load_kw[(two_batteries.index >= parse_day(DAY, two_batteries)) & (two_batteries.index < now)]
    with pytest.raises(InputError) as err:
        planner.replan(now, 50.0, None, metered)
    assert err.value.problems[0].path == "soc_kwh"
    with pytest.raises(InputError) as err:
        planner.replan(now, {"lfp": 50.0, "lead_acid": 70.0}, None, metered)
    assert err.value.problems[0].path == "soc_kwh.lead_acid"
    step = planner.replan(now, {"lfp": 50.0, "lead_acid": 30.0}, None, metered)
    assert set(step.battery_setpoint_kw) == {"lfp", "lead_acid"}
    assert sum(step.battery_setpoint_kw.values()) == pytest.approx(step.setpoint_kw)


def test_a_shared_connection_bills_its_net_import(tmp_path):
    """Hand case: 3 + 13 kW flat behind one meter, the office's PV below 16 kW all day, registered demand
    20 kW (no demand charge moves), 2 THB/kWh; a lossy battery gains nothing by cycling. So the day costs
    2 x (16 x 24 - PV kWh); on their own meters the office's midday surplus would be lost to the school."""
    site = operations_site(api.load(connection_scenario(tmp_path)), tmp_path)
    assert site.building == "campus_meter" and site.tariff.id == "test-flat-demand"
    outcome = make_schedule(site, parse_day("2025-06-20", site), peak_kw=20.0, robust=False)
    rows = outcome.rows
    assert rows["load_forecast_kw"].to_numpy() == pytest.approx(OFFICE_KW + SCHOOL_KW)
    assert 0 < rows["pv_forecast_kw"].max() < OFFICE_KW + SCHOOL_KW
    pv_kwh = rows["pv_forecast_kw"].sum()
    assert outcome.header["expected_cost_thb"] == pytest.approx(2.0 * (16.0 * 24 - pv_kwh), abs=0.006)
    assert rows["expected_import_kw"].to_numpy() == pytest.approx((16.0 - rows["pv_forecast_kw"]).to_numpy(), abs=1e-6)
    assert outcome.header["members"] == ["office", "school"]
    assert rows["office:load_forecast_kw"].to_numpy() == pytest.approx(OFFICE_KW)
    assert rows["school:load_forecast_kw"].to_numpy() == pytest.approx(SCHOOL_KW)
    assert rows["office:pv_forecast_kw"].to_numpy() == pytest.approx(rows["pv_forecast_kw"].to_numpy())
    assert (rows["school:pv_forecast_kw"] == 0).all()
    alone = operations_site(api.load(connection_scenario(tmp_path / "alone", connected=False)), tmp_path / "alone")
    office = make_schedule(alone, parse_day("2025-06-20", alone), peak_kw=20.0, robust=False)
    assert office.header["expected_cost_thb"] + 2.0 * SCHOOL_KW * 24 > outcome.header["expected_cost_thb"] + 1.0


def test_an_ev_session_crossing_midnight_gets_its_energy_on_day_two(flex_scenario, tmp_path):
    """The pickups (2 x 25 kWh, 14.8 kW) arrive 16:30 and leave 08:00. Planned with a 24 h look-ahead, the
    evening session runs past the horizon: nothing is forced into day one (8 h after midnight suffice), the
    session is carried over and day two delivers its 50 kWh by 08:00."""
    site = operations_site(flex_scenario, flex_scenario._base_dir, meter="water_pumping_station")
    assert not site.batteries and site.flex is not None
    first = make_schedule(site, parse_day(DAY, site), folder=tmp_path, lookahead_h=24)
    rows = first.rows
    evening = rows.index.hour >= 17
    assert rows.loc[evening, "pickups:ev_kw"].sum() == pytest.approx(0.0, abs=1e-6)  # off-peak after midnight is cheaper
    carried = first.header["end_state"]["flex"]["ev_kwh"]["pickups"]
    assert carried == pytest.approx(rows["pickups:ev_session_kwh"].iloc[-1])
    second = make_schedule(site, parse_day(NEXT, site), folder=tmp_path, lookahead_h=24)
    assert second.header["start_state"]["flex"] == first.header["end_state"]["flex"]
    by_departure = second.rows["pickups:ev_session_kwh"].iloc[7]  # end of 07:00-08:00
    assert by_departure >= 50.0 - 1e-6
    assert second.rows["pickups:ev_kw"].iloc[8:17].sum() == pytest.approx(0.0, abs=1e-6)  # away during the day


def test_a_day_planned_48_h_ahead_carries_the_evening_charge(flex_scenario, tmp_path):
    """With the default look-ahead the session's departure is inside the horizon: what day one charged in the
    evening is the energy day two starts from, and the reservoir's level carries over too."""
    site = operations_site(flex_scenario, flex_scenario._base_dir, meter="water_pumping_station")
    first = make_schedule(site, parse_day(DAY, site), folder=tmp_path)
    end = first.header["end_state"]["flex"]
    assert end["reservoir_frac"] == pytest.approx(first.rows["reservoir_m3"].iloc[-1] / 300.0)
    second = make_schedule(site, parse_day(NEXT, site), folder=tmp_path)
    assert second.header["start_state"]["flex"] == end
    energy = end["ev_kwh"]["pickups"] + 0.92 * second.rows["pickups:ev_kw"].iloc[:8].sum()
    assert second.rows["pickups:ev_session_kwh"].iloc[7] == pytest.approx(energy)
    assert energy >= 50.0 - 1e-6


def test_pre_cooling_carries_the_zone_temperature_and_the_review_takes_the_planned_flexible_load(flex_scenario,
                                                                                                 tmp_path):
    site = operations_site(flex_scenario, flex_scenario._base_dir)  # the office: its battery and cooled zone
    first = make_schedule(site, parse_day(DAY, site), folder=tmp_path)
    rows = first.rows
    assert first.header["end_state"]["flex"]["zone_temp_c"] == pytest.approx(rows["zone_temp_c"].iloc[-1])
    assert rows["cool_kw"].to_numpy() == pytest.approx(rows["flex_kw"].to_numpy(), abs=1e-6)
    review = review_day(site, parse_day(DAY, site), tmp_path, intraday=None)
    assert review.summary["flex_kwh"] == pytest.approx(rows["flex_kw"].sum(), abs=24e-4)  # the file keeps 4 decimals
    assert review.trace["load_kw"].to_numpy() == pytest.approx(site.load_kw.reindex(rows.index).to_numpy()
                                                                + rows["flex_kw"].to_numpy(), abs=1e-4)
    write_review(review, tmp_path, site.building)
    second = make_schedule(site, parse_day(NEXT, site), folder=tmp_path)
    assert second.header["start_state"]["flex"] == first.header["end_state"]["flex"]


@pytest.fixture(scope="module")
def pumping_site(flex_scenario):
    return operations_site(flex_scenario, flex_scenario._base_dir, meter="water_pumping_station")


@pytest.fixture(scope="module")
def connection_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("campus")
    return operations_site(api.load(connection_scenario(folder)), folder)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), which=st.sampled_from(["two_batteries", "pumping_site", "connection_site"]),
       soc_frac=st.floats(0.0, 1.0), peak_kw=st.floats(0.0, 80.0))
def test_energy_balances_every_step(two_batteries, pumping_site, connection_site, seed, which, soc_frac, peak_kw):
    """import - export + PV used + discharge - charge - flexible load = load, at every step; the batteries'
    columns add up to the meter's and each battery's SoC follows its flows; behind a connection the
    buildings' columns add up to the meter's."""
    site = {"two_batteries": two_batteries, "pumping_site": pumping_site, "connection_site": connection_site}[which]
    rng = np.random.default_rng(seed)
    day = "2025-06-20" if which == "connection_site" else DAY
    index = pd.date_range(day, periods=48, freq="h", tz="Asia/Bangkok")
    load = rng.uniform(0.0, 90.0, 48)
    pv = np.clip(rng.normal(20.0, 20.0, 48), 0.0, None) * (np.arange(48) % 24 >= 6) * (np.arange(48) % 24 < 18)
    frame = lambda x: pd.DataFrame({"p10": 0.9 * x, "p50": x, "p90": 1.1 * x}, index=index)  # noqa: E731
    forecast = HorizonForecast(frame(load), frame(pv), QUICK_LOAD_MODEL, "weather")
    socs = {n: soc_frac * b.energy_kwh for n, b in site.batteries.items()}
    state = with_socs(DayState(0.0, {"*": [peak_kw]}, day[:7]), socs)
    plan = plan_day(site, state, forecast, 24)
    balance = plan.import_kw - plan.export_kw + plan.pv_used_kw + plan.discharge_kw - plan.charge_kw - plan.flex_kw
    assert balance == pytest.approx(plan.load_plan_kw, abs=1e-6)
    rows = asset_rows(site, plan, forecast, index[0] - pd.Timedelta(hours=9))
    for name, schedule in plan.batteries.items():
        b = site.batteries[name]
        stored = schedule.soc_kwh[1:] - schedule.soc_kwh[:-1]
        flows = b.charge_eff_frac * schedule.charge_kw - schedule.discharge_kw / b.discharge_eff_frac
        assert stored == pytest.approx(flows, abs=1e-6)
    if len(site.batteries) > 1:
        total = sum(rows[f"{n}:battery_setpoint_kw"] for n in site.batteries)
        assert total.to_numpy() == pytest.approx(rows["battery_setpoint_kw"].to_numpy(), abs=1e-6)
    if site.flex is not None:
        parts = rows["pump_kw"] + rows["pickups:ev_kw"]
        assert parts.to_numpy() == pytest.approx(rows["flex_kw"].to_numpy(), abs=1e-6)
    if site.member_load_kw is not None:
        for what in ("load", "pv"):
            total = sum(rows[f"{m}:{what}_forecast_kw"] for m in site.member_load_kw.columns)
            assert total.to_numpy() == pytest.approx(rows[f"{what}_forecast_kw"].to_numpy(), abs=1e-6)


def test_the_schedule_json_round_trips_every_column(two_batteries, tmp_path):
    outcome = make_schedule(two_batteries, parse_day(DAY, two_batteries), folder=tmp_path)
    data = json.loads(outcome.paths["json"].read_text())
    assert set(data["rows"][0]) == {"time", *outcome.rows.columns}
    assert data["header"]["end_state"]["battery_soc_kwh"].keys() == {"lfp", "lead_acid"}
    assert LEAD_ACID["energy_kwh"] == data["header"]["batteries"]["lead_acid"]["energy_kwh"]


def test_ev_sessions_at_the_edges_of_a_horizon(flex_scenario):
    """A horizon from Tuesday 00:00 to Wednesday 06:00: Monday's session (16:30-08:00) is carried only when
    its energy is given; Tuesday's runs 2 h past the end, so the end holds R - 2 h x 14.8 kW x eta."""
    from munigrid.scenarios.flex_inputs import ev_fleet

    spec = flex_scenario.flexible_loads.ev[0]
    index = pd.date_range(f"{DAY} 00:00", periods=30, freq="h", tz="Asia/Bangkok")
    year_start = ev_fleet(spec, index)
    assert not year_start.plugged[:8].any()  # a planning year starts with nothing plugged in
    assert spec.charge_eff_frac == 0.92
    assert year_start.required_kwh[-1] == pytest.approx(50.0 - 2 * 7.4 * 0.92 * 2.0)  # 22.768 kWh by 06:00
    carried = ev_fleet(spec, index, carried_kwh=12.0)
    assert carried.plugged[:8].all() and not carried.session_start[0] and carried.energy_initial_kwh == 12.0
    assert carried.required_kwh[8] == pytest.approx(50.0) and carried.session_start[17]


def test_the_ems_replans_both_batteries_during_the_day(two_batteries, tmp_path):
    """The review's default EMS (re-planning, here every 6 h) keeps each battery in its window and the energy
    of the replay balanced: import = load - PV + charge - discharge + curtailed PV, every step."""
    from munigrid.scenarios.operations.intraday import IntradayPolicy

    site = two_batteries
    make_schedule(site, parse_day(DAY, site), folder=tmp_path)
    review = review_day(site, parse_day(DAY, site), tmp_path, intraday=IntradayPolicy(replan_steps=6))
    t = review.trace
    balance = t["load_kw"] - t["pv_kw"] + t["charge_kw"] - t["discharge_kw"] + t["curtail_kw"]
    assert t["import_kw"].to_numpy() == pytest.approx(balance.to_numpy(), abs=1e-6)
    for name, soc in review.summary["end_battery_soc_kwh"].items():
        b = site.batteries[name]
        assert b.soc_min_frac * b.energy_kwh - 1e-6 <= soc <= b.soc_max_frac * b.energy_kwh + 1e-6
    assert review.summary["ems"] == "intraday re-planning"


def test_the_warm_planner_keeps_the_planned_flexible_load_in_its_replans(flex_scenario):
    site = operations_site(flex_scenario, flex_scenario._base_dir)
    planner = OperationsPlanner(site, load_model=QUICK_LOAD_MODEL)
    outcome = planner.day_ahead(DAY)
    now = pd.Timestamp(f"{DAY}T10:00", tz="Asia/Bangkok")
    elapsed = outcome.rows.index[outcome.rows.index < now]
    metered = site.load_kw.reindex(elapsed) + outcome.rows["flex_kw"].reindex(elapsed)
    step = planner.replan(now, 100.0, None, metered)
    flex_now = outcome.rows["flex_kw"].reindex(step.plan.index[:1]).to_numpy()
    assert step.plan.flex is None  # the re-plan moves the battery only ...
    assert step.plan.load_plan_kw[0] >= flex_now[0] - 1e-9  # ... against a load that holds the planned cooling


def test_the_school_s_ice_store_carries_its_charge_to_the_next_day(flex_scenario, tmp_path):
    """tha-yang-flex's school cools through a 200 kWh_th ice store as well: the day's plan reports the
    chiller and the stored cooling, and the next day starts from the charge the day ended with."""
    site = operations_site(flex_scenario, flex_scenario._base_dir, meter="municipal_school")
    first = make_schedule(site, parse_day(DAY, site), folder=tmp_path)
    rows = first.rows
    end = first.header["end_state"]["flex"]
    assert end["store_frac"] == pytest.approx(rows["store_kwh_th"].iloc[-1] / 200.0)
    assert ((rows["store_kwh_th"] >= -1e-6) & (rows["store_kwh_th"] <= 200.0 + 1e-6)).all()
    assert rows["flex_kw"].to_numpy() == pytest.approx((rows["cool_kw"] + rows["store_charge_kw"]).to_numpy(), abs=1e-6)
    second = make_schedule(site, parse_day(NEXT, site), folder=tmp_path)
    assert second.header["start_state"]["flex"] == end
    index = pd.date_range(NEXT, periods=24, freq="h", tz="Asia/Bangkok")
    zone = site.flex(index, site.weather.reindex(index), FlexStart(store_frac=end["store_frac"])).cooling
    assert zone.store.soc_initial_frac == end["store_frac"]  # the model of day two starts from it
