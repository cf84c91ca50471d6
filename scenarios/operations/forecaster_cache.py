"""Fitted load forecasters kept in the run store, so that each history is fitted once.

Fitting the default load model (gradient boosting, one model per quantile, plus its held-out
calibration fit) takes most of a day-ahead schedule's time; forecasting from a fitted model
takes a fraction of a second. A fitted model is stored under

``<run store>/operations/forecasters/<key>.pkl``

(the run store root is ``$MUNIGRID_RUNS`` or ``./runs``), where ``<key>`` is the SHA-256 of
everything the fit depends on: the model's name and settings (horizon, quantiles), the
history it is fitted on (time stamps and values [kW]), the temperature on that history
[degC], the versions of munigrid, scikit-learn and this file format, and a digest of the
source of the forecasting modules a fit depends on (:data:`FIT_MODULES`). A changed reading
anywhere in the history, another horizon or another library version gives another key, so
a stale fit is never used. The daily loop's history grows by a day between schedules, so the
forecaster is refitted at most once a day; re-plans during the day forecast from the
day-ahead forecast and never refit (:mod:`.intraday`).

Files are written to a temporary name in the same folder, flushed and renamed, so a killed
process leaves no half-written entry under a key. An entry that cannot be read (truncated,
corrupt, written by other library versions, or not a fitted forecaster of that key) is
ignored and rewritten by the next fit. Only the newest :data:`KEEP_FILES` entries are kept.
Entries are Python pickles: only point the run store at a folder you trust.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from munigrid import forecasting
from munigrid.forecasting.load_models import LoadForecaster

#: Bumped when the stored layout changes [-].
FORMAT_VERSION = 1
#: Entries kept in the folder; older ones are removed after each write [-].
KEEP_FILES = 16
SUFFIX = ".pkl"
#: Modules of :mod:`munigrid.forecasting` whose code shapes a fitted forecaster (their bytes are in the key).
FIT_MODULES = ("load_models.py", "features.py", "conformal.py", "occupancy_days.py")


def default_folder() -> Path:
    """``<run store root>/operations/forecasters``."""
    from munigrid.solver_runs.store import default_root

    return default_root() / "operations" / "forecasters"


def _code_version() -> str:
    """Versions of munigrid and scikit-learn, and a digest of the forecasting modules a fit depends on."""
    found = []
    for name in ("munigrid", "scikit-learn"):
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=?")
    digest = hashlib.sha256()
    for module in FIT_MODULES:  # a development checkout changes code without changing the version
        digest.update((Path(forecasting.__file__).parent / module).read_bytes())
    return ",".join(found) + f",code={digest.hexdigest()[:16]}"


def forecaster_key(model: str, horizon: pd.Timedelta, quantiles: tuple[float, ...], history_kw: pd.Series,
                   temp_air_c: pd.Series | None) -> str:
    """SHA-256 (hex) of the model settings, the history [kW] and its temperature [degC] (module docstring)."""
    digest = hashlib.sha256()
    settings = f"v{FORMAT_VERSION}|{_code_version()}|{model}|{pd.Timedelta(horizon).value}|{tuple(quantiles)}"
    digest.update(settings.encode())
    digest.update(np.ascontiguousarray(history_kw.index.asi8).tobytes())
    digest.update(np.ascontiguousarray(history_kw.to_numpy(dtype=float)).tobytes())
    if temp_air_c is not None:
        digest.update(np.ascontiguousarray(temp_air_c.reindex(history_kw.index).to_numpy(dtype=float)).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class CacheEvent:
    """What a look-up did: ``source`` is ``"memory"``, ``"disk"`` or ``"fitted"``; ``note`` says why it refitted."""

    key: str
    source: str
    path: Path
    fit_s: float = 0.0
    note: str = ""


class ForecasterCache:
    """Fitted forecasters by key: in this process's memory, then on disk, else fitted and stored.

    Parameters
    ----------
    folder : Path, optional
        Where entries live (default :func:`default_folder`).
    on_fit : callable, optional
        Called with a message just before a model is fitted (e.g. to update a spinner).
    """

    def __init__(self, folder: Path | None = None, on_fit: Callable[[str], None] | None = None):
        self.folder = Path(folder) if folder is not None else default_folder()
        self.on_fit = on_fit
        self._memory: dict[str, LoadForecaster] = {}
        self.events: list[CacheEvent] = []

    def path(self, key: str) -> Path:
        """File of an entry."""
        return self.folder / f"{key}{SUFFIX}"

    def read(self, key: str) -> tuple[LoadForecaster | None, str]:
        """The stored forecaster of ``key`` (None if absent or unreadable) and why it was not usable."""
        path = self.path(key)
        if not path.is_file():
            return None, ""
        try:
            with open(path, "rb") as fh:
                entry = pickle.load(fh)
            if not (isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("model"), LoadForecaster)):
                raise ValueError("not a fitted forecaster of this key")
        except Exception as err:  # a cache entry is never worth a failure: any unreadable file is refitted
            return None, f"cache entry {path.name} unreadable ({type(err).__name__}: {err}): refitted and rewritten"
        return entry["model"], ""

    def write(self, key: str, model: LoadForecaster) -> Path:
        """Store ``model`` under ``key`` atomically (temporary file, flush, rename); prune old entries."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(key)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump({"key": key, "model": model}, fh, protocol=pickle.HIGHEST_PROTOCOL)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._prune()
        return path

    def _prune(self) -> None:
        entries = sorted(self.folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP_FILES:]:
            old.unlink(missing_ok=True)

    def fitted(self, model: str, horizon: pd.Timedelta, quantiles: tuple[float, ...], history_kw: pd.Series,
               temp_air_c: pd.Series | None, fit: Callable[[], LoadForecaster]) -> LoadForecaster:
        """The forecaster fitted on ``history_kw``: from memory, from disk, or ``fit()`` and stored.

        The look-up is recorded in :attr:`events`.
        """
        key = forecaster_key(model, horizon, quantiles, history_kw, temp_air_c)
        if key in self._memory:
            self.events.append(CacheEvent(key, "memory", self.path(key)))
            return self._memory[key]
        found, note = self.read(key)
        if found is not None:
            self._memory[key] = found
            self.events.append(CacheEvent(key, "disk", self.path(key)))
            return found
        if self.on_fit is not None:
            self.on_fit(f"fitting the {model} load forecaster on {len(history_kw):,} steps of history "
                        "(once per history; cached for the next call)")
        tic = time.perf_counter()
        fresh = fit()
        fit_s = time.perf_counter() - tic
        path = self.write(key, fresh)
        self._memory[key] = fresh
        self.events.append(CacheEvent(key, "fitted", path, fit_s, note))
        return fresh
