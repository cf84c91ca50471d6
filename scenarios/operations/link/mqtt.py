"""MQTT adapter (paho-mqtt): JSON payloads with timestamps.

* ``topics.measurements`` (subscribed): ``{"time": "2026-03-10T08:15:00+07:00", "soc_pct": 54.2,
  "import_kw": 31.5, "pv_kw": 12.0, "battery_kw": -5.0, "buildings": {...}}`` (``battery_kw``
  and ``buildings`` optional; a time without zone is Asia/Bangkok);
* ``topics.setpoint`` (published, not retained): ``{"time", "setpoint_kw", "valid_until",
  "mode", "sign"}`` -- a set point is valid until the next step;
* ``topics.plan`` (published, **retained**): the latest plan, so a device that (re)connects
  gets it at once;
* ``topics.alarm`` (optional, published): safe-mode alarms.

Nothing else is published. Each step waits up to ``wait_s`` (wall time) for a measurement not
older than ``max_age_s``; the library reconnects in the background with back-off.
"""

from __future__ import annotations

import json
import threading

import pandas as pd
import paho.mqtt.client as mqtt

from munigrid.models.timegrid import TZ
from munigrid.scenarios.operations.link.adapter import Link, LinkError, Mailbox, NoMeasurement
from munigrid.scenarios.operations.link.config import MqttAdapter
from munigrid.scenarios.operations.link.measurement import Measurement, stamp

#: Sign convention stated in every set-point payload.
SIGN = "+ charge, - discharge [kW, AC terminals]"
#: How long publishing with QoS 1/2 waits for the broker's acknowledgement [s].
PUBLISH_WAIT_S = 5.0


def parse_measurement(payload: bytes, received: pd.Timestamp) -> Measurement:
    """A measurement payload (module docstring); values that are not numbers are taken as missing.

    A payload that is not a JSON object gives a measurement with every value missing at
    ``received`` (the controller's checks then report what is missing).
    """
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict):
        return Measurement(received, None, None, None)
    number = lambda key: data[key] if isinstance(data.get(key), int | float) and not isinstance(data.get(key), bool) \
        else None  # noqa: E731
    try:
        time = stamp(data["time"]) if isinstance(data.get("time"), str) else received
    except (ValueError, TypeError):
        time = received
    buildings = data.get("buildings") if isinstance(data.get("buildings"), dict) else {}
    return Measurement(time, number("soc_pct"), number("import_kw"), number("pv_kw"), number("battery_kw"),
                       {k: float(v) for k, v in buildings.items() if isinstance(v, int | float)})


class MqttLink(Link):
    """The site's EMS over an MQTT broker.

    Parameters
    ----------
    config : MqttAdapter
        Broker, client id, QoS, topics and waiting time.
    site : str
        Site name (in payloads).
    max_age_s : float
        A measurement older than this does not end the wait for a fresh one [s].
    """

    kind = "mqtt"

    def __init__(self, config: MqttAdapter, site: str, max_age_s: float):
        self.config, self.site, self.max_age_s = config, site, max_age_s
        self._client: mqtt.Client | None = None
        self._mailbox = Mailbox()
        self._connected = threading.Event()

    # paho callbacks (run in the network thread)
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if not reason_code.is_failure:
            client.subscribe(self.config.topics.measurements, qos=self.config.qos)
            self._connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self._connected.clear()

    def _on_message(self, client, userdata, message):
        self._mailbox.put(parse_measurement(message.payload, pd.Timestamp.now(tz=TZ)))

    def connect(self) -> None:  # noqa: D102
        if self._client is None:
            client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.config.client_id)
            client.on_connect, client.on_disconnect = self._on_connect, self._on_disconnect
            client.on_message = self._on_message
            client.reconnect_delay_set(min_delay=1, max_delay=30)
            try:
                client.connect(self.config.host, self.config.port, keepalive=self.config.keepalive_s)
            except OSError as err:
                raise LinkError(f"cannot connect to broker {self.config.host}:{self.config.port}: {err}") from None
            client.loop_start()
            self._client = client
        if not self._connected.wait(timeout=max(self.config.wait_s, 1.0)):
            raise LinkError(f"no connection to broker {self.config.host}:{self.config.port}")

    def _require(self) -> mqtt.Client:
        if self._client is None or not self._connected.is_set():
            raise LinkError(f"not connected to broker {self.config.host}:{self.config.port}")
        return self._client

    def read(self, now: pd.Timestamp) -> Measurement:  # noqa: D102
        self._require()
        latest = self._mailbox.wait(now, self.max_age_s, self.config.wait_s)
        if latest is None:
            raise NoMeasurement(f"no measurement on {self.config.topics.measurements} within {self.config.wait_s:g} s")
        return latest

    def _publish(self, topic: str, payload: dict, retain: bool = False) -> None:
        info = self._require().publish(topic, json.dumps(payload, allow_nan=False), qos=self.config.qos, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise LinkError(f"publishing to {topic}: {mqtt.error_string(info.rc)}")
        if self.config.qos > 0:
            try:
                info.wait_for_publish(timeout=PUBLISH_WAIT_S)
            except RuntimeError as err:
                raise LinkError(f"publishing to {topic}: {err}") from None
            if not info.is_published():
                raise LinkError(f"publishing to {topic}: no acknowledgement within {PUBLISH_WAIT_S:g} s")

    def write_setpoint(self, setpoint_kw: float, now: pd.Timestamp, valid_until: pd.Timestamp,  # noqa: D102
                       mode: str) -> None:
        self._publish(self.config.topics.setpoint, {"site": self.site, "time": now.isoformat(),
                                                    "setpoint_kw": round(float(setpoint_kw), 3),
                                                    "valid_until": valid_until.isoformat(), "mode": mode,
                                                    "sign": SIGN})

    def publish_plan(self, plan: dict) -> None:  # noqa: D102
        if self.config.topics.plan is not None:  # a battery's own link publishes no plan
            self._publish(self.config.topics.plan, plan, retain=True)

    def publish_alarm(self, alarm: dict) -> None:  # noqa: D102
        if self.config.topics.alarm is not None:
            self._publish(self.config.topics.alarm, alarm)

    def close(self) -> None:  # noqa: D102
        if self._client is not None:
            self._client.loop_stop()
            self._client.disconnect()
            self._client = None
        self._connected.clear()
