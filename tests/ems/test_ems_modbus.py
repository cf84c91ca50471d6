"""The controller runs a whole day against a simulated battery behind a real Modbus TCP server."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from ems_quick import DAY, GUARD_KW, controller

from munigrid.scenarios.cli import main
from munigrid.scenarios.operations.link.log import log_path, read_log
from munigrid.scenarios.operations.link.modbus import ModbusLink
from munigrid.scenarios.operations.link.replay import replay

STEPS = 96
TOL_KW = 0.05  # register resolution (0.1 kW set point, 0.01 kW import)


def run_day(site, sim, cfg, log_dir, steps=STEPS, on_step=None, schedule_folder=None):
    """Run ``steps`` steps from DAY in simulated time; ``on_step(h)`` runs after step h's clock advance."""
    ctl, clock = controller(site, cfg, ModbusLink(cfg.adapter), DAY, log_dir, schedule_folder=schedule_folder)
    clock.on_advance(sim.advance)
    if on_step is not None:
        clock.on_advance(lambda now: on_step(int((now - DAY) / pd.Timedelta(minutes=15))))
    ctl.run(steps=steps)
    sim.advance(DAY + steps * pd.Timedelta(minutes=15))
    records, notes = read_log(log_path(log_dir, cfg.site, DAY))
    assert notes == []
    return ctl, records


def steps_of(records):
    return [r for r in records if r["kind"] == "step"]


@pytest.mark.slow
def test_whole_day_over_modbus(site15, scenario15, device, tmp_path, capsys):
    sim, server, cfg = device
    ctl, records = run_day(site15, sim, cfg, tmp_path, schedule_folder=tmp_path)
    steps = steps_of(records)
    trace = sim.trace()
    b = site15.battery
    # every step decided, written and received; nothing else was ever written
    assert len(steps) == STEPS and all(r["mode"] == "normal" and r["written"] for r in steps)
    assert len(sim.writes) == STEPS
    assert server.written == {100, 101}
    np.testing.assert_allclose([kw for _, kw in sim.writes], [r["setpoint_kw"] for r in steps], atol=TOL_KW)
    # SoC stays in its window
    assert trace["soc_kwh"].min() >= b.soc_min_frac * b.energy_kwh - 1e-6
    assert max(sim.soc_kwh, trace["soc_kwh"].max()) <= b.soc_max_frac * b.energy_kwh + 1e-6
    # the battery never lifts the import past the guard, and never exports
    charging = trace["battery_kw"] > 1e-6
    assert (trace.loc[charging, "import_kw"] <= GUARD_KW + TOL_KW).all()
    assert (trace["import_kw"] >= -TOL_KW).all()
    # the demand limit of each step holds unless the battery was at a physical limit
    limits = pd.Series([r["limit_kw"] for r in steps], index=trace.index, dtype=float)
    over = trace["import_kw"] > limits + TOL_KW
    at_limit = pd.Series(["power" in " ".join(r["reasons"]) or "SoC min" in " ".join(r["reasons"]) for r in steps],
                         index=trace.index)
    assert not (over & ~at_limit).any()
    # the battery worked: in the demand-charge window the peak is lower than the net load's
    window = limits.notna()
    assert window.sum() > 20
    assert trace.loc[window, "import_kw"].max() < max(sim.net_kw(t) for t in trace.index[window]) - 1.0
    # the log replays to the same decisions
    again = replay(site15, records)
    assert again.max_diff_kw < 1e-6, again.table[again.table["logged_kw"] != again.table["replayed_kw"]]
    assert [r["kind"] for r in records][:3] == ["start", "link", "dayahead"]
    json.dumps(records)
    # the morning review reads the log: the day replayed against what really happened
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["review", str(scenario15), "--day", DAY.date().isoformat(), "--ems-log",
              str(log_path(tmp_path, cfg.site, DAY)), "--json"])
    assert done.value.code == 0
    reviewed = json.loads(capsys.readouterr().out)["summary"]
    assert reviewed["ems_log"]["steps"] == STEPS and reviewed["ems_log"]["filled_steps"] == 0
    real_import_kwh = trace["import_kw"].sum() * 0.25
    assert reviewed["import_kwh"] == pytest.approx(real_import_kwh, rel=0.05)


@pytest.mark.slow
def test_midnight_carries_soc_and_the_months_demand(site15, device, tmp_path):
    """Started at 21:00, the controller plans the next day at midnight from the measured SoC and the
    demand registered so far this month (one log file a day; the two replay as one)."""
    sim, _, cfg = device
    start = DAY + pd.Timedelta(hours=21)
    sim.time = start
    ctl, clock = controller(site15, cfg, ModbusLink(cfg.adapter), start, tmp_path, schedule_folder=tmp_path)
    clock.on_advance(sim.advance)
    ctl.run(steps=16)
    first, _ = read_log(log_path(tmp_path, cfg.site, DAY))
    second, _ = read_log(log_path(tmp_path, cfg.site, DAY + pd.Timedelta(days=1)))
    plans = [r for r in first + second if r["kind"] == "dayahead"]
    assert [p["day"] for p in plans] == ["2026-03-10", "2026-03-11"]
    last_of_day = [r for r in first if r["kind"] == "step"][-1]
    midnight = next(r for r in second if r["kind"] == "step")
    assert plans[1]["state"]["peak_kw"] == last_of_day["registered_kw"]
    assert max(v for vals in plans[1]["state"]["peak_kw"].values() for v in vals) > 0
    assert plans[1]["state"]["soc_kwh"] == pytest.approx(midnight["measurement"]["soc_pct"] / 100 * 200.0)
    assert (tmp_path / "schedule_municipal_office_2026-03-11.json").is_file()
    assert replay(site15, first + second).max_diff_kw < 1e-6


def test_device_with_the_opposite_sign(site15, device):
    """``sign: discharge_positive``: the set point and the battery power are negated at the registers."""
    sim, _, cfg = device
    adapter = cfg.adapter.model_copy(update={"sign": "discharge_positive"})
    link = ModbusLink(adapter)
    link.connect()
    try:
        link.write_setpoint(-12.5, DAY, DAY + pd.Timedelta(minutes=15), "normal")  # discharge 12.5 kW
        assert sim.writes[-1][1] == pytest.approx(12.5)  # the device's + discharge
        sim.setpoint_kw = -12.5  # the device reports -12.5 kW in its convention: charging 12.5 kW
        assert link.read(DAY).battery_kw == pytest.approx(12.5, abs=0.1)  # + charge in munigrid's
    finally:
        link.close()
