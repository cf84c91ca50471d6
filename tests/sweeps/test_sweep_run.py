"""Running sweeps: local pool and Dask cluster agree, failures are recorded, kill -9 and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from sweep_support import SPEC, scenario_and_dir

from munigrid.models.errors import InputError
from munigrid.scenarios.sweep.engine import run_sweep
from munigrid.solver_runs.store import STAGING_PREFIX
from munigrid.solver_runs.sweeps.ledger import MEMBERS, SweepFolder

KILL_DAYS = 60  # long enough that the kill lands while members are still being solved
KPIS = ["load_mwh", "pv_mwh", "import_mwh", "self_sufficiency_pct", "peak_kw", "cost_before_thb",
        "cost_after_thb", "co2_avoided_t"]


@pytest.fixture(scope="module")
def cluster():
    """A two-worker Dask cluster on loopback, closed after the tests."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The tiny 2 x 2 grid run on the local pool (shared by the tests that read it)."""
    scenario, here = scenario_and_dir()
    return run_sweep(scenario, spec=SPEC, workers=2, root=tmp_path_factory.mktemp("local"), base_dir=here)


def test_local_sweep_stores_every_member_and_combines_them(local_run):
    assert local_run.counts["ok"] == 4 and local_run.counts["failed"] == 0
    ds = local_run.kpis
    assert dict(ds.sizes) == {"member": 4, "site": 1}
    assert list(ds["battery_energy_kwh"].values) == [0, 0, 150, 150]
    assert ds["load_mwh"].attrs["units"] == "MWh"
    load = ds["load_mwh"].values[:, 0]
    assert load[1] == pytest.approx(1.2 * load[0]) and load[3] == pytest.approx(1.2 * load[2])
    cost = ds["cost_after_thb"].values[:, 0]
    assert cost[2] <= cost[0] + 1e-6  # a battery never raises the optimal bill
    folder = SweepFolder.open(local_run.path)
    assert folder.done_keys() == set(local_run.table["key"])
    assert (local_run.path / "table.csv").is_file() and (local_run.path / "kpis.nc").is_file()


def test_dask_cluster_gives_the_same_results(local_run, cluster, tmp_path):
    scenario, here = scenario_and_dir()
    remote = run_sweep(scenario, spec=SPEC, scheduler=cluster.scheduler_address, root=tmp_path, base_dir=here)
    assert remote.sweep_id == local_run.sweep_id
    assert list(remote.table["key"]) == list(local_run.table["key"])
    for kpi in KPIS:
        np.testing.assert_allclose(remote.kpis[kpi].values, local_run.kpis[kpi].values, rtol=1e-9, atol=1e-9,
                                   err_msg=kpi)
    assert remote.timings["executor"].startswith("dask")


def test_a_bad_member_is_reported_and_the_others_finish_kpis_only(tmp_path):
    scenario, here = scenario_and_dir()
    spec = {"name": "bad", "method": "grid", "parameters": [
        {"path": "battery.energy_kwh", "values": [100, -5, 200]}]}
    outcome = run_sweep(scenario, spec=spec, workers=2, root=tmp_path, base_dir=here, series=False)
    status = dict(zip(outcome.table["battery.energy_kwh"], outcome.table["status"]))
    assert status == {100: "ok", -5: "failed", 200: "ok"}
    (failure,) = outcome.to_json()["failures"]
    assert "battery.energy_kwh" in failure["error"] and "greater than or equal to 0" in failure["error"]
    assert outcome.kpis["status"].values[:, 0].tolist() == ["ok", "failed", "ok"]
    assert np.isnan(outcome.kpis["cost_after_thb"].values[1, 0])
    stored = SweepFolder.open(outcome.path).member_run(outcome.table["key"][0])
    assert not stored.results().data_vars and stored.manifest["series_kept"] is False  # KPIs only
    assert stored.summary().loc["total", "cost_after_thb"] == pytest.approx(outcome.table["cost_after_thb"][0])


def test_same_sweep_again_needs_resume_and_resume_of_a_finished_sweep_solves_nothing(local_run):
    scenario, here = scenario_and_dir()
    root = local_run.path.parents[1]
    with pytest.raises(InputError, match="--resume"):
        run_sweep(scenario, spec=SPEC, workers=1, root=root, base_dir=here)
    again = run_sweep(scenario, spec=SPEC, workers=1, root=root, base_dir=here, resume=True)
    assert again.counts["solved_now"] == 0 and again.counts["skipped_done"] == 4


def test_kill_9_then_resume_finishes_with_no_member_lost_or_run_twice(tmp_path):
    """Kill the sweep (parent and workers) after some members; plant a partial folder; resume."""
    spec = {"name": "killed", "method": "grid", "parameters": [
        {"path": "battery.energy_kwh", "values": [0, 25, 50, 75, 100, 125, 150, 175]}]}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(os.path.dirname(__file__))!r})
        from sweep_support import scenario_and_dir
        from munigrid.scenarios.sweep.engine import run_sweep
        scenario, here = scenario_and_dir(days={KILL_DAYS})
        run_sweep(scenario, spec=json.load(open({str(tmp_path / 'spec.json')!r})), workers=1,
                  root={str(tmp_path)!r}, base_dir=here)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    members = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = list((tmp_path / "sweeps").glob(f"killed-*/{MEMBERS}"))
        if found and SweepFolder(found[0].parent).done_keys():
            members = found[0]
            break
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    assert members is not None, proc.stderr.read().decode() if proc.poll() is not None else "no member finished"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    folder = SweepFolder(members.parent)
    before = {key: (folder.member_dir(key) / "manifest.json").stat().st_mtime_ns for key in folder.done_keys()}
    assert 0 < len(before) < 8, "the sweep finished before it could be killed"
    pending = sorted(set(m["key"] for m in folder.plan["members"]) - set(before))
    (members / f"{STAGING_PREFIX}{pending[0]}").mkdir(exist_ok=True)  # as if killed while writing it
    assert folder.partial()

    scenario, here = scenario_and_dir(days=KILL_DAYS)
    resumed = run_sweep(scenario, spec=spec, workers=2, root=tmp_path, base_dir=here, resume=True)
    assert resumed.counts["ok"] + resumed.counts["failed"] == 8 and resumed.counts["pending"] == 0
    assert resumed.counts["solved_now"] == 8 - len(before)  # only the missing ones ran
    assert resumed.counts["skipped_done"] == len(before)
    assert pending[0] in folder.status["partial_cleared"] and not folder.partial()  # the kill may leave one more
    after = {key: (folder.member_dir(key) / "manifest.json").stat().st_mtime_ns for key in before}
    assert after == before  # members finished before the kill were not run again
