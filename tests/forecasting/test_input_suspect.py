"""Issue 22 item 4: weeks copied from the week before, outage days of zeros and flat runs are
found with their dates, reported, and left out of a forecast's fitting and scoring unless kept."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from munigrid.forecasting.meter import read_meter
from munigrid.forecasting.meter_suspect import find_suspect
from munigrid.scenarios.cli import main

DAY = 24


def _office(days: int = 42, step_min: int = 60) -> pd.Series:
    index = pd.date_range("2025-01-06", periods=days * 24 * 60 // step_min, freq=f"{step_min}min", tz="Asia/Bangkok")
    hour = index.hour.to_numpy()
    rng = np.random.default_rng(1)
    load = 20 + 60 * ((hour >= 8) & (hour < 18) & (index.day_of_week.to_numpy() < 5)) + rng.normal(0, 2, len(index))
    return pd.Series(np.round(load, 2), index=index)


def _source_filled(load: pd.Series) -> pd.Series:
    out = load.copy()
    out.iloc[28 * DAY:35 * DAY] = out.iloc[21 * DAY:28 * DAY].to_numpy()  # week 5 copied from week 4
    out.iloc[37 * DAY:38 * DAY] = 0.0  # an outage day
    out.iloc[40 * DAY + 2:40 * DAY + 10] = 33.3  # a value carried forward for 8 h
    return out


def test_repeated_zero_and_flat_runs_found_with_dates():
    found = find_suspect(_source_filled(_office()), 60)
    assert [(r.kind, f"{r.start:%m-%d %H}", f"{r.end:%m-%d %H}", r.lag_days) for r in found.runs] == [
        ("repeated", "02-03 00", "02-09 23", 7), ("zero", "02-12 00", "02-12 23", 0), ("flat", "02-15 02", "02-15 09", 0)]
    assert int(found.mask.sum()) == 7 * DAY + DAY + 8
    notes = " ".join(found.notes())
    assert "2025-02-03 00:00 to 2025-02-09 23:00: the same readings as 7 days earlier" in notes
    assert "repeated days: 1 run, 168 of 1008 intervals (16.7%)" in notes


def test_a_clean_meter_has_none_and_a_lighting_load_keeps_its_zeros():
    assert find_suspect(_office(), 60).runs == []
    lighting = _office()
    lighting[(lighting.index.hour >= 6) & (lighting.index.hour < 18)] = 0.0  # off by day: zeros are normal
    assert find_suspect(lighting, 60).runs == []


def test_a_day_copied_from_the_day_before_at_15_min():
    load = _office(days=10, step_min=15)
    load.iloc[4 * 96:5 * 96] = load.iloc[3 * 96:4 * 96].to_numpy()
    found = find_suspect(load, 15)
    assert [(r.kind, r.lag_days, r.steps) for r in found.runs] == [("repeated", 1, 96)]


def _write(tmp_path, load: pd.Series):
    path = tmp_path / "meter.csv"
    pd.DataFrame({"time": load.index.strftime("%Y-%m-%d %H:%M"), "load_kw": load.to_numpy()}).to_csv(path, index=False)
    return path


def test_reader_reports_and_keeps_them_for_bills(tmp_path):
    meter = read_meter(_write(tmp_path, _source_filled(_office())))
    assert int(meter.suspect.sum()) == 7 * DAY + DAY + 8
    assert any("zero runs: 1 run" in n for n in meter.notes)
    assert meter.load_kw.notna().all()  # a bill uses every reading
    assert int(meter.load_for_fitting().isna().sum()) == 7 * DAY + DAY + 8
    assert meter.load_for_fitting(keep_suspect=True).notna().all()


def _backtest(capsys, path, *flags):
    with pytest.raises(SystemExit) as exit_info:
        main(["forecast", "load", "--history", str(path), "--backtest", "--workers", "1", "--refit-days", "100", "--json",
              *flags])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 0, err
    return json.loads(out)


def test_a_file_mostly_filled_at_the_source_is_refused_naming_the_option(tmp_path, capsys):
    index = pd.date_range("2025-01-06", periods=35 * DAY, freq="h", tz="Asia/Bangkok")
    same_every_week = 20.0 + 50.0 * ((index.hour >= 8) & (index.hour < 18) & (index.day_of_week < 5))
    path = _write(tmp_path, pd.Series(same_every_week, index=index))
    with pytest.raises(SystemExit) as exit_info:
        main(["forecast", "load", "--history", str(path)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "840 of 840 steps (100%) look filled at the source" in err and "--keep-suspect" in err
    assert "2025-01-13 00:00 to 2025-01-17 23:00: the same readings as 7 days earlier" in err  # weekdays of week 2
    assert "2025-01-07 00:00 to 2025-01-10 23:00: the same readings as 1 day earlier" in err  # Tuesday-Friday


@pytest.mark.slow  # two backtests of 4-8 weeks: about 10 s each on an idle machine
def test_nothing_left_to_score_is_refused_naming_the_option(tmp_path, capsys):
    path = _write(tmp_path, _source_filled(_office()))
    with pytest.raises(SystemExit) as exit_info:
        main(["forecast", "load", "--history", str(path), "--backtest", "--workers", "1", "--refit-days", "100"])
    assert exit_info.value.code == 2
    assert "--keep-suspect" in capsys.readouterr().err


@pytest.mark.slow
def test_backtest_leaves_them_out_of_fitting_and_scoring_unless_kept(tmp_path, capsys):
    path = _write(tmp_path, _source_filled(_office(days=56)))
    left_out = _backtest(capsys, path)
    kept = _backtest(capsys, path, "--keep-suspect")
    assert left_out["suspect_steps"] == kept["suspect_steps"] == 7 * DAY + DAY + 8
    assert any("left out of fitting and scoring" in n for n in left_out["notes"])
    n_scored = {m: s["n"] for m, s in left_out["skill"].items()}
    assert len(set(n_scored.values())) == 1  # every model scored on the same steps
    assert n_scored["ensemble"] < kept["skill"]["ensemble"]["n"]
    assert left_out["skill"]["ensemble"]["mae"] < kept["skill"]["ensemble"]["mae"]
