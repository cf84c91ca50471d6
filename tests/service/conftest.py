"""Fixtures of the service tests: a run store with one real run, the real app, small scenario documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_support import small_document, wait_for

from munigrid.scenarios import api


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
