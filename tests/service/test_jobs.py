"""The job manager with real processes: a bounded pool with a queue, and restarts."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from service_support import small_document, wait_for
from munigrid.scenarios.service.app import create_app
from munigrid.scenarios.service.jobs import JobTable


def test_jobs_beyond_the_workers_wait_in_the_queue(tmp_path):
    with TestClient(create_app(tmp_path, workers=1)) as client:
        ids = [client.post("/api/v1/jobs", json={"kind": "run", "document": small_document(days=2)}).json()["id"]
               for _ in range(3)]
        seen_running = set()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            jobs = {j["id"]: j["status"] for j in client.get("/api/v1/jobs").json()}
            running = [i for i in ids if jobs[i] == "running"]
            assert len(running) <= 1
            seen_running.update(running)
            if all(jobs[i] == "done" for i in ids):
                break
            time.sleep(0.05)
        finished = [client.get(f"/api/v1/jobs/{i}").json() for i in ids]
        assert [j["status"] for j in finished] == ["done"] * 3
        starts = [j["started"] for j in finished]
        assert starts == sorted(starts)  # first submitted, first started
        assert len({j["result"]["run_id"] for j in finished}) == 3


def test_a_restart_shows_finished_jobs_and_marks_interrupted_ones(tmp_path):
    with TestClient(create_app(tmp_path, workers=1)) as client:
        done = client.post("/api/v1/jobs", json={"kind": "run", "document": small_document(days=2)}).json()["id"]
        assert wait_for(client, done)["status"] == "done"
        long = client.post("/api/v1/jobs", json={"kind": "run", "document": small_document(days=200),
                                                 "samples": 100}).json()["id"]
        queued = client.post("/api/v1/jobs", json={"kind": "run", "scenario": "tha-yang"}).json()["id"]
        wait_for(client, long, until=("running",))
    # the server stopped: the running job was killed, the queued one never started
    table = JobTable(tmp_path)
    table.update(queued, status="queued")  # as if the server had died without its shutdown
    with TestClient(create_app(tmp_path, workers=1)) as client:
        jobs = {j["id"]: j for j in client.get("/api/v1/jobs").json()}
        assert jobs[done]["status"] == "done" and jobs[done]["result"]["run_id"]
        assert jobs[long]["status"] == "interrupted" and "submit it again" in jobs[long]["error"]["message"]
        assert jobs[queued]["status"] == "interrupted"
        run_id = jobs[done]["result"]["run_id"]
        assert [r["id"] for r in client.get("/api/v1/runs").json()] == [run_id]  # no half-written run


@pytest.mark.slow
def test_an_interrupted_sweep_resumes_with_its_finished_members(tmp_path):
    with TestClient(create_app(tmp_path, workers=1)) as client:
        body = {"kind": "sweep", "document": small_document(days=2), "vary": {"battery.energy_kwh": [0, 50, 100, 150]}}
        first = client.post("/api/v1/jobs", json=body).json()["id"]
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            job = client.get(f"/api/v1/jobs/{first}").json()
            if job["progress"].get("done", 0) >= 1 or job["status"] not in ("queued", "running"):
                break
            time.sleep(0.05)
        assert client.delete(f"/api/v1/jobs/{first}").json()["status"] in ("cancelled", "done")
        resumed = client.post(f"/api/v1/jobs/{first}/resume")
        if client.get(f"/api/v1/jobs/{first}").json()["status"] == "done":
            return  # finished before the cancel arrived: nothing to resume (checked by the API test)
        assert resumed.status_code == 202
        job = wait_for(client, resumed.json()["id"])
        assert job["status"] == "done", job
        assert job["result"]["counts"]["ok"] == 4 and job["result"]["counts"]["skipped_done"] >= 1
