"""Sweep and run-store output: full precision in table.csv, results in ``sweep --json``,
``runs compare`` of sweep members, a run against a member, unknown rows, readable ``runs show``."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from munigrid.scenarios import api
from munigrid.scenarios.cli import cli, main
from munigrid.scenarios.commands.runs_cmds import local_time
from munigrid.solver_runs.sweeps import index


@pytest.fixture(scope="module")
def store(tmp_path_factory, request):
    """A store with a two-member sweep (battery 0 / 200 kWh) of a two-day scenario and a run of it
    (its battery is 200 kWh)."""
    from sweep_support import scenario_and_dir

    scenario = scenario_and_dir()[0]
    root = tmp_path_factory.mktemp("store")
    path = root / "small.yaml"
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json")), encoding="utf-8")
    result = CliRunner().invoke(cli, ["sweep", str(path), "--vary", "battery.energy_kwh=0,200", "--workers", "1",
                                      "--out", str(root / "runs"), "--no-report", "--json"])
    assert result.exit_code == 0, result.output
    run = api.run(scenario, root=root / "runs", report=False, samples=0)
    return root / "runs", json.loads(result.stdout), run.run_dir.name


def test_sweep_json_has_every_members_results(store):
    _, out, _ = store
    assert [(r["member"], r["battery.energy_kwh"], r["status"]) for r in out["results"]] == [(0, 0, "ok"),
                                                                                           (1, 200, "ok")]
    assert all(isinstance(r["cost_after_thb"], float) for r in out["results"])


def test_table_csv_keeps_full_precision(store):
    root, out, _ = store
    table = pd.read_csv(root / "sweeps" / out["sweep_id"] / "table.csv")
    for record in out["results"]:
        summary = pd.read_csv(root / "sweeps" / out["sweep_id"] / "members" / record["key"] / "summary.csv",
                              index_col=0)
        row = table[table["member"] == record["member"]].iloc[0]
        assert row["cost_after_thb"] == summary.loc["total", "cost_after_thb"]  # exactly, not to 6 digits
        assert record["cost_after_thb"] == summary.loc["total", "cost_after_thb"]


def test_compare_two_members_of_one_sweep(store):
    root, out, _ = store
    sweep_id = out["sweep_id"]
    side = index.compare([f"{sweep_id}/m0", f"{sweep_id}/m0001"], root)
    costs = {r["member"]: r["cost_after_thb"] for r in out["results"]}
    site = out["results"][0]["site"]
    row = side.loc[(site, "cost_after_thb")]
    assert row[f"{sweep_id}/m0000"] == costs[0] and row[f"{sweep_id}/m0001"] == costs[1]
    assert row[f"Δ {sweep_id}/m0001"] == pytest.approx(costs[1] - costs[0])


def test_a_run_lines_up_with_a_member_not_with_a_whole_sweep(store):
    root, out, run_id = store
    sweep_id = out["sweep_id"]
    side = index.compare([run_id, f"{sweep_id}/m1"], root)
    site = out["results"][1]["site"]
    row = side.loc[(f"total | {site}", "cost_after_thb")]
    # the run is the scenario as given (200 kWh battery): the same dispatch as member 1
    assert scenario_battery_kwh() == 200
    assert row[f"Δ {sweep_id}/m0001"] == pytest.approx(0.0, abs=1e-6 * abs(row[run_id]))
    result = CliRunner().invoke(cli, ["runs", "compare", run_id, sweep_id, "--root", str(root)])
    assert "do not line up" in str(result.exception) and "m0003" in str(result.exception)


def test_unknown_row_exits_2_listing_the_valid_rows(store, capsys):
    root, out, run_id = store
    with pytest.raises(SystemExit) as exit_info:
        main(["runs", "compare", run_id, f"{out['sweep_id']}/m1", "--row", "nonexistent", "--root", str(root)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "no row nonexistent" in err and "municipal_office" in err and "total" in err


def test_show_is_a_table_in_local_time(store):
    root, out, run_id = store
    shown = CliRunner().invoke(cli, ["runs", "show", run_id, "--root", str(root)])
    assert shown.exit_code == 0, shown.output
    assert "(Asia/Bangkok)" in shown.output and "{'" not in shown.output
    assert "solver by meter" in shown.output and "municipal_office" in shown.output
    sweep = CliRunner().invoke(cli, ["runs", "show", out["sweep_id"], "--root", str(root)])
    assert "battery.energy_kwh" in sweep.output and "0, 200" in sweep.output and "{'" not in sweep.output


def scenario_battery_kwh() -> float:
    from sweep_support import scenario_and_dir

    return scenario_and_dir()[0].battery.energy_kwh


def test_local_time_by_hand():
    assert local_time("2026-01-01T00:00:00+00:00") == "2026-01-01 07:00:00 +0700 (Asia/Bangkok)"
    assert local_time(None) is None
