"""The fitted-forecaster cache and the warm planner (day-ahead schedule and intraday re-plans)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ops_quick import QUICK_LOAD_MODEL

from munigrid.models.errors import InputError
from munigrid.scenarios.operations.daily import parse_day
from munigrid.scenarios.operations.ems import actuals
from munigrid.scenarios.operations.forecast import fit_load_model, metered_history
from munigrid.scenarios.operations.forecaster_cache import ForecasterCache, default_folder
from munigrid.scenarios.operations.intraday import DEFAULT_POLICY, level_factor, replan, with_step_freq
from munigrid.scenarios.operations.plan import horizon_index
from munigrid.scenarios.operations.planner import OperationsPlanner, registered_demand
from munigrid.scenarios.operations.state import DayState


@pytest.fixture
def day_inputs(site):
    day = parse_day("2026-04-08", site)
    history, _ = metered_history(site, day - pd.Timedelta(hours=9))
    index, _, _ = horizon_index(site, day)
    return day, history, index


def _fit(site, history, index, cache):
    return fit_load_model(site, history, index, QUICK_LOAD_MODEL, cache)


def test_cache_hit_is_used_in_memory_and_from_disk(site, day_inputs, tmp_path):
    _, history, index = day_inputs
    messages = []
    cache = ForecasterCache(tmp_path, on_fit=messages.append)
    first = _fit(site, history, index, cache)
    assert [e.source for e in cache.events] == ["fitted"] and len(messages) == 1 and "fitting" in messages[0]
    assert _fit(site, history, index, cache) is first  # same process: the very object
    fresh = ForecasterCache(tmp_path, on_fit=messages.append)  # a new process finds the file
    again = _fit(site, history, index, fresh)
    assert [e.source for e in fresh.events] == ["disk"] and len(messages) == 1
    target = index[:24]
    pd.testing.assert_frame_equal(again.predict(target, history, site.temp_air_c),
                                  first.predict(target, history, site.temp_air_c))
    assert [p.name for p in tmp_path.iterdir()] == [cache.events[0].path.name]  # no temporary file left


def test_a_changed_history_or_setting_refits(site, day_inputs, tmp_path):
    _, history, index = day_inputs
    cache = ForecasterCache(tmp_path)
    _fit(site, history, index, cache)
    edited = history.copy()
    edited.iloc[100] += 1.0  # one corrected reading, weeks back
    _fit(site, edited, index, cache)
    _fit(site, history[:-24], index, cache)  # a day less: another lead, another key
    fit_load_model(site, history, index, "profile_scaling", cache)
    assert [e.source for e in cache.events] == ["fitted"] * 4
    assert len({e.key for e in cache.events}) == 4 and len(list(tmp_path.glob("*.pkl"))) == 4


@pytest.mark.parametrize("garbage", [b"", b"not a pickle", None])
def test_a_corrupt_cache_file_is_ignored_and_rewritten(site, day_inputs, tmp_path, garbage):
    _, history, index = day_inputs
    cache = ForecasterCache(tmp_path)
    _fit(site, history, index, cache)
    path = cache.events[0].path
    if garbage is None:  # a readable pickle that is not this key's forecaster
        import pickle

        garbage = pickle.dumps({"key": "someone else", "model": 42})
    path.write_bytes(garbage)
    fresh = ForecasterCache(tmp_path)
    model = _fit(site, history, index, fresh)
    event = fresh.events[0]
    assert event.source == "fitted" and "unreadable" in event.note and model.name == QUICK_LOAD_MODEL
    assert ForecasterCache(tmp_path).read(event.key)[0] is not None  # rewritten whole


def test_default_folder_is_in_the_run_store(monkeypatch, tmp_path):
    monkeypatch.setenv("MUNIGRID_RUNS", str(tmp_path))
    assert default_folder() == tmp_path / "operations" / "forecasters"


def test_planner_day_ahead_and_replan_match_the_intraday_ems(site, tmp_path):
    planner = OperationsPlanner(site, cache=ForecasterCache(tmp_path), load_model=QUICK_LOAD_MODEL)
    outcome = planner.day_ahead("2026-04-08")
    assert planner.day_ahead("2026-04-08").rows.equals(outcome.rows)
    assert [e.source for e in planner.cache.events] == ["fitted", "memory"]
    day, n = outcome.day, outcome.plan.n_committed
    metered = actuals(site, outcome.plan.index[:n])
    h = int(round(10 / site.step_h))  # 10:00
    now = outcome.plan.index[h]
    got = planner.replan(now, 150.0, 30.0, metered.iloc[:h])
    forecast = with_step_freq(outcome.forecast, site.step_h)
    factor = level_factor(forecast.load_kw["p50"].to_numpy()[:h], metered["load_kw"].to_numpy()[:h],
                          DEFAULT_POLICY.prior_steps)
    plan, limit = replan(site, DayState(150.0, {"*": [30.0]}, f"{day:%Y-%m}"), forecast, h, n, factor, DEFAULT_POLICY)
    assert got.level_factor == pytest.approx(factor) and got.setpoint_kw == pytest.approx(plan.setpoint_kw[0])
    np.testing.assert_allclose(got.demand_limit_kw, limit[:n - h])
    assert got.time == now and len(got.plan.index) == len(outcome.plan.index) - h
    assert [e.source for e in planner.cache.events] == ["fitted", "memory"]  # re-plans never refit


@pytest.mark.parametrize("kwargs, field", [
    ({"now": "2026-04-08 10:30"}, "now"),
    ({"soc_kwh": -1.0}, "soc_kwh"),
    ({"registered_demand_kw": -5.0}, "registered_demand_kw"),
    ({"measurements": pd.Series(dtype=float)}, "measurements"),
])
def test_replan_bad_input_names_the_field(site, tmp_path, kwargs, field):
    planner = OperationsPlanner(site, cache=ForecasterCache(tmp_path), load_model=QUICK_LOAD_MODEL)
    outcome = planner.day_ahead("2026-04-08")
    metered = actuals(site, outcome.plan.index[:outcome.plan.n_committed])
    args = {"now": "2026-04-08 10:00", "soc_kwh": 100.0, "registered_demand_kw": 20.0,
            "measurements": metered, **kwargs}
    with pytest.raises(InputError) as err:
        planner.replan(**args)
    assert err.value.problems[0].path == field


def test_registered_demand_forms():
    assert registered_demand(None) == {}
    assert registered_demand(12) == {"*": [12.0]}
    assert registered_demand({"on_peak": [3, 4]}) == {"on_peak": [3.0, 4.0]}
