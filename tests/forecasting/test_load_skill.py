"""Occupancy day kinds, profile features, conformal calibration and the new load models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.forecasting.backtest import rolling_origin_backtest
from munigrid.forecasting.conformal import ConformalCalibration, conformal_factor
from munigrid.forecasting.features import build_features
from munigrid.forecasting.load_models import MODELS, Ensemble, ProfileScaling
from munigrid.forecasting.occupancy_days import DAY_OFF, SATURDAY, SUNDAY, WORKDAY, daily_kinds, day_kind
from munigrid.models.errors import InputError

TZ = "Asia/Bangkok"


def _days(start, end):
    return pd.date_range(start, end, freq="D", tz=TZ)


def test_public_sector_calendar_and_bridges():
    kinds = daily_kinds(_days("2019-04-01", "2019-05-31"))
    kind = kinds["kind"]
    assert kind["2019-04-08"] == DAY_OFF  # Chakri Day substitution (the holiday fell on a Saturday)
    assert kind["2019-04-16"] == DAY_OFF  # Songkran substitution
    assert kind["2019-05-09"] == DAY_OFF  # Royal Ploughing Ceremony (GOVERNMENT category)
    assert kind["2019-05-01"] == WORKDAY  # Labour Day: public offices open
    assert (kind["2019-04-06"], kind["2019-04-07"]) == (DAY_OFF, SUNDAY)
    assert kind["2019-04-20"] == SATURDAY
    assert kinds["after_day_off"]["2019-04-17"] == 1 and kinds["after_day_off"]["2019-04-18"] == 0
    assert kinds["bridge"]["2019-05-10"] == 1  # Friday between the Thursday day off and the weekend
    assert kinds["bridge"].sum() == 1 and kind["2019-05-10"] == WORKDAY
    oct_kinds = daily_kinds(_days("2018-10-20", "2018-10-25"))
    assert oct_kinds["bridge"]["2018-10-22"] == 1  # Monday between Sunday and the Tuesday holiday


def _office(days=70, seed=3, step="1h", shift_day=42):
    """Office-like load: a working-day shape whose level jumps by 40 % on ``shift_day``, plus noise [kW]."""
    index = pd.date_range("2019-01-07", periods=days * int(pd.Timedelta("1D") / pd.Timedelta(step)), freq=step, tz=TZ)
    hour = index.hour + index.minute / 60
    working = day_kind(index) == WORKDAY
    shape = np.where((hour >= 8) & (hour < 17), 1.0, 0.1) * np.where(hour == 12, 0.4, 1.0)
    level = np.where(index >= index[0] + pd.Timedelta(days=shift_day), 280.0, 200.0)
    rng = np.random.default_rng(seed)
    load = np.where(working, level * shape, 20.0) + 20.0 + rng.normal(0, 8, len(index))
    return pd.Series(np.clip(load, 0, None), index=index)


def test_profile_scaled_by_hand():
    load = _office()
    target = pd.date_range("2019-03-13", periods=24, freq="h", tz=TZ)  # a Wednesday
    feats = build_features(target, load[load.index < target[0]], None, pd.Timedelta("24h"))
    days = [d for d in pd.date_range("2019-02-20", "2019-03-12", freq="D", tz=TZ)
            if d.day_of_week < 5][-8:]  # the last 8 working days (no holidays in this stretch)
    loads = np.array([load[d:d + pd.Timedelta("23h")].to_numpy() for d in days])
    means = loads.mean(axis=1)
    expected = (loads / means[:, None]).mean(axis=0) * means[-3:].mean()
    np.testing.assert_allclose(feats["profile_scaled"].to_numpy(), expected)
    np.testing.assert_allclose(feats["lag_same_kind"].to_numpy(), loads[-1])
    np.testing.assert_allclose(feats["workday_level"].to_numpy(), means[-5:].mean())


@pytest.mark.parametrize("horizon", ["24h", "48h"])
def test_training_features_equal_forecast_features(horizon):
    """Features of a target are the same whether built from the full history (training) or from the issue time on."""
    load = _office(step="15min")
    horizon = pd.Timedelta(horizon)
    origin = pd.Timestamp("2019-03-04", tz=TZ)
    target = pd.date_range(origin, origin + horizon - pd.Timedelta("15min"), freq="15min")
    known = load[load.index < origin]
    leaked = load.copy()
    leaked[leaked.index >= origin] *= 50.0
    from_issue = build_features(target, known, None, horizon)
    pd.testing.assert_frame_equal(from_issue, build_features(target, leaked, None, horizon))
    training = build_features(load.index, load, None, horizon).loc[target]
    training.index.name = None
    pd.testing.assert_frame_equal(from_issue, training, check_freq=False)


def test_conformal_factor_and_coverage():
    assert conformal_factor(np.arange(1.0, 10.0), 0.9) == 9.0  # ceil(10 * 0.9) = 9th of 9
    assert conformal_factor(np.arange(1.0, 20.0), 0.5) == 10.0
    rng = np.random.default_rng(0)
    n = 4000
    actual = 100 + rng.normal(0, 10, 2 * n)
    raw = np.column_stack([np.full(2 * n, 97.0), np.full(2 * n, 100.0), np.full(2 * n, 103.0)])  # far too narrow
    group = np.zeros(2 * n, dtype=int)
    cal = ConformalCalibration.fit(actual[:n], raw[:n], (0.1, 0.5, 0.9), group[:n])
    out = cal.apply(raw[n:], group[n:])
    inside = np.mean((actual[n:] >= out[:, 0]) & (actual[n:] <= out[:, 2]))
    assert 0.77 < inside < 0.83
    np.testing.assert_allclose(out[:, 2] - 100, 12.8, atol=0.8)  # z_0.9 * sigma
    too_wide = raw * np.array([0.5, 1.0, 1.5])
    narrowed = ConformalCalibration.fit(actual[:n], too_wide[:n], (0.1, 0.5, 0.9), group[:n]).apply(too_wide[n:], group[n:])
    assert (narrowed[:, 2] < too_wide[n:, 2]).all() and (narrowed[:, 0] > too_wide[n:, 0]).all()


def test_conformal_groups_fall_back_to_pooled():
    actual = np.r_[np.full(100, 10.0), np.full(10, 50.0)]
    raw = np.tile([9.0, 10.0, 11.0], (110, 1))
    group = np.r_[np.zeros(100, int), np.ones(10, int)]
    cal = ConformalCalibration.fit(actual, raw, (0.1, 0.5, 0.9), group)
    assert set(cal.factors) == {-1, 0}  # 10 scores are too few for a group of their own
    np.testing.assert_allclose(cal.apply(raw[:1], np.array([1])), cal.apply(raw[:1], np.array([7])))


def test_calibrated_models_cover_about_80_percent():
    load = _office(days=100, seed=11, shift_day=200)  # stationary: the calibration period is like the future
    result = rolling_origin_backtest(load, None, models=("profile_scaling", "gradient_boosting"), horizon="24h",
                                     min_train_days=56, refit_every_days=30)
    table = result.table()
    for name in ("profile_scaling", "gradient_boosting"):
        assert 0.72 < table.loc[name, "coverage"] < 0.9, table
        assert table.loc[name, "skill_vs_naive"] > 0.1, table  # averaging recent days beats one noisy week-old day
        assert table.loc[name, "pinball"] < table.loc["seasonal_naive", "pinball"]


def test_profile_scaling_follows_a_level_shift():
    load = _office(days=56)
    origin = pd.Timestamp("2019-02-28", tz=TZ)  # 10 days into the higher level
    history = load[load.index < origin]
    model = ProfileScaling(pd.Timedelta("24h")).fit(history)
    noon = model.predict(pd.date_range(origin, periods=24, freq="h"), history)[0.5].iloc[10]
    assert noon == pytest.approx(300.0, rel=0.05)  # 280 kW * shape 1 + 20 kW base, not the old 220 kW


def test_models_reject_bad_quantiles_and_calibration():
    with pytest.raises(InputError) as err:
        Ensemble(quantiles=(0.1, 0.9), calibration_days=-1)
    assert "quantiles" in str(err.value) and "calibration_days" in str(err.value)
    assert {"profile_scaling", "ensemble"} <= set(MODELS)


@pytest.mark.parametrize("name", ["profile_scaling", "ensemble"])
def test_forecast_issued_at_noon_on_15_minute_data(name):
    """As in day-ahead operations: history up to 12:00, forecast to the end of the next day."""
    load = _office(days=63, step="15min")
    issue = pd.Timestamp("2019-03-06 12:00", tz=TZ)
    history = load[load.index < issue]
    target = pd.date_range(issue, periods=36 * 4, freq="15min")
    model = MODELS[name](horizon=target[-1] + pd.Timedelta("15min") - issue).fit(history)
    pred = model.predict(target, history)
    assert pred.notna().all().all() and (pred[0.1] <= pred[0.5]).all() and (pred[0.5] <= pred[0.9]).all()
    actual = load.reindex(target)
    assert np.mean(np.abs(pred[0.5] - actual)) < 8.0  # noise floor 6.4 kW (sd 8); seasonal naive 8.7
    assert model.calibration is not None
