"""What the controller reads from the site each step, and whether it can be trusted.

A :class:`Measurement` carries the battery's state of charge [%], the site's import at the
grid meter [kW, + import, - export], the PV output [kW] and, when the device reports it, the
battery's AC power [kW, + charge]; optionally the import of single buildings [kW]. ``time``
is when the device measured it (its own timestamp), else when it was read.

:func:`faults` lists why a measurement cannot be used (the controller then enters safe mode,
:mod:`.safety`): a missing value, a non-finite one, a state of charge outside [0, 100] %,
an import or PV outside its configured plausible range, or a timestamp older than
``max_age_s`` (or that far in the future).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from munigrid.models.timegrid import TZ
from munigrid.scenarios.operations.link.config import Safety

#: Values a usable measurement must have.
REQUIRED = ("soc_pct", "import_kw", "pv_kw")
#: Values the meter's reading must have when each battery has its own device.
METER = ("import_kw", "pv_kw")
#: Values a battery's own device must report.
BATTERY = ("soc_pct",)


@dataclass(frozen=True)
class Measurement:
    """One reading of the site.

    Attributes
    ----------
    time : Timestamp
        When it was measured (time-zone aware).
    soc_pct : float or None
        Battery state of charge [%].
    import_kw : float or None
        Site import at the grid meter [kW], negative when exporting.
    pv_kw : float or None
        PV AC output [kW].
    battery_kw : float or None
        Battery AC power [kW], + charge, - discharge (None: not measured).
    buildings : dict of str to float
        Import of single buildings [kW] (logged, not used to decide).
    """

    time: pd.Timestamp
    soc_pct: float | None
    import_kw: float | None
    pv_kw: float | None
    battery_kw: float | None = None
    buildings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        """JSON-ready mapping (``time`` ISO 8601; a non-finite reading as its text, e.g. ``"nan"``)."""
        plain = lambda v: str(v) if isinstance(v, float) and not math.isfinite(v) else v  # noqa: E731
        return {"time": self.time.isoformat(), "soc_pct": plain(self.soc_pct), "import_kw": plain(self.import_kw),
                "pv_kw": plain(self.pv_kw), "battery_kw": plain(self.battery_kw),
                "buildings": {k: plain(v) for k, v in self.buildings.items()}}

    @classmethod
    def from_json(cls, data: dict) -> Measurement:
        """Inverse of :meth:`to_json`."""
        return cls(stamp(data["time"]), data.get("soc_pct"), data.get("import_kw"), data.get("pv_kw"),
                   data.get("battery_kw"), dict(data.get("buildings") or {}))

    def net_load_kw(self, battery_kw: float) -> float:
        """Load minus PV behind the meter [kW]: the import without the battery's ``battery_kw`` (+ charge)."""
        return float(self.import_kw) - battery_kw


def stamp(value: str | pd.Timestamp) -> pd.Timestamp:
    """A time-zone-aware timestamp (naive times are taken as Asia/Bangkok)."""
    time = pd.Timestamp(value)
    return time.tz_localize(TZ) if time.tzinfo is None else time.tz_convert(TZ)


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def faults(measurement: Measurement, now: pd.Timestamp, safety: Safety,
           required: tuple[str, ...] = REQUIRED) -> list[str]:
    """Why ``measurement`` cannot be used at ``now`` (empty: it can); see the module docstring.

    ``required``: the values it must have (a meter with several batteries: :data:`METER`; one
    of those batteries' devices: :data:`BATTERY`).
    """
    problems = []
    values = {"soc_pct": measurement.soc_pct, "import_kw": measurement.import_kw, "pv_kw": measurement.pv_kw,
              "battery_kw": measurement.battery_kw}
    for name, value in values.items():
        if value is None:
            if name in required:
                problems.append(f"{name} missing")
        elif not _finite(value):
            problems.append(f"{name} is not a finite number ({value!r})")
    age_s = (now - measurement.time).total_seconds()
    if age_s > safety.max_age_s:
        problems.append(f"stale: measured {age_s:.0f} s ago (max_age_s {safety.max_age_s:g})")
    elif age_s < -safety.max_age_s:
        problems.append(f"timestamp {-age_s:.0f} s in the future (device clock?)")
    ranges = {"soc_pct": (0.0, 100.0), "import_kw": tuple(safety.import_range_kw), "pv_kw": tuple(safety.pv_range_kw)}
    for name, (low, high) in ranges.items():
        value = values[name]
        if _finite(value) and not low <= value <= high:
            problems.append(f"{name} {value:g} outside the plausible range [{low:g}, {high:g}]")
    return problems
