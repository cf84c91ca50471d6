"""What a worker does with one member: run it in memory and hand back the outcome as data.

Workers never write to the run store: the process running the sweep is its only writer, so
a worker on a Dask cluster needs no shared disk, and a killed worker or parent leaves no
half-counted member (see :mod:`munigrid.solver_runs.sweeps.ledger`). A member that fails
comes back as a failure record with its error; it never stops the sweep. HiGHS uses one
thread per member (set by the runner), so one worker process per core is the right size.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from munigrid.models.errors import InputError, NoSolutionError
from munigrid.scenarios.sweep.plan import MemberJob


@dataclass
class MemberOutcome:
    """A solved or failed member.

    Attributes
    ----------
    key, label : str
        The member's inputs key and ``m0003/site`` label.
    manifest, results, summary
        The run's manifest, time series and KPI table (None when it failed; ``results`` also
        None when the job does not keep series).
    failure : dict or None
        ``kind`` (``input``, ``no_solution``, ``error``), ``message``, ``problems`` / ``traceback``.
    wall_s : float
        Time the worker spent on the member [s].
    solver_s : float
        Of which in the solver (build and solve of every meter) [s].
    worker : str
        ``host:pid`` of the worker.
    """

    key: str
    label: str
    manifest: dict | None
    results: xr.Dataset | None
    summary: pd.DataFrame | None
    failure: dict | None
    wall_s: float
    solver_s: float
    worker: str

    @property
    def ok(self) -> bool:
        """Whether the member was solved."""
        return self.failure is None


def failure_record(err: BaseException, label: str) -> dict:
    """A JSON-ready description of why a member failed."""
    if isinstance(err, InputError):
        return {"kind": "input", "label": label, "message": str(err), "problems": [str(p) for p in err.problems]}
    if isinstance(err, NoSolutionError):
        return {"kind": "no_solution", "label": label, "message": str(err), "status": err.status,
                "diagnosis": list(err.diagnosis)}
    return {"kind": "error", "label": label, "message": f"{type(err).__name__}: {err}",
            "traceback": "".join(traceback.format_exception(err))}


def solve_member(job: MemberJob) -> MemberOutcome:
    """Run one member with :func:`munigrid.scenarios.api.run` (nothing stored, no report)."""
    from munigrid.scenarios import api
    from munigrid.scenarios.schema import parse_scenario

    start = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        outcome = api.run(parse_scenario(job.scenario, job.label), store=False, report=False,
                          base_dir=Path(job.base_dir))
    except Exception as err:  # any failure is the member's outcome, never the sweep's
        return MemberOutcome(job.key, job.label, None, None, None, failure_record(err, job.label),
                             time.perf_counter() - start, 0.0, worker)
    solver = outcome.manifest.get("solver", {})
    solver_s = float(solver.get("build_s", 0.0)) + float(solver.get("solve_s", 0.0))
    manifest = dict(outcome.manifest, sweep_member=job.label, sweep_key=job.key, series_kept=job.keep_series)
    results = outcome.results if job.keep_series else None
    return MemberOutcome(job.key, job.label, manifest, results, outcome.summary, None,
                         time.perf_counter() - start, solver_s, worker)
