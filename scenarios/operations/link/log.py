"""The controller's append-only log: one JSON object a line, flushed and fsynced each record.

One file a day, ``ems_SITE_YYYY-MM-DD.jsonl`` in the log folder (default
``RUNS/ems/SITE``, beside the day-ahead schedule files), so that a killed controller loses at
most the line it was writing; :func:`read_log` skips such a torn last line and says so.

Records (``kind``): ``start`` (configuration, scenario, battery, policy), ``dayahead`` (the
day-ahead plan and the forecast it was made with), ``step`` (measurement, faults, mode, the
requested and written set point and the reasons), ``alarm`` / ``recovered`` (safe mode
entered or left), ``link`` (connection lost, reconnect attempts), ``stop``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from munigrid.models.errors import InputError


def log_path(folder: Path, site: str, day: pd.Timestamp) -> Path:
    """The log file of ``site`` for the day of ``day`` (local date)."""
    return Path(folder) / f"ems_{site}_{day.date().isoformat()}.jsonl"


class EmsLog:
    """Appends records to the day's file of one site.

    Parameters
    ----------
    folder : Path
        Log folder (created).
    site : str
        Site name in the file names.
    """

    def __init__(self, folder: Path, site: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.site = site
        self.records: list[dict] = []

    def append(self, record: dict) -> None:
        """Write ``record`` (which has ``time``, ISO 8601) as one line, flushed to disk."""
        line = json.dumps(record, ensure_ascii=False, allow_nan=False, default=_plain)
        with open(log_path(self.folder, self.site, pd.Timestamp(record["time"])), "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.records.append(json.loads(line))


class MemoryLog:
    """Keeps records in memory only (the replay of a log)."""

    def __init__(self):
        self.records: list[dict] = []

    def append(self, record: dict) -> None:  # noqa: D102
        self.records.append(json.loads(json.dumps(record, allow_nan=False, default=_plain)))


def _plain(value):
    """JSON form of numpy scalars and timestamps."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def read_log(path: Path) -> tuple[list[dict], list[str]]:
    """Records of a log file and notes (a torn last line is skipped and noted).

    Raises
    ------
    InputError
        The file is missing, or a line other than the last is not JSON.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such EMS log file (ems_SITE_DAY.jsonl in the log folder)", str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    records, notes = [], []
    for number, line in enumerate(lines, start=1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):
                notes.append(f"{path.name}: last line {number} is incomplete (controller stopped mid-write); skipped")
                continue
            raise InputError(f"line {number} is not JSON: the log was edited or damaged", str(path)) from None
    return records, notes
