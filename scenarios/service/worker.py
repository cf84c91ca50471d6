"""What a worker process runs: jobs, each one call of :mod:`munigrid.scenarios.api`, progress and outcome as files.

:func:`serve` is the target of each worker process (see :mod:`.jobs`): it leads its own
process group (so cancelling kills a sweep's member processes too), dies with the server, and
runs the job folders the server sends, one at a time. :func:`execute` writes ``outcome.json``
last: ``{"result": ...}`` or ``{"error": {"message", "problems"}}``.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import time
from pathlib import Path

from munigrid.models.errors import InputError, NoSolutionError
from munigrid.scenarios import api
from munigrid.scenarios.service.jobs import read_json, write_json, service_dir

PR_SET_PDEATHSIG = 1
#: Stages of a run, in order, as :func:`munigrid.scenarios.api.run` reports them (by their first word).
RUN_STAGES = ("loading", "weather", "optimising", "bills", "simulating", "storing", "writing")


def _detach() -> None:
    """Own process group; die with the server; solver banners to /dev/null."""
    os.setpgrp()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)


def _scenario(request: dict, root: Path):
    """The request's scenario: a bundled name, or a document checked by the route before queueing."""
    if request.get("document") is not None:
        scenario = api.parse_document(request["document"])
        scenario._base_dir = service_dir(root) / "uploads"
        return scenario
    return api.load(request["scenario"])


def _run(request: dict, root: Path, say, folder: Path) -> dict:
    def stage(text: str) -> None:
        word = text.split()[0]
        done = RUN_STAGES.index(word) if word in RUN_STAGES else 0
        say(text, done, len(RUN_STAGES))

    outcome = api.run(_scenario(request, root), root=root, samples=int(request.get("samples", 0)),
                      progress=stage, run_tag=folder.name[1:9])
    return {"run_id": outcome.run_dir.name}


def _sweep(request: dict, root: Path, say) -> dict:
    portfolio = request.get("portfolio")
    known: dict = {}

    def started(sweep_id: str) -> None:
        known["sweep_id"] = sweep_id
        say("planning the members", 0, 0, sweep_id=sweep_id)

    outcome = api.sweep(_scenario(request, root), request.get("vary") or None, name=request.get("name"),
                        portfolio=service_dir(root) / "uploads" / portfolio if portfolio else None, root=root,
                        workers=int(request.get("workers", 1)), resume=bool(request.get("resume")), started=started,
                        progress=lambda done, total, failed: say(f"members ({failed} failed)", done, total, **known))
    return {"sweep_id": outcome.sweep_id, "counts": outcome.counts}


def _finance(request: dict, root: Path, say, folder: Path) -> dict:
    say("cash flows of every structure", 0, 1)
    return api.finance_structures(request["run"], request.get("assumptions"), root=root, out_dir=folder / "finance")


def _operations(request: dict, root: Path, say, folder: Path) -> dict:
    say("yesterday's review and tomorrow's schedule", 0, 1)
    return api.operations_day(_scenario(request, root), request["day"], folder / "operations",
                              meter=request.get("meter"))


def serve(conn, root: str) -> None:
    """Run each job folder received on ``conn`` and answer with it when done; return when the server closes it."""
    _detach()
    while True:
        try:
            folder = conn.recv()
        except (EOFError, OSError):
            return
        execute(folder, root)
        conn.send(folder)


def execute(folder: str, root: str) -> None:
    """Run the job in ``folder`` (its ``request.json``) against the run store at ``root``."""
    folder, root = Path(folder), Path(root)
    job = read_json(folder / "request.json")
    started = time.perf_counter()

    def say(stage: str, done: int, total: int, **extra) -> None:
        write_json(folder / "progress.json", {"stage": stage, "done": done, "total": total,
                                               "elapsed_s": round(time.perf_counter() - started, 2), **extra})

    try:
        kind, request = job["kind"], job["request"]
        if kind == "run":
            result = _run(request, root, say, folder)
        elif kind == "sweep":
            result = _sweep(request, root, say)
        elif kind == "finance":
            result = _finance(request, root, say, folder)
        else:
            result = _operations(request, root, say, folder)
        outcome = {"result": result}
    except InputError as err:
        outcome = {"error": {"message": str(err), "problems": [{"path": p.path, "message": p.message}
                                                               for p in err.problems]}}
    except NoSolutionError as err:
        outcome = {"error": {"message": str(err), "status": err.status, "diagnosis": err.diagnosis}}
    except Exception as err:  # a bug: the job fails with its message; the store holds nothing half-written
        outcome = {"error": {"message": f"internal error ({type(err).__name__}): {err}"}}
    wall_s = round(time.perf_counter() - started, 3)
    outcome["wall_s"] = wall_s
    if "result" in outcome:
        outcome["result"]["job_wall_s"] = wall_s  # time inside the worker, for telling it from the service's
    write_json(folder / "outcome.json", json.loads(json.dumps(outcome, default=str)))
