"""Two weeks of rolling operations against perfect foresight and the rule-based strategies."""

from __future__ import annotations

import pandas as pd
import pytest
from ops_quick import QUICK_LOAD_MODEL

from munigrid.models.errors import InputError
from munigrid.scenarios.operations.evaluate import default_start, evaluate_operations
from munigrid.scenarios.operations.intraday import IntradayPolicy


@pytest.fixture(scope="module")
def evaluation(site):
    return evaluate_operations(site, pd.Timestamp("2026-03-01", tz="Asia/Bangkok"), 14)


def test_perfect_foresight_is_the_floor(evaluation):
    costs = evaluation.costs["cost_thb"]
    assert costs["perfect foresight"] <= costs["day-ahead (rolling)"] + 1e-6
    assert costs["perfect foresight"] <= costs["no battery"]
    assert costs["day-ahead (rolling)"] < costs["no battery"]
    assert set(costs.index) == {"perfect foresight", "day-ahead (rolling)", "rule: self-consumption",
                                "rule: TOU arbitrage", "no battery"}


def test_gaps_and_shares_are_consistent(evaluation):
    c = evaluation.costs
    pf, none = c.loc["perfect foresight", "cost_thb"], c.loc["no battery", "cost_thb"]
    rolling = c.loc["day-ahead (rolling)"]
    assert rolling["gap_to_perfect_foresight_frac"] == pytest.approx(rolling["cost_thb"] / pf - 1.0)
    assert rolling["share_of_perfect_saving_frac"] == pytest.approx((none - rolling["cost_thb"]) / (none - pf))
    assert c.loc["perfect foresight", "share_of_perfect_saving_frac"] == pytest.approx(1.0)


def test_daily_table_and_timings(evaluation):
    daily = evaluation.daily
    assert len(daily) == 14 and daily.index[0] == "2026-03-01"
    assert daily["refit"].sum() == 2  # refitted every 7 days
    assert (daily["replans"] == 24).all() and evaluation.timings["replans"] == 14 * 24  # hourly, the default EMS
    assert evaluation.settings["intraday"] == IntradayPolicy().to_json() and evaluation.settings["control"] is None
    assert evaluation.timings["solve_max_s"] < 2.0
    assert evaluation.to_json()["days"] == 14


def test_monthly_demand(evaluation):
    demand = evaluation.monthly_demand_kw
    assert list(demand.index) == ["2026-03"]
    assert set(demand.columns) == {"on-peak demand: perfect foresight", "on-peak demand: day-ahead (rolling)"}
    assert (demand.to_numpy() > 10.0).all()  # an office on working days
    assert evaluation.to_json()["monthly_demand_kw"]["on-peak demand: perfect foresight"] == \
        [round(float(demand.iloc[0, 0]), 2)]


def test_following_set_points_without_replanning(site):
    result = evaluate_operations(site, pd.Timestamp("2026-03-02", tz="Asia/Bangkok"), 2, intraday=None,
                                 control="hold_limit", load_model=QUICK_LOAD_MODEL)
    assert result.settings["control"] == "hold_limit" and result.timings["replans"] == 0


def test_period_checks(site):
    assert default_start(site) == pd.Timestamp("2025-12-05", tz="Asia/Bangkok")
    with pytest.raises(InputError, match="28 days of history"):
        evaluate_operations(site, site.index[0].normalize(), 3)
    with pytest.raises(InputError, match="--days"):
        evaluate_operations(site, pd.Timestamp("2026-12-30", tz="Asia/Bangkok"), 30)
