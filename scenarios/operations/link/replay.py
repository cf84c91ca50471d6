"""Replay a log: the controller's own code run again on the logged measurements.

The replay builds a controller from the log's ``start`` record, takes each day's plan from its
``dayahead`` record (no forecaster is refitted), feeds every ``step`` record's measurement (or
its link error) at the logged time, fails the writes that failed (and writes nothing), and
returns the logged and replayed set points side by side. Equal set points show that the log
holds everything a decision was made from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError
from munigrid.scenarios.operations.link.adapter import Link, LinkError, NoMeasurement
from munigrid.scenarios.operations.link.bank import BankController
from munigrid.scenarios.operations.link.clock import SteppedClock
from munigrid.scenarios.operations.link.config import EmsConfig
from munigrid.scenarios.operations.link.controller import Controller
from munigrid.scenarios.operations.link.dayahead import DayAhead
from munigrid.scenarios.operations.link.log import MemoryLog
from munigrid.scenarios.operations.link.measurement import Measurement
from munigrid.scenarios.operations.site import OperationsSite


class LoggedLink(Link):
    """A link that answers with the logged measurement (or failure) of each step (of battery ``battery``'s
    device when given: a meter with several batteries)."""

    kind = "log"

    def __init__(self, steps: list[dict], battery: str | None = None):
        self._steps = {pd.Timestamp(r["read_at"]): r if battery is None else r["batteries"][battery] for r in steps}

    def connect(self) -> None:  # noqa: D102
        pass

    def read(self, now: pd.Timestamp) -> Measurement:  # noqa: D102
        record = self._steps[now]
        if record["link_error"] is not None:
            raise NoMeasurement(record["link_error"])
        return Measurement.from_json(record["measurement"])

    def write_setpoint(self, setpoint_kw, now, valid_until, mode) -> None:
        """Nothing is written; fails where the logged write failed."""
        error = self._steps[now]["write_error"]
        if error is not None:
            raise LinkError(error)

    def close(self) -> None:  # noqa: D102
        pass


@dataclass
class Replayed:
    """Logged and replayed set points per step [kW] and their largest difference [kW]."""

    table: pd.DataFrame
    max_diff_kw: float


def replay(site: OperationsSite, records: list[dict]) -> Replayed:
    """Run the controller again on ``records`` (module docstring).

    Raises
    ------
    InputError
        The records have no ``start`` record or no step.
    """
    start = next((r for r in records if r["kind"] == "start"), None)
    steps = [r for r in records if r["kind"] == "step"]
    if start is None or not steps:
        raise InputError("an EMS log to replay needs its start record and at least one step", "log")
    config = EmsConfig.model_validate(start["config"], strict=False)
    plans = {r["day"]: DayAhead.from_json(r) for r in records if r["kind"] == "dayahead"}
    clock = SteppedClock(steps[0]["read_at"])
    options = dict(dry_run=bool(start["dry_run"]), dayahead=lambda day, soc, peaks: plans[day.date().isoformat()])
    if config.batteries is not None:
        devices = {name: LoggedLink(steps, name) for name in config.batteries}
        controller = BankController(site, config, LoggedLink(steps), devices, clock, MemoryLog(), **options)
    else:
        controller = Controller(site, config, LoggedLink(steps), clock, MemoryLog(), **options)
    rows = []
    for record in steps:
        clock.advance_to(pd.Timestamp(record["read_at"]))
        again = controller.run_step()
        rows.append({"step": record["step"], "logged_kw": record["setpoint_kw"], "replayed_kw": again["setpoint_kw"],
                     "mode": record["mode"]})
    table = pd.DataFrame(rows).set_index("step")
    return Replayed(table, float(np.max(np.abs(table["logged_kw"] - table["replayed_kw"]))))
