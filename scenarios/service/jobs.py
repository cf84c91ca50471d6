"""Jobs of the service: a table in the run store's SQLite index and a bounded set of processes.

A job (run, sweep, finance, operations) is a row of ``service_jobs`` in ``<root>/index.sqlite``
and a folder ``<root>/.service/jobs/<job id>/`` holding its request, progress and outcome.
``workers`` long-lived worker processes run one job at a time each (forked from a fork server
that has already imported the engine, and warm from their earlier jobs as a Python session
is); later submissions wait in the queue in submission order. A worker writes
``progress.json`` as the job goes and, at the end, ``outcome.json`` (result or error); the
dispatcher thread of the server reads them. Cancelling a running job kills its worker's
process group (the job and any processes it started) and a fresh worker takes its place.
When the server starts, jobs that were queued or running when it last stopped are marked
``interrupted`` (a sweep can be resumed: finished members are kept by the sweep ledger).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing
import os
import re
import secrets
import signal
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from munigrid.models.errors import InputError
from munigrid.solver_runs.sweeps.index import INDEX_FILE

KINDS = ("run", "sweep", "finance", "operations")
ACTIVE = ("queued", "running")
JOB_ID = re.compile(r"^j[0-9a-f]{16}$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS service_jobs (
    job_id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, title TEXT, created TEXT NOT NULL,
    started TEXT, finished TEXT, progress TEXT, result TEXT, error TEXT, seq INTEGER NOT NULL);
"""
POLL_S = 0.1
#: The index is re-read from disk for listings when it was last brought up to date longer ago [s].
INDEX_FRESH_S = 5.0


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def service_dir(root: Path) -> Path:
    """The service's own folder in the run store (jobs, uploads, operations files)."""
    return Path(root) / ".service"


@dataclass(frozen=True)
class Job:
    """One job as the table holds it."""

    job_id: str
    kind: str
    status: str
    title: str
    created: str
    started: str | None
    finished: str | None
    progress: dict
    result: dict | None
    error: dict | None

    def to_json(self) -> dict:
        """JSON-ready form for the API."""
        return {"id": self.job_id, "kind": self.kind, "status": self.status, "title": self.title,
                "created": self.created, "started": self.started, "finished": self.finished,
                "progress": self.progress, "result": self.result, "error": self.error}


def _job(row: tuple) -> Job:
    loads = lambda text: json.loads(text) if text else None  # noqa: E731
    return Job(row[0], row[1], row[2], row[3] or "", row[4], row[5], row[6], loads(row[7]) or {},
               loads(row[8]), loads(row[9]))


class JobTable:
    """The ``service_jobs`` table of the store's index."""

    def __init__(self, root: Path):
        self.root = Path(root)
        with self.connect() as con:
            con.executescript(SCHEMA)

    @contextlib.contextmanager
    def connect(self):
        """A connection, committed on success."""
        self.root.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.root / INDEX_FILE, timeout=30)
        try:
            with con:
                yield con
        finally:
            con.close()

    def add(self, kind: str, title: str) -> str:
        """Queue a new job; returns its id."""
        job_id = f"j{secrets.token_hex(8)}"
        with self.connect() as con:
            seq = con.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM service_jobs").fetchone()[0]
            con.execute("INSERT INTO service_jobs (job_id, kind, status, title, created, seq) VALUES (?,?,?,?,?,?)",
                        (job_id, kind, "queued", title, _now(), seq))
        return job_id

    def get(self, job_id: str) -> Job:
        """The job with this id; :class:`InputError` (a 404 for the API) when there is none."""
        if not JOB_ID.match(job_id or ""):
            raise InputError("not a job id (j followed by 16 hex digits)", "job")
        with self.connect() as con:
            row = con.execute("SELECT * FROM service_jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            raise InputError("no job with this id; list them with GET /api/v1/jobs", "job")
        return _job(row)

    def all(self, status: tuple[str, ...] | None = None, limit: int = 200) -> list[Job]:
        """Jobs newest first (optionally only those with one of ``status``)."""
        sql = "SELECT * FROM service_jobs"
        if status:
            sql += f" WHERE status IN ({','.join('?' * len(status))})"
        with self.connect() as con:
            rows = con.execute(sql + " ORDER BY seq DESC LIMIT ?", (*(status or ()), limit)).fetchall()
        return [_job(r) for r in rows]

    def next_queued(self) -> Job | None:
        """The oldest queued job."""
        with self.connect() as con:
            row = con.execute("SELECT * FROM service_jobs WHERE status = 'queued' ORDER BY seq LIMIT 1").fetchone()
        return None if row is None else _job(row)

    def update(self, job_id: str, **fields) -> None:
        """Set columns; dict values are stored as JSON."""
        values = [json.dumps(v, default=str) if isinstance(v, (dict, list)) else v for v in fields.values()]
        with self.connect() as con:
            con.execute(f"UPDATE service_jobs SET {', '.join(f'{k} = ?' for k in fields)} WHERE job_id = ?",
                        (*values, job_id))

    def mark_interrupted(self) -> int:
        """Jobs left queued or running by a previous server: marked ``interrupted``; returns how many."""
        with self.connect() as con:
            cur = con.execute("UPDATE service_jobs SET status = 'interrupted', finished = ?, error = ? "
                              "WHERE status IN ('queued', 'running')",
                              (_now(), json.dumps({"message": "the server stopped before this job finished; "
                                                              "submit it again (sweeps: resume)"})))
            return cur.rowcount


def write_json(path: Path, data: dict) -> None:
    """Atomic JSON file (temporary file, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, default=str, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _kill_group(process) -> None:
    """Stop a worker process and what its job started (it leads its own process group)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):  # not yet its own group leader
        process.terminate()


@dataclass
class _Worker:
    """A worker process, the server's end of its pipe and the job it runs (None when idle)."""

    process: multiprocessing.Process
    conn: object
    job_id: str | None = None


class JobManager:
    """Runs queued jobs on ``workers`` worker processes; see the module docstring.

    Parameters
    ----------
    root : Path
        Run store root.
    workers : int
        Jobs running at once.
    """

    def __init__(self, root: Path, workers: int = 2):
        if workers < 1:
            raise InputError(f"must be at least 1, got {workers}", "--workers")
        self.root = Path(root)
        self.workers = workers
        self.table = JobTable(self.root)
        self.jobs_dir = service_dir(self.root) / "jobs"
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.interrupted_at_start = self.table.mark_interrupted()
        self._pool: list[_Worker] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["munigrid.scenarios.service.worker", "munigrid.scenarios.service.warm"])
        self._progress: dict[str, dict] = {}
        self._indexed_at = 0.0

    # --- submitting and cancelling (called from request handlers) ---
    def submit(self, kind: str, request: dict, title: str) -> str:
        """Queue a job of ``kind`` with its (already checked) request; returns the job id."""
        if kind not in KINDS:
            raise InputError(f"must be one of {', '.join(KINDS)}, got {kind!r}", "kind")
        job_id = self.table.add(kind, title)
        folder = self.jobs_dir / job_id
        folder.mkdir(parents=True)
        write_json(folder / "request.json", {"kind": kind, "request": request})
        self._wake.set()
        return job_id

    def folder(self, job_id: str) -> Path:
        """The job's folder (the id is checked against the table first)."""
        return self.jobs_dir / self.table.get(job_id).job_id

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued or running job (a running one's worker is killed); finished jobs stay as they are."""
        with self._lock:
            job = self.table.get(job_id)
            if job.status in ACTIVE:
                self.table.update(job_id, status="cancelled", finished=_now())
            for worker in self._pool:
                if worker.job_id == job_id:
                    _kill_group(worker.process)
        self._wake.set()
        return self.table.get(job_id)

    def resume(self, job_id: str) -> str:
        """Queue an interrupted (or cancelled, failed) sweep again with ``resume``; returns the new job id."""
        job = self.table.get(job_id)
        if job.kind != "sweep" or job.status in ACTIVE or job.status == "done":
            raise InputError(f"only an interrupted, cancelled or failed sweep can be resumed; this job is a "
                             f"{job.status} {job.kind}", "job")
        request = read_json(self.jobs_dir / job_id / "request.json")["request"]
        return self.submit("sweep", {**request, "resume": True}, f"{job.title} (resumed)")

    def list_stored(self, kind: str | None = None, search: str = "") -> list[dict]:
        """Runs and sweeps of the index, newest first; the index is re-read from disk when older than
        :data:`INDEX_FRESH_S` (jobs of this server refresh it as they finish)."""
        from munigrid.scenarios import api

        stale = time.monotonic() - self._indexed_at > INDEX_FRESH_S
        rows = api.list_stored(self.root, kind, search, refresh=stale)
        if stale:
            self._indexed_at = time.monotonic()
        return rows

    # --- the dispatcher thread ---
    def start(self) -> None:
        """Start the dispatcher thread (it starts the workers)."""
        self._thread = threading.Thread(target=self._loop, name="munigrid-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the dispatcher and the workers; running jobs are killed and marked ``interrupted``."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            for worker in self._pool:
                if worker.job_id is not None and self.table.get(worker.job_id).status == "running":
                    self.table.update(worker.job_id, status="interrupted", finished=_now(),
                                      error={"message": "the server stopped while this job ran; submit it again"})
                _kill_group(worker.process)
                worker.process.join(timeout=5)
                worker.conn.close()
            self._pool.clear()

    def _spawn(self) -> _Worker:
        from munigrid.scenarios.service.worker import serve

        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=serve, args=(theirs, str(self.root)), name="munigrid-job-worker")
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def _loop(self) -> None:
        self._refresh_index()
        with self._lock:
            self._pool = [self._spawn() for _ in range(self.workers)]
        while not self._stop.is_set():
            try:
                with self._lock:
                    self._collect()
                    self._launch()
            except Exception as err:  # e.g. the index locked for longer than its timeout: try again next round
                print(f"munigrid serve: job dispatcher: {type(err).__name__}: {err}", file=sys.stderr)
            self._wake.wait(POLL_S)
            self._wake.clear()

    def _launch(self) -> None:
        for worker in self._pool:
            if worker.job_id is not None:
                continue
            job = self.table.next_queued()
            if job is None:
                return
            self.table.update(job.job_id, status="running", started=_now())
            worker.conn.send(str(self.jobs_dir / job.job_id))
            worker.job_id = job.job_id

    def _refresh_index(self) -> None:
        from munigrid.solver_runs.sweeps import index

        index.refresh(self.root)
        self._indexed_at = time.monotonic()

    def _finished(self, worker: _Worker) -> bool:
        """Whether the worker's job ended: it said so, or it died."""
        if not worker.process.is_alive():
            return True
        if not worker.conn.poll():
            return False
        try:
            worker.conn.recv()
        except (EOFError, OSError):
            pass
        return True

    def _collect(self) -> None:
        for position, worker in enumerate(self._pool):
            job_id = worker.job_id
            if job_id is None:
                if not worker.process.is_alive():
                    self._pool[position] = self._spawn()
                continue
            folder = self.jobs_dir / job_id
            progress = read_json(folder / "progress.json")
            if not self._finished(worker):
                if progress is not None and progress != self._progress.get(job_id):
                    self.table.update(job_id, progress=progress)
                    self._progress[job_id] = progress
                continue
            worker.job_id = None
            self._progress.pop(job_id, None)
            if not worker.process.is_alive():
                worker.process.join()
                worker.conn.close()
                self._pool[position] = self._spawn()
            self._refresh_index()
            if self.table.get(job_id).status == "cancelled":
                continue
            outcome = read_json(folder / "outcome.json")
            if outcome is None:
                self.table.update(job_id, status="failed", finished=_now(), progress=progress or {},
                                  error={"message": f"the job's worker process ended without a result (exit code "
                                                    f"{worker.process.exitcode}); nothing was stored"})
            elif "error" in outcome:
                self.table.update(job_id, status="failed", finished=_now(), progress=progress or {},
                                  error=outcome["error"])
            else:
                self.table.update(job_id, status="done", finished=_now(), progress=progress or {},
                                  result=outcome["result"])
