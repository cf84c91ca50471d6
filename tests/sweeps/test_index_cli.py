"""The SQLite run index and the ``munigrid runs`` / ``munigrid sweep`` commands."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

from munigrid.models.errors import InputError
from munigrid.models.timegrid import make_index
from munigrid.scenarios.cli import cli
from munigrid.scenarios.commands.sweep_cmds import spec_from_options
from munigrid.scenarios.sweep.spec import parse_sweep
from munigrid.solver_runs import store
from munigrid.solver_runs.sweeps import index
from munigrid.solver_runs.sweeps.ledger import SweepFolder


def _run(root, run_id: str, cost_after_thb: float) -> None:
    ds = xr.Dataset({"import_kw": (("time", "building"), np.ones((24, 1)))},
                    coords={"time": make_index("2026-01-01", 24, 60), "building": ["office"]})
    summary = pd.DataFrame({"cost_before_thb": [1000.0, 1000.0], "cost_after_thb": [cost_after_thb] * 2},
                           index=pd.Index(["office", "total"], name="building"))
    manifest = {"scenario": "s", "inputs_hash": run_id * 4, "created_utc": "2026-01-01T00:00:00+00:00",
                "solver": {"objective_thb": cost_after_thb, "meters": {"office": {"status": "optimal"}}}}
    store.write_run(root, run_id, manifest, ds, summary)


@pytest.fixture
def root(tmp_path):
    """A store with two runs."""
    _run(tmp_path, "20260101T000000-s-aaaa", 800.0)
    _run(tmp_path, "20260102T000000-s-bbbb", 600.0)
    return tmp_path


def test_index_follows_the_store(root):
    assert index.refresh(root) == 2
    assert index.refresh(root) == 0  # nothing changed, nothing re-read
    assert [e.run_id for e in index.entries(root)] == ["20260101T000000-s-aaaa", "20260102T000000-s-bbbb"]
    assert index.find("20260102", root).status == "optimal"
    shutil.rmtree(root / "20260101T000000-s-aaaa")
    assert [e.run_id for e in index.entries(root)] == ["20260102T000000-s-bbbb"]


def test_compare_gives_differences_to_the_first_run(root):
    side = index.compare(["20260101", "20260102"], root)
    row = side.loc[("total", "cost_after_thb")]
    assert row["20260101T000000-s-aaaa"] == 800.0 and row["20260102T000000-s-bbbb"] == 600.0
    assert row["Δ 20260102T000000-s-bbbb"] == -200.0
    assert row["Δ% 20260102T000000-s-bbbb"] == pytest.approx(-25.0)
    with pytest.raises(InputError, match="at least two"):
        index.compare(["20260101"], root)
    with pytest.raises(InputError, match="matches"):
        index.compare(["2026", "20260102"], root)


def test_sweeps_are_indexed_with_their_members(root):
    folder = SweepFolder.create(root, "grid-1234abcd", {"name": "grid", "parameters": [], "members": [
        {"member": 0, "site": "a", "key": "k0", "params": {}}]})
    folder.path.joinpath("table.csv").write_text("member,site,key,status,error,cost_after_thb\n0,a,k0,ok,,5.0\n")
    folder.write_status({"counts": {"pending": 0, "failed": 0}})
    (entry,) = index.entries(root, "sweep")
    assert (entry.status, entry.members) == ("complete", 1)
    assert index.kpis(entry.run_id, root).loc["m0000/a", "cost_after_thb"] == 5.0


def test_runs_cli_list_show_compare(root):
    runner = CliRunner()
    listed = runner.invoke(cli, ["runs", "list", "--root", str(root), "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["cost_after_thb"] for r in json.loads(listed.output)["runs"]] == [800.0, 600.0]
    shown = runner.invoke(cli, ["runs", "show", "20260101", "--root", str(root), "--json"])
    assert json.loads(shown.output)["meters"] == {"office": {"status": "optimal"}}
    compared = runner.invoke(cli, ["runs", "compare", "20260101", "20260102", "--root", str(root)])
    assert compared.exit_code == 0 and "-200.00" in compared.output
    assert {"list", "show", "compare"} <= set(runner.invoke(cli, ["runs", "--help"]).output.split())


def test_sweep_cli_runs_reports_a_bad_member_and_lands_in_the_index(tmp_path, scenario):
    import yaml

    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json")), encoding="utf-8")
    runner = CliRunner()
    args = ["sweep", str(path), "--vary", "battery.energy_kwh=50,-1", "--workers", "1", "--out", str(tmp_path / "runs")]
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 4, result.output  # every member stored, one failed
    out = json.loads(result.output)
    assert out["counts"]["ok"] == 1 and out["counts"]["failed"] == 1
    assert out["failures"][0]["member"] == 1 and "energy_kwh" in out["failures"][0]["error"]
    listed = json.loads(runner.invoke(cli, ["runs", "list", "--root", str(tmp_path / "runs"), "--json"]).output)
    assert [(r["kind"], r["members"], r["failed"]) for r in listed["runs"]] == [("sweep", 2, 1)]
    again = runner.invoke(cli, args)
    assert isinstance(again.exception, InputError) and "--resume" in str(again.exception)  # main() exits 2


def test_command_line_parameters_build_a_spec():
    spec = parse_sweep(spec_from_options("x", "grid", ("battery.energy_kwh=0,100",),
                                         ("buildings[*].annual_kwh=1.0,1.1",), None, 0))
    assert [p.values for p in spec.parameters] == [[0, 100], [1.0, 1.1]]
    assert [p.apply for p in spec.parameters] == ["set", "scale"]
    mc = parse_sweep(spec_from_options("x", "monte_carlo", ("tariffs.ft_thb_per_kwh=uniform(0.1,0.5)",
                                                            "buildings[0].tariff=pea-3.2-lt22kv,pea-2.2-lt22kv"),
                                       (), 10, 3))
    assert mc.parameters[0].distribution.kind == "uniform" and mc.parameters[1].distribution.kind == "choice"
    with pytest.raises(InputError, match="PATH=VALUES"):
        spec_from_options("x", "grid", ("battery.energy_kwh",), (), None, 0)
    with pytest.raises(InputError, match="monte_carlo"):
        spec_from_options("x", "grid", ("a=normal(1,2)",), (), None, 0)
    assert spec_from_options("x", "grid", (), (), None, 0) is None


def test_a_sweep_folder_is_run_by_one_process_at_a_time(tmp_path):
    folder = SweepFolder.create(tmp_path, "s-1", {"name": "s", "parameters": [], "members": []})
    with folder.lock():
        with pytest.raises(InputError, match="being run by pid"):
            with folder.lock():
                pass
    with folder.lock():  # released when its holder is done
        pass
