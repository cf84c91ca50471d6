"""A simulated battery site for the EMS link tests (imported by name; not a conftest).

:class:`SimSite` integrates the battery's stored energy from the set point it was last given,
over simulated time (a :class:`~munigrid.scenarios.operations.link.clock.SteppedClock`
listener), with the battery's power, efficiencies and SoC window, and exposes meter readings
from a load and PV series: ``import = load - pv + battery``. Faults are injected by setting
attributes (``soc_override_pct``, ``frozen_time``).
"""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd

from munigrid.models.dispatch import Battery
from munigrid.scenarios.operations.link.safety import soc_bounds_kw


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SimSite:
    """Battery + meter in simulated time.

    Parameters
    ----------
    battery : Battery
        Energy, power, efficiencies and SoC window.
    soc_kwh : float
        Stored energy at ``start`` [kWh].
    load_kw, pv_kw : Series
        Load and PV per step [kW] (interval beginning).
    start : Timestamp
        Simulated time of the first step.
    """

    def __init__(self, battery: Battery, soc_kwh: float, load_kw: pd.Series, pv_kw: pd.Series, start: pd.Timestamp):
        self.battery, self.soc_kwh, self.load_kw, self.pv_kw = battery, soc_kwh, load_kw, pv_kw
        self.step = pd.Timedelta(load_kw.index.freq or (load_kw.index[1] - load_kw.index[0]))
        self.time = start
        self.setpoint_kw = 0.0
        self.writes: list[tuple[pd.Timestamp, float]] = []
        self.rows: list[dict] = []
        self.soc_override_pct: float | None = None
        self.frozen_time: pd.Timestamp | None = None

    def _power_kw(self) -> float:
        """The power the battery follows now: the set point within power and the SoC window over a step."""
        low, high = soc_bounds_kw(self.battery, self.soc_kwh, self.step / pd.Timedelta(hours=1))
        power = self.battery.installed_power_kw
        return float(np.clip(self.setpoint_kw, max(low, -power), min(high, power)))

    def write(self, setpoint_kw: float) -> None:
        """The device receives a set point [kW, + charge]."""
        self.setpoint_kw = setpoint_kw
        self.writes.append((self.time, setpoint_kw))

    def advance(self, now: pd.Timestamp) -> None:
        """Integrate whole steps up to ``now`` (clock listener)."""
        b = self.battery
        while self.time + self.step <= now:
            power = self._power_kw()
            dt = self.step / pd.Timedelta(hours=1)
            self.rows.append({"time": self.time, "battery_kw": power, "soc_kwh": self.soc_kwh,
                              "import_kw": self.net_kw(self.time) + power, "setpoint_kw": self.setpoint_kw})
            self.soc_kwh += (b.charge_eff_frac * max(power, 0.0) - max(-power, 0.0) / b.discharge_eff_frac) * dt
            self.time += self.step

    def net_kw(self, time: pd.Timestamp) -> float:
        """Load minus PV of the step containing ``time`` [kW]."""
        at = time.floor(self.step)
        return float(self.load_kw[at] - self.pv_kw[at])

    def readings(self) -> dict:
        """What the meter and the battery report now."""
        power = self._power_kw()
        at = self.time.floor(self.step)
        soc_pct = 100.0 * self.soc_kwh / self.battery.energy_kwh
        return {"time": self.frozen_time or self.time, "soc_pct": self.soc_override_pct or soc_pct,
                "import_kw": self.net_kw(at) + power, "pv_kw": float(self.pv_kw[at]), "battery_kw": power}

    def trace(self) -> pd.DataFrame:
        """One row a simulated step: battery power, stored energy at its start, import, set point."""
        return pd.DataFrame(self.rows).set_index("time")
