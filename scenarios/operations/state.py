"""The batteries' state of charge and the month's demand registered so far, at the start of a day.

A day is planned from two readings: the stored energy at the start of the day (of each battery
when the meter has several) and, per demand charge family and window, the highest demand already
registered this billing month; a meter with flexible loads also carries their states (reservoir
level, zone temperature, the energy in an EV session still plugged in at midnight). Each comes
from the best source available, in this order, and the source is written into the schedule
file's header:

* a reading given by the user (``--soc-frac``, ``--peak-kw``);
* the review of the previous day (what really happened, see :mod:`.review`);
* the previous day's schedule (what was expected to happen);
* a fallback: the scenario's initial state of charge, and no demand registered this month
  (the planner then defends every kW as if it were new, which costs little and never lets a
  peak through on purpose); the flexible loads start from the scenario's initial states, and
  an EV session plugged in at midnight from nothing charged yet.

A ``--soc-frac`` reading applies to every battery of the meter; ``NAME=FRAC,NAME=FRAC`` gives one per battery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
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
    battery_soc_kwh : dict of str to float
        Each battery's stored energy by name [kWh] when the meter has several (``soc_kwh`` is
        their sum); empty for one battery.
    flex : dict
        States of the flexible loads (:class:`~munigrid.scenarios.flex_inputs.FlexStart` fields:
        ``reservoir_frac`` [-], ``zone_temp_c`` [degC], ``ev_kwh`` by fleet [kWh]); empty without any.
    """

    soc_kwh: float
    peak_kw: dict[str, list[float]]
    month: str
    sources: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    battery_soc_kwh: dict[str, float] = field(default_factory=dict)
    flex: dict = field(default_factory=dict)

    def registered_kw(self, family: str, n_windows: int, n_months: int) -> np.ndarray:
        """Registered demand of one family as the tariff takes it: shape (months, windows) [kW]."""
        out = np.zeros((n_months, n_windows))
        values = self.peak_kw.get(family, self.peak_kw.get("*"))
        if values is not None:
            out[0, :] = np.broadcast_to(np.asarray(values, dtype=float), (n_windows,))
        return out

    def to_json(self) -> dict:
        """The state as a JSON-ready mapping."""
        out = {"soc_kwh": self.soc_kwh, "peak_kw": self.peak_kw, "month": self.month, "sources": self.sources}
        if self.battery_soc_kwh:
            out["battery_soc_kwh"] = self.battery_soc_kwh
        if self.flex:
            out["flex"] = self.flex
        return out

    def soc_by_battery(self, names: list[str]) -> dict[str, float]:
        """Stored energy of each named battery [kWh] (one battery: ``soc_kwh``)."""
        if len(names) == 1 and not self.battery_soc_kwh:
            return {names[0]: self.soc_kwh}
        return {name: self.battery_soc_kwh[name] for name in names}


def with_socs(state: DayState, soc_kwh: dict[str, float]) -> DayState:
    """``state`` with each battery's stored energy [kWh] (several: kept by name; one: ``soc_kwh`` alone)."""
    total = float(sum(soc_kwh.values()))
    return replace(state, soc_kwh=total, battery_soc_kwh=dict(soc_kwh) if len(soc_kwh) > 1 else {})


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


def _start_soc(batteries: dict[str, Battery], record: tuple[str, dict] | None,
               soc_frac: float | dict[str, float] | None) -> tuple[dict[str, float], str, list[str]]:
    """Each battery's stored energy at the start [kWh], its source and notes (module docstring)."""
    if not batteries:
        return {}, "no battery behind the meter", []
    notes: list[str] = []
    if soc_frac is not None:
        readings = soc_frac if isinstance(soc_frac, dict) else {name: soc_frac for name in batteries}
        if set(readings) != set(batteries):
            raise InputError(f"give one reading for every battery, or one per battery as NAME=FRAC for "
                             f"{', '.join(batteries)}; got {', '.join(map(str, readings))}", "--soc-frac")
        socs = {}
        for name, battery in batteries.items():
            socs[name], clip_notes = soc_from_reading(float(readings[name]), battery)
            notes += clip_notes[:1] if not notes else []
        return socs, "reading (--soc-frac)", notes
    if record is not None:
        kind, data = record
        end = data["end_state"]
        if len(batteries) == 1:
            return {next(iter(batteries)): float(end["soc_kwh"])}, f"end of the previous day's {kind}", notes
        by_name = end.get("battery_soc_kwh", {})
        if set(batteries) <= set(by_name):
            return {n: float(by_name[n]) for n in batteries}, f"end of the previous day's {kind}", notes
        notes.append(f"the previous day's {kind} has no SoC of each battery ({', '.join(batteries)})")
    notes.append("no SoC reading and no previous day's files: planned from the scenario's initial SoC "
                 f"{', '.join(f'{b.soc_initial_frac:g}' for b in batteries.values())}; give --soc-frac")
    return ({n: b.soc_initial_frac * b.energy_kwh for n, b in batteries.items()},
            "fallback: the scenario's soc_initial_frac", notes)


def resolve_state(day: pd.Timestamp, batteries: dict[str, Battery], building: str, folder: Path | None = None,
                  soc_frac: float | dict[str, float] | None = None, peak_kw: float | None = None, flexible: bool = False) -> DayState:
    """State at the start of ``day`` from readings, the previous day's files or fallbacks.

    Parameters
    ----------
    day : Timestamp
        Local midnight starting the planned day.
    batteries : dict of str to Battery
        The meter's batteries by name (capacity and limits).
    building : str
        Meter name used in file names.
    folder : Path, optional
        Where the previous day's schedule and review files are.
    soc_frac : float or dict, optional
        State-of-charge reading [-], applied to every battery, or one per battery by name.
    peak_kw : float, optional
        Demand registered this month so far [kW], applied to every demand family and window.
    flexible : bool
        The meter has flexible loads: carry their states from the previous day's files.
    """
    month = month_of(day)
    record = _previous_record(folder, building, day)
    sources: dict[str, str] = {}
    socs, sources["soc"], notes = _start_soc(batteries, record, soc_frac)
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
    flex = {}
    if flexible and record is not None and record[1]["end_state"].get("flex"):
        flex = record[1]["end_state"]["flex"]
        sources["flex"] = f"end of the previous day's {record[0]}"
    elif flexible:
        sources["flex"] = "fallback: the scenario's initial states"
        notes.append("flexible loads planned from the scenario's initial states (reservoir level, zone temperature; an "
                     "EV session plugged in at midnight with nothing charged): no previous day's files")
    return with_socs(DayState(soc_kwh=0.0, peak_kw=peaks, month=month, sources=sources, notes=notes, flex=flex), socs)
