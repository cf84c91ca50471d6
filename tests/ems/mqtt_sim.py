"""A real mosquitto broker on 127.0.0.1 and a simulated device speaking MQTT (test support)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pandas as pd

#: Where Debian installs the broker (also looked up on PATH).
MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
#: Longest wait for the broker to listen, and for the device's set point [s].
START_TIMEOUT_S = 10.0
SETPOINT_WAIT_S = 2.0


class Broker:
    """``mosquitto`` on ``127.0.0.1:port`` with a temporary configuration (anonymous, no persistence)."""

    def __init__(self, folder: Path, port: int):
        self.port = port
        self.config = Path(folder) / "mosquitto.conf"
        self.config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the broker and wait until it accepts connections."""
        self._process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mosquitto did not listen on 127.0.0.1:{self.port}")

    def stop(self) -> None:
        """Stop the broker (bounded wait)."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=START_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=START_TIMEOUT_S)
            self._process = None


class MqttDevice:
    """The simulated site as an MQTT device: takes set points, publishes retained measurements.

    ``skip`` drops the next measurement; ``soc_override_pct`` and ``frozen_time`` on the site
    inject faults.
    """

    def __init__(self, site, port: int, topics: dict, step: pd.Timedelta, client_id: str = "sim-device"):
        self.site, self.topics, self.step = site, topics, step
        self.skip = False
        self.received: list[dict] = []
        self.plans: list[dict] = []
        self._got = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe([(topics["setpoint"], 1), (topics["plan"], 1)])
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message):
        data = json.loads(message.payload)
        if message.topic == self.topics["plan"]:
            self.plans.append(data)
            return
        with self._got:
            self.received.append(data)
            self.site.write(float(data["setpoint_kw"]))
            self._got.notify_all()

    def publish(self) -> None:
        """Publish the site's readings (retained), unless ``skip``."""
        if self.skip:
            return
        values = self.site.readings()
        payload = {**values, "time": values["time"].isoformat()}
        self.client.publish(self.topics["measurements"], json.dumps(payload), qos=1, retain=True)

    def advance(self, now: pd.Timestamp) -> None:
        """Clock listener: wait (bounded) for the previous step's set point, integrate, publish."""
        previous = now - self.step
        with self._got:
            self._got.wait_for(lambda: any(pd.Timestamp(r["time"]) >= previous for r in self.received[-1:]),
                               timeout=SETPOINT_WAIT_S)
        self.site.advance(now)
        self.publish()

    def close(self) -> None:
        """Disconnect."""
        self.client.loop_stop()
        self.client.disconnect()
