"""The one meter reader: every shipped shape loads to the same kW series; every bad file ends
in exit 2 naming the file, the column or line, and the fix, never quoting more than a short
excerpt of a cell."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pandas as pd
import pytest

from munigrid.forecasting.meter import EXAMPLES_DIR, read_meter
from munigrid.forecasting.meter_format import MeterFormat
from munigrid.models.errors import InputError
from munigrid.scenarios.cli import main
from tests.forecasting.meter_examples import EXAMPLES, base_load_kw, example_bytes

SECRET = "TOKEN=" + "s3cr3t" * 40


def _run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def _bill(capsys, path, *flags):
    return _run(capsys, "bill", "--tariff", "pea-3.2-lt22kv", "--meter", str(path), "--ft", "0.2", *flags)


def _iso_csv(tmp_path, load=None, name="meter.csv", **columns):
    load = base_load_kw() if load is None else load
    frame = pd.DataFrame({"time": load.index.strftime("%Y-%m-%d %H:%M+07:00"), "load_kw": load.to_numpy(), **columns})
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_shipped_examples_are_what_the_generator_writes():
    shipped = {p.name: p.read_bytes() for p in EXAMPLES_DIR.glob("*.csv")}
    assert shipped == example_bytes()
    assert {e.file for e in EXAMPLES} == set(shipped)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.file)
def test_every_example_loads_to_the_same_kw_series(example):
    meter = read_meter(EXAMPLES_DIR / example.file, MeterFormat(**example.options), steps_min=(15, 30, 60))
    expected = base_load_kw().resample(f"{example.step_min}min").mean()
    assert meter.step_min == example.step_min
    assert meter.load_kw.index.equals(expected.index)
    np.testing.assert_allclose(meter.load_kw.to_numpy(), expected.to_numpy(), atol=1e-9)


def test_finer_steps_average_to_the_callers_step():
    meter = read_meter(EXAMPLES_DIR / "logger_30min_kw.csv")  # forecasting and scenarios use 15 or 60 min
    assert meter.step_min == 60 and any("30-min readings averaged to 60-min" in n for n in meter.notes)
    np.testing.assert_allclose(meter.load_kw.to_numpy(), base_load_kw().resample("60min").mean().to_numpy())


def test_bill_is_the_same_from_every_15_min_shape(capsys):
    totals = {}
    for example in EXAMPLES:
        if example.step_min != 15:
            continue
        flags = [f"--{k.replace('_', '-')}={v}" for k, v in example.options.items()]
        code, out, err = _bill(capsys, EXAMPLES_DIR / example.file, "--json", *flags)
        assert code == 0, err
        totals[example.file] = json.loads(out)["total_thb"]
    assert len(set(totals.values())) == 1, totals


def test_bill_reads_30_min_meters_at_their_step(capsys):
    code, out, err = _bill(capsys, EXAMPLES_DIR / "logger_30min_kw.csv", "--json")
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert any("30-min steps: demand is a 30-min average" in n for n in notes)
    assert any("meter: 4 lines before the header skipped" in n for n in notes)


def test_wide_file_needs_the_column(capsys):
    code, _, err = _bill(capsys, EXAMPLES_DIR / "wide_floors_kw.csv")
    assert code == 2 and "wide_floors_kw.csv" in err and "'floor_1_kw', 'floor_2_kw', 'floor_3_kw'" in err
    assert "--column NAME" in err
    code, _, err = _bill(capsys, EXAMPLES_DIR / "wide_floors_kw.csv", "--column", "floor_9_kw")
    assert code == 2 and "load column 'floor_9_kw' not found" in err and "--load-column" in err


def test_kwh_column_of_a_15_min_meter_is_energy_per_interval(tmp_path):
    load = base_load_kw()
    path = tmp_path / "meter.csv"
    pd.DataFrame({"time": load.index.strftime("%Y-%m-%d %H:%M"), "import_kwh": load.to_numpy() / 4}).to_csv(path, index=False)
    meter = read_meter(path)
    np.testing.assert_allclose(meter.load_kw.to_numpy(), load.to_numpy())  # not 4 x too low
    as_kw = read_meter(path, MeterFormat(unit="kw"))  # the flag overrides the name
    np.testing.assert_allclose(as_kw.load_kw.to_numpy(), load.to_numpy() / 4)


def test_gaps_reported_with_dates_and_filled_only_when_asked(tmp_path, capsys):
    load = base_load_kw()
    path = _iso_csv(tmp_path, load.drop(load.index[40:44]))
    code, _, err = _bill(capsys, path)
    assert code == 2 and "4 of 288 15-min intervals missing in 1 gap: 2025-01-06 10:00 to 2025-01-06 10:45 (4)" in err
    assert "--fill-gaps" in err
    code, out, err = _bill(capsys, path, "--fill-gaps", "--json")
    assert code == 0, err
    assert "meter: filled as asked: 4 of 288 15-min intervals missing in 1 gap: 2025-01-06 10:00" in out


def test_duplicates_reported_with_counts_and_dates(tmp_path, capsys):
    load = base_load_kw()
    same = pd.concat([load, load.iloc[[5, 6]]]).sort_index(kind="stable")
    meter = read_meter(_iso_csv(tmp_path, same))
    assert any("2 repeated rows (same time, same values) dropped: 2025-01-06 01:15, 2025-01-06 01:30" in n
               for n in meter.notes)
    differing = pd.concat([load, load.iloc[[5]] + 1.0]).sort_index(kind="stable")
    code, _, err = _bill(capsys, _iso_csv(tmp_path, differing, name="dup.csv"))
    assert code == 2 and "dup.csv" in err and "1 time stamps appear twice with different values (lines 8" in err


def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


BAD_FILES = {
    "empty": (b"", "the file is empty"),
    "header only": (b"time,load_kw\n", "has a header ('time', 'load_kw') but no data rows"),
    "binary": (bytes(range(256)) * 8, "binary file"),
    "excel workbook": (b"PK\x03\x04" + b"\x00" * 100, "Excel workbook"),
    "neither utf-8 nor cp874": (b"time,load_kw\n2025-01-06 00:00,1\xff\n", "not UTF-8 (byte 0xff at line 2)"),
    "offset changes": (b"time,load_kw\n2025-03-09T00:00-05:00,1\n2025-03-09T01:00-05:00,1\n"
                       b"2025-03-09T03:00-04:00,1\n", "the UTC offset changes at line 4"),
    "offset on some rows": (b"time,load_kw\n2025-01-06T00:00+07:00,1\n2025-01-06 01:00,1\n",
                            "some time stamps have a UTC offset and some do not (lines 3"),
    "unreadable time": (("time,load_kw\n2025-01-06 00:00,1\n" + SECRET + ",1\n").encode(),
                        "time could not be read in lines 3"),
    "not a number": (("time,load_kw\n2025-01-06 00:00,1\n2025-01-06 00:15," + SECRET + "\n").encode(),
                     "column 'load_kw': not a number in lines 3"),
    "odd step": (b"time,load_kw\n2025-01-06 00:00,1\n2025-01-06 00:07,1\n2025-01-06 00:14,1\n", "the step is 7 min"),
    "negative": (b"time,load_kw\n2025-01-06 00:00,1\n2025-01-06 00:15,-3\n2025-01-06 00:30,1\n",
                 "column 'load_kw': 1 negative loads in lines 3"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=str)
def test_bad_files_exit_2_naming_the_file_and_the_fix(tmp_path, capsys, case):
    data, fragment = BAD_FILES[case]
    path = _write(tmp_path, "bad.csv", data)
    command = ("forecast", "load", "--history", str(path)) if case == "negative" else \
        ("bill", "--tariff", "pea-3.2-lt22kv", "--meter", str(path), "--ft", "0.2")
    code, out, err = _run(capsys, *command)
    assert code == 2, err
    assert "bad.csv" in err and fragment in err and "Traceback" not in err
    assert "s3cr3t" * 4 not in err  # at most a 24-character excerpt of a cell


def test_bad_flags_exit_2_naming_the_flag(tmp_path, capsys):
    path = _iso_csv(tmp_path)
    naive = _write(tmp_path, "naive.csv", b"time,load_kw\n2025-03-09 01:00,1\n2025-03-09 02:00,1\n2025-03-09 03:00,1\n")
    cases = [
        (("--time-column", "Stamp"), "--time-column: time column 'Stamp' not found"),
        (("--encoding", "klingon"), "unknown encoding 'klingon'"),
        (("--tz", "Mars/Olympus"), "unknown zone 'Mars/Olympus'"),
    ]
    for flags, fragment in cases:
        code, _, err = _bill(capsys, path, *flags)
        assert code == 2 and fragment in err, err
    code, _, err = _bill(capsys, naive, "--tz", "America/New_York")
    assert code == 2 and "do not exist or repeat" in err and "daylight-saving" in err


def test_system_files_are_refused_without_echoing_them(capsys):
    code, _, err = _bill(capsys, "/proc/self/environ")
    assert code == 2 and "system files" in err and "PATH=" not in err


def test_encodings_detected_and_named(tmp_path):
    text = "time,load_kw\n2025-01-06 00:00,1\n2025-01-06 00:15,2\n"
    for encoding, note in (("utf-16", "utf-16"), ("utf-8-sig", None), ("utf-32", "utf-32")):
        meter = read_meter(_write(tmp_path, f"{encoding}.csv", text.encode(encoding)))
        assert meter.load_kw.tolist() == [1.0, 2.0]
        assert (note is None) == (not any("file read as" in n for n in meter.notes))
    no_bom = read_meter(_write(tmp_path, "le.csv", text.encode("utf-16-le")))
    assert no_bom.load_kw.tolist() == [1.0, 2.0]
    with pytest.raises(InputError, match="not valid ascii"):
        read_meter(_write(tmp_path, "thai.csv", "วันที่,load_kw\n2025-01-06 00:00,1\n".encode("cp874")),
                   MeterFormat(encoding="ascii"))


def test_scenario_load_csv_mapping_reads_a_wide_file(tmp_path):
    from munigrid.scenarios.inputs import building_load_with_notes
    from munigrid.scenarios.schema import Building

    building = Building.model_validate({"name": "hall", "kind": "office", "tariff": "pea-3.2-lt22kv",
                                        "load_csv": {"file": "wide_floors_kw.csv", "load_column": "floor_2_kw"}})
    index = pd.date_range("2025-01-06", periods=72, freq="60min", tz="Asia/Bangkok")
    load, _ = building_load_with_notes(building, index, None, EXAMPLES_DIR, seed=0)
    np.testing.assert_allclose(load.to_numpy(), base_load_kw().resample("60min").mean().to_numpy())
    assert str(EXAMPLES_DIR / building.load_csv).endswith("wide_floors_kw.csv")
    bare = building.model_copy(update={"load_csv": "wide_floors_kw.csv"})
    with pytest.raises(InputError, match=r"buildings\[hall\].load_csv: wide_floors_kw.csv: 3 possible load columns"):
        building_load_with_notes(bare, index, None, EXAMPLES_DIR, seed=0)


@pytest.mark.parametrize("command", [("bill",), ("forecast", "load"), ("schedule",), ("review",), ("operations",)])
def test_every_meter_command_takes_the_meter_options(capsys, command):
    code, out, _ = _run(capsys, *command, "--help")
    assert code == 0
    for flag in ("--tz", "--time-column", "--load-column", "--column", "--unit", "--encoding", "--fill-gaps"):
        assert flag in out, (command, flag)


def test_bill_reads_kvar_and_export_columns(tmp_path):
    load = base_load_kw()
    path = _iso_csv(tmp_path, load, kvar=np.round(load.to_numpy() * 0.5, 2), export_kw=0.0)
    meter = read_meter(path, allow_negative=True)
    np.testing.assert_allclose(meter.kvar.to_numpy(), np.round(load.to_numpy() * 0.5, 2))
    assert meter.export_kw.sum() == 0.0


def test_a_run_reads_a_load_csv_mapping_end_to_end(tmp_path):
    import shutil

    from munigrid.scenarios import api

    shutil.copy(EXAMPLES_DIR / "thai_excel_cp874_kwh.csv", tmp_path / "office.csv")
    (tmp_path / "metered.yaml").write_text(textwrap.dedent("""
        name: metered
        site: {name: test, latitude_deg: 12.97, longitude_deg: 99.89}
        time: {start: 2025-01-06, days: 3, step_min: 15}
        buildings:
          - name: hall
            kind: office
            tariff: pea-3.2-lt22kv
            load_csv: {file: office.csv, time_column: วันที่+เวลา, unit: kwh}
        """), encoding="utf-8")
    outcome = api.run(tmp_path / "metered.yaml", root=tmp_path / "runs", report=False, samples=0)
    np.testing.assert_allclose(outcome.results.load_kw.sel(building="hall").values, base_load_kw().to_numpy())
    assert (outcome.run_dir / "manifest.json").is_file()


def test_interval_ending_labels_and_24_00(tmp_path):
    hourly = base_load_kw().resample("60min").mean()
    ends = hourly.index.tz_localize(None) + pd.Timedelta(hours=1)
    stamps = [f"{(t - pd.Timedelta(days=1)).strftime('%d/%m/%Y')} 24:00" if t.hour == 0 else t.strftime("%d/%m/%Y %H:%M")
              for t in ends]
    path = tmp_path / "ending.csv"
    pd.DataFrame({"time": stamps, "kwh": hourly.to_numpy()}).to_csv(path, index=False)
    meter = read_meter(path, MeterFormat(label="end"))
    assert meter.load_kw.index.equals(hourly.index)
    np.testing.assert_allclose(meter.load_kw.to_numpy(), hourly.to_numpy())
    assert any("24:00 read as 00:00 of the next day" in n for n in meter.notes)


def test_measured_pv_keeps_its_gaps_as_missing(tmp_path):
    load = base_load_kw()
    path = _iso_csv(tmp_path, load.drop(load.index[40:44]))
    meter = read_meter(path, keep_gaps=True)
    assert int(meter.load_kw.isna().sum()) == 4 and meter.fills[0].n_left_missing == 4
    assert any("left missing: 4 of 288" in n for n in meter.notes)


def test_quoted_thousands_do_not_look_like_a_preamble(tmp_path):
    rows = ["time,load_kw", '2025-01-06 00:00,"1,200.5"', "2025-01-06 00:15,900", '2025-01-06 00:30,"1,000"',
            "2025-01-06 00:45,950"]
    meter = read_meter(_write(tmp_path, "thousands.csv", ("\n".join(rows) + "\n").encode()))
    assert meter.load_kw.tolist() == [1200.5, 900.0, 1000.0, 950.0] and not meter.notes
