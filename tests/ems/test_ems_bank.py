"""Several batteries behind one meter, each on its own device: a real pymodbus server per device and a
real mosquitto broker on 127.0.0.1, a bounded number of steps in simulated time."""

from __future__ import annotations

import json

import pandas as pd
import paho.mqtt.client as mqtt
import pytest
import yaml
from bank_sim import MeterSim, bank_sims
from ems_quick import GUARD_KW, LIBRARY, QUICK_LOAD_MODEL, START_SOC_FRAC
from modbus_sim import ModbusSim
from mqtt_sim import MOSQUITTO, Broker, MqttDevice
from sim_site import free_port

from munigrid.scenarios import api
from munigrid.scenarios.operations.link.adapter import battery_links, make_link
from munigrid.scenarios.operations.link.bank import BankController
from munigrid.scenarios.operations.link.clock import SteppedClock
from munigrid.scenarios.operations.link.config import BatteryRegisters, ModbusRegisters, parse_config
from munigrid.scenarios.operations.link.dayahead import make_dayahead
from munigrid.scenarios.operations.link.log import EmsLog, log_path, read_log
from munigrid.scenarios.operations.link.replay import replay
from munigrid.scenarios.operations.site import operations_site

#: First simulated step: 09:00 on a Tuesday in March (office hours, on-peak).
START = pd.Timestamp("2026-03-10 09:00", tz="Asia/Bangkok")
STEP = pd.Timedelta(minutes=15)
LEAD_ACID = {"name": "lead_acid", "energy_kwh": 60.0, "power_kw": 15.0, "charge_eff_frac": 0.9,
             "discharge_eff_frac": 0.9, "soc_min_frac": 0.3, "degradation_thb_per_kwh": 1.0}
BATTERY_REGISTERS = {"soc_pct": {"address": 0, "type": "uint16", "scale": 0.1},
                     "battery_kw": {"address": 2, "type": "int16", "scale": 0.1},
                     "timestamp_s": {"address": 4, "type": "int32"},
                     "setpoint_kw": {"address": 100, "type": "int32", "scale": 0.1, "access": "write"}}
METER_REGISTERS = {"import_kw": {"address": 10, "type": "int32", "scale": 0.01},
                   "pv_kw": {"address": 12, "type": "float32"}, "timestamp_s": {"address": 14, "type": "int32"}}
SAFETY = {"max_age_s": 120, "hold_max_min": 30, "import_limit_kw": GUARD_KW, "reconnect_min_s": 1,
          "reconnect_max_s": 60}


@pytest.fixture(scope="module")
def bank_site(tmp_path_factory):
    """Tha Yang on a 15-min grid with a lead-acid bank beside the office's LFP battery."""
    doc = yaml.safe_load((LIBRARY / "tha-yang.yaml").read_text(encoding="utf-8"))
    doc["time"].update(step_min=15, days=120)
    battery = doc.pop("battery")
    doc["batteries"] = [{**battery, "name": "lfp"}, {**battery, **LEAD_ACID}]
    path = tmp_path_factory.mktemp("bank") / "tha-yang-bank.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    scenario = api.load(str(path))
    site = operations_site(scenario, scenario._base_dir)
    assert list(site.batteries) == ["lfp", "lead_acid"]
    index = pd.DatetimeIndex(site.index[(site.index >= START.normalize()) & (site.index < START.normalize()
                                                                             + pd.Timedelta(days=2))], freq="15min")
    return site, (site.load_kw.reindex(index), site.pv_kw().reindex(index)), path


def run_bank(site, cfg, sims, log_dir, steps, on_step, listeners=()):
    """Run ``steps`` steps of a BankController from START; ``on_step(k)`` before step k is read."""
    clock = SteppedClock(START)
    clock.on_advance(lambda now: on_step(round((now - START) / STEP)))  # faults first: devices publish after
    for sim in sims.values():
        clock.on_advance(sim.advance)
    for listener in listeners:
        clock.on_advance(listener)
    plans = {}

    def dayahead(day, soc, peaks):
        plans[day] = make_dayahead(site, day, soc, {}, QUICK_LOAD_MODEL, None)
        return plans[day]

    ctl = BankController(site, cfg, make_link(cfg), battery_links(cfg), clock, EmsLog(log_dir, cfg.site),
                         dayahead=dayahead)
    on_step(0)
    ctl.run(steps=steps)
    clock.advance_to(START + steps * STEP)  # the devices integrate the last step
    records, _ = read_log(log_path(log_dir, cfg.site, START))
    return [r for r in records if r["kind"] == "step"], records


def check_bank_steps(steps, sims, faulted):
    """Every step: each battery's logged SoC is the simulated one, the faulted one (step -> name) gets 0 kW
    and is left out of the re-plan, the other keeps getting set points; no step exports or passes the guard."""
    for k, step in enumerate(steps):
        bad = faulted.get(k)
        assert step["mode"] == ("partial" if bad else "normal"), (k, step["faults"])
        for name, sim in sims.items():
            battery = step["batteries"][name]
            row = sim.trace().loc[pd.Timestamp(step["step"])]
            if name == bad:
                assert battery["setpoint_kw"] == 0.0 and battery["faults"] and "safe state" in battery["reasons"][0]
            else:
                assert not battery["faults"]
                soc_pct = 100 * row["soc_kwh"] / sim.battery.energy_kwh
                assert battery["measurement"]["soc_pct"] == pytest.approx(soc_pct, abs=0.051)
                assert row["setpoint_kw"] == pytest.approx(battery["setpoint_kw"], abs=0.051), (k, name)  # followed
        assert step["planned_batteries"] == [n for n in sims if n != bad]
        if bad or faulted.get(k - 1):
            assert step["replanned"]  # the available batteries changed: re-planned at once
        assert step["requested_kw"] is not None
        total = sum(sims[n].trace().loc[pd.Timestamp(step["step"]), "battery_kw"] for n in sims)
        assert total == pytest.approx(step["setpoint_kw"], abs=0.11) or any(step["batteries"][n]["reasons"]
                                                                             for n in sims)
    moved = {n: [abs(s["batteries"][n]["setpoint_kw"]) for s in steps if faulted.get(steps.index(s)) != n]
             for n in sims}
    assert all(max(v) > 1.0 for v in moved.values()), moved  # both batteries really operated


def modbus_bank(site, series, stamped=True):
    """Simulated batteries, a Modbus server for the meter and one per battery, and the ems.yaml mapping
    (without ``stamped`` the devices report no time: a static device, read time is the time)."""
    sims = bank_sims(site, series, START, START_SOC_FRAC)
    meter_registers, battery_registers = ({k: v for k, v in r.items() if stamped or k != "timestamp_s"}
                                          for r in (METER_REGISTERS, BATTERY_REGISTERS))
    ports = {"meter": free_port(), "lfp": free_port(), "lead_acid": free_port()}
    data = {"site": "campus", "step_min": 15, "safety": SAFETY, "planning": {"load_model": QUICK_LOAD_MODEL},
                        "adapter": {"kind": "modbus", "host": "127.0.0.1", "port": ports["meter"], "unit_id": 1,
                                    "timeout_s": 1.0, "registers": meter_registers},
                        "batteries": {"lfp": {"unit_id": 2, "port": ports["lfp"], "registers": battery_registers},
                                      "lead_acid": {"unit_id": 3, "port": ports["lead_acid"],
                                                    "registers": battery_registers}}}
    servers = {"meter": ModbusSim(MeterSim(sims), ModbusRegisters.model_validate(meter_registers), ports["meter"], 1)}
    for unit, name in ((2, "lfp"), (3, "lead_acid")):
        servers[name] = ModbusSim(sims[name], BatteryRegisters.model_validate(battery_registers), ports[name], unit)
    return sims, servers, data


def test_two_batteries_over_modbus_each_get_their_setpoint_and_a_fault_stays_with_its_battery(bank_site, tmp_path):
    site, series, _ = bank_site
    sims, servers, data = modbus_bank(site, series)
    cfg = parse_config(data)
    faulted = {3: "lead_acid", 4: "lead_acid", 7: "lfp"}

    def on_step(k):
        sims["lead_acid"].soc_override_pct = 140.0 if k in (3, 4) else None  # an implausible reading
        servers["lfp"].busy = k == 7  # the device answers every request with an exception

    for server in servers.values():
        server.start()
    try:
        steps, records = run_bank(site, cfg, sims, tmp_path, 10, on_step)
    finally:
        for server in servers.values():
            server.stop()
    assert len(steps) == 10
    check_bank_steps(steps, sims, faulted)
    assert "soc_pct 140 outside the plausible range" in steps[3]["batteries"]["lead_acid"]["faults"][0]
    assert steps[3]["batteries"]["lead_acid"]["written"]  # the device answers: its 0 kW is written
    assert sims["lead_acid"].trace().loc[pd.Timestamp(steps[3]["step"]), "setpoint_kw"] == 0.0
    lost = steps[7]["batteries"]["lfp"]
    assert lost["link_error"] and not lost["written"] and lost["write_error"]  # not answering: 0 kW attempted
    assert steps[7]["batteries"]["lead_acid"]["written"]
    assert servers["meter"].written == set()  # nothing is written to the meter
    assert all(servers[n].written <= {100, 101} for n in ("lfp", "lead_acid"))
    start = next(r for r in records if r["kind"] == "start")
    assert set(start["batteries"]) == {"lfp", "lead_acid"}
    again = replay(site, records)  # the log holds everything each battery's set point was made from
    assert again.max_diff_kw < 1e-6 and len(again.table) == 10
    assert any(r["kind"] == "alarm" for r in records) and any(r["kind"] == "recovered" for r in records)


@pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto not installed (.ci/run installs it with apt)")
def test_two_batteries_over_mqtt_each_get_their_setpoint_and_a_stale_one_is_safe(bank_site, tmp_path):
    site, series, _ = bank_site
    sims = bank_sims(site, series, START, START_SOC_FRAC)
    broker = Broker(tmp_path, free_port())
    broker.start()
    topics = {name: {"measurements": f"campus/{name}/measurements", "setpoint": f"campus/{name}/setpoint"}
              for name in sims}
    cfg = parse_config({"site": "campus", "step_min": 15, "safety": SAFETY, "planning": {"load_model": QUICK_LOAD_MODEL},
                        "adapter": {"kind": "mqtt", "host": "127.0.0.1", "port": broker.port, "qos": 1, "wait_s": 2.0,
                                    "topics": {"measurements": "campus/meter", "plan": "campus/plan"}},
                        "batteries": {name: {"topics": t} for name, t in topics.items()}})
    devices = {name: MqttDevice(sims[name], broker.port, {**t, "plan": f"campus/{name}/unused"}, STEP,
                              client_id=f"sim-{name}")
               for name, t in topics.items()}
    meter = MeterSim(sims)
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="sim-meter")
    publisher.connect("127.0.0.1", broker.port)
    publisher.loop_start()

    def publish_meter(now=None):
        values = meter.readings()
        publisher.publish("campus/meter", json.dumps({**values, "time": values["time"].isoformat()}), qos=1,
                          retain=True).wait_for_publish(5.0)

    def on_step(k):
        sims["lfp"].frozen_time = START + 3 * STEP - pd.Timedelta(minutes=10) if k in (4, 5) else None  # stale

    try:
        for device in devices.values():
            device.publish()
        publish_meter()
        steps, _ = run_bank(site, cfg, {}, tmp_path, 8, on_step,
                            listeners=[*(d.advance for d in devices.values()), publish_meter])
    finally:
        for device in devices.values():
            device.close()
        publisher.loop_stop()
        publisher.disconnect()
        broker.stop()
    assert len(steps) == 8
    check_bank_steps(steps, sims, {4: "lfp", 5: "lfp"})
    assert "stale" in steps[4]["batteries"]["lfp"]["faults"][0]
    for name, device in devices.items():  # each battery's set points arrived on its own topic
        assert len(device.received) == len(steps)
        assert [r["setpoint_kw"] for r in device.received] == pytest.approx(
            [s["batteries"][name]["setpoint_kw"] for s in steps], abs=5e-4)


def test_ems_command_runs_two_batteries(bank_site, tmp_path, capsys):
    """``munigrid ems`` with ``batteries:`` against the Modbus servers: each battery's set points are written."""
    from munigrid.scenarios.cli import main

    site, series, scenario = bank_site
    sims, servers, data = modbus_bank(site, series, stamped=False)
    path = tmp_path / "ems.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    for server in servers.values():
        server.start()
    try:
        with pytest.raises(SystemExit) as done:
            main(["ems", str(scenario), "--config", str(path), "--runs", str(tmp_path / "runs"),
                  "--start", START.isoformat(), "--steps", "2"])
    finally:
        for server in servers.values():
            server.stop()
    out = capsys.readouterr()
    assert done.value.code == 0, out.err
    assert "2 steps, 0 in safe mode" in out.out
    for name in ("lfp", "lead_acid"):
        assert f"battery {name}: 2 set points written, 0 steps in its safe state" in out.out
        assert len(sims[name].writes) == 2
