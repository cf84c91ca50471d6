"""Faults over Modbus: impossible and stale readings, a dropped reading, the server gone for two hours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ems_quick import DAY, GUARD_KW
from test_ems_modbus import TOL_KW, run_day, steps_of

from munigrid.scenarios.operations.link.replay import replay

STEPS = 48
SERVER_DOWN = range(24, 32)  # 06:00-08:00


@pytest.mark.slow
def test_faults_enter_safe_mode_and_recover(site15, device, tmp_path):
    sim, server, cfg = device

    def inject(h):
        sim.soc_override_pct = 140.0 if h in (10, 11) else None
        sim.frozen_time = DAY + pd.Timedelta(hours=1) if h == 14 else None
        server.busy = h == 18
        if h == SERVER_DOWN.start:
            server.stop()
        if h == SERVER_DOWN.stop:
            server.start()

    _, records = run_day(site15, sim, cfg, tmp_path, steps=STEPS, on_step=inject)
    steps = steps_of(records)
    mode = [r["mode"] for r in steps]
    safe = {h for h, m in enumerate(mode) if m == "safe"}
    assert safe == {10, 11, 14, 18, *SERVER_DOWN}
    assert "soc_pct 140 outside the plausible range [0, 100]" in steps[10]["faults"]
    assert any(f.startswith("stale: measured") for f in steps[14]["faults"])
    assert steps[18]["link_error"] and steps[24]["link_error"]
    # safe mode holds the plan's set point for at most 30 min (two steps), then 0 kW
    for h in SERVER_DOWN:
        held = h - SERVER_DOWN.start < 2
        assert ("holding the last plan" in steps[h]["reasons"][0]) == held, (h, steps[h]["reasons"])
        if not held:
            assert steps[h]["setpoint_kw"] == 0.0
    assert not any(r["written"] for r in steps[SERVER_DOWN.start:SERVER_DOWN.stop])
    # what happened is in the log: alarms, recoveries, the lost connection and the reconnection
    kinds = [r["kind"] for r in records]
    assert kinds.count("alarm") == 4 and kinds.count("recovered") == 4
    events = [r["event"] for r in records if r["kind"] == "link"]
    assert "connection lost" in events and "connect failed" in events and events[-1] == "connected"
    assert all(m == "normal" for m in mode[SERVER_DOWN.stop:])
    # no limit exceeded: SoC window, guard while charging, no export
    trace, b = sim.trace(), site15.battery
    assert trace["soc_kwh"].between(b.soc_min_frac * b.energy_kwh - 1e-6, b.soc_max_frac * b.energy_kwh + 1e-6).all()
    assert (trace.loc[trace["battery_kw"] > 1e-6, "import_kw"] <= GUARD_KW + TOL_KW).all()
    assert (trace["import_kw"] >= -TOL_KW).all()
    # the device kept the last set point written while the server was down; the log replays
    assert replay(site15, records).max_diff_kw < 1e-6
    assert np.isfinite([r["setpoint_kw"] for r in steps]).all()
