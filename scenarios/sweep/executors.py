"""Where members run: a local process pool (default) or an existing Dask distributed cluster.

Both take the same jobs and yield :class:`~munigrid.scenarios.sweep.worker.MemberOutcome`
objects as members finish, in completion order; the caller records them. The pool uses one
process per worker (HiGHS single-threaded in each) started by a fork server that has
already imported the worker's modules, so starting a worker costs a ``fork``, not a fresh
import of pandas, Pyomo and pvlib.

Pool workers die with the sweep, even on ``kill -9``: they are children of the fork server,
not of the sweep, so ``PR_SET_PDEATHSIG`` alone would not fire; each worker runs a watchdog
thread that waits on a pidfd of the sweep process (polls it where pidfds are missing) and
kills the worker when the sweep is gone. The fork server exits when its last client is gone,
and the resource tracker when the fork server is, so nothing is left holding the caller's
stdout or stderr, and no orphan solves a member that ``--resume`` would solve again.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from munigrid.models.errors import InputError
from munigrid.scenarios.sweep.plan import MemberJob
from munigrid.scenarios.sweep.worker import MemberOutcome, failure_record, solve_member

PR_SET_PDEATHSIG = 1
WATCHDOG_POLL_S = 0.5  # how often a worker checks its sweep where pidfds are missing [s]


class WorkersLost(RuntimeError):
    """The local pool lost a worker process (killed or crashed); unfinished members stay pending."""


def _wait_for_exit(pid: int) -> None:
    """Return when process ``pid`` has exited (pidfd where available, else polling)."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.poll()
        return
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass
        time.sleep(WATCHDOG_POLL_S)


def _watch_sweep(sweep_pid: int) -> None:
    """Kill this worker when the sweep process ``sweep_pid`` exits, however it ended."""
    _wait_for_exit(sweep_pid)
    os.kill(os.getpid(), signal.SIGKILL)


def _init_worker(sweep_pid: int) -> None:
    """Die with the sweep (watchdog thread, and ``PR_SET_PDEATHSIG`` for the fork server); send
    solver banners to /dev/null (workers report through their outcomes); one BLAS/OpenMP thread
    per worker, so that idle BLAS threads do not take CPU from HiGHS."""
    from threadpoolctl import threadpool_limits

    threading.Thread(target=_watch_sweep, args=(sweep_pid,), name="sweep-watchdog", daemon=True).start()

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
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                               initargs=(os.getpid(),))


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


# Seconds to wait for a Dask scheduler to answer before the sweep is refused.
CONNECT_TIMEOUT_S = 5


def connect_scheduler(address: str):
    """A Dask client connected to ``address``; :class:`InputError` (``--scheduler``) when it cannot be reached.

    Called before the sweep folder is made, so an unreachable scheduler leaves nothing behind.
    """
    from distributed import Client

    if "://" not in address or not address.split("://", 1)[1]:
        raise InputError(f"{address!r} is not a scheduler address; give e.g. tcp://10.0.0.5:8786", "--scheduler")
    try:
        return Client(address, set_as_default=False, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as err:
        raise InputError(f"no Dask scheduler answered at {address} within {CONNECT_TIMEOUT_S} s "
                         f"({type(err).__name__}); check the address and that `dask scheduler` runs there, "
                         "or leave out --scheduler to run on local processes", "--scheduler") from None


def run_dask(jobs: Iterable[MemberJob], client) -> Iterator[MemberOutcome]:
    """Solve ``jobs`` on the Dask cluster of ``client`` (see :func:`connect_scheduler`), yielding
    outcomes as they finish; the client is closed at the end.

    Task keys are the members' inputs keys. A task that kills its workers repeatedly
    (``KilledWorker``) is recorded as that member's failure.
    """
    from distributed import as_completed

    jobs = list(jobs)
    with client:
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
