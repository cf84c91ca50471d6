"""Run store: atomic folders, time zones kept through netCDF, leftovers never look complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from munigrid.models.errors import InputError
from munigrid.models.timegrid import make_index
from munigrid.solver_runs import store


def _dataset():
    index = make_index("2026-01-01", 48, 60)
    return xr.Dataset({"load_kw": (("time", "building"), np.arange(96.0).reshape(48, 2))},
                      coords={"time": index, "building": ["a", "b"]})


def test_round_trip_keeps_time_zone_and_values(tmp_path):
    ds = _dataset()
    run = store.write_run(tmp_path, "r1", {"status": "optimal"}, ds, pd.DataFrame({"x": [1.0]}, index=["total"]))
    back = run.results()
    assert str(back.indexes["time"].tz) == "Asia/Bangkok"
    assert back.indexes["time"][0] == pd.Timestamp("2026-01-01 00:00", tz="Asia/Bangkok")
    np.testing.assert_array_equal(back["load_kw"].values, ds["load_kw"].values)
    assert run.manifest["status"] == "optimal"
    assert store.list_runs(tmp_path)[0].run_id == "r1"
    assert store.open_run("r", tmp_path).path == run.path


def test_failure_while_writing_leaves_nothing(tmp_path):
    class Boom(pd.DataFrame):
        def to_csv(self, *a, **k):
            raise OSError("disk full")

    with pytest.raises(OSError):
        store.write_run(tmp_path, "r2", {}, _dataset(), Boom({"x": [1.0]}))
    assert list(tmp_path.iterdir()) == []


def test_existing_run_is_never_overwritten(tmp_path):
    store.write_run(tmp_path, "r3", {}, _dataset(), pd.DataFrame({"x": [1.0]}))
    with pytest.raises(InputError):
        store.write_run(tmp_path, "r3", {}, _dataset(), pd.DataFrame({"x": [1.0]}))


def test_killed_writer_leaves_only_a_staging_folder(tmp_path):
    """kill -9 in the middle of writing: no folder looks like a complete run."""
    script = textwrap.dedent(f"""
        import time, pandas as pd
        from munigrid.solver_runs import store
        from munigrid.solver_runs import results_io
        real = results_io.write_results
        def slow(ds, path):
            real(ds, path)
            print("written", flush=True)
            time.sleep(30)
        store.write_results = slow
        import numpy as np, xarray as xr
        ds = xr.Dataset({{"x": ("t", np.arange(3.0))}})
        store.write_run(r"{tmp_path}", "killed", {{}}, ds, pd.DataFrame({{"x": [1.0]}}))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "written"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert store.list_runs(tmp_path) == []
    assert [p.name for p in store.leftover_staging(tmp_path)] == [".staging-killed"]
    with pytest.raises(InputError):
        store.open_run(tmp_path / ".staging-killed")
