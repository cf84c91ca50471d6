"""``munigrid tariffs`` and ``munigrid bill``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from munigrid.scenarios.cli import main


def _run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture
def meter_csv(tmp_path):
    index = pd.date_range("2025-06-01", "2025-07-01", freq="15min", inclusive="left", tz="Asia/Bangkok")
    frame = pd.DataFrame({"time": [t.isoformat() for t in index], "import_kw": np.full(len(index), 40.0)})
    frame.loc[100, "import_kw"] = 120.0
    path = tmp_path / "meter.csv"
    frame.to_csv(path, index=False)
    return path


def test_tariffs_lists_the_library(capsys):
    code, out, _ = _run(capsys, "tariffs", "--json")
    assert code == 0
    ids = [t["id"] for t in json.loads(out)["tariffs"]]
    assert "pea-3.2-lt22kv" in ids and "mea-4.1-lt12kv" in ids and len(ids) == 32
    code, out, _ = _run(capsys, "tariffs", "--utility", "MEA")
    assert code == 0 and "mea-3.2-lt12kv" in out and "pea-" not in out


def test_bill_json_matches_the_python_api(capsys, meter_csv):
    from munigrid.forecasting.meter import read_meter
    from munigrid.models.tariffs import get_tariff

    code, out, _ = _run(capsys, "bill", "--tariff", "pea-3.1-22-33kv", "--meter", str(meter_csv), "--ft", "0.1972", "--json")
    assert code == 0
    result = json.loads(out)
    expected = get_tariff("pea-3.1-22-33kv").bill(read_meter(meter_csv).load_kw, ft=0.1972)
    assert result["total_thb"] == pytest.approx(expected.total_thb)
    assert result["months"][0]["demand_all_kw"] == 120


def test_bill_table_and_ft_schedule_file(capsys, meter_csv, tmp_path):
    schedule = tmp_path / "ft.yaml"
    schedule.write_text('"2025-05": 0.5\n')
    code, out, _ = _run(capsys, "bill", "--tariff", "pea-3.2-lt22kv", "--meter", str(meter_csv),
                        "--ft-schedule", str(schedule), "--override", "energy.rates_thb_per_kwh.on_peak=4.5297")
    assert code == 0 and "total_thb" in out and "0.5000" in out


def test_bill_bad_input_exits_2_with_the_problem(capsys, meter_csv):
    code, _, err = _run(capsys, "bill", "--tariff", "pea-3.2-lt22", "--meter", str(meter_csv), "--ft", "0.2")
    assert code == 2 and "did you mean pea-3.2-lt22kv" in err
    code, _, err = _run(capsys, "bill", "--tariff", "pea-3.2-lt22kv", "--meter", str(meter_csv),
                        "--ft", "0.2", "--ft-schedule", str(meter_csv))
    assert code == 2 and "not both" in err
