"""munigrid schedule / review / operations from the command line, with a meter history file."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

import pandas as pd
import pytest
from ops_quick import make_schedule

from munigrid.scenarios.cli import main
from munigrid.scenarios.operations.daily import parse_day
from munigrid.scenarios.operations.site import operations_site


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def munigrid(*args: str) -> Outcome:
    """The CLI in this process (a subprocess per call would spend seconds on imports)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
    return Outcome(code, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def run_store(tmp_path, monkeypatch):
    """Each test's own run store (the forecaster cache lives there)."""
    monkeypatch.setenv("MUNIGRID_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"


def test_daily_loop_on_the_command_line(tmp_path, run_store):
    out = str(tmp_path)
    first = munigrid("schedule", "tha-yang", "--day", "2026-03-10", "--out", out, "--soc-frac", "0.5",
                     "--peak-kw", "25", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["forecaster"]["source"] == "fitted"
    again = munigrid("schedule", "tha-yang", "--day", "2026-03-10", "--out", out, "--soc-frac", "0.5",
                     "--peak-kw", "25")
    assert again.returncode == 0 and "load forecaster: cached fit" in again.stdout, again.stderr
    assert "fitting" not in again.stderr and len(list((run_store / "operations" / "forecasters").glob("*.pkl"))) == 1
    header = json.loads(first.stdout)["header"]
    assert header["start_state"]["sources"] == {"soc": "reading (--soc-frac)", "peak": "reading (--peak-kw)"}
    review = munigrid("review", "tha-yang", "--day", "2026-03-10", "--out", out)
    assert review.returncode == 0, review.stderr
    assert "perfect foresight" in review.stdout and (tmp_path / "review_municipal_office_2026-03-10.json").is_file()
    assert "EMS: intraday re-planning" in review.stdout
    followed = munigrid("review", "tha-yang", "--day", "2026-03-10", "--out", out, "--control", "setpoint", "--json")
    assert json.loads(followed.stdout)["summary"]["ems"] == "committed set points, control setpoint"
    nxt = munigrid("schedule", "tha-yang", "--day", "2026-03-11", "--out", out, "--robust")
    assert nxt.returncode == 0 and "end of the previous day's review" in nxt.stdout


def test_operations_command(tmp_path):
    result = munigrid("operations", "tha-yang", "--start", "2026-06-01", "--days", "3", "--json",
                      "--daily-csv", str(tmp_path / "daily.csv"))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["days"] == 3 and data["costs"]["perfect foresight"]["gap_to_perfect_foresight_frac"] == 0.0
    assert len(pd.read_csv(tmp_path / "daily.csv")) == 3


@pytest.mark.parametrize("args, fragment", [
    (("--soc-frac", "1.4"), "--soc-frac"),
    (("--peak-kw", "-3"), "--peak-kw"),
    (("--load-model", "crystal_ball"), "unknown load model"),
])
def test_bad_input_exits_2(tmp_path, args, fragment):
    result = munigrid("schedule", "tha-yang", "--day", "2026-03-10", "--out", str(tmp_path), *args)
    assert result.returncode == 2 and fragment in result.stderr


def test_bad_ems_setting_exits_2(tmp_path):
    result = munigrid("review", "tha-yang", "--day", "2026-03-10", "--out", str(tmp_path), "--reserve-frac", "7")
    assert result.returncode == 2 and "--reserve-frac" in result.stderr


def test_meter_history_file(site, tha_yang, tmp_path):
    days = site.load_kw[(site.index >= pd.Timestamp("2026-02-01", tz="Asia/Bangkok"))
                        & (site.index < pd.Timestamp("2026-03-10", tz="Asia/Bangkok"))]
    path = tmp_path / "meter.csv"
    pd.DataFrame({"time": [t.isoformat() for t in days.index], "load_kw": days.to_numpy()}).to_csv(path, index=False)
    metered = operations_site(tha_yang, tha_yang._base_dir, history=path)
    assert metered.history_source == "meter file meter.csv"
    out = make_schedule(metered, parse_day("2026-03-10", metered))
    assert out.header["history"] == "meter file meter.csv" and len(out.rows) == 24
    with pytest.raises(Exception, match="outside the site's data"):
        parse_day("2026-04-01", metered)


def test_ems_options_map_to_the_policy():
    from munigrid.scenarios.commands.ops_cmds import _ems
    from munigrid.scenarios.operations.intraday import DEFAULT_POLICY

    assert _ems("replan", None, None, None, None) == ("setpoint", DEFAULT_POLICY)
    _, policy = _ems("replan", 0.5, 2, False, not DEFAULT_POLICY.hold_expected)
    assert (policy.reserve_frac, policy.replan_steps, policy.cap_charging) == (0.5, 2, False)
    assert policy.hold_expected is not DEFAULT_POLICY.hold_expected
    assert _ems("hold_limit", 0.5, 2, False) == ("hold_limit", None)


def _two_batteries(tmp_path, **lead_acid) -> str:
    from assets_support import two_battery_document, write_document

    doc = two_battery_document()
    doc["batteries"][1].update(lead_acid)
    return str(write_document(doc, tmp_path / "scenario"))


def test_two_batteries_on_the_command_line(tmp_path):
    scenario = _two_batteries(tmp_path)
    result = munigrid("schedule", scenario, "--day", "2026-03-10", "--out", str(tmp_path / "ops"),
                      "--load-model", "calendar_regression")
    assert result.returncode == 0, result.stderr
    assert "battery lfp: start 100.0 kWh" in result.stdout and "battery lead_acid: start 30.0 kWh" in result.stdout
    read = munigrid("schedule", scenario, "--day", "2026-03-10", "--out", str(tmp_path / "read"), "--load-model",
                    "calendar_regression", "--soc-frac", "lfp=0.25, lead_acid=0.5")
    assert read.returncode == 0, read.stderr
    assert "battery lfp: start 50.0 kWh" in read.stdout and "battery lead_acid: start 30.0 kWh" in read.stdout
    review = munigrid("review", scenario, "--day", "2026-03-10", "--out", str(tmp_path / "ops"), "--control", "setpoint")
    assert review.returncode == 0, review.stderr
    assert "(lfp " in review.stdout and "lead_acid " in review.stdout


@pytest.mark.parametrize("scenario, args, field", [
    ("two", ("--meter", "nowhere"), "--meter:"),
    ("two", ("--soc-frac", "1.5"), "--soc-frac:"),
    ("two", ("--soc-frac", "lfp=0.5"), "--soc-frac:"),
    ("two", ("--soc-frac", "lfp=0.5,lead_acid=nan"), "'--soc-frac'"),
    ("apart", (), "batteries:"),
    ("tha-yang-flex", ("--meter", "health_promoting_hospital"), "--meter:"),
])
def test_bad_asset_input_exits_2_naming_the_field(tmp_path, scenario, args, field):
    path = {"two": lambda: _two_batteries(tmp_path), "apart": lambda: _two_batteries(tmp_path, building="municipal_school"),
            "tha-yang-flex": lambda: "tha-yang-flex"}[scenario]()
    result = munigrid("schedule", path, "--day", "2026-03-10", "--out", str(tmp_path / "ops"), *args)
    assert result.returncode == 2 and field in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_operations_with_two_batteries(tmp_path):
    """`munigrid operations` runs both batteries day by day and compares with perfect foresight and the rules."""
    from munigrid.scenarios import api
    from munigrid.scenarios.operations.site import operations_site

    result = munigrid("operations", _two_batteries(tmp_path), "--start", "2026-06-01", "--days", "2", "--json")
    assert result.returncode == 0, result.stderr
    costs = json.loads(result.stdout)["costs"]
    assert set(costs) == {"perfect foresight", "day-ahead (rolling)", "rule: self-consumption",
                          "rule: TOU arbitrage", "no battery"}
    pf = costs["perfect foresight"]["cost_thb"]
    assert all(c["cost_thb"] >= pf - 1e-6 for c in costs.values())  # nothing beats perfect foresight
    assert costs["no battery"]["cost_thb"] > pf
    flex = api.load("tha-yang-flex")
    site = operations_site(flex, flex._base_dir)
    assert [p.path for p in site.one_battery_problems("the live EMS link")] == ["flexible_loads"]
