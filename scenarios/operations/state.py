"""The battery's state of charge and the month's demand registered so far, at the start of a day.

A day is planned from two readings: the stored energy at the start of the day and, per demand
charge family and window, the highest demand already registered this billing month. Each comes
from the best source available, in this order, and the source is written into the schedule
file's header:

* a reading given by the user (``--soc-frac``, ``--peak-kw``);
* the review of the previous day (what really happened, see :mod:`.review`);
* the previous day's schedule (what was expected to happen);
* a fallback: the scenario's initial state of charge, and no demand registered this month
  (the planner then defends every kW as if it were new, which costs little and never lets a
  peak through on purpose).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.models.dispatch import Battery
from munigrid.models.errors import InputError, Problem


@dataclass
class DayState:
    """State at the start of a day.

    Attributes
    ----------
    soc_kwh : float
        Stored energy [kWh], inside the battery's limits.
    peak_kw : dict of str to list of float
        Demand registered this billing month before the day, per demand-charge family and
        window [kW] (an empty dict: nothing registered; key ``"*"``: every family).
    month : str
        The billing month the peaks belong to (``YYYY-MM``).
    sources : dict of str to str
        Where ``soc`` and ``peak`` came from.
    notes : list of str
        Clipping and fallbacks applied.
    """

    soc_kwh: float
    peak_kw: dict[str, list[float]]
    month: str
    sources: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def registered_kw(self, family: str, n_windows: int, n_months: int) -> np.ndarray:
        """Registered demand of one family as the tariff takes it: shape (months, windows) [kW]."""
        out = np.zeros((n_months, n_windows))
        values = self.peak_kw.get(family, self.peak_kw.get("*"))
        if values is not None:
            out[0, :] = np.broadcast_to(np.asarray(values, dtype=float), (n_windows,))
        return out

    def to_json(self) -> dict:
        """The state as a JSON-ready mapping."""
        return {"soc_kwh": self.soc_kwh, "peak_kw": self.peak_kw, "month": self.month, "sources": self.sources}


def month_of(day: pd.Timestamp) -> str:
    """Billing month label ``YYYY-MM`` of a day."""
    return f"{day.year:04d}-{day.month:02d}"


def soc_from_reading(soc_frac: float, battery: Battery) -> tuple[float, list[str]]:
    """Stored energy [kWh] from a state-of-charge reading [-], clipped into the battery's limits.

    Raises
    ------
    InputError
        A reading outside [0, 1] (not a state of charge at all).
    """
    if not (np.isfinite(soc_frac) and 0.0 <= soc_frac <= 1.0):
        raise InputError(f"a state of charge is a share of the capacity in [0, 1], got {soc_frac!r}", "--soc-frac")
    low, high = battery.soc_min_frac, battery.soc_max_frac
    clipped = min(max(soc_frac, low), high)
    notes = []
    if clipped != soc_frac:
        notes.append(f"SoC reading {soc_frac:.3f} is outside the operating range [{low:g}, {high:g}]: "
                     f"planned from {clipped:g}")
    return clipped * battery.energy_kwh, notes


def _previous_record(folder: Path | None, building: str, day: pd.Timestamp) -> tuple[str, dict] | None:
    """The previous day's review, else its schedule's header, from ``folder`` (kind, mapping with ``end_state``)."""
    if folder is None:
        return None
    previous = (day - pd.Timedelta(days=1)).date().isoformat()
    for kind in ("review", "schedule"):
        path = Path(folder) / f"{kind}_{building}_{previous}.json"
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            return kind, data["header"] if kind == "schedule" else data
    return None


def resolve_state(day: pd.Timestamp, battery: Battery, building: str, folder: Path | None = None,
                  soc_frac: float | None = None, peak_kw: float | None = None) -> DayState:
    """State at the start of ``day`` from readings, the previous day's files or fallbacks.

    Parameters
    ----------
    day : Timestamp
        Local midnight starting the planned day.
    battery : Battery
        The battery (capacity and limits).
    building : str
        Building name used in file names.
    folder : Path, optional
        Where the previous day's schedule and review files are.
    soc_frac : float, optional
        State-of-charge reading [-].
    peak_kw : float, optional
        Demand registered this month so far [kW], applied to every demand family and window.
    """
    month = month_of(day)
    record = _previous_record(folder, building, day)
    sources: dict[str, str] = {}
    notes: list[str] = []
    if soc_frac is not None:
        soc_kwh, clip_notes = soc_from_reading(float(soc_frac), battery)
        notes += clip_notes
        sources["soc"] = "reading (--soc-frac)"
    elif record is not None:
        kind, data = record
        soc_kwh = float(data["end_state"]["soc_kwh"])
        sources["soc"] = f"end of the previous day's {kind}"
    else:
        soc_kwh = battery.soc_initial_frac * battery.energy_kwh
        sources["soc"] = "fallback: the scenario's soc_initial_frac"
        notes.append(f"no SoC reading and no previous day's files: planned from the scenario's initial SoC "
                     f"{battery.soc_initial_frac:g}; give --soc-frac")
    if peak_kw is not None:
        if not (np.isfinite(peak_kw) and peak_kw >= 0):
            raise InputError(Problem("--peak-kw", f"must be a demand >= 0 kW, got {peak_kw!r}"))
        peaks = {"*": [float(peak_kw)]}
        sources["peak"] = "reading (--peak-kw)"
    elif day.day == 1:
        peaks = {}
        sources["peak"] = "first day of the billing month: nothing registered yet"
    elif record is not None and record[1]["end_state"]["month"] == month:
        kind, data = record
        peaks = {k: [float(v) for v in vals] for k, vals in data["end_state"]["peak_kw"].items()}
        sources["peak"] = f"end of the previous day's {kind}"
    else:
        peaks = {}
        sources["peak"] = "fallback: none registered"
        notes.append("month's demand so far unknown: planned as if none were registered (every kW defended as new); "
                     "give --peak-kw")
    return DayState(soc_kwh=float(soc_kwh), peak_kw=peaks, month=month, sources=sources, notes=notes)
