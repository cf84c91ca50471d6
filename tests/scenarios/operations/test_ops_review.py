"""The morning job: replay against actuals, EMS controls, perfect foresight, state for the next day."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ops_quick import make_schedule

from munigrid.models.errors import InputError
from munigrid.scenarios.operations.daily import parse_day
from munigrid.scenarios.operations.ems import ems_setpoints
from munigrid.scenarios.operations.review import review_day, write_review

DAY = "2026-03-10"


@pytest.fixture(scope="module")
def reviewed(site, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ops")
    day = parse_day(DAY, site)
    schedule = make_schedule(site, day, folder=folder, soc_frac=0.5, peak_kw=20.0)
    review = review_day(site, day, folder)
    return folder, schedule, review, write_review(review, folder, site.building)


def test_replay_conserves_energy_and_respects_the_battery(site, reviewed):
    _, _, review, _ = reviewed
    t, b = review.trace, site.battery
    balance = t["load_kw"] - (t["pv_kw"] - t["curtail_kw"]) - t["discharge_kw"] + t["charge_kw"] - t["import_kw"]
    np.testing.assert_allclose(balance, 0.0, atol=1e-6)
    assert (t["soc_kwh"] >= b.soc_min_frac * b.energy_kwh - 1e-6).all()
    assert (t[["charge_kw", "discharge_kw"]].to_numpy() <= b.installed_power_kw + 1e-6).all()


def test_summary_costs_peaks_and_forecast_error(site, reviewed):
    _, schedule, review, _ = reviewed
    s = review.summary
    assert s["perfect_foresight_cost_thb"] <= s["cost_thb"] + 1e-6
    assert s["expected_cost_thb"] == pytest.approx(schedule.plan.expected_cost_thb, abs=0.01)
    actual_peak = review.trace.loc[schedule.rows["demand_limit_kw"].notna().to_numpy(), "import_kw"].max()
    assert max(s["registered_after_kw"]["on-peak demand"]) == pytest.approx(max(actual_peak, 20.0))
    err = review.trace["load_kw"].to_numpy() - schedule.rows["load_p50_kw"].to_numpy()
    assert s["load_forecast"]["mae_kw"] == pytest.approx(np.abs(err).mean(), abs=1e-4)  # the file keeps 4 decimals
    assert s["pv_forecast"]["mae_kw"] < 1e-3  # no weather forecast: the PV forecast is the actual weather's


def test_next_schedule_starts_from_the_review(site, reviewed):
    folder, _, review, path = reviewed
    assert path.name == f"review_{site.building}_{DAY}.json"
    nxt = make_schedule(site, parse_day("2026-03-11", site), folder=folder)
    assert nxt.state.soc_kwh == pytest.approx(review.end_state.soc_kwh)
    assert nxt.state.sources["peak"] == "end of the previous day's review"


def test_ems_controls():
    actual = pd.DataFrame({"load_kw": [50.0, 60.0, 10.0], "pv_kw": [10.0, 10.0, 0.0]})
    setpoint, planned, limit = np.array([-10.0, -10.0, 5.0]), np.array([30.0, 30.0, 15.0]), np.array([30.0, 30.0, np.nan])
    np.testing.assert_allclose(ems_setpoints(setpoint, planned, limit, actual, "setpoint"), setpoint)
    imp = ems_setpoints(setpoint, planned, limit, actual, "import")
    np.testing.assert_allclose(imp, [-10.0, -20.0, 5.0])  # holds 30 kW import where a limit applies
    hold = ems_setpoints(setpoint, planned, limit, actual, "hold_limit")
    np.testing.assert_allclose(hold, [-10.0, -20.0, 5.0])
    assert (hold <= setpoint).all()


def test_review_needs_a_schedule_and_actuals(site, tmp_path):
    with pytest.raises(InputError, match="run `munigrid schedule`"):
        review_day(site, parse_day(DAY, site), tmp_path)
    last = site.load_kw.last_valid_index().normalize()
    from dataclasses import replace
    unmetered = replace(site, load_kw=site.load_kw.mask(site.index >= parse_day(DAY, site)))
    make_schedule(site, parse_day(DAY, site), folder=tmp_path)
    with pytest.raises(InputError, match="cannot be reviewed before it is metered"):
        review_day(unmetered, parse_day(DAY, site), tmp_path)
    assert last > parse_day(DAY, site)
