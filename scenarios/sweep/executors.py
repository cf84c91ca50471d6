"""Where members run: a local process pool (default) or an existing Dask distributed cluster.

Both take the same jobs and yield :class:`~munigrid.scenarios.sweep.worker.MemberOutcome`
objects as members finish, in completion order; the caller records them. The pool uses one
process per worker (HiGHS single-threaded in each) started by a fork server that has
already imported the worker's modules, so starting a worker costs a ``fork``, not a fresh
import of pandas, Pyomo and pvlib. Pool workers die with the process that started them
(``PR_SET_PDEATHSIG`` on Linux), so a killed sweep leaves no orphan solving members that
``--resume`` would then solve a second time.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from munigrid.scenarios.sweep.plan import MemberJob
from munigrid.scenarios.sweep.worker import MemberOutcome, failure_record, solve_member

PR_SET_PDEATHSIG = 1


class WorkersLost(RuntimeError):
    """The local pool lost a worker process (killed or crashed); unfinished members stay pending."""


def _init_worker() -> None:
    """Die with the parent; send solver banners to /dev/null (workers report through their outcomes);
    one BLAS/OpenMP thread per worker, so that idle BLAS threads do not take CPU from HiGHS."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)


def _pool(workers: int) -> ProcessPoolExecutor:
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["munigrid.scenarios.sweep.worker", "munigrid.scenarios.api"])
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker)


def run_local(jobs: Iterable[MemberJob], workers: int) -> Iterator[MemberOutcome]:
    """Solve ``jobs`` on ``workers`` local processes, yielding outcomes as they finish.

    At most ``2 * workers`` members are queued at a time, so an interrupt loses no more work
    than is running and memory stays flat for any number of members.
    """
    pending = iter(jobs)
    pool = _pool(workers)
    running = {}
    try:
        for job in pending:
            running[pool.submit(solve_member, job)] = job
            if len(running) >= 2 * workers:
                break
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                try:
                    outcome = future.result()
                except Exception as err:  # BrokenProcessPool: which member killed it is unknown
                    raise WorkersLost(f"a worker process died while solving ({err}); members not yet "
                                      "finished are still pending: run again with --resume") from None
                yield outcome
                following = next(pending, None)
                if following is not None:
                    running[pool.submit(solve_member, following)] = following
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def run_dask(jobs: Iterable[MemberJob], address: str) -> Iterator[MemberOutcome]:
    """Solve ``jobs`` on the Dask cluster whose scheduler is at ``address``, yielding outcomes as they finish.

    Task keys are the members' inputs keys. A task that kills its workers repeatedly
    (``KilledWorker``) is recorded as that member's failure.
    """
    from distributed import Client, as_completed

    jobs = list(jobs)
    with Client(address, set_as_default=False) as client:
        futures = client.map(solve_member, jobs, key=[f"munigrid-member-{j.key}" for j in jobs], pure=False)
        by_future = dict(zip(futures, jobs))
        try:
            for future in as_completed(futures, loop=client.loop):
                job = by_future.pop(future)
                try:
                    outcome = future.result()
                except Exception as err:  # the task itself died (KilledWorker, lost data)
                    outcome = MemberOutcome(job.key, job.label, None, None, None, failure_record(err, job.label),
                                            0.0, 0.0, "dask")
                future.release()
                yield outcome
        finally:
            client.cancel(list(by_future))
