"""Helpers of the service tests: small scenario documents and waiting for jobs (imported by name, not via conftest)."""

from __future__ import annotations

import time

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
