"""Issue 22 items 3 and 6: a wide 15-min file of kWh per interval with its own column names
reads to the same kW on every path (forecast, backtest, bill, scenario ``load_csv``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from munigrid.scenarios.cli import main

DAYS = 35


def _wide_kwh(tmp_path):
    index = pd.date_range("2025-01-06", periods=DAYS * 96, freq="15min", tz="Asia/Bangkok")
    hour = index.hour.to_numpy()
    floor_2_kw = 10.0 + 30.0 * ((hour >= 8) & (hour < 17) & (index.day_of_week.to_numpy() < 5)) \
        + np.random.default_rng(2).normal(0, 1, len(index))
    path = tmp_path / "floors.csv"
    pd.DataFrame({"Stamp": index.strftime("%d/%m/%Y %H:%M"), "floor_1_kwh": np.round(floor_2_kw / 8, 4),
                  "floor_2_kwh": np.round(floor_2_kw / 4, 4), "Outdoor": 29.0}).to_csv(path, index=False)
    return path, pd.Series(np.round(floor_2_kw / 4, 4) * 4, index=index)


def _run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    assert exit_info.value.code == 0, err
    return json.loads(out)


FLAGS = ("--time-column", "Stamp", "--column", "floor_2_kwh")


def test_forecast_and_bill_read_kwh_per_15_min_as_kw(tmp_path, capsys):
    path, load_kw = _wide_kwh(tmp_path)
    forecast = _run(capsys, "forecast", "load", "--history", str(path), "--json", *FLAGS)
    assert forecast["step_min"] == 15
    assert "column 'floor_2_kwh' is kWh per 15-min interval: converted to mean kW (x 4)" in forecast["notes"]
    p50 = np.array([row["p50"] for row in forecast["forecast"]])
    assert 0.8 * load_kw.min() < p50.mean() < load_kw.max()  # kW, not 4 x too low
    bill = _run(capsys, "bill", "--tariff", "pea-3.2-lt22kv", "--ft", "0.2", "--meter", str(path), "--json", *FLAGS)
    energy_kwh = sum(month["energy_kwh"] for month in bill["months"])
    assert energy_kwh == pytest.approx(load_kw.sum() / 4, rel=1e-9)
    assert max(month["demand_kw"] for month in bill["months"]) == pytest.approx(load_kw.max(), abs=0.5)  # whole kW


def test_scenario_load_csv_takes_the_same_options(tmp_path):
    from munigrid.scenarios.inputs import building_load_with_notes
    from munigrid.scenarios.schema import Building

    path, load_kw = _wide_kwh(tmp_path)
    building = Building.model_validate({"name": "hall", "kind": "office", "tariff": "pea-3.2-lt22kv", "load_csv": {
        "file": path.name, "time_column": "Stamp", "load_column": "floor_2_kwh", "temperature_column": "Outdoor"}})
    index = load_kw.index[:96 * 7]
    load, notes = building_load_with_notes(building, index, None, tmp_path, seed=0)
    np.testing.assert_allclose(load.to_numpy(), load_kw.iloc[:96 * 7].to_numpy(), atol=1e-9)
    assert any("column 'floor_1_kwh' not used" in n for n in notes)


@pytest.mark.slow  # a backtest of five weeks: about 10 s on an idle machine
def test_backtest_scores_in_kw(tmp_path, capsys):
    path, load_kw = _wide_kwh(tmp_path)
    backtest = _run(capsys, "forecast", "load", "--history", str(path), "--backtest", "--workers", "1", "--json",
                    *FLAGS)
    naive = backtest["skill"]["seasonal_naive"]
    assert naive["n"] == 7 * 96  # the last week (origins from day 28), at 15-min steps
    assert 0.5 < naive["mae"] < 3.0  # the noise of the kW series (sd 1 kW), not a quarter of it
