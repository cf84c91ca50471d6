"""The run store: one folder per run, written atomically.

A run is assembled in a hidden staging folder ``<root>/.staging-<run_id>/`` and renamed to
``<root>/<run_id>/`` only after every file is written and flushed, ``manifest.json`` last.
A crashed or killed run therefore leaves at most a ``.staging-*`` folder, which nothing
treats as a run. The writer holds an ``flock`` on its staging folder, so
:func:`leftover_staging` tells leftovers (lock released by the kernel when the writer died)
from runs being written, and :func:`clean_staging` (``munigrid runs clean``) removes only
leftovers. :func:`store_problems` lists what ``munigrid runs list`` reports: leftovers, runs
whose files are unreadable, runs without ``report.html`` and links leading out of the store.
Run folder names are built from the scenario name and checked to stay in the store
(:func:`munigrid.solver_runs.containment.child_path`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from munigrid.models.errors import InputError
from munigrid.solver_runs.containment import child_path
from munigrid.solver_runs.results_io import read_results, write_results

MANIFEST = "manifest.json"
RESULTS = "results.nc"
SUMMARY = "summary.csv"
REPORT = "report.html"
STAGING_PREFIX = ".staging-"


def default_root() -> Path:
    """Run store root: ``$MUNIGRID_RUNS`` or ``./runs``."""
    return Path(os.environ.get("MUNIGRID_RUNS", "runs"))


def new_run_id(scenario_name: str, inputs_hash: str, now: dt.datetime | None = None) -> str:
    """``YYYYmmddTHHMMSS-<scenario>-<hash8>``: sortable by time, unique per inputs and second."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}-{scenario_name}-{inputs_hash[:8]}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


@dataclass(frozen=True)
class StoredRun:
    """A complete run folder."""

    path: Path

    @property
    def run_id(self) -> str:
        """Folder name."""
        return self.path.name

    @property
    def manifest(self) -> dict:
        """The run's manifest (inputs hash, versions, solver status, objective, gap, timings)."""
        return json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))

    def results(self) -> xr.Dataset:
        """Time series results with the time zone restored; :class:`InputError` when the file is unreadable."""
        try:
            return read_results(self.path / RESULTS)
        except (OSError, ValueError, KeyError) as err:
            raise InputError(f"{self.path / RESULTS} cannot be read ({type(err).__name__}); the run is broken: "
                             "remove its folder and run the scenario again", "RUN") from None

    def summary(self) -> pd.DataFrame:
        """Per-building and total KPIs."""
        return pd.read_csv(self.path / SUMMARY, index_col=0)


def write_run(root: Path, run_id: str, manifest: dict, results: xr.Dataset, summary: pd.DataFrame,
              extra_files: dict[str, str] | None = None,
              extra_datasets: dict[str, xr.Dataset] | None = None) -> StoredRun:
    """Write a run atomically and return it.

    Parameters
    ----------
    root : Path
        Run store root (created if missing).
    run_id : str
        Folder name of the run; must not exist yet.
    manifest, results, summary
        Contents of ``manifest.json``, ``results.nc`` and ``summary.csv``.
    extra_files : dict, optional
        More text files (name -> content), e.g. the scenario as resolved.
    extra_datasets : dict, optional
        More netCDF files (name -> Dataset), e.g. ``simulation.nc``.
    """
    root = Path(root)
    final = child_path(root, run_id, "name")
    staging = child_path(root, f"{STAGING_PREFIX}{run_id}", "name")
    root.mkdir(parents=True, exist_ok=True)
    if final.exists():
        raise InputError(f"run folder {final} exists already; choose another --out or remove it", "out")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    with _writing(staging):
        _write_files(staging, final, root, manifest, results, summary, extra_files, extra_datasets)
    return StoredRun(final)


@contextlib.contextmanager
def _writing(staging: Path):
    """Hold an exclusive ``flock`` on the staging folder while it is written (released on death)."""
    fd = os.open(staging, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_files(staging: Path, final: Path, root: Path, manifest: dict, results: xr.Dataset,
                 summary: pd.DataFrame, extra_files: dict[str, str] | None,
                 extra_datasets: dict[str, xr.Dataset] | None) -> None:
    try:
        write_results(results, staging / RESULTS)
        summary.to_csv(staging / SUMMARY, float_format="%.10g")
        for name, text in (extra_files or {}).items():
            _write_text(staging / name, text)
        for name, dataset in (extra_datasets or {}).items():
            write_results(dataset, staging / name)
        _write_text(staging / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True, default=str))
        _fsync_dir(staging)
        os.rename(staging, final)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def is_complete(path: Path) -> bool:
    """A run folder is complete when it is not staging and has its manifest."""
    path = Path(path)
    return not path.name.startswith(STAGING_PREFIX) and (path / MANIFEST).is_file()


def list_runs(root: Path | None = None) -> list[StoredRun]:
    """Complete runs under ``root``, oldest first (symbolic links are not followed out of the store)."""
    root = Path(root or default_root())
    if not root.is_dir():
        return []
    return [StoredRun(p) for p in sorted(root.iterdir())
            if p.is_dir() and not p.is_symlink() and is_complete(p)]


def being_written(path: Path) -> bool:
    """Whether a live process holds the write lock of the staging folder ``path``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def leftover_staging(root: Path | None = None) -> list[Path]:
    """Staging folders left by crashed or killed runs (never complete runs, never runs being written)."""
    root = Path(root or default_root())
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()
                  and p.name.startswith(STAGING_PREFIX) and not being_written(p))


def clean_staging(root: Path | None = None) -> list[Path]:
    """Remove the leftover staging folders of ``root`` (see :func:`leftover_staging`); returns them."""
    removed = leftover_staging(root)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def unreadable(path: Path) -> str | None:
    """Why the run folder ``path`` is broken (manifest or summary unreadable), or None."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return f"{MANIFEST} unreadable ({type(err).__name__})"
    if not isinstance(manifest, dict):
        return f"{MANIFEST} is not a JSON object"
    if not (path / RESULTS).is_file():
        return f"{RESULTS} missing"
    return None


def store_problems(root: Path | None = None) -> dict[str, list[str]]:
    """What ``munigrid runs list`` reports besides runs: ``staging`` leftovers, ``broken`` runs
    (``id: reason``), runs with ``no_report``, and ``links`` leading out of the store."""
    root = Path(root or default_root())
    out: dict[str, list[str]] = {"staging": [], "broken": [], "no_report": [], "links": []}
    if not root.is_dir():
        return out
    out["staging"] = [p.name for p in leftover_staging(root)]
    for path in sorted(root.iterdir()):
        if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
            out["links"].append(path.name)
        elif path.is_dir() and is_complete(path):
            reason = unreadable(path)
            if reason:
                out["broken"].append(f"{path.name}: {reason}")
            elif not (path / REPORT).is_file():
                out["no_report"].append(path.name)
    return out


def open_run(ref: str | Path, root: Path | None = None) -> StoredRun:
    """A run by folder path, full id, or unique id prefix."""
    path = Path(ref)
    if path.is_dir():
        if not is_complete(path):
            raise InputError(f"{path} is not a complete run (no {MANIFEST}, or a staging folder)", "RUN")
        return StoredRun(path)
    matches = [r for r in list_runs(root) if r.run_id.startswith(str(ref))]
    if len(matches) != 1:
        found = "no run" if not matches else f"{len(matches)} runs"
        raise InputError(f"{found} matches '{ref}' under {Path(root or default_root())}; "
                         "give a folder path or a longer id (`munigrid runs list`)", "RUN")
    return matches[0]
