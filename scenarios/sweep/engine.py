"""Run a sweep or a portfolio end to end: plan, resume, execute, record, combine.

:func:`run_sweep` is the one entry point (the ``munigrid sweep`` command is a thin layer on
it). The process calling it is the only writer of the sweep folder; it holds the folder's
lock while it runs, records each member as it finishes (atomically), and at the end writes
the combined member table and KPI Dataset. Run again with ``resume=True`` after any
interrupt: partial member folders are removed and reported, finished and failed members
are kept, and only the rest are solved.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from munigrid.models.errors import InputError
from munigrid.scenarios.library import load_scenario, read_yaml
from munigrid.scenarios.schema import Scenario
from munigrid.scenarios.sweep.executors import connect_scheduler, run_dask, run_local
from munigrid.scenarios.sweep.plan import SweepPlan, build_plan
from munigrid.scenarios.sweep.portfolio import portfolio_scenarios
from munigrid.scenarios.sweep.spec import SweepSpec, parse_sweep
from munigrid.solver_runs.store import default_root
from munigrid.solver_runs.sweeps.combine import combine
from munigrid.solver_runs.sweeps.ledger import SweepFolder, sweeps_root

Progress = Callable[[int, int, int], None]
"""Called as members finish with (members finished, members to run, of which failed)."""


@dataclass
class SweepOutcome:
    """What a sweep pass did and produced.

    Attributes
    ----------
    sweep_id : str
    path : Path
        The sweep folder.
    table : pandas.DataFrame
        One row per (member, site): parameters, key, status, error, KPIs.
    kpis : xarray.Dataset
        The same KPIs over dims ``member`` x ``site``.
    counts : dict
        ``members`` (planned member x site entries), ``distinct`` (distinct inputs), ``ok``,
        ``failed``, ``pending``, ``solved_now``, ``skipped_done`` (finished before this pass),
        ``partial_cleared``.
    timings : dict
        ``wall_s`` of the pass, ``solver_s`` summed, mean ``worker_overhead_s`` (worker
        time outside the solver) and ``record_s`` (parent time storing one member) [s].
    """

    sweep_id: str
    path: Path
    table: pd.DataFrame
    kpis: xr.Dataset
    counts: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """Counts, timings, where it is, and each failure with its error, as one JSON-ready object."""
        failed = self.table[self.table["status"] == "failed"]
        return {"sweep_id": self.sweep_id, "path": str(self.path), "counts": self.counts,
                "timings": self.timings,
                "failures": [{"member": int(r.member), "site": r.site, "error": r.error} for r in failed.itertuples()]}


def load_spec(spec: SweepSpec | dict | str | Path | None, scenario: Scenario) -> SweepSpec | None:
    """The sweep spec: given as a model, a dict or a YAML file, else the scenario's ``sweep:`` block."""
    if spec is None:
        return getattr(scenario, "sweep", None)
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, dict):
        return parse_sweep(spec)
    data = read_yaml(Path(spec))
    if isinstance(data, dict) and set(data) == {"sweep"}:
        data = data["sweep"]
    return parse_sweep(data, str(spec))


def make_plan(scenario: str | Path | Scenario, spec: SweepSpec | dict | str | Path | None = None,
              portfolio: str | Path | None = None, base_dir: Path | None = None) -> SweepPlan:
    """Plan a sweep of ``scenario`` (bundled name, YAML path or Scenario) by ``spec`` over ``portfolio`` sites."""
    if isinstance(scenario, Scenario):
        base, base_dir = scenario, Path(base_dir or ".")
    else:
        base, path = load_scenario(scenario)
        base_dir = Path(base_dir or path.parent)
    sweep = load_spec(spec, base)
    if sweep is None and portfolio is None:
        raise InputError("nothing to sweep: give a sweep spec (--spec FILE, or a `sweep:` block in the "
                         "scenario) or a portfolio (--portfolio CSV)", "sweep")
    template = base.model_dump(mode="json", exclude={"sweep"})
    sites = portfolio_scenarios(base, Path(portfolio)) if portfolio is not None else {base.site.name: template}
    name = sweep.name if sweep is not None else f"{base.name}-portfolio"
    return build_plan(name, sites, sweep, base_dir)


def _open_folder(plan: SweepPlan, root: Path, resume: bool) -> SweepFolder:
    path = sweeps_root(root) / plan.sweep_id
    if resume and path.exists():
        return SweepFolder.open(path)
    return SweepFolder.create(root, plan.sweep_id, plan.record)


def run_sweep(scenario: str | Path | Scenario, *, spec: SweepSpec | dict | str | Path | None = None,
              portfolio: str | Path | None = None, workers: int | None = None, scheduler: str | None = None,
              resume: bool = False, retry_failed: bool = False, root: Path | None = None,
              base_dir: Path | None = None, series: bool = True, progress: Progress | None = None) -> SweepOutcome:
    """Plan, run and combine a sweep; see the module docstring.

    Parameters
    ----------
    scenario : str, Path or Scenario
        Base scenario (the template of every portfolio site).
    spec : SweepSpec, dict, str or Path, optional
        The sweep; default the scenario's ``sweep:`` block.
    portfolio : str or Path, optional
        Portfolio CSV (see :mod:`munigrid.scenarios.sweep.portfolio`).
    workers : int, optional
        Local worker processes (default: the number of CPUs).
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); runs there instead of locally.
    resume : bool
        Finish an interrupted sweep with the same members instead of refusing to reuse its folder.
    retry_failed : bool
        With ``resume``: solve failed members again too.
    root : Path, optional
        Run store root (default ``$MUNIGRID_RUNS`` or ``./runs``).
    base_dir : Path, optional
        Folder that relative files in the scenario are read from (default: the scenario file's).
    series : bool
        Store each member's time series (``results.nc``); False keeps only its KPIs and
        manifest, which for large portfolios saves about 1 MB and 0.2 s of writing per site-year.
    progress : callable, optional
        ``progress(finished, to_run, failed)`` after each member.
    """
    start = time.perf_counter()
    if workers is not None and workers < 1:
        raise InputError(f"must be at least 1, got {workers}", "--workers")
    plan = make_plan(scenario, spec, portfolio, base_dir)
    client = connect_scheduler(scheduler) if scheduler else None
    try:
        folder = _open_folder(plan, Path(root or default_root()), resume)
    except BaseException:
        if client is not None:
            client.close()
        raise
    with folder.lock():
        cleared = folder.clear_partial()
        done = folder.done_keys()
        for key, record in plan.invalid.items():
            folder.record_failure(key, record)
        failed_before = set(folder.failures())
        todo = [dataclasses.replace(job, keep_series=series) for key, job in plan.jobs.items()
                if key not in done and (retry_failed or key not in failed_before)]
        say = progress or (lambda finished, total, failed: None)
        say(0, len(todo), 0)
        n_workers = min(workers or os.cpu_count() or 1, max(len(todo), 1))
        executed = run_dask(todo, client) if client is not None else run_local(todo, n_workers)
        finished = failed = 0
        solver_s = overhead_s = record_s = 0.0
        for outcome in executed if todo else ():
            tick = time.perf_counter()
            if outcome.ok:
                results = outcome.results if outcome.results is not None else xr.Dataset(
                    attrs={"note": "time series not kept: the sweep ran with series off"})
                folder.record_success(outcome.key, outcome.manifest, results, outcome.summary)
            else:
                folder.record_failure(outcome.key, dict(outcome.failure, worker=outcome.worker,
                                                        wall_s=round(outcome.wall_s, 4)))
                failed += 1
            record_s += time.perf_counter() - tick
            solver_s += outcome.solver_s
            overhead_s += outcome.wall_s - outcome.solver_s
            finished += 1
            say(finished, len(todo), failed)
        if client is not None:
            client.close()  # when nothing was left to run, run_dask never opened it
        table, kpis = combine(folder)
        status = table.drop_duplicates("key")["status"].value_counts()
        counts = {"members": len(table), "distinct": int(table["key"].nunique()),
                  "ok": int(status.get("ok", 0)), "failed": int(status.get("failed", 0)),
                  "pending": int(status.get("pending", 0)), "solved_now": finished,
                  "skipped_done": len(done & set(plan.jobs)), "partial_cleared": len(cleared)}
        timings = {"wall_s": round(time.perf_counter() - start, 3), "solver_s": round(solver_s, 3),
                   "worker_overhead_s": round(overhead_s / finished, 4) if finished else None,
                   "record_s": round(record_s / finished, 4) if finished else None,
                   "executor": f"dask {scheduler}" if scheduler else f"local x{n_workers}"}
        folder.write_status({"counts": counts, "timings": timings, "partial_cleared": cleared})
    return SweepOutcome(plan.sweep_id, folder.path, table, kpis, counts, timings)
