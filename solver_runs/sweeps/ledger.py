"""A sweep's folder in the run store: which members are done, failed, partial or still to run.

Layout under the store root::

    sweeps/<sweep_id>/
        plan.json              the sweep: spec, sites, and every member with its inputs key
        .lock                  held (flock) by the one process running the sweep
        members/<key>/         a finished member: a complete run folder (store.write_run)
        members/.staging-<key>/  a member killed while being written (partial; re-run)
        failed/<key>.json      a member that failed, with its error
        kpis.nc, table.csv     the combined results (written when the sweep ends)
        status.json            counts and timings of the last pass (written last)

A member is keyed by the hash of its inputs, so a member is complete exactly when
``members/<key>/`` is a complete run; every write is atomic (staging folder or temporary
file, then rename), so after any interrupt, even ``kill -9``, each member is either done,
failed, or to be run again, never half-counted.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd
import xarray as xr

from munigrid.models.errors import InputError
from munigrid.solver_runs.containment import child_path
from munigrid.solver_runs.store import STAGING_PREFIX, StoredRun, being_written, is_complete, write_run

SWEEPS_DIR = "sweeps"
PLAN = "plan.json"
STATUS = "status.json"
LOCK = ".lock"
MEMBERS = "members"
FAILED = "failed"


def write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON to ``path`` through a temporary file, fsync and rename (never half-written)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def sweeps_root(root: Path) -> Path:
    """Folder holding the sweeps of a run store."""
    return Path(root) / SWEEPS_DIR


@dataclass(frozen=True)
class SweepFolder:
    """One sweep's folder (see the module docstring for its layout)."""

    path: Path

    @property
    def sweep_id(self) -> str:
        """Folder name."""
        return self.path.name

    @classmethod
    def create(cls, root: Path, sweep_id: str, plan: dict) -> SweepFolder:
        """Make the folder of a new sweep and write its plan; the folder must not exist."""
        path = child_path(sweeps_root(root), sweep_id, "sweep name")
        if (path / PLAN).exists():
            raise InputError(f"sweep folder {path} exists already; add --resume to finish it, "
                             "or remove the folder to start again", "sweep")
        (path / MEMBERS).mkdir(parents=True, exist_ok=True)
        (path / FAILED).mkdir(exist_ok=True)
        write_json_atomic(path / PLAN, plan)
        return cls(path)

    @classmethod
    def open(cls, path: Path) -> SweepFolder:
        """An existing sweep folder; :class:`InputError` when it has no plan."""
        path = Path(path)
        if not (path / PLAN).is_file():
            raise InputError(f"{path} is not a sweep folder (no {PLAN})", "sweep")
        return cls(path)

    @property
    def plan(self) -> dict:
        """The sweep's plan (spec, sites, members with keys)."""
        return json.loads((self.path / PLAN).read_text(encoding="utf-8"))

    @property
    def status(self) -> dict | None:
        """Counts and timings of the last finished pass, or None while none has finished."""
        path = self.path / STATUS
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the sweep's lock; :class:`InputError` if another live process holds it.

        The lock is an ``flock`` on ``.lock``: the kernel releases it when its holder dies,
        so a killed run never blocks ``--resume``.
        """
        fh = open(self.path / LOCK, "a+")
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                raise InputError(f"sweep {self.sweep_id} is being run by {holder}; wait for it "
                                 "or stop it first", "sweep") from None
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}")
            fh.flush()
            yield
        finally:
            fh.close()

    def member_dir(self, key: str) -> Path:
        """Folder of the member with inputs key ``key``."""
        return self.path / MEMBERS / key

    def done_keys(self) -> set[str]:
        """Keys of the members whose run folder is complete."""
        members = self.path / MEMBERS
        return {p.name for p in members.iterdir() if p.is_dir() and is_complete(p)} if members.is_dir() else set()

    def failures(self) -> dict[str, dict]:
        """Key -> failure record (``kind``, ``message``, ``problems``, ...) of failed members not since done."""
        folder = self.path / FAILED
        done = self.done_keys()
        out = {}
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            if path.stem not in done:
                out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        return out

    def partial(self) -> list[Path]:
        """Member folders left half-written by a killed run."""
        members = self.path / MEMBERS
        return sorted(p for p in members.iterdir() if p.is_dir() and p.name.startswith(STAGING_PREFIX)
                      and not being_written(p)) if members.is_dir() else []

    def clear_partial(self) -> list[str]:
        """Remove partial member folders; returns the keys of the members they belonged to."""
        keys = []
        for path in self.partial():
            shutil.rmtree(path)
            keys.append(path.name[len(STAGING_PREFIX):])
        return keys

    def record_success(self, key: str, manifest: dict, results: xr.Dataset, summary: pd.DataFrame) -> StoredRun:
        """Store a finished member atomically and clear any earlier failure of it."""
        run = write_run(self.path / MEMBERS, key, manifest, results, summary)
        (self.path / FAILED / f"{key}.json").unlink(missing_ok=True)
        return run

    def record_failure(self, key: str, record: dict) -> None:
        """Store why a member failed (atomically; replaces an earlier record of it)."""
        write_json_atomic(self.path / FAILED / f"{key}.json", record)

    def member_run(self, key: str) -> StoredRun:
        """The stored run of a finished member."""
        return StoredRun(self.member_dir(key))

    def write_status(self, status: dict) -> None:
        """Write the pass's counts and timings (last file of a pass), stamped ``finished_utc``."""
        import datetime as dt

        finished = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        write_json_atomic(self.path / STATUS, {**status, "finished_utc": finished})


def list_sweeps(root: Path) -> list[SweepFolder]:
    """Sweep folders of a run store, oldest name first."""
    folder = sweeps_root(root)
    if not folder.is_dir():
        return []
    return [SweepFolder(p) for p in sorted(folder.iterdir()) if not p.is_symlink() and (p / PLAN).is_file()]


def clean_sweeps(root: Path) -> list[Path]:
    """Remove the partial member folders of every sweep not being run now; returns the folders removed."""
    removed = []
    for sweep in list_sweeps(root):
        try:
            with sweep.lock():
                partial = sweep.partial()
                sweep.clear_partial()
        except InputError:  # being run: its own pass clears them
            continue
        removed += partial
    return removed


def broken_sweeps(root: Path) -> list[str]:
    """``sweep_id: reason`` of sweep folders whose plan or status cannot be read."""
    out = []
    for sweep in list_sweeps(root):
        for name in (PLAN, STATUS):
            path = sweep.path / name
            try:
                if path.is_file() and not isinstance(json.loads(path.read_text(encoding="utf-8")), dict):
                    raise ValueError("not an object")
            except (OSError, ValueError) as err:
                out.append(f"{sweep.sweep_id}: {name} unreadable ({type(err).__name__})")
                break
    return out
