"""The day-ahead plan the controller starts each day from, and its form in the log.

At the first step of a day the controller makes the day's schedule with
:func:`munigrid.scenarios.operations.daily.make_schedule` (forecast from the history before
15:00 the day before, 48 h optimised, 24 h committed; the schedule files are written beside
the log, where ``munigrid review`` finds them) from the measured state of charge and the
month's registered demand carried from the previous day. The log keeps the plan and the
forecast it was made with (:meth:`DayAhead.to_json`), so that the day can be replayed without
refitting a forecaster.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError
from munigrid.scenarios.operations.daily import make_schedule
from munigrid.scenarios.operations.forecast import COLUMNS, HorizonForecast
from munigrid.scenarios.operations.link.measurement import stamp
from munigrid.scenarios.operations.site import OperationsSite
from munigrid.scenarios.operations.state import DayState


@dataclass
class DayAhead:
    """A day's committed plan and forecast.

    Attributes
    ----------
    day : Timestamp
        Local midnight.
    state : DayState
        SoC [kWh] and registered demand [kW] at the start of the day, as the controller carries them.
    forecast : HorizonForecast
        Load and PV quantiles of the whole look-ahead [kW].
    n_committed : int
        Steps of the day.
    setpoint_kw, import_kw : ndarray
        The committed day's set points (+ charge) and expected import [kW].
    """

    day: pd.Timestamp
    state: DayState
    forecast: HorizonForecast
    n_committed: int
    setpoint_kw: np.ndarray
    import_kw: np.ndarray

    def to_json(self) -> dict:
        """JSON-ready mapping (the log's ``dayahead`` record)."""
        index = self.forecast.load_kw.index
        return {"day": self.day.date().isoformat(), "state": self.state.to_json(), "n_committed": self.n_committed,
                "setpoint_kw": self.setpoint_kw.tolist(), "import_kw": self.import_kw.tolist(),
                "forecast": {"time": [t.isoformat() for t in index], "load_model": self.forecast.load_model,
                             "pv_method": self.forecast.pv_method,
                             "load_kw": {c: self.forecast.load_kw[c].tolist() for c in COLUMNS},
                             "pv_kw": {c: self.forecast.pv_kw[c].tolist() for c in COLUMNS}}}

    @classmethod
    def from_json(cls, data: dict) -> DayAhead:
        """Inverse of :meth:`to_json`."""
        f = data["forecast"]
        index = pd.DatetimeIndex([stamp(t) for t in f["time"]])
        forecast = HorizonForecast(pd.DataFrame(f["load_kw"], index=index), pd.DataFrame(f["pv_kw"], index=index),
                                   f["load_model"], f["pv_method"])
        s = data["state"]
        state = DayState(float(s["soc_kwh"]), {k: list(v) for k, v in s["peak_kw"].items()}, s["month"],
                         battery_soc_kwh=dict(s.get("battery_soc_kwh", {})))
        return cls(stamp(data["day"]), state, forecast, int(data["n_committed"]),
                   np.asarray(data["setpoint_kw"], dtype=float), np.asarray(data["import_kw"], dtype=float))


def make_dayahead(site: OperationsSite, day: pd.Timestamp, soc_kwh: float | dict[str, float] | None,
                  peak_kw: dict[str, list[float]] | None, load_model: str, folder: Path | None,
                  weather_forecast: Callable[[], pd.DataFrame] | None = None) -> DayAhead:
    """Plan ``day`` from the measured ``soc_kwh`` and the carried ``peak_kw`` (module docstring).

    ``soc_kwh`` (each battery's by name when there are several) None: the schedule's own sources (previous files, else the scenario's initial
    SoC); ``peak_kw`` None: unknown (previous files, else none), ``{}``: nothing registered.
    The day-ahead optimisation takes one registered demand for every family, the highest
    carried; the controller's re-plans carry each family's own. ``weather_forecast`` reads
    the current weather forecast (ems.yaml ``planning.weather_forecast``); when it cannot be
    read or does not cover the day, the day is planned on the scenario's weather and the
    state's notes say why (a live controller keeps running).
    """
    if isinstance(soc_kwh, dict):
        soc_frac = {name: soc_kwh[name] / site.batteries[name].energy_kwh for name in site.batteries}
    else:
        soc_frac = None if soc_kwh is None else soc_kwh / site.battery.energy_kwh
    peak = None if peak_kw is None else max((v for values in peak_kw.values() for v in values), default=0.0)
    weather, notes = None, []
    try:
        weather = None if weather_forecast is None else weather_forecast()
        outcome = make_schedule(site, day, folder=folder, soc_frac=soc_frac, peak_kw=peak, load_model=load_model,
                                weather=weather)
    except InputError as err:
        if weather_forecast is None:
            raise
        notes.append(f"weather forecast not used ({err}): planned on the scenario's weather")
        outcome = make_schedule(site, day, folder=folder, soc_frac=soc_frac, peak_kw=peak, load_model=load_model)
    state = DayState(outcome.state.soc_kwh, outcome.state.peak_kw if peak_kw is None else peak_kw,
                     outcome.state.month, outcome.state.sources, outcome.state.notes + notes,
                     outcome.state.battery_soc_kwh)
    n = outcome.plan.n_committed
    return DayAhead(day, state, outcome.forecast, n, outcome.plan.setpoint_kw[:n], outcome.plan.import_kw[:n])
