"""The same day over a real MQTT broker (Debian's mosquitto, started on 127.0.0.1), and the broker
stopped mid-day."""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt
import pandas as pd
import pytest
from ems_quick import DAY, GUARD_KW, config, controller, sim_site
from mqtt_sim import MOSQUITTO, Broker, MqttDevice
from sim_site import free_port

from munigrid.scenarios.operations.link.log import log_path, read_log
from munigrid.scenarios.operations.link.mqtt import MqttLink
from munigrid.scenarios.operations.link.replay import replay

pytestmark = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto not installed (.ci/run installs it with apt)")
TOPICS = {"measurements": "site/office/measurements", "setpoint": "site/office/battery/setpoint",
          "plan": "site/office/plan", "alarm": "site/office/alarm"}
TOL_KW = 1e-3


@pytest.fixture
def broker(tmp_path):
    """mosquitto on a free 127.0.0.1 port (stopped after the test)."""
    server = Broker(tmp_path, free_port())
    server.start()
    yield server
    server.stop()


class Spy:
    """A client subscribed to every topic: what was published where."""

    def __init__(self, port):
        self.topics: set[str] = set()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="spy")
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe("#")
        self.client.on_message = lambda c, u, message: self.topics.add(message.topic)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def retained(port, topic, timeout_s=5.0):
    """The retained message of ``topic`` as a new subscriber gets it (None after ``timeout_s``)."""
    got, done = [], threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="late-subscriber")
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
    client.on_message = lambda c, u, message: (got.append((message.retain, json.loads(message.payload))), done.set())
    client.connect("127.0.0.1", port)
    client.loop_start()
    done.wait(timeout_s)
    client.loop_stop()
    client.disconnect()
    return got[0] if got else None


def run_day(site, broker, log_dir, series, steps, on_step=None):
    sim = sim_site(site, series, DAY)
    cfg = config({"kind": "mqtt", "host": "127.0.0.1", "port": broker.port, "qos": 1, "wait_s": 2.0,
                  "topics": TOPICS})
    device = MqttDevice(sim, broker.port, TOPICS, pd.Timedelta(minutes=15))
    try:
        device.publish()
        ctl, clock = controller(site, cfg, MqttLink(cfg.adapter, cfg.site, cfg.safety.max_age_s), DAY, log_dir)
        if on_step is not None:
            clock.on_advance(lambda now: on_step(int((now - DAY) / pd.Timedelta(minutes=15)), sim, device))
        clock.on_advance(device.advance)
        ctl.run(steps=steps)
        device.advance(DAY + steps * pd.Timedelta(minutes=15))
    finally:
        device.close()
    records, _ = read_log(log_path(log_dir, cfg.site, DAY))
    return sim, device, records


@pytest.mark.slow
def test_whole_day_over_mqtt(site15, broker, day_series, tmp_path):
    spy = Spy(broker.port)
    try:
        sim, device, records = run_day(site15, broker, tmp_path, day_series, 96)
    finally:
        spy.close()
    assert spy.topics == {TOPICS["measurements"], TOPICS["setpoint"], TOPICS["plan"]}  # nothing else published
    flag, plan = retained(broker.port, TOPICS["plan"])
    assert flag and plan["steps"][0]["time"] == records[-2]["step"]  # the last plan, retained
    steps = [r for r in records if r["kind"] == "step"]
    assert len(steps) == 96 and all(r["mode"] == "normal" and r["written"] for r in steps)
    # every set point reached the device with its timestamp and sign convention, in order
    assert [r["setpoint_kw"] for r in device.received] == pytest.approx([r["setpoint_kw"] for r in steps], abs=TOL_KW)
    assert all(r["sign"].startswith("+ charge") for r in device.received)
    assert device.plans and device.plans[-1]["steps"]
    trace, b = sim.trace(), site15.battery
    assert trace["soc_kwh"].between(b.soc_min_frac * b.energy_kwh - 1e-6, b.soc_max_frac * b.energy_kwh + 1e-6).all()
    assert (trace.loc[trace["battery_kw"] > 1e-6, "import_kw"] <= GUARD_KW + TOL_KW).all()
    assert replay(site15, records).max_diff_kw < 1e-6


@pytest.mark.slow
def test_broker_lost_and_back_and_bad_readings(site15, broker, day_series, tmp_path):
    def inject(h, sim, device):
        sim.soc_override_pct = 140.0 if h == 4 else None
        sim.frozen_time = DAY if h == 6 else None
        device.skip = h == 8
        if h == 12:
            broker.stop()
        if h == 16:
            broker.start()

    sim, device, records = run_day(site15, broker, tmp_path, day_series, 28, inject)
    steps = [r for r in records if r["kind"] == "step"]
    safe = {h for h, r in enumerate(steps) if r["mode"] == "safe"}
    assert {4, 6, 8, 12, 13, 14, 15} <= safe
    assert all(r["mode"] == "normal" for r in steps[20:])  # recovered once the broker is back
    assert any("soc_pct 140" in f for f in steps[4]["faults"]) and "stale" in steps[6]["faults"][0]
    assert "stale" in steps[8]["faults"][0]  # the retained measurement of the step before
    assert steps[14]["setpoint_kw"] == 0.0  # held 30 min, then 0 kW
    events = [r["event"] for r in records if r["kind"] == "link"]
    assert "connection lost" in events and "connect failed" in events and events[-1] == "connected"
    trace, b = sim.trace(), site15.battery
    assert trace["soc_kwh"].between(b.soc_min_frac * b.energy_kwh - 1e-6, b.soc_max_frac * b.energy_kwh + 1e-6).all()
    assert (trace.loc[trace["battery_kw"] > 1e-6, "import_kw"] <= GUARD_KW + TOL_KW).all()
    assert replay(site15, records).max_diff_kw < 1e-6
