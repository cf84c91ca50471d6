"""One interface to the building's EMS or battery, whatever the protocol.

Every adapter (:mod:`.modbus`, :mod:`.mqtt`, :mod:`.http`) is a :class:`Link`: it connects,
reads a :class:`~.measurement.Measurement`, writes the battery set point (kW at the AC
terminals, **+ charge, - discharge**) and publishes the latest plan and alarms where the
protocol has a place for them. A link writes only the set point register or topic of its
configuration, nothing else. Communication failures raise :class:`LinkError`.

:class:`Reconnecting` wraps a link with reconnection and exponential back-off on the
controller's clock: after a failure the next attempt waits ``reconnect_min_s``, doubling up to
``reconnect_max_s``, and resets on success.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Callable

import pandas as pd

from munigrid.scenarios.operations.link.config import EmsConfig
from munigrid.scenarios.operations.link.measurement import Measurement


class LinkError(RuntimeError):
    """The device or broker could not be reached, or answered with an error."""


class NoMeasurement(LinkError):
    """The link is up but no measurement arrived in time (the connection is kept)."""


class Mailbox:
    """The latest measurement pushed by a device (MQTT message, HTTP post), safe across threads."""

    def __init__(self):
        self._latest: Measurement | None = None
        self._changed = threading.Condition()

    def put(self, measurement: Measurement) -> None:
        """Keep ``measurement`` as the latest and wake a waiting reader."""
        with self._changed:
            self._latest = measurement
            self._changed.notify_all()

    def wait(self, now: pd.Timestamp, max_age_s: float, wait_s: float) -> Measurement | None:
        """The latest measurement once it is at most ``max_age_s`` old at ``now``, or after ``wait_s``
        wall seconds whatever its age (None when nothing has arrived)."""
        def fresh() -> bool:
            return self._latest is not None and (now - self._latest.time).total_seconds() <= max_age_s

        with self._changed:
            self._changed.wait_for(fresh, timeout=wait_s)
            return self._latest


class Link(ABC):
    """A connection to the site's EMS (module docstring)."""

    #: Protocol name for logs.
    kind: str = ""

    @abstractmethod
    def connect(self) -> None:
        """Open the connection; raise :class:`LinkError` when it cannot be opened."""

    @abstractmethod
    def read(self, now: pd.Timestamp) -> Measurement:
        """The latest measurement at ``now``; raise :class:`LinkError` on a communication failure."""

    @abstractmethod
    def write_setpoint(self, setpoint_kw: float, now: pd.Timestamp, valid_until: pd.Timestamp, mode: str) -> None:
        """Send the set point [kW, + charge] valid until ``valid_until``; raise :class:`LinkError` on failure."""

    def publish_plan(self, plan: dict) -> None:
        """Make the latest plan (JSON-ready) available, where the protocol can (default: nowhere)."""

    def publish_alarm(self, alarm: dict) -> None:
        """Publish an alarm (JSON-ready), where the protocol can (default: nowhere; it is always logged)."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection (idempotent)."""


class Reconnecting:
    """A :class:`Link` with connection state and back-off (module docstring).

    Parameters
    ----------
    link : Link
        The adapter.
    now : callable
        The controller's clock (``now() -> Timestamp``).
    min_s, max_s : float
        First and longest wait between attempts [s].
    on_event : callable
        Receives a JSON-ready mapping for each connection event (logged as ``kind: link``).
    """

    def __init__(self, link: Link, now: Callable[[], pd.Timestamp], min_s: float, max_s: float,
                 on_event: Callable[[dict], None]):
        self.link, self._now, self.min_s, self.max_s, self._event = link, now, min_s, max_s, on_event
        self.connected = False
        self._delay_s = min_s
        self._next_try: pd.Timestamp | None = None

    def _ensure(self) -> None:
        if self.connected:
            return
        now = self._now()
        if self._next_try is not None and now < self._next_try:
            raise LinkError(f"{self.link.kind} link down; next connection attempt at {self._next_try.isoformat()}")
        try:
            try:
                self.link.connect()
            except LinkError:
                raise
            except Exception as err:  # a library's unexpected failure counts as a failed attempt
                raise LinkError(f"{type(err).__name__}: {err}") from err
        except LinkError as err:
            self._next_try = now + pd.Timedelta(seconds=self._delay_s)
            self._event({"event": "connect failed", "error": str(err), "retry_in_s": self._delay_s})
            self._delay_s = min(self._delay_s * 2, self.max_s)
            raise
        self.connected, self._delay_s, self._next_try = True, self.min_s, None
        self._event({"event": "connected"})

    def _lost(self, err: LinkError) -> None:
        self.connected = False
        self.link.close()
        self._next_try = None  # the first reconnection is tried at the next call
        self._event({"event": "connection lost", "error": str(err)})

    def call(self, method: str, *args):
        """Call ``link.method(*args)`` after (re)connecting; a failure marks the link down and raises
        :class:`LinkError` (whatever the library raised)."""
        self._ensure()
        try:
            return getattr(self.link, method)(*args)
        except NoMeasurement:
            raise
        except LinkError as err:
            self._lost(err)
            raise
        except Exception as err:  # a library's unexpected failure: safe mode and reconnect, never a crash
            failure = LinkError(f"{type(err).__name__}: {err}")
            self._lost(failure)
            raise failure from err

    def close(self) -> None:
        """Close the link."""
        self.connected = False
        self.link.close()


def make_link(config: EmsConfig) -> Link:
    """The adapter of ``config.adapter.kind`` (imports only that protocol's library)."""
    kind = config.adapter.kind
    if kind == "modbus":
        from munigrid.scenarios.operations.link.modbus import ModbusLink

        return ModbusLink(config.adapter)
    if kind == "mqtt":
        from munigrid.scenarios.operations.link.mqtt import MqttLink

        return MqttLink(config.adapter, config.site, config.safety.max_age_s)
    from munigrid.scenarios.operations.link.http import HttpLink

    return HttpLink(config.adapter, config.site, config.safety.max_age_s)


def battery_links(config: EmsConfig) -> dict[str, Link]:
    """Each battery's own link when ``config`` lists several (``batteries:``), by battery name; else empty.

    Modbus: a client per battery device (its host, port, unit id, register map); MQTT: a client
    per battery (client id ``CLIENT-NAME``) on its own topics, publishing no plan or alarm.
    """
    links: dict[str, Link] = {}
    adapter = config.adapter
    for name, device in (config.batteries or {}).items():
        if adapter.kind == "modbus":
            from munigrid.scenarios.operations.link.modbus import ModbusLink

            links[name] = ModbusLink(adapter.model_copy(update={
                "host": device.host or adapter.host, "port": device.port or adapter.port, "unit_id": device.unit_id,
                "sign": device.sign, "registers": device.registers}))
        else:
            from munigrid.scenarios.operations.link.config import MqttTopics
            from munigrid.scenarios.operations.link.mqtt import MqttLink

            topics = MqttTopics.model_construct(measurements=device.topics.measurements,
                                                setpoint=device.topics.setpoint, plan=None, alarm=None)
            links[name] = MqttLink(adapter.model_copy(update={"client_id": f"{adapter.client_id}-{name}",
                                                              "topics": topics}),
                                   config.site, config.safety.max_age_s)
    return links
