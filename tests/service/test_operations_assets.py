"""The service's operations job (yesterday's review, tomorrow's schedule) on a meter with two batteries."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from service_support import wait_for

sys.path.insert(0, str(Path(__file__).parents[1] / "scenarios" / "operations"))
from assets_support import two_battery_document  # noqa: E402


@pytest.mark.slow  # two forecaster fits (the default ensemble) and a day of intraday re-plans: about a minute
def test_operations_job_with_two_batteries(client):
    reply = client.post("/api/v1/jobs", json={"kind": "operations", "document": two_battery_document(),
                                              "day": "2026-03-11"})
    assert reply.status_code == 202, reply.text
    job_id = reply.json()["id"]
    job = wait_for(client, job_id)
    assert job["status"] == "done", job
    shown = client.get(f"/api/v1/jobs/{job_id}")
    assert shown.status_code == 200
    schedule = shown.json()["result"]["schedule"]
    assert list(schedule["header"]["batteries"]) == ["lfp", "lead_acid"]
    assert schedule["header"]["start_state"]["sources"]["soc"] == "end of the previous day's review"
    review = shown.json()["result"]["review"]
    assert schedule["header"]["start_state"]["battery_soc_kwh"] == review["end_state"]["battery_soc_kwh"]
    assert {"lfp:battery_setpoint_kw", "lead_acid:expected_soc_kwh"} <= set(schedule["rows"][0])
    stored = client.get(f"/api/v1/jobs/{job_id}/results/schedule.csv")
    assert stored.status_code == 200 and "lead_acid:battery_setpoint_kw" in stored.text
    assert client.get(f"/operations/{job_id}").status_code == 200


def test_operations_job_refuses_batteries_behind_two_meters(client):
    doc = two_battery_document()
    doc["batteries"][1]["building"] = "municipal_school"
    reply = client.post("/api/v1/jobs", json={"kind": "operations", "document": doc, "day": "2026-03-11"})
    assert reply.status_code == 422
    assert [p["path"] for p in reply.json()["detail"]] == ["batteries"]


def test_operations_job_names_an_unknown_meter(client):
    reply = client.post("/api/v1/jobs", json={"kind": "operations", "scenario": "tha-yang-flex", "day": "2026-03-11",
                                              "meter": "nowhere"})
    assert reply.status_code == 422
    assert [p["path"] for p in reply.json()["detail"]] == ["meter"]
