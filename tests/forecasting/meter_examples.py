"""The example meter files shipped in ``forecasting/meter_examples/``: one load, many shapes.

:func:`write_examples` writes them; ``tests/forecasting/test_meter_files.py`` checks that
the shipped files are exactly what it writes and that each loads to the same kW series.
Regenerate with ``python -c "from tests.forecasting.meter_examples import write_examples;
write_examples()"`` from the repository root.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "forecasting" / "meter_examples"
START = "2025-01-06"  # a Monday
DAYS = 3


def base_load_kw() -> pd.Series:
    """The load every example holds: 3 days of an office at 15 min [kW], rounded to 0.1 kW."""
    index = pd.date_range(START, periods=DAYS * 96, freq="15min", tz="Asia/Bangkok", name="time")
    hour = index.hour + index.minute / 60
    occupied = ((hour >= 8) & (hour < 17)).astype(float)
    wiggle = 2.0 * np.sin(np.arange(len(index)) * 0.7)
    return pd.Series(np.round(18.0 + 24.0 * occupied + wiggle, 1), index=index, name="load_kw")


@dataclass(frozen=True)
class Example:
    """One example file: its name, what it shows, the flags it needs and its step [min]."""

    file: str
    shows: str
    options: dict = field(default_factory=dict)
    step_min: int = 15


EXAMPLES = (
    Example("iso_offset_15min_kw.csv", "ISO 8601 stamps with +07:00, a load_kw column"),
    Example("utc_z_15min_kw.csv", "UTC stamps ending in Z, a kW column named in brackets"),
    Example("date_time_ddmmyyyy_w.csv", "separate Date and Time columns, dd/mm/yyyy, power in W"),
    Example("thai_excel_cp874_kwh.csv", "Thai Excel: cp874 text, Thai headers, Buddhist-era years, kWh per 15 min"),
    Example("notepad_utf16_kw.csv", "Windows Notepad 'Unicode' (UTF-16 with BOM), tab-separated, naive times"),
    Example("logger_30min_kw.csv", "a logger export: preamble lines, semicolons, 30-min steps", step_min=30),
    Example("hourly_kwh.csv", "hourly energy per interval (kWh), mm/dd/yyyy with seconds", step_min=60),
    Example("wide_floors_kw.csv", "a wide file, one column per floor: read with --column floor_2_kw",
            {"load_column": "floor_2_kw"}),
    Example("custom_columns_kw.csv", "columns with other names: --time-column Stamp --load-column Reading",
            {"time_column": "Stamp", "load_column": "Reading", "unit": "kw"}),
)


def _naive(index: pd.DatetimeIndex, fmt: str) -> list[str]:
    return list(index.strftime(fmt))


def _frames(load: pd.Series) -> dict[str, tuple[str, str, str]]:
    """file name -> (text, encoding, newline)."""
    idx = load.index
    half = load.resample("30min").mean()
    hourly = load.resample("60min").mean()
    out: dict[str, tuple[str, str, str]] = {}
    out["iso_offset_15min_kw.csv"] = (pd.DataFrame({"time": idx.strftime("%Y-%m-%dT%H:%M:%S+07:00"),
                                                     "load_kw": load.to_numpy()}).to_csv(index=False), "utf-8", "")
    utc = idx.tz_convert("UTC")
    out["utc_z_15min_kw.csv"] = (pd.DataFrame({"timestamp": utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                               "Demand (kW)": load.to_numpy()}).to_csv(index=False), "utf-8", "")
    out["date_time_ddmmyyyy_w.csv"] = (pd.DataFrame({"Date": _naive(idx, "%d/%m/%Y"), "Time": _naive(idx, "%H:%M"),
                                                     "Power (W)": np.round(load.to_numpy() * 1000).astype(int)})
                                       .to_csv(index=False), "utf-8", "")
    be_dates = [f"{t.day:02d}/{t.month:02d}/{t.year + 543}" for t in idx]
    out["thai_excel_cp874_kwh.csv"] = (pd.DataFrame({"วันที่": be_dates, "เวลา": _naive(idx, "%H:%M"),
                                                     "พลังงาน (kWh)": np.round(load.to_numpy() / 4, 3)})
                                       .to_csv(index=False, lineterminator="\r\n"), "cp874", "")
    out["notepad_utf16_kw.csv"] = (pd.DataFrame({"datetime": _naive(idx, "%Y-%m-%d %H:%M"), "load_kw": load.to_numpy()})
                                   .to_csv(index=False, sep="\t", lineterminator="\r\n"), "utf-16", "")
    preamble = "MG-7 data logger export\nSite: Tha Yang municipal office\nExported 2025-01-10\n\n"
    out["logger_30min_kw.csv"] = (preamble + pd.DataFrame({"Timestamp": _naive(half.index, "%Y-%m-%d %H:%M"),
                                                            "P_kW": np.round(half.to_numpy(), 2)})
                                  .to_csv(index=False, sep=";"), "utf-8", "")
    out["hourly_kwh.csv"] = (pd.DataFrame({"Datetime": _naive(hourly.index, "%m/%d/%Y %H:%M:%S"),
                                           "kWh": np.round(hourly.to_numpy(), 3)}).to_csv(index=False), "utf-8", "")
    out["wide_floors_kw.csv"] = (pd.DataFrame({"time": idx.strftime("%Y-%m-%d %H:%M+07:00"),
                                               "floor_1_kw": np.round(load.to_numpy() * 0.5, 2),
                                               "floor_2_kw": load.to_numpy(),
                                               "floor_3_kw": np.round(load.to_numpy() * 0.25, 3)})
                                 .to_csv(index=False), "utf-8", "")
    out["custom_columns_kw.csv"] = (pd.DataFrame({"Meter": "M-001", "Stamp": idx.strftime("%Y-%m-%d %H:%M+07:00"),
                                                  "Reading": load.to_numpy(), "Status": "OK"})
                                    .to_csv(index=False), "utf-8", "")
    return out


def example_bytes() -> dict[str, bytes]:
    """The bytes of every example file."""
    return {name: text.encode(encoding) for name, (text, encoding, _) in _frames(base_load_kw()).items()}


def write_examples(folder: Path = EXAMPLES_DIR) -> None:
    """Write every example file into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in example_bytes().items():
        (folder / name).write_bytes(data)
