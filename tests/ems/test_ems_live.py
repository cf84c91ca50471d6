"""``munigrid ems`` as a user runs it: a separate process on the wall clock, its HTTP routes served by
uvicorn on 127.0.0.1, a device posting a reading and polling the set point, then SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest
import yaml
from ems_quick import LIBRARY
from sim_site import free_port

from munigrid.scenarios.operations.link.log import log_path, read_log

#: Bounds of the waits [s].
START_S, STOP_S = 120.0, 30.0


def scenario_around_today(folder: Path) -> Path:
    """The bundled scenario over the 90 days around today (so the wall clock is inside its data)."""
    data = yaml.safe_load((LIBRARY / "tha-yang.yaml").read_text(encoding="utf-8"))
    today = pd.Timestamp.now(tz="Asia/Bangkok").normalize()
    data["name"] = "tha-yang-now"
    data["time"].update(start=(today - pd.Timedelta(days=60)).date().isoformat(), days=90)
    path = folder / "tha-yang-now.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.slow
def test_live_process_over_http_stops_cleanly(tmp_path):
    port = free_port()
    config = tmp_path / "ems.yaml"
    config.write_text(yaml.safe_dump({"site": "office", "step_min": 60, "adapter": {"kind": "http", "port": port,
                                                                                     "wait_s": 60},
                                      "planning": {"load_model": "calendar_regression"}}))
    runs = tmp_path / "runs"
    command = [sys.executable, "-m", "munigrid.scenarios.cli", "ems", str(scenario_around_today(tmp_path)),
               "--config", str(config), "--runs", str(runs)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}/api/v1/ems/office"
    setpoint = None
    try:
        deadline = time.monotonic() + START_S
        posted = False
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if not posted:
                    now = pd.Timestamp.now(tz="Asia/Bangkok").isoformat()
                    answer = httpx.post(f"{base}/measurements", timeout=5,
                                        json={"time": now, "soc_pct": 55.0, "import_kw": 30.0, "pv_kw": 5.0,
                                              "battery_kw": 0.0})
                    posted = answer.status_code == 202
                else:
                    answer = httpx.get(f"{base}/setpoint", timeout=5)
                    if answer.status_code == 200:
                        setpoint = answer.json()
                        break
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.2)
        assert setpoint is not None, process.stderr.read() if process.poll() is not None else "no set point in time"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            out, err = process.communicate(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate(timeout=STOP_S)
            pytest.fail(f"munigrid ems did not stop within {STOP_S:g} s of SIGTERM: {err}")
    assert process.returncode == 0, err
    assert "Traceback" not in err and "1 steps, 0 in safe mode" in out
    assert setpoint["mode"] == "normal" and setpoint["sign"].startswith("+ charge")
    folder = runs / "ems" / "office"
    records, notes = read_log(log_path(folder, "office", pd.Timestamp(setpoint["time"])))
    assert notes == [] and [r["kind"] for r in records][-1] == "stop"
    step = next(r for r in records if r["kind"] == "step")
    assert step["written"] and step["setpoint_kw"] == pytest.approx(setpoint["setpoint_kw"], abs=1e-3)
    json.dumps(records)


@pytest.mark.slow
def test_background_controller_behind_the_exported_router(tmp_path):
    """The loop as a service hosts it: a daemon thread, the module's router in the service's app."""
    from munigrid.scenarios.operations.link.config import parse_config
    from munigrid.scenarios.operations.link.http import Served
    from munigrid.scenarios.operations.link.service import BackgroundController, make_controller

    port = free_port()
    config = parse_config({"site": "hall", "step_min": 60, "adapter": {"kind": "http", "wait_s": 30},
                           "planning": {"load_model": "calendar_regression"}})
    served = Served("127.0.0.1", port)  # the app of a service that includes `router`
    loop = BackgroundController(make_controller(scenario_around_today(tmp_path), config, runs_root=tmp_path)).start()
    base = f"http://127.0.0.1:{port}/api/v1/ems/hall"
    try:
        deadline, setpoint = time.monotonic() + START_S, None
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline and setpoint is None and loop.running:
                now = pd.Timestamp.now(tz="Asia/Bangkok").isoformat()
                client.post(f"{base}/measurements", json={"time": now, "soc_pct": 140.0, "import_kw": 30.0,
                                                          "pv_kw": 5.0})
                answer = client.get(f"{base}/setpoint")
                setpoint = answer.json() if answer.status_code == 200 else None
                time.sleep(0.2)
    finally:
        loop.stop()
        served.stop()
    assert loop.error is None and not loop.running
    assert setpoint is not None and setpoint["mode"] == "safe" and setpoint["setpoint_kw"] == 0.0  # SoC 140 %
