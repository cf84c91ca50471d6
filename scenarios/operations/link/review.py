"""A logged day as ``munigrid review`` reads it: what really happened at the site.

``munigrid review SCENARIO --day DAY --ems-log FILE`` replays the day's schedule (written by
the controller beside its log) against the *logged* measurements instead of the scenario's
metered load, and reports what the controller did. The load of a step is what its
measurement implies, :math:`L = \\text{import} - \\text{battery} + PV` (the battery's
measured power, else the last set point written before the reading, 0 in a dry run); steps
without a usable measurement are interpolated from their neighbours and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError


def logged_actuals(records: list[dict], index: pd.DatetimeIndex) -> tuple[pd.DataFrame, int]:
    """Load and PV of the day's steps from the log's usable measurements [kW], and how many steps were filled.

    Raises
    ------
    InputError
        Fewer than half of the day's steps have a usable measurement.
    """
    rows, written = {}, 0.0
    for record in (r for r in records if r["kind"] == "step"):
        m = record["measurement"]
        if not record["faults"] and m is not None:
            battery_kw = m["battery_kw"] if m["battery_kw"] is not None else written
            rows[pd.Timestamp(record["step"])] = (m["import_kw"] - battery_kw + m["pv_kw"], m["pv_kw"])
        if record["written"]:
            written = record["setpoint_kw"]
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["load_kw", "pv_kw"]).reindex(index)
    missing = int(frame["load_kw"].isna().sum())
    if missing > len(index) / 2:
        raise InputError(f"has usable measurements for only {len(index) - missing} of the day's {len(index)} steps; "
                         "the day cannot be reviewed from it", "--ems-log")
    return frame.interpolate(limit_direction="both"), missing


def logged_summary(records: list[dict]) -> dict:
    """What the controller did: steps, safe-mode steps, alarms, writes, the measured import peak [kW]."""
    steps = [r for r in records if r["kind"] == "step"]
    imports = [r["measurement"]["import_kw"] for r in steps if not r["faults"] and r["measurement"] is not None]
    return {"steps": len(steps), "safe_mode_steps": sum(r["mode"] == "safe" for r in steps),
            "alarms": [{"time": r["time"], "faults": r["faults"]} for r in records if r["kind"] == "alarm"],
            "setpoints_written": sum(bool(r["written"]) for r in steps),
            "dry_run": any(r["dry_run"] for r in steps),
            "measured_import_peak_kw": float(np.max(imports)) if imports else None,
            "link_events": sum(r["kind"] == "link" for r in records)}
