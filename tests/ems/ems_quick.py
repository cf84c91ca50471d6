"""Builders shared by the EMS link tests (imported by name; not a conftest)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from munigrid.scenarios.operations.link.clock import SteppedClock
from munigrid.scenarios.operations.link.config import parse_config
from munigrid.scenarios.operations.link.controller import Controller
from munigrid.scenarios.operations.link.dayahead import make_dayahead
from munigrid.scenarios.operations.link.log import EmsLog
from sim_site import SimSite

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"
#: The simulated day (a Tuesday in March: office hours, on-peak demand charges).
DAY = pd.Timestamp("2026-03-10", tz="Asia/Bangkok")
#: Load model of the tests' day-ahead plans (the default ensemble takes seconds to fit).
QUICK_LOAD_MODEL = "calendar_regression"
#: Start SoC of the simulated battery [-].
START_SOC_FRAC = 0.5
#: The site's import guard in the tests [kW].
GUARD_KW = 60.0

REGISTERS = {
    "soc_pct": {"address": 0, "type": "uint16", "scale": 0.1},
    "import_kw": {"address": 2, "type": "int32", "scale": 0.01, "word_order": "little"},
    "pv_kw": {"address": 4, "type": "float32", "byte_order": "little"},
    "battery_kw": {"address": 6, "type": "int16", "scale": 0.1},
    "timestamp_s": {"address": 8, "type": "int32"},
    "setpoint_kw": {"address": 100, "type": "int32", "scale": 0.1, "access": "write"},
}


def config(adapter: dict, **safety):
    """An EmsConfig for the 15-min test site with ``adapter`` (re-plans every step)."""
    return parse_config({"site": "office", "step_min": 15, "adapter": adapter,
                         "safety": {"max_age_s": 120, "hold_max_min": 30, "import_limit_kw": GUARD_KW,
                                    "reconnect_min_s": 1, "reconnect_max_s": 60, **safety},
                         "planning": {"load_model": QUICK_LOAD_MODEL}})


_PLANS: dict = {}


def _dayahead(site, day, soc_kwh):
    """The day-ahead plan, made once per site, day and start SoC in a test session."""
    key = (id(site), day, None if soc_kwh is None else round(soc_kwh, 6))
    if key not in _PLANS:
        _PLANS[key] = make_dayahead(site, day, soc_kwh, {}, QUICK_LOAD_MODEL, None)
    return _PLANS[key]


def controller(site, cfg, link, start: pd.Timestamp, log_dir, dry_run=False, schedule_folder=None):
    """A controller on a stepped clock from ``start``, logging to ``log_dir``.

    With ``schedule_folder`` the day-ahead plans are made as ``munigrid ems`` makes them (schedule
    files written there), else cached for the session.
    """
    clock = SteppedClock(start)
    cached = None if schedule_folder is not None else (lambda day, soc, peaks: _dayahead(site, day, soc))
    ctl = Controller(site, cfg, link, clock, EmsLog(log_dir, cfg.site), dry_run=dry_run, dayahead=cached,
                     schedule_folder=schedule_folder)
    return ctl, clock


def sim_site(site, series, start):
    """The simulated battery site at ``START_SOC_FRAC`` over ``series`` (load, PV)."""
    load, pv = series
    return SimSite(site.battery, START_SOC_FRAC * site.battery.energy_kwh, load, pv, start)
