"""Fixtures of the service tests: a run store with one real run, the real app, small scenario documents."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from munigrid.scenarios import api

SMALL_DAYS = 3
JOB_TIMEOUT_S = 180.0


def small_document(days: int = SMALL_DAYS) -> dict:
    """The bundled Tha Yang scenario shortened to a few days (a run takes about a second)."""
    doc = api.load("tha-yang").model_dump(mode="json", exclude_none=True, exclude={"sweep"})
    doc["time"]["days"] = days
    return doc


def wait_for(client, job_id: str, timeout_s: float = JOB_TIMEOUT_S, until=("done", "failed", "cancelled")) -> dict:
    """Poll a job until its status is one of ``until`` (bounded in time)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in until:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout_s} s")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """A run store holding one small Tha Yang run made in-process (the bundled run to compare with)."""
    root = tmp_path_factory.mktemp("store")
    scenario = api.parse_document(small_document())
    api.run(scenario, root=root, report=False)
    return root


@pytest.fixture(scope="module")
def client(store):
    """The real app over ``store`` with two job workers, its job manager running."""
    from fastapi.testclient import TestClient

    from munigrid.scenarios.service.app import create_app

    with TestClient(create_app(store, workers=2)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def run_job(client) -> dict:
    """A finished run job submitted through the API (a scenario document, no Monte Carlo)."""
    reply = client.post("/api/v1/jobs", json={"kind": "run", "document": small_document()})
    assert reply.status_code == 202, reply.text
    job = wait_for(client, reply.json()["id"])
    assert job["status"] == "done", job
    return job
