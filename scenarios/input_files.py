"""Files a scenario refers to (``load_csv``, ``weather.file``): where they are and which are refused.

* A relative path is relative to the folder of the scenario file (``api.load`` records it),
  never to the current directory.
* An absolute path is allowed (data often lives in a shared folder) but must name a
  regular data file: anything under ``/proc``, ``/sys`` or ``/dev``, FIFOs, sockets, devices
  and folders are refused before anything is read, so a scenario cannot make munigrid read
  the process environment or block on a pipe.
* Messages about a file never quote its contents beyond a short escaped excerpt
  (:func:`munigrid.models.errors.quote`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from munigrid.models.errors import InputError, quote

SYSTEM_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
# Largest input file read [bytes]: a year of 1-minute meter data is about 30 MB.
MAX_INPUT_BYTES = 2 * 1024**3


def input_path(ref: str | Path, base_dir: Path) -> Path:
    """Where ``ref`` points: itself when absolute, else relative to ``base_dir`` (the scenario's folder)."""
    path = Path(ref)
    return path if path.is_absolute() else Path(base_dir) / path


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a data file, or None when it can."""
    resolved = Path(path).resolve()
    if any(resolved == root or resolved.is_relative_to(root) for root in SYSTEM_ROOTS):
        return f"{quote(str(path))} is a system file (under /proc, /sys or /dev), not data; give a CSV or weather file"
    try:
        info = os.stat(resolved)
    except FileNotFoundError:
        return f"no such file: {path}"
    except OSError as err:
        return f"cannot read {path}: {err.strerror}"
    if stat.S_ISDIR(info.st_mode):
        return f"{path} is a folder; give the file inside it"
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file (a pipe, socket or device); give a data file"
    if info.st_size > MAX_INPUT_BYTES:
        return f"{path} has {info.st_size / 1024**3:.1f} GB; the limit is {MAX_INPUT_BYTES / 1024**3:.0f} GB"
    return None


def checked_file(ref: str | Path, base_dir: Path, field: str) -> Path:
    """The path of a referenced data file, or :class:`InputError` at ``field`` saying why it cannot be used."""
    path = input_path(ref, base_dir)
    problem = file_problem(path)
    if problem:
        raise InputError(problem, field)
    return path
