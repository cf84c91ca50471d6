"""Meter reading, load models, backtest and CLI on synthetic office histories."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from munigrid.forecasting.archetypes import archetype_load_kw
from munigrid.forecasting.backtest import rolling_origin_backtest
from munigrid.forecasting.features import build_features
from munigrid.forecasting.load_models import MODELS
from munigrid.forecasting.meter import UnitWarning, read_meter
from munigrid.forecasting.meter_format import MeterFormat
from munigrid.forecasting.results import forecast_dataset
from munigrid.forecasting.skill import pinball, scores, skill
from munigrid.models.errors import InputError
from munigrid.models.timegrid import make_index
from munigrid.scenarios.cli import cli

INDEX = make_index("2025-01-01", 24 * 120, 60)


@pytest.fixture(scope="module")
def office():
    temp = pd.Series(28 + 4 * np.sin(2 * np.pi * (INDEX.hour - 9) / 24), index=INDEX)
    return archetype_load_kw("office", INDEX, annual_kwh=200_000, seed=5, temperature_c=temp), temp


def _csv(tmp_path, load, temp=None, name="meter.csv", col="load_kw"):
    frame = pd.DataFrame({"time": load.index.strftime("%Y-%m-%d %H:%M"), col: load.to_numpy()})
    if temp is not None:
        frame["temp_air_c"] = temp.to_numpy()
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_read_meter_fills_gaps_and_reports(tmp_path, office):
    load, temp = office
    gappy = load.copy()
    gappy.iloc[100] = np.nan  # 1 h: interpolated
    gappy.iloc[500:510] = np.nan  # 10 h: from the week before
    temp = temp.copy()
    temp.iloc[50] = -17.78
    path = _csv(tmp_path, gappy, temp)
    with pytest.raises(InputError, match="11 of 2880 60-min intervals missing in 2 gaps: 2025-01-05 04:00 to "
                                         "2025-01-05 04:00 .1.; 2025-01-21 20:00 to 2025-01-22 05:00 .10.*--fill-gaps"):
        read_meter(path)
    history = read_meter(path, MeterFormat(fill_gaps=True))
    fill = history.fills[0]
    assert (fill.n_missing, fill.n_interpolated, fill.n_seasonal) == (11, 1, 10)
    assert history.load_kw.iloc[505] == pytest.approx(load.iloc[505 - 168])
    assert history.fills[1].n_missing == 1 and any("outside" in note for note in history.notes)


def test_read_meter_names_file_column_rows(tmp_path, office):
    load, _ = office
    bad = load.copy()
    bad.iloc[[3, 7]] = -5.0
    bad.iloc[20] = 1e6
    with pytest.raises(InputError) as err:
        read_meter(_csv(tmp_path, bad), tz="Asia/Bangkok")
    text = str(err.value)
    assert "meter.csv: column 'load_kw'" in text and "lines 5, 9" in text and "absurd" in text
    assert str(read_meter(_csv(tmp_path, load)).load_kw.index.tz) == "Asia/Bangkok"  # naive: --tz default
    only = read_meter(_csv(tmp_path, load, col="banana"), tz="Asia/Bangkok")  # the one other column is the load
    assert any("'banana' read as the load" in note for note in only.notes)


def test_w_versus_kw(tmp_path, office):
    load, _ = office
    history = read_meter(_csv(tmp_path, load * 1000, col="power_w"), tz="Asia/Bangkok")
    np.testing.assert_allclose(history.load_kw.to_numpy(), load.to_numpy())
    assert any("converted to kW" in note for note in history.notes)
    big = load * 1000 + 30_000  # says kW, but is W
    with pytest.warns(UnitWarning, match="is it in W"):
        read_meter(_csv(tmp_path, big, col="load_kw"), tz="Asia/Bangkok")


def test_features_do_not_leak_past_the_origin(office):
    load, _ = office
    origin = pd.Timestamp("2025-03-10", tz="Asia/Bangkok")
    target = pd.date_range(origin, periods=24, freq="h")
    history = load[load.index < origin]
    leaked = load.copy()
    leaked[leaked.index >= origin] = 1e9
    a = build_features(target, history, None, pd.Timedelta("24h"))
    b = build_features(target, leaked, None, pd.Timedelta("24h"))
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("name", list(MODELS))
def test_models_give_ordered_quantiles(office, name):
    load, temp = office
    train = load[:"2025-03-31"]
    model = MODELS[name](horizon=pd.Timedelta("24h")).fit(train, temp[:"2025-03-31"])
    target = pd.date_range("2025-04-01", periods=24, freq="h", tz="Asia/Bangkok")
    pred = model.predict(target, train, temp)
    assert list(pred.columns) == [0.1, 0.5, 0.9]
    assert (pred[0.1] <= pred[0.5]).all() and (pred[0.5] <= pred[0.9]).all() and (pred >= 0).all().all()


def test_backtest_beats_naive_on_holidays_and_reports_tables(office):
    load, temp = office
    result = rolling_origin_backtest(load, temp, horizon="24h", min_train_days=35, refit_every_days=30)
    table = result.table()
    assert set(table.index) == set(MODELS)
    assert table.loc["seasonal_naive", "skill_vs_naive"] == 0.0
    assert table.loc["gradient_boosting", "skill_vs_naive"] > 0.0
    kinds = result.by_day_kind()
    assert kinds.loc[("day_off", "gradient_boosting"), "mae"] < kinds.loc[("day_off", "seasonal_naive"), "mae"]
    assert result.by_hour().shape[0] == 24
    week = rolling_origin_backtest(load, temp, models=("calendar_regression",), horizon="7d", min_train_days=35,
                                   refit_every_days=60)
    assert week.forecasts["origin"].nunique() >= 10


def test_scores_by_hand():
    actual = np.array([10.0, 20.0, 0.0])
    fc = {0.1: np.array([8.0, 15.0, 0.0]), 0.5: np.array([12.0, 20.0, 1.0]), 0.9: np.array([14.0, 25.0, 2.0])}
    s = scores(actual, fc)
    assert s["mae"] == pytest.approx(1.0) and s["rmse"] == pytest.approx(np.sqrt(5 / 3))
    assert s["mape"] == pytest.approx(0.1)  # the zero actual is skipped
    assert pinball(actual, fc[0.9], 0.9) == pytest.approx((0.1 * 4 + 0.1 * 5 + 0.1 * 2) / 3)
    assert skill(7.5, 10.0) == pytest.approx(0.25)


def test_forecast_dataset_dims_and_units(office):
    load, _ = office
    frame = pd.DataFrame({0.1: load * 0.9, 0.5: load, 0.9: load * 1.1})
    ds = forecast_dataset({"office": frame, "school": frame}, "load_kw")
    assert ds["load_kw"].dims == ("time", "building", "quantile")
    assert ds["load_kw"].attrs["units"] == "kW" and ds.attrs["time_zone"] == "Asia/Bangkok"


def test_cli_load_forecast_backtest_and_errors(tmp_path, office):
    load, temp = office
    path = _csv(tmp_path, load, temp)
    runner = CliRunner()
    res = runner.invoke(cli, ["forecast", "load", "--history", str(path), "--tz", "Asia/Bangkok", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert len(out["forecast"]) == 24 and {"p10", "p50", "p90"} <= set(out["forecast"][0])
    res = runner.invoke(cli, ["forecast", "load", "--history", str(path), "--tz", "Asia/Bangkok", "--backtest",
                              "--refit-days", "60"])
    assert res.exit_code == 0, res.output
    assert "skill_vs_naive" in res.output and "by day kind" in res.output
    gappy = _csv(tmp_path, load.drop(load.index[30:40]), temp.drop(temp.index[30:40]), name="gappy.csv")
    res = runner.invoke(cli, ["forecast", "load", "--history", str(gappy)])
    assert res.exit_code != 0 and "10 of 2880 60-min intervals missing" in str(res.exception)


def test_cli_pv_synthetic_json():
    res = CliRunner().invoke(cli, ["forecast", "pv", "--lat", "12.97", "--lon", "99.89", "--kwp", "10", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert 1250 < out["specific_yield_kwh_per_kwp"] < 1550


def test_durations_read_the_way_users_write_them():
    from munigrid.models.timegrid import duration

    assert duration("7d") == duration("1d12h") * 7 / 1.5 == pd.Timedelta(days=7)
    assert duration("24h") == duration(" 1d ") == pd.Timedelta(days=1)
    assert duration("7 days") == pd.Timedelta(days=7)
    assert duration(pd.Timedelta(hours=3)) == pd.Timedelta(hours=3)
