"""The controller's clock, injectable so that a whole day can run in accelerated time.

* :class:`SystemClock` -- wall time in Asia/Bangkok; waiting sleeps (in short slices, so that
  a stop request ends the wait).
* :class:`SteppedClock` -- simulated time that jumps to the next step at once; callables
  registered with :meth:`SteppedClock.on_advance` run after each jump (a simulated battery
  integrates its state of charge there). Used by the tests and by ``munigrid ems --start``.
"""

from __future__ import annotations

import threading
from typing import Callable, Protocol

import pandas as pd

from munigrid.models.timegrid import TZ

#: Longest single sleep of the system clock [s] (bounds the reaction to a stop request).
SLICE_S = 0.5


class Clock(Protocol):
    """What the controller needs of a clock."""

    def now(self) -> pd.Timestamp:
        """The current time (Asia/Bangkok)."""

    def sleep_until(self, when: pd.Timestamp, stop: threading.Event | None = None) -> None:
        """Return at ``when`` (or earlier when ``stop`` is set)."""


class SystemClock:
    """Wall time."""

    def now(self) -> pd.Timestamp:  # noqa: D102
        return pd.Timestamp.now(tz=TZ)

    def sleep_until(self, when: pd.Timestamp, stop: threading.Event | None = None) -> None:  # noqa: D102
        stop = stop or threading.Event()
        while not stop.is_set():
            left_s = (when - self.now()).total_seconds()
            if left_s <= 0:
                return
            stop.wait(min(left_s, SLICE_S))


class SteppedClock:
    """Simulated time, advanced by :meth:`sleep_until` without waiting.

    Parameters
    ----------
    start : Timestamp or str
        The first instant (naive: Asia/Bangkok).
    """

    def __init__(self, start: pd.Timestamp | str):
        start = pd.Timestamp(start)
        self._now = start.tz_localize(TZ) if start.tzinfo is None else start.tz_convert(TZ)
        self._listeners: list[Callable[[pd.Timestamp], None]] = []
        self._lock = threading.Lock()

    def now(self) -> pd.Timestamp:  # noqa: D102
        with self._lock:
            return self._now

    def on_advance(self, listener: Callable[[pd.Timestamp], None]) -> None:
        """Call ``listener(new_time)`` after every advance."""
        self._listeners.append(listener)

    def advance_to(self, when: pd.Timestamp) -> None:
        """Set the time to ``when`` (never backwards) and notify the listeners."""
        with self._lock:
            self._now = max(self._now, when)
            now = self._now
        for listener in self._listeners:
            listener(now)

    def sleep_until(self, when: pd.Timestamp, stop: threading.Event | None = None) -> None:  # noqa: D102
        if stop is None or not stop.is_set():
            self.advance_to(when)
