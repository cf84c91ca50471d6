"""A meter with several simulated batteries, each its own device (test support, imported by name).

:class:`MeterSim` reports the site's import with every battery's power: ``import = load - pv +
sum(battery)``; each battery is a :class:`~sim_site.SimSite` whose own readings (SoC, power,
time) its device serves.
"""

from __future__ import annotations

import pandas as pd

from sim_site import SimSite


class MeterSim:
    """The grid meter of a site whose batteries are ``sims`` (by name), over their load and PV."""

    def __init__(self, sims: dict[str, SimSite]):
        self.sims = sims
        self.first = next(iter(sims.values()))

    def readings(self) -> dict:
        """Import and PV at the meter now (the batteries' time)."""
        at = self.first.time.floor(self.first.step)
        battery_kw = sum(s._power_kw() for s in self.sims.values())
        return {"time": self.first.time, "import_kw": self.first.net_kw(at) + battery_kw,
                "pv_kw": float(self.first.pv_kw[at])}

    def write(self, setpoint_kw: float) -> None:
        """The meter takes no set point."""
        raise AssertionError("a set point was written to the meter")


def bank_sims(site, series, start: pd.Timestamp, soc_frac: float) -> dict[str, SimSite]:
    """One simulated battery per battery of ``site``, each at ``soc_frac``, over ``series`` (load, PV)."""
    load, pv = series
    return {name: SimSite(b, soc_frac * b.energy_kwh, load, pv, start) for name, b in site.batteries.items()}
