"""`munigrid serve` as a user meets it: submit latency, a run through the API, the home page, concurrency.

Starts `munigrid serve` as a subprocess on a free loopback port over a fresh run store and
measures over real HTTP (httpx):

1. job submit latency (POST /api/v1/jobs until the 202 arrives), median of ``--submits``;
2. the bundled Tha Yang run (a year, hourly, no Monte Carlo, report written) through the API
   (submit, poll every 200 ms until done) against the same run in-process with
   ``munigrid.scenarios.api.run`` (goal: API <= 1.2 x in-process); the first job after start-up
   (cold) and later ones (warm) are reported separately;
3. the home page with 1,000 runs in the index (goal <= 300 ms), after a first request that
   indexes them;
4. ``--concurrent`` submissions at once with 2 workers: every job completes, none is lost or
   run twice (one stored run per job, all distinct).

Results go to ``benchmarks/results/serve.json``.

    python benchmarks/bench_serve.py [--repeats 3] [--runs-in-index 1000] [--concurrent 20] [--only run]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from munigrid.scenarios import api
from munigrid.solver_runs.sweeps import index

RESULTS = Path(__file__).parent / "results" / "serve.json"
POLL_S = 0.2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`munigrid serve` in a subprocess, stopped on exit."""

    def __init__(self, root: Path, workers: int):
        self.port = _free_port()
        exe = Path(sys.executable).with_name("munigrid")
        command = [str(exe)] if exe.exists() else [sys.executable, "-m", "munigrid.scenarios.cli"]
        tick = time.perf_counter()
        self.process = subprocess.Popen([*command, "serve", "--root", str(root), "--port", str(self.port),
                                         "--workers", str(workers)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=120)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                self.client.get("/api/v1/scenarios")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        self.startup_s = time.perf_counter() - tick

    def wait(self, job_id: str, timeout_s: float = 600) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.client.get(f"/api/v1/jobs/{job_id}").json()
            if job["status"] not in ("queued", "running"):
                return job
            time.sleep(POLL_S)
        raise TimeoutError(job_id)

    def close(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(timeout=30)


def _small_document(days: int) -> dict:
    doc = api.load("tha-yang").model_dump(mode="json", exclude_none=True, exclude={"sweep"})
    doc["time"]["days"] = days
    return doc


def _api_run(server: Server) -> tuple[float, float]:
    """Wall time through the API and, of it, the time inside the worker process [s]."""
    tick = time.perf_counter()
    job_id = server.client.post("/api/v1/jobs", json={"kind": "run", "scenario": "tha-yang"}).json()["id"]
    job = server.wait(job_id)
    assert job["status"] == "done", job
    return time.perf_counter() - tick, job["result"]["job_wall_s"]


def _in_process_run(root: Path) -> float:
    tick = time.perf_counter()
    api.run("tha-yang", root=root, samples=0)
    return time.perf_counter() - tick


def bench_run(root: Path, repeats: int) -> dict:
    """Tha Yang through the API (cold first job, then warm) against in-process (cold first call, then warm)."""
    cold_in = _in_process_run(root / "inproc")
    warm_in = [_in_process_run(root / "inproc") for _ in range(repeats)]
    server = Server(root / "served", workers=2)
    try:
        cold_api, _ = _api_run(server)
        warm = [_api_run(server) for _ in range(repeats)]
        startup_s = server.startup_s
    finally:
        server.close()
    warm_api = [api_s for api_s, _ in warm]
    overhead = [api_s - job_s for api_s, job_s in warm]
    ratio = statistics.median(warm_api) / statistics.median(warm_in)
    return {"server_startup_s": startup_s, "in_process_cold_s": cold_in, "in_process_warm_s": warm_in,
            "api_cold_s": cold_api, "api_warm_s": warm_api, "job_inside_worker_s": [job_s for _, job_s in warm],
            "service_overhead_s": overhead, "api_over_in_process_warm": ratio, "goal_ratio": 1.2, "met": ratio <= 1.2}


def bench_submit(root: Path, submits: int) -> dict:
    """POST /api/v1/jobs round trips (a bundled name and a small document), then cancel them."""
    server = Server(root, workers=1)
    try:
        out = {}
        for label, body in (("bundled_name", {"kind": "run", "scenario": "tha-yang"}),
                            ("document", {"kind": "run", "document": _small_document(7)})):
            times, ids = [], []
            for _ in range(submits):
                tick = time.perf_counter()
                reply = server.client.post("/api/v1/jobs", json=body)
                times.append(time.perf_counter() - tick)
                ids.append(reply.json()["id"])
            for job_id in ids:
                server.client.delete(f"/api/v1/jobs/{job_id}")
            out[label] = {"median_ms": 1e3 * statistics.median(times), "max_ms": 1e3 * max(times)}
    finally:
        server.close()
    return out


def bench_home(root: Path, runs: int, repeats: int) -> dict:
    """GET / with ``runs`` runs in the index: the first request (indexes them) and later ones."""
    template = api.run(api.parse_document(_small_document(2)), root=root / "seed", report=False).run_dir
    store = root / "many"
    store.mkdir()
    for i in range(runs):
        shutil.copytree(template, store / f"20260101T{i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}-bench-{i:08x}")
    server = Server(store, workers=1)
    try:
        tick = time.perf_counter()
        first = server.client.get("/")
        first_s = time.perf_counter() - tick
        assert first.status_code == 200
        times = []
        for _ in range(repeats):
            tick = time.perf_counter()
            server.client.get("/")
            times.append(time.perf_counter() - tick)
        listed = len(server.client.get("/api/v1/runs").json())
    finally:
        server.close()
    median_ms = 1e3 * statistics.median(times)
    return {"runs_in_index": listed, "first_request_ms": 1e3 * first_s, "median_ms": median_ms,
            "max_ms": 1e3 * max(times), "goal_ms": 300, "met": median_ms <= 300}


def bench_concurrent(root: Path, submissions: int) -> dict:
    """``submissions`` POSTs at once against 2 workers: all complete, one distinct stored run each."""
    server = Server(root, workers=2)
    try:
        body = {"kind": "run", "document": _small_document(2)}
        tick = time.perf_counter()
        with ThreadPoolExecutor(max_workers=submissions) as pool:
            replies = list(pool.map(lambda _: server.client.post("/api/v1/jobs", json=body), range(submissions)))
        ids = [r.json()["id"] for r in replies]
        jobs = [server.wait(job_id) for job_id in ids]
        wall_s = time.perf_counter() - tick
    finally:
        server.close()
    run_ids = [j["result"]["run_id"] for j in jobs if j["status"] == "done"]
    stored = [e.run_id for e in index.entries(root, "run")]
    return {"submitted": submissions, "accepted": sum(r.status_code == 202 for r in replies),
            "done": len(run_ids), "distinct_runs": len(set(run_ids)), "runs_in_store": len(stored),
            "wall_s": wall_s, "met": len(run_ids) == len(set(run_ids)) == len(stored) == submissions}


def main() -> None:
    """Run the benchmark and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--submits", type=int, default=20)
    parser.add_argument("--runs-in-index", type=int, default=1000)
    parser.add_argument("--concurrent", type=int, default=20)
    parser.add_argument("--only", choices=["submit", "run", "home", "concurrent"], action="append",
                        help="Measure only these parts (repeatable); the others keep their figures in the JSON.")
    args = parser.parse_args()
    parts = {"submit": lambda folder: bench_submit(folder, args.submits),
             "run": lambda folder: bench_run(folder, args.repeats),
             "home": lambda folder: bench_home(folder, args.runs_in_index, 10),
             "concurrent": lambda folder: bench_concurrent(folder, args.concurrent)}
    results = json.loads(RESULTS.read_text()) if args.only and RESULTS.is_file() else {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, measure in parts.items():
            if args.only and name not in args.only:
                continue
            (Path(tmp) / name).mkdir()
            results[name] = measure(Path(tmp) / name)
    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "note": "shared 2-core machine, other jobs running"}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    s, r, h, c = results["submit"], results["run"], results["home"], results["concurrent"]
    print(f"submit latency: {s['bundled_name']['median_ms']:.1f} ms (bundled name), "
          f"{s['document']['median_ms']:.1f} ms (scenario document), median of {args.submits}")
    print(f"Tha Yang run: API warm {statistics.median(r['api_warm_s']):.2f} s (of which in the worker "
          f"{statistics.median(r['job_inside_worker_s']):.2f} s, service {statistics.median(r['service_overhead_s']):.2f} s)"
          f" vs in-process warm {statistics.median(r['in_process_warm_s']):.2f} s = "
          f"{r['api_over_in_process_warm']:.2f} x (goal <= 1.2 x); "
          f"cold: API {r['api_cold_s']:.2f} s (server start {r['server_startup_s']:.1f} s) vs in-process "
          f"{r['in_process_cold_s']:.2f} s")
    print(f"home page with {h['runs_in_index']} runs: {h['median_ms']:.0f} ms median (first request, indexing them: "
          f"{h['first_request_ms']:.0f} ms; goal <= 300 ms)")
    print(f"{c['submitted']} concurrent submissions, 2 workers: {c['done']} done, {c['distinct_runs']} distinct runs, "
          f"{c['runs_in_store']} in the store, {c['wall_s']:.1f} s")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
