"""One regression case per hardening item (store escape, YAML bombs, file references, memory,
orphans, exit codes, leftovers, bad CLI input, validate = run, nonsense values, weather CSV)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from corpus_cases import CORPUS

from munigrid.models.errors import InputError, Problem
from munigrid.scenarios import api
from munigrid.scenarios.cli import EXIT_MEMBERS_FAILED, main
from munigrid.scenarios.library import read_yaml
from munigrid.solver_runs import store
from munigrid.solver_runs.containment import child_path

BASE = CORPUS / "base.yaml"


def _cli(argv: list[str], capfd) -> tuple[int, str]:
    """Run the CLI entry point in this process; (exit code, stdout + stderr)."""
    try:
        main(argv)
        code = 0
    except SystemExit as stop:
        code = stop.code
    out, err = capfd.readouterr()
    return code, out + err


def _dataset() -> xr.Dataset:
    index = pd.date_range("2026-01-01", periods=4, freq="h", tz="Asia/Bangkok")
    return xr.Dataset({"load_kw": (("time",), np.ones(4))}, coords={"time": index})


# 1. writing outside the store ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["../escape", "/tmp/escape", "a/b", "..", "", "x" * 300])
def test_1_built_paths_never_leave_their_root(tmp_path, name):
    root = tmp_path / "store"
    with pytest.raises(InputError):
        child_path(root, name, "name")
    with pytest.raises(InputError):
        store.write_run(root, name, {}, _dataset(), pd.DataFrame({"x": [1.0]}))
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["store"])


def test_1_portfolio_sweep_with_an_escaping_name_is_refused(tmp_path, capfd):
    scenario = tmp_path / "escape.yaml"
    scenario.write_text(BASE.read_text().replace("name: small", "name: ../../../outside"))
    portfolio = tmp_path / "sites.csv"
    portfolio.write_text("name,latitude_deg,longitude_deg,kind,annual_kwh,tariff,roof_area_m2\n"
                         "a,13,100,office,1000,pea-3.2-lt22kv,10\n")
    code, out = _cli(["sweep", str(scenario), "--portfolio", str(portfolio), "--out", str(tmp_path / "runs")], capfd)
    assert code == 2 and "name:" in out
    assert not (tmp_path.parent / "outside").exists() and not (tmp_path / "runs").exists()


def test_1_runs_report_does_not_follow_a_link_out_of_the_store(tmp_path, capfd):
    root, outside = tmp_path / "runs", tmp_path / "elsewhere"
    run = store.write_run(outside, "r1", {"scenario": "x"}, _dataset(), pd.DataFrame({"x": [1.0]}, index=["total"]))
    root.mkdir()
    (root / "20260101T000000-linked-00000000").symlink_to(run.path, target_is_directory=True)
    assert store.list_runs(root) == []
    assert store.store_problems(root)["links"] == ["20260101T000000-linked-00000000"]
    code, out = _cli(["runs", "report", "20260101T000000-linked", "--root", str(root)], capfd)
    assert code == 2 and "RUN" in out
    assert not (run.path / "report.html").exists()


def test_1_thai_names_are_allowed(tmp_path):
    scenario = tmp_path / "thai.yaml"
    scenario.write_text(BASE.read_text().replace("name: small", "name: เทศบาลท่ายาง"), encoding="utf-8")
    assert api.load(scenario).name == "เทศบาลท่ายาง"


# 2. YAML bombs ---------------------------------------------------------------------------------

def test_2_alias_bomb_is_refused_fast_and_small():
    tracemalloc.start()
    tic = time.perf_counter()
    with pytest.raises(InputError) as info:
        read_yaml(CORPUS / "yaml_alias_bomb.yaml")
    elapsed_s = time.perf_counter() - tic
    _, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "aliases expand" in str(info.value)
    assert elapsed_s < 2.0 and peak_bytes < 200 * 1024**2


def test_2_deep_nesting_and_duplicate_keys_are_refused_with_the_line():
    with pytest.raises(InputError, match="nested more than"):
        read_yaml(CORPUS / "yaml_deep_nesting.yaml")
    with pytest.raises(InputError, match=r"yaml_duplicate_key.yaml:\d+: .*given twice"):
        read_yaml(CORPUS / "yaml_duplicate_key.yaml")


def test_2_merge_keys_may_still_be_overridden(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n")
    assert read_yaml(path)["other"] == {"x": 1, "y": 3}


def test_2_messages_quote_a_bounded_excerpt():
    from munigrid.scenarios.schema import parse_scenario

    data = read_yaml(BASE)
    data["name"] = [[["deep"] * 1000] * 1000]
    with pytest.raises(InputError) as info:
        parse_scenario(data)
    assert len(str(info.value)) < 300
    assert len(str(Problem("p", "m" * 100_000))) < 2100


# 3. file references ------------------------------------------------------------------------

def test_3_files_resolve_relative_to_the_scenario_folder(tmp_path, monkeypatch, measured_weather):
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(measured_weather, folder / "weather.csv")
    scenario = folder / "s.yaml"
    scenario.write_text(BASE.read_text() + "weather: {source: file, file: weather.csv}\n")
    monkeypatch.chdir(tmp_path)  # not the scenario's folder
    assert api.check(api.load(scenario)) == []


def test_3_a_fifo_is_refused_without_blocking(tmp_path, capfd):
    fifo = tmp_path / "meter.csv"
    os.mkfifo(fifo)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE.read_text().replace("    annual_kwh: 165000\n", "    load_csv: meter.csv\n"))
    tic = time.perf_counter()
    code, out = _cli(["validate", str(scenario)], capfd)
    assert code == 2 and "buildings[0].load_csv" in out and "pipe" in out
    assert time.perf_counter() - tic < 30


# 4. memory ------------------------------------------------------------------------------------

def test_4_simulate_refuses_samples_that_do_not_fit(monkeypatch, capfd):
    from munigrid.models import memory

    with pytest.raises(InputError, match="use at most 1,000"):
        memory.require_memory(1024**2, 10_000, "samples", "--samples", available=2 * 1000 * 1024**2)
    monkeypatch.setattr(memory, "available_bytes", lambda: 1024**3)  # as under `ulimit -v` or a small cgroup
    long_base = BASE.read_text().replace("days: 7", "days: 28")
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"long-{os.getpid()}.yaml"
    path.write_text(long_base)
    try:
        code, out = _cli(["simulate", str(path), "--samples", "1000000"], capfd)
    finally:
        path.unlink()
    assert code == 2 and "samples (--samples)" in out and "use at most" in out


def test_4_memory_limits_are_read_from_the_machine():
    available = memory_available()
    assert available is None or available > 0


def memory_available():
    from munigrid.models.memory import available_bytes

    return available_bytes()


# 5. orphans (see test_orphans.py, slow) -------------------------------------------------------
# 6. sweep exit code ---------------------------------------------------------------------------

def test_6_sweep_with_a_failed_member_exits_4(tmp_path, capfd):
    code, out = _cli(["sweep", str(BASE), "--vary", "battery.energy_kwh=50,.inf", "--workers", "1",
                      "--out", str(tmp_path), "--no-report", "--json"], capfd)
    assert code == EXIT_MEMBERS_FAILED == 4
    result = json.loads(out[out.index("{"):])
    assert result["counts"]["ok"] == 1 and result["counts"]["failed"] == 1
    assert "battery.energy_kwh" in result["failures"][0]["error"]


# 7. leftovers ---------------------------------------------------------------------------------

def test_7_runs_list_reports_and_runs_clean_removes_leftovers_only(tmp_path, capfd):
    root = tmp_path / "runs"
    store.write_run(root, "r-complete", {"scenario": "x"}, _dataset(), pd.DataFrame({"x": [1.0]}, index=["total"]))
    (root / ".staging-r-killed").mkdir()
    live = root / ".staging-r-live"
    live.mkdir()
    with store._writing(live):  # a run being written by a live process
        code, out = _cli(["runs", "list", "--root", str(root), "--json"], capfd)
        notes = json.loads(out[out.index("{"):])["store"]
        assert code == 0 and notes["staging"] == [".staging-r-killed"]
        assert notes["no_report"] == ["r-complete"]
        code, out = _cli(["runs", "clean", "--root", str(root)], capfd)
        assert code == 0 and "1 leftover" in out
    assert not (root / ".staging-r-killed").exists() and live.exists() and (root / "r-complete").is_dir()


# 9. bad CLI input and broken store files ------------------------------------------------------

def test_9_unreachable_scheduler_exits_2_and_leaves_no_sweep_folder(tmp_path, capfd):
    code, out = _cli(["sweep", str(BASE), "--vary", "battery.energy_kwh=0,1", "--scheduler", "tcp://127.0.0.1:9",
                      "--out", str(tmp_path / "runs")], capfd)
    assert code == 2 and "--scheduler" in out
    assert not (tmp_path / "runs" / "sweeps").exists()


def test_9_unparseable_issue_time_names_the_option():
    from munigrid.scenarios.operations.daily import resolve_issue_time

    with pytest.raises(InputError, match="--issue-time"):
        resolve_issue_time(pd.Timestamp("2026-01-10", tz="Asia/Bangkok"), "yesterday at tea time")


def test_9_corrupt_index_manifest_and_results_are_handled(tmp_path, capfd):
    root = tmp_path / "runs"
    frame = pd.DataFrame({"cost_after_thb": [1.0]}, index=["total"])
    for run_id in ("r1-good", "r2-bad-manifest", "r3-bad-results"):
        store.write_run(root, run_id, {"scenario": "x"}, _dataset(), frame)
    (root / "index.sqlite").write_bytes(b"this is not a database" * 100)
    (root / "r2-bad-manifest" / "manifest.json").write_text("{not json")
    (root / "r3-bad-results" / "results.nc").write_bytes(b"\x89HDF garbage")
    code, out = _cli(["runs", "list", "--root", str(root), "--json"], capfd)
    listed = json.loads(out[out.index("{"):])
    assert code == 0
    assert {r["id"] for r in listed["runs"]} == {"r1-good", "r3-bad-results"}
    assert any(b.startswith("r2-bad-manifest") for b in listed["store"]["broken"])
    with sqlite3.connect(root / "index.sqlite") as con:  # rebuilt
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
    code, out = _cli(["runs", "report", "r3-bad-results", "--root", str(root)], capfd)
    assert code == 2 and "results.nc" in out


# 10. validate means run will start -------------------------------------------------------------

def test_10_validate_reads_files_and_stops_only_where_run_stops(tmp_path, capfd):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE.read_text() + "weather: {source: file, file: " + str(CORPUS / "data" / "weather_bad_ghi.csv") + "}\n")
    code, out = _cli(["validate", str(scenario)], capfd)
    assert code == 2 and "weather.file" in out
    with pytest.raises(InputError) as from_run:
        api.run(api.load(scenario), store=False, report=False)
    assert all(str(p) in out for p in from_run.value.problems)  # the same problems, found the same way
    code, out = _cli(["validate", str(BASE)], capfd)
    assert code == 0
    outcome = api.run(api.load(BASE), store=False, report=False)  # what validates runs
    assert outcome.manifest["solver"]["meters"]["office"]["status"] == "optimal"


# 11. nonsense values ---------------------------------------------------------------------------

def test_11_outage_outside_the_horizon_is_warned(tmp_path, capfd):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE.read_text() + "grid: {outages: [{start: 2027-03-01T10:00, hours: 4}]}\n")
    code, out = _cli(["validate", str(scenario)], capfd)
    assert code == 0 and "warning: grid.outages[0]" in out and "outside the horizon" in out


def test_11_internal_model_paths_become_scenario_paths():
    from munigrid.scenarios.preflight import user_path

    scenario = api.load(BASE)
    assert user_path("meters[0].battery.energy_kwh", scenario) == "battery.energy_kwh"
    assert user_path("meters[0].load_kw", scenario) == "buildings[0].annual_kwh"
    assert user_path("meters[0].pv[0].capacity_kwp", scenario) == "buildings[0].pv_arrays[0].capacity_kwp"
    assert user_path("meters[0].import_limit_kw", scenario) == "grid.import_limit_kw"
    assert user_path("options.time_limit_s", scenario) == "optimisation.time_limit_s"
    assert user_path("economics.budget_thb", scenario) == "sizing.budget_thb"


def test_11_a_short_horizon_in_simulate_names_time_days(capfd):
    code, out = _cli(["simulate", str(BASE), "--samples", "10"], capfd)
    assert code == 2 and "time.days" in out and "year_stride_days" not in out


def test_11_assignment_is_strict_too():
    scenario = api.load(BASE)
    with pytest.raises(Exception):
        scenario.battery.energy_kwh = float("inf")
    with pytest.raises(Exception):
        scenario.buildings[0].annual_kwh = True
    scenario.battery.energy_kwh = 300  # an int is a number
    assert scenario.battery.energy_kwh == 300.0


# 12. measured weather in a scenario ----------------------------------------------------------

@pytest.fixture(scope="module")
def measured_weather(tmp_path_factory) -> Path:
    """A measured-weather CSV for the base site: GHI and temperature with +07:00 stamps."""
    from munigrid.forecasting.weather import synthetic_year

    weather = synthetic_year(12.97, 99.89, year=2026, step_min=60, seed=3)
    weather.index = weather.index.map(lambda t: t.isoformat()).rename("time")
    path = tmp_path_factory.mktemp("weather") / "measured.csv"
    weather[["ghi_w_per_m2", "temp_air_c"]].to_csv(path)
    return path


def test_12_measured_weather_csv_runs_in_a_scenario(tmp_path, measured_weather):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE.read_text() + f"weather: {{source: file, file: {measured_weather}}}\n")
    inputs = api.inputs(api.load(scenario))
    assert inputs.weather["ghi_w_per_m2"].max() > 500
    assert inputs.weather.attrs.get("format") == "csv"


def test_12_weather_parser_errors_name_file_line_and_format(tmp_path, capfd, measured_weather):
    bad = tmp_path / "bad.csv"
    lines = measured_weather.read_text().splitlines()
    lines[40] = lines[40].split(",")[0] + ",sunny,25"
    bad.write_text("\n".join(lines) + "\n")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE.read_text() + "weather: {source: file, file: bad.csv}\n")
    code, out = _cli(["validate", str(scenario)], capfd)
    assert code == 2
    assert "weather.file: bad.csv: line 41" in out and "ISO 8601" in out
