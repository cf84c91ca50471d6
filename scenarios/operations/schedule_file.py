"""Schedule files a building EMS can read: CSV with a commented header, and JSON.

One row per interval of the committed day; time stamps are ISO 8601 with the +07:00 offset and
label the *beginning* of the interval. Columns (all [kW] unless named otherwise):

=========================  ==============================================================
``time``                   start of the interval
``battery_setpoint_kw``    battery power at its AC terminals: + charge, - discharge
``expected_import_kw``     grid import if the forecast comes true
``expected_soc_kwh``       stored energy at the *end* of the interval [kWh]
``expected_soc_frac``      the same as a share of the capacity [-]
``demand_limit_kw``        demand to hold this month (empty: no demand charge at this time)
``load_forecast_kw``       the load the plan used (P50, or P90 with ``--robust``)
``pv_forecast_kw``         the PV the plan used (P50)
``load_p10_kw`` ...        load and PV quantiles P10, P50, P90
=========================  ==============================================================

A meter with several batteries, buildings behind a shared connection or flexible loads gets
more columns after these, one set per battery, building and flexible load (:mod:`.columns`);
the header then names the ``batteries`` (instead of ``battery``) and the ``members``.

The header (CSV lines starting with ``#``, JSON ``header``) names the scenario, building, day,
issue time, the start and expected end state (SoC, the month's registered demand) with their
sources, the forecast methods, every fallback taken and the solver outcome.

The JSON file also carries ``lookahead``: the load and PV quantiles of the optimised steps after
the committed day (:data:`FORECAST_COLUMNS`), so that the EMS can re-plan the day on the same
forecast the schedule was made with (:mod:`.intraday`), and with flexible loads their planned
``flex_kw`` there too.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError
from munigrid.models.timegrid import TZ

FORMAT = "munigrid-schedule/1"
ROW_COLUMNS = ("battery_setpoint_kw", "expected_import_kw", "expected_soc_kwh", "expected_soc_frac",
               "demand_limit_kw", "load_forecast_kw", "pv_forecast_kw", "load_p10_kw", "load_p50_kw", "load_p90_kw",
               "pv_p10_kw", "pv_p50_kw", "pv_p90_kw")
FORECAST_COLUMNS = ("load_p10_kw", "load_p50_kw", "load_p90_kw", "pv_p10_kw", "pv_p50_kw", "pv_p90_kw")


def schedule_paths(folder: Path, building: str, day: pd.Timestamp) -> dict[str, Path]:
    """Where the schedule of ``day`` is written: ``csv`` and ``json``."""
    from munigrid.solver_runs.containment import child_path

    stem = f"schedule_{building}_{day.date().isoformat()}"
    return {kind: child_path(Path(folder), f"{stem}.{kind}", "buildings[].name") for kind in ("csv", "json")}


def iso_times(index: pd.DatetimeIndex) -> list[str]:
    """ISO 8601 stamps with the +07:00 offset."""
    return [t.isoformat() for t in index.tz_convert(TZ)]


def _json_value(value):
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else round(float(value), 4)
    return value


def _records(table: pd.DataFrame) -> list[dict]:
    return [{k: _json_value(v) for k, v in rec.items()} for rec in table.to_dict(orient="records")]


def write_schedule(rows: pd.DataFrame, header: dict, folder: Path, building: str, day: pd.Timestamp,
                   lookahead: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write ``rows`` (index: interval starts; :data:`ROW_COLUMNS`, then any others) and ``header`` as CSV
    and JSON; ``lookahead`` (:data:`FORECAST_COLUMNS`, and ``flex_kw`` with flexible loads, after the day)
    goes into the JSON file only."""
    paths = schedule_paths(folder, building, day)
    Path(folder).mkdir(parents=True, exist_ok=True)
    table = rows[[*ROW_COLUMNS, *(c for c in rows.columns if c not in ROW_COLUMNS)]].copy()
    table.insert(0, "time", iso_times(rows.index))
    lines = [f"# {FORMAT}"]
    for key, value in header.items():
        if isinstance(value, list):
            lines += [f"# {key}: {item}" for item in value]
        elif isinstance(value, dict):
            lines.append(f"# {key}: {json.dumps(value, ensure_ascii=False)}")
        else:
            lines.append(f"# {key}: {value}")
    text = "\n".join(lines) + "\n" + table.to_csv(index=False, float_format="%.3f", lineterminator="\n")
    paths["csv"].write_text(text, encoding="utf-8")
    ahead = pd.DataFrame(columns=["time", *FORECAST_COLUMNS]) if lookahead is None else \
        lookahead.assign(time=iso_times(lookahead.index))[["time", *lookahead.columns]]
    paths["json"].write_text(json.dumps({"format": FORMAT, "header": header, "rows": _records(table),
                                         "lookahead": _records(ahead)}, indent=1, ensure_ascii=False),
                             encoding="utf-8")
    return paths


def _frame(records: list[dict], columns=None) -> pd.DataFrame:
    """Records as a frame indexed by interval start; ``columns`` (default: every column of the records)."""
    frame = pd.DataFrame(records) if columns is None else pd.DataFrame(records, columns=["time", *columns])
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("time"), format="ISO8601")).tz_convert(TZ).as_unit("ns")
    return frame.astype(float)


def read_schedule(path: Path) -> tuple[dict, pd.DataFrame]:
    """Header and rows (every column) of a JSON schedule file (rows indexed by tz-aware interval starts).

    Raises
    ------
    InputError
        Missing file, or not a munigrid schedule.
    """
    data = _load(path)
    rows = _frame(data["rows"])
    missing = [c for c in ROW_COLUMNS if c not in rows.columns]
    if missing:
        raise InputError(f"rows lack the columns {', '.join(missing)}; not a munigrid schedule", Path(path).name)
    return data["header"], rows


def read_forecast(path: Path) -> pd.DataFrame:
    """Load and PV quantiles [kW] (and planned ``flex_kw`` with flexible loads) of a schedule's whole
    horizon: the day's rows, then the look-ahead.

    Raises
    ------
    InputError
        Missing file, or not a munigrid schedule.
    """
    data = _load(path)
    rows = _frame(data["rows"])
    columns = [*FORECAST_COLUMNS, *(["flex_kw"] if "flex_kw" in rows.columns else [])]
    ahead = data.get("lookahead", [])
    return pd.concat([rows[columns], _frame(ahead, columns)]) if ahead else rows[columns]


def _load(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no schedule file {path}; run `munigrid schedule` for that day first "
                         "(or give --schedule FILE)", "schedule")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise InputError(f"not JSON ({err})", path.name) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"not a {FORMAT} file", path.name)
    return data
