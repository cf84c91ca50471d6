"""Sampled Ft paths: zero volatility is the schedule, statistics match the process, estimate from history."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from munigrid.models.errors import InputError
from munigrid.models.tariffs import FtSchedule
from munigrid.models.tariffs.ft_paths import (FtProcess, billed_history, consecutive_pairs, deviations_thb_per_kwh,
                                              estimate_process, sample_ft_paths)

YEAR = pd.period_range("2026-01", "2026-12", freq="M")
SCHEDULE = FtSchedule.builtin(fallback="last_known")


def test_zero_volatility_is_the_schedule_exactly():
    process = FtProcess(0.0, 0.7, -0.15, 1.55)
    paths = sample_ft_paths(SCHEDULE, YEAR, 50, process=process, seed=3)
    fixed = sample_ft_paths(SCHEDULE, YEAR, 50, process=None, seed=3)
    assert np.array_equal(paths.sampled_thb_per_kwh, fixed.sampled_thb_per_kwh)
    assert np.array_equal(paths.sampled_thb_per_kwh[7], SCHEDULE.resolve(YEAR).ft_thb_per_kwh)
    assert not paths.change_thb_per_kwh(1.07).any()


def test_bounds_never_move_the_schedule():
    """Sampled values stay within [min, max]; a constant Ft above the bounds stays the central path and
    becomes the upper bound."""
    process = FtProcess(0.3, 0.5, -0.15, 1.55)
    near_zero = sample_ft_paths(FtSchedule.constant(0.0), YEAR, 400, process=process, seed=1).sampled_thb_per_kwh
    assert near_zero.min() == -0.15 and near_zero.max() <= 1.55
    high = sample_ft_paths(FtSchedule.constant(2.0), YEAR, 400, process=process, seed=1).sampled_thb_per_kwh
    assert high.max() == 2.0 and high.min() < 1.55
    still = sample_ft_paths(FtSchedule.constant(2.0), YEAR, 3, process=replace(process, volatility_thb_per_kwh=0.0),
                            seed=1).sampled_thb_per_kwh
    assert np.array_equal(still, np.full((3, 12), 2.0))


def test_one_value_per_ft_period_and_paths_independent_of_sample_count():
    process = FtProcess(0.2, 0.7, -5.0, 5.0)
    few = sample_ft_paths(SCHEDULE, YEAR, 3, process=process, seed=9).sampled_thb_per_kwh
    many = sample_ft_paths(SCHEDULE, YEAR, 300, process=process, seed=9).sampled_thb_per_kwh
    assert np.array_equal(few, many[:3])
    for first in (0, 4, 8):  # Jan-Apr, May-Aug, Sep-Dec
        assert (few[:, first:first + 4] == few[:, [first]]).all()
    assert not np.array_equal(few, sample_ft_paths(SCHEDULE, YEAR, 3, process=process, seed=10).sampled_thb_per_kwh)


def test_sampled_statistics_match_the_process():
    """Fixed seed, 20,000 paths of 12 periods, bounds far away: mean 0, var(X_0) = sigma^2,
    stationary variance approached, lag-1 OLS slope = phi and residual std = sigma."""
    sigma, phi, n = 0.24, 0.72, 20_000
    x = deviations_thb_per_kwh(FtProcess(sigma, phi, -5.0, 5.0), n, 12, seed=2024)
    se = sigma / np.sqrt(n)
    assert abs(x.mean(axis=0)).max() < 5 * se / np.sqrt(1 - phi ** 2)
    assert x[:, 0].std() == pytest.approx(sigma, rel=0.03)
    stationary = sigma / np.sqrt(1 - phi ** 2)
    assert x[:, -1].std() == pytest.approx(stationary * np.sqrt(1 - phi ** 24), rel=0.03)
    before, after = x[:, :-1].ravel(), x[:, 1:].ravel()
    slope = (before @ after) / (before @ before)
    assert slope == pytest.approx(phi, abs=0.01)
    assert (after - slope * before).std() == pytest.approx(sigma, rel=0.02)


def test_estimate_from_a_history_by_hand():
    """F_{j+1} = 0.1 + 0.8 F_j + e from 1.5, residuals +-0.01 alternating: OLS slope and sigma by hand."""
    values, keys = [1.5], ["2020-01"]
    start = pd.Period("2020-01", freq="M")
    for j in range(1, 9):
        values.append(0.1 + 0.8 * values[-1] + (0.01 if j % 2 else -0.01))
        keys.append(str(start + 4 * j))
    history = dict(zip(keys, values)) | {"2010-01": 3.0}  # a lone period outside the run: bounds only
    process = estimate_process(history)
    before, after = consecutive_pairs(history)
    assert before.size == 8
    fit = np.polyfit(before, after, 1)
    residual = after - np.polyval(fit, before)
    assert process.persistence_frac == pytest.approx(fit[0], rel=1e-12) and 0.7 < fit[0] < 0.9
    assert process.volatility_thb_per_kwh == pytest.approx(np.sqrt(residual @ residual / 6), rel=1e-12)
    assert (process.min_thb_per_kwh, process.max_thb_per_kwh) == (min(values), 3.0)


def test_builtin_estimate_uses_the_sourced_history():
    history = billed_history()
    assert history["2023-01"] == 1.5492 and history["2025-05"] == 0.1972
    assert consecutive_pairs(history)[0].size == 25
    process = FtProcess.estimated()
    assert process == estimate_process(history)
    assert 0.1 < process.volatility_thb_per_kwh < 0.4 and 0.0 <= process.persistence_frac <= 1.0


@pytest.mark.parametrize(("values", "field"), [
    ((-0.1, 0.5, -0.2, 1.5), "ft_volatility_thb_per_kwh"),
    ((float("nan"), 0.5, -0.2, 1.5), "ft_volatility_thb_per_kwh"),
    ((0.1, 1.5, -0.2, 1.5), "ft_persistence_frac"),
    ((0.1, 0.5, 1.5, -0.2), "ft_min_thb_per_kwh"),
    ((0.1, 0.5, -0.2, 9.0), "ft_min_thb_per_kwh"),
])
def test_bad_process_names_the_field(values, field):
    with pytest.raises(InputError) as err:
        FtProcess(*values)
    assert field in str(err.value)


def test_too_short_history_is_refused():
    with pytest.raises(InputError, match="3 pairs"):
        estimate_process({"2024-01": 0.39, "2024-05": 0.39, "2025-01": 0.36})
