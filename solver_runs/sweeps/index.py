"""An SQLite index of the run store, for listing and comparing runs without opening every folder.

``<root>/index.sqlite`` holds one row per run or sweep (table ``runs``) and its key figures
(table ``kpis``: one row per run, summary row and KPI). :func:`refresh` brings it up to date
with the folders on disk: it reads only folders that are new or whose ``manifest.json`` /
``status.json`` changed since they were indexed, and drops entries whose folder is gone, so
the index is a cache that can always be deleted and rebuilt. A run's summary rows are its
buildings and ``total``; a sweep's rows are its members, labelled ``m0003/<site>``.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd

from munigrid.models.errors import InputError
from munigrid.solver_runs.store import MANIFEST, SUMMARY, default_root, list_runs
from munigrid.solver_runs.sweeps.combine import TABLE_FILE
from munigrid.solver_runs.sweeps.ledger import PLAN, STATUS, list_sweeps

INDEX_FILE = "index.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL, scenario TEXT,
    created TEXT, inputs_hash TEXT, status TEXT, objective_thb REAL, members INTEGER,
    failed INTEGER, mtime REAL NOT NULL);
CREATE TABLE IF NOT EXISTS kpis (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE, row TEXT NOT NULL,
    name TEXT NOT NULL, value REAL, PRIMARY KEY (run_id, row, name));
"""


@dataclass(frozen=True)
class Entry:
    """What the index knows of one run or sweep."""

    run_id: str
    kind: str
    path: Path
    scenario: str | None
    created: str | None
    inputs_hash: str | None
    status: str | None
    objective_thb: float | None
    members: int | None
    failed: int | None


def _open(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=30)
    try:
        con.execute("PRAGMA foreign_keys = ON")
        con.executescript(SCHEMA)
        con.execute("SELECT count(*) FROM runs").fetchone()
    except sqlite3.DatabaseError:
        con.close()
        raise
    return con


@contextlib.contextmanager
def connect(root: Path) -> Iterator[sqlite3.Connection]:
    """An open connection to the store's index, committed on success.

    The index is a cache of the folders: when it is missing it is created, and when it is
    not a readable SQLite database (a corrupt or foreign file) it is deleted and rebuilt.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = root / INDEX_FILE
    try:
        con = _open(path)
    except sqlite3.DatabaseError:
        path.unlink(missing_ok=True)
        con = _open(path)
    try:
        with con:
            yield con
    finally:
        con.close()


def _run_status(manifest: dict) -> str:
    meters = manifest.get("solver", {}).get("meters", {})
    statuses = sorted({str(m.get("status")) for m in meters.values() if isinstance(m, dict)})
    return "/".join(statuses) or str(manifest.get("status", "unknown"))


def _run_record(path: Path) -> tuple[tuple, list[tuple]]:
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    row = (path.name, "run", str(path.resolve()), manifest.get("scenario"), manifest.get("created_utc"),
           manifest.get("inputs_hash"), _run_status(manifest),
           manifest.get("solver", {}).get("objective_thb"), None, None, (path / MANIFEST).stat().st_mtime)
    kpis = []
    if (path / SUMMARY).is_file():
        summary = pd.read_csv(path / SUMMARY, index_col=0)
        kpis = [(path.name, str(r), str(c), None if pd.isna(v) else float(v))
                for r, values in summary.iterrows() for c, v in values.items()]
    return row, kpis


def _sweep_stamp(path: Path) -> Path:
    """The file whose change means a sweep must be re-read: its status, or its plan before any pass ended."""
    return path / STATUS if (path / STATUS).is_file() else path / PLAN


def _sweep_record(path: Path) -> tuple[tuple, list[tuple]]:
    plan = json.loads((path / PLAN).read_text(encoding="utf-8"))
    status = json.loads((path / STATUS).read_text(encoding="utf-8")) if (path / STATUS).is_file() else None
    counts = (status or {}).get("counts", {})
    state = "unfinished" if status is None else ("partial" if counts.get("pending") else "complete")
    row = (path.name, "sweep", str(path.resolve()), plan.get("name"), None, None, state, None,
           len(plan.get("members", [])), counts.get("failed"), _sweep_stamp(path).stat().st_mtime)
    kpis = []
    if (path / TABLE_FILE).is_file():
        table = pd.read_csv(path / TABLE_FILE)
        skip = {"member", "site", "key", "status", "error"} | {p["path"] for p in plan.get("parameters", [])}
        columns = [c for c in table.columns if c not in skip]
        for record in table[table["status"] == "ok"].to_dict("records"):
            label = f"m{int(record['member']):04d}/{record['site']}"
            kpis += [(path.name, label, c, None if pd.isna(record[c]) else float(record[c])) for c in columns]
    return row, kpis


def _on_disk(root: Path) -> dict[str, tuple[Path, str, float]]:
    found = {}
    for run in list_runs(root):
        found[run.run_id] = (run.path, "run", (run.path / MANIFEST).stat().st_mtime)
    for sweep in list_sweeps(root):
        found[sweep.sweep_id] = (sweep.path, "sweep", _sweep_stamp(sweep.path).stat().st_mtime)
    return found


def refresh(root: Path | None = None) -> int:
    """Bring the index up to date with the store; returns the number of entries (re)read."""
    root = Path(root or default_root())
    on_disk = _on_disk(root)
    with connect(root) as con:
        known = dict(con.execute("SELECT run_id, mtime FROM runs").fetchall())
        gone = [run_id for run_id in known if run_id not in on_disk]
        con.executemany("DELETE FROM runs WHERE run_id = ?", [(g,) for g in gone])
        changed = [(run_id, path, kind) for run_id, (path, kind, mtime) in on_disk.items()
                   if known.get(run_id) != mtime]
        for run_id, path, kind in changed:
            con.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
            try:
                row, kpis = (_run_record if kind == "run" else _sweep_record)(path)
            except (OSError, ValueError, KeyError, TypeError, AttributeError, pd.errors.ParserError):
                continue  # a broken folder is left out; `munigrid runs list` reports it
            con.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?)", row)
            con.executemany("INSERT INTO kpis VALUES (?,?,?,?)", kpis)
    return len(changed)


def _entry(row: tuple) -> Entry:
    return Entry(row[0], row[1], Path(row[2]), *row[3:10])


def entries(root: Path | None = None, kind: str | None = None) -> list[Entry]:
    """Indexed runs and sweeps (refreshed first), oldest id first; ``kind`` filters ``run``/``sweep``."""
    root = Path(root or default_root())
    refresh(root)
    with connect(root) as con:
        sql = "SELECT * FROM runs" + (" WHERE kind = ?" if kind else "") + " ORDER BY run_id"
        return [_entry(r) for r in con.execute(sql, (kind,) if kind else ())]


def find(ref: str, root: Path | None = None) -> Entry:
    """A run or sweep by full id or unique id prefix; :class:`InputError` otherwise."""
    matches = [e for e in entries(root) if e.run_id == ref or e.run_id.startswith(ref)]
    exact = [e for e in matches if e.run_id == ref]
    if exact:
        return exact[0]
    if len(matches) != 1:
        found = "no run or sweep" if not matches else f"{len(matches)} runs/sweeps ({', '.join(e.run_id for e in matches[:5])})"
        raise InputError(f"{found} matches '{ref}' under {Path(root or default_root())}; give a longer id "
                         "(`munigrid runs list`)", "RUN")
    return matches[0]


def kpis(run_id: str, root: Path | None = None) -> pd.DataFrame:
    """Indexed KPIs of one run or sweep: rows (buildings, ``total`` or members) x KPI names."""
    with connect(Path(root or default_root())) as con:
        rows = con.execute("SELECT row, name, value FROM kpis WHERE run_id = ? ORDER BY rowid", (run_id,)).fetchall()
    if not rows:
        return pd.DataFrame()
    long = pd.DataFrame(rows, columns=["row", "name", "value"])
    table = long.pivot(index="row", columns="name", values="value")
    order = list(dict.fromkeys(r for r, _, _ in rows))
    return table.reindex(index=order, columns=list(dict.fromkeys(n for _, n, _ in rows)))


def totals(root: Path | None = None) -> pd.DataFrame:
    """The ``total`` row of every indexed run: run id x KPI (sweeps have none)."""
    with connect(Path(root or default_root())) as con:
        rows = con.execute("SELECT run_id, name, value FROM kpis WHERE row = 'total'").fetchall()
    return pd.DataFrame(rows, columns=["run_id", "name", "value"]).pivot(index="run_id", columns="name", values="value")


_MEMBER = re.compile(r"^m(\d+)$")


@dataclass(frozen=True)
class Compared:
    """One column of a comparison: a run, a whole sweep, or one member of a sweep.

    Attributes
    ----------
    label : str
        Column name: the run or sweep id, or ``<sweep-id>/m0003`` for a member.
    table : pandas.DataFrame
        Its KPI rows (a member's rows are its sites) x KPI names.
    """

    label: str
    table: pd.DataFrame


def _compared(ref: str, root: Path | None) -> Compared:
    """A run or sweep by id (prefix), or ``SWEEP/m0003`` (``SWEEP/m3``) for one member of a sweep."""
    head, sep, tail = ref.rpartition("/")
    member = _MEMBER.match(tail) if sep else None
    if member is None or Path(ref).is_dir():
        entry = find(ref, root)
        return Compared(entry.run_id, kpis(entry.run_id, root))
    entry = find(head, root)
    prefix = f"m{int(member[1]):04d}/"
    table = kpis(entry.run_id, root)
    rows = [r for r in table.index if str(r).startswith(prefix)]
    if entry.kind != "sweep" or not rows:
        found = sorted({str(r).split("/")[0] for r in table.index if "/" in str(r)})
        hint = f"its members are {', '.join(found[:12])}" if found else f"{entry.run_id} is a {entry.kind} without members"
        raise InputError(f"no finished member {prefix[:-1]} in '{head}': {hint}", "RUN")
    member_table = table.loc[rows]
    member_table.index = [str(r)[len(prefix):] for r in rows]
    return Compared(f"{entry.run_id}/{prefix[:-1]}", member_table)


def _pick_rows(item: Compared, rows: list[str] | None) -> pd.DataFrame:
    """The rows asked for (default ``total``, else every row); :class:`InputError` listing the valid ones."""
    valid = [str(r) for r in item.table.index]
    if not rows:
        return item.table.loc[["total"]] if "total" in valid else item.table
    unknown = [r for r in rows if r not in valid]
    if unknown:
        shown = ", ".join(valid[:30]) + (f", ... ({len(valid)} rows)" if len(valid) > 30 else "")
        raise InputError(f"no row {', '.join(unknown)} in {item.label}; its rows are: {shown or '(none)'}", "--row")
    return item.table.loc[rows]


def compare(refs: list[str], root: Path | None = None, rows: list[str] | None = None) -> pd.DataFrame:
    r"""KPIs of several runs, sweeps or sweep members side by side, with the difference of each to the first.

    A reference is a run or sweep id (or unique prefix) or ``<sweep-id>/m0003`` for one member
    of a sweep, whose rows are its sites. ``rows`` picks rows present in every reference (default:
    ``total`` of a run, every row of a sweep or member). References whose rows have the same
    labels are aligned by label; references with one row each (a run's total against a
    member's site) are aligned on that row, labelled ``a | b`` when the labels differ. Anything
    else cannot be aligned and raises :class:`InputError` saying what to pick.

    Returns a table indexed by (row, KPI) with one column per reference, then for every later
    one ``Δ <label>`` :math:`= x - x_{first}` and ``Δ% <label>`` :math:`= 100\,(x - x_{first}) / |x_{first}|`
    (blank where the first is 0).
    """
    if len(refs) < 2:
        raise InputError("give at least two runs to compare", "RUN")
    items = [_compared(ref, root) for ref in refs]
    labels = [item.label for item in items]
    if len(set(labels)) != len(labels):
        raise InputError(f"the same run is given twice: {', '.join(labels)}", "RUN")
    picked = [_pick_rows(item, rows) for item in items]
    row_sets = [list(map(str, table.index)) for table in picked]
    if all(r == row_sets[0] for r in row_sets):
        frames = {item.label: table.stack() for item, table in zip(items, picked)}
    elif all(len(r) == 1 for r in row_sets):
        joined = " | ".join(dict.fromkeys(r[0] for r in row_sets))
        frames = {item.label: table.set_axis([joined]).stack() for item, table in zip(items, picked)}
    else:
        listed = "; ".join(f"{item.label}: {', '.join(r[:6])}{', ...' if len(r) > 6 else ''}"
                           for item, r in zip(items, row_sets))
        raise InputError(f"the rows do not line up ({listed}); compare one member of a sweep "
                         "(<sweep-id>/m0003) or pick rows present in each with --row", "RUN")
    side = pd.DataFrame(frames)
    side.index.names = ["row", "kpi"]
    first = side[labels[0]]
    for label in labels[1:]:
        side[f"Δ {label}"] = side[label] - first
        side[f"Δ% {label}"] = 100.0 * (side[label] - first) / first.abs().where(first != 0)
    return side
