"""The fast backtest forecasts exactly what fitting and forecasting origin by origin does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.forecasting.archetypes import archetype_load_kw
from munigrid.forecasting.backtest import refit_blocks, rolling_origin_backtest
from munigrid.forecasting.load_models import MODELS, Ensemble, GradientBoostingQuantiles, ProfileScaling
from munigrid.models.errors import InputError
from munigrid.models.timegrid import make_index

INDEX = make_index("2025-01-01", 24 * 84, 60)


@pytest.fixture(scope="module")
def office():
    temp = pd.Series(28 + 4 * np.sin(2 * np.pi * (INDEX.hour - 9) / 24), index=INDEX)
    return archetype_load_kw("office", INDEX, annual_kwh=200_000, seed=3, temperature_c=temp), temp


def _origin_by_origin(load, temp, names, horizon, issue_before, min_train_days, refit_days):
    """The definition: at each origin, fit on the history before its issue time (every refit) and forecast."""
    step = load.index[1] - load.index[0]
    origins = pd.date_range(load.index[0].normalize() + pd.Timedelta(days=min_train_days),
                            load.index[-1] + step - horizon, freq=pd.Timedelta(days=1))
    rows, fitted, last = [], {}, None
    for origin in origins:
        history = load[load.index < origin - issue_before]
        if last is None or origin - last >= pd.Timedelta(days=refit_days):
            fitted = {m: MODELS[m](horizon=horizon + issue_before).fit(history, temp[temp.index < origin - issue_before])
                      for m in names}
            last = origin
        target = pd.date_range(origin, origin + horizon - step, freq=step)
        rows += [fitted[m].predict(target, history, temp).assign(model=m, origin=origin) for m in names]
    return pd.concat(rows)


@pytest.mark.parametrize("issue_before", ["0h", "12h"])
def test_holdout_backtest_equals_origin_by_origin_fits(office, issue_before):
    load, temp = office
    names = ["seasonal_naive", "calendar_regression", "profile_scaling"]
    fast = rolling_origin_backtest(load, temp, models=names, horizon="24h", min_train_days=42, refit_every_days=14,
                                   temperature="observed", issue_before=issue_before, calibration="holdout", workers=1)
    slow = _origin_by_origin(load, temp, names, pd.Timedelta("24h"), pd.Timedelta(issue_before), 42, 14)
    for name in names:
        got = fast.forecasts[fast.forecasts["model"] == name]
        want = slow[slow["model"] == name]
        assert (got["origin"].to_numpy() == want["origin"].to_numpy()).all()
        np.testing.assert_allclose(got[[0.1, 0.5, 0.9]].to_numpy(), want[[0.1, 0.5, 0.9]].to_numpy(), rtol=1e-9,
                                   err_msg=name)


@pytest.mark.slow
def test_rolling_calibration_keeps_the_median_and_parallel_fits_agree(office):
    load, temp = office
    names = ("ensemble",)
    args = dict(models=names, horizon="24h", min_train_days=28, refit_every_days=14)
    holdout = rolling_origin_backtest(load, temp, calibration="holdout", workers=1, **args)
    seen = []
    rolling = rolling_origin_backtest(load, temp, workers=2, progress=lambda done, total: seen.append((done, total)),
                                      **args)
    inline = rolling_origin_backtest(load, temp, workers=1, **args)
    same = np.isclose(rolling.forecasts[0.5], holdout.forecasts[0.5], rtol=1e-9)
    assert same.mean() > 0.95  # the same P50 but where a calibrated P10 or P90 crosses it
    np.testing.assert_allclose(rolling.forecasts[[0.1, 0.9]], inline.forecasts[[0.1, 0.9]], rtol=1e-12)
    assert not np.allclose(rolling.forecasts[0.9], holdout.forecasts[0.9])  # calibrated otherwise
    assert seen[-1] == (rolling.forecasts["origin"].nunique(),) * 2 and len(seen) == 4  # one tick per refit
    assert 0.6 < rolling.table().loc["ensemble", "coverage"] < 0.95


def test_ensemble_from_fitted_members_equals_its_own_fit(office):
    load, temp = office
    train, target = load[:"2025-02-28"], pd.date_range("2025-03-01", periods=24, freq="h", tz="Asia/Bangkok")
    members = [cls(calibration_days=0).fit(train, temp) for cls in (GradientBoostingQuantiles, ProfileScaling)]
    shared = Ensemble.from_fitted(members).predict(target, train, temp)
    own = Ensemble(calibration_days=0).fit(train, temp).predict(target, train, temp)
    np.testing.assert_allclose(shared.to_numpy(), own.to_numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="uncalibrated"):
        Ensemble.from_fitted(members[::-1])


def test_refit_blocks_and_bad_settings(office):
    load, _ = office
    origins = pd.date_range("2025-02-01", periods=10, freq="D", tz="Asia/Bangkok")
    blocks = refit_blocks(origins, 4, pd.Timedelta("12h"), pd.Timedelta("24h"), pd.Timedelta("1h"))
    assert [len(b.origins) for b in blocks] == [4, 4, 2]
    assert blocks[1].issued == origins[4] - pd.Timedelta("12h") and len(blocks[1].targets) == 4 * 24
    with pytest.raises(InputError) as err:
        rolling_origin_backtest(load, calibration="conformal", workers=0)
    assert {p.path for p in err.value.problems} == {"calibration", "workers"}
