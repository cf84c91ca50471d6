"""The JSON API with the real app: scenarios, jobs, results, tariffs, runs, uploads; bad input gets 4xx naming the field."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pandas as pd
import pytest
import xarray as xr
import yaml

from service_support import small_document, wait_for
from munigrid.solver_runs.sweeps import index


def _paths(reply) -> list[str]:
    return [p["path"] for p in reply.json()["detail"]]


def test_bundled_scenarios_are_listed_and_served_as_documents(client):
    names = [s["name"] for s in client.get("/api/v1/scenarios").json()]
    assert {"tha-yang", "tha-yang-sizing"} <= set(names)
    doc = client.get("/api/v1/scenarios/tha-yang").json()
    assert doc["name"] == "tha-yang" and len(doc["buildings"]) == 5
    missing = client.get("/api/v1/scenarios/no-such-place")
    assert missing.status_code == 404 and "tha-yang" in missing.json()["detail"][0]["message"]


def test_validate_gives_every_problem_with_the_messages_of_the_cli(client, tmp_path):
    doc = small_document()
    doc["battery"]["soc_min_frac"] = 2
    doc["buildings"][1]["kind"] = "castle"
    doc["buildings"][0]["tilt"] = 5
    reply = client.post("/api/v1/scenarios/validate", json=doc)
    assert reply.status_code == 422
    problems = {p["path"]: p["message"] for p in reply.json()["detail"]}
    assert set(problems) == {"battery.soc_min_frac", "buildings[1].kind", "buildings[0].tilt"}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    cli = subprocess.run([sys.executable, "-m", "munigrid.scenarios.cli", "validate", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 2
    for where, message in problems.items():
        assert f"{where}: {message}" in cli.stderr


def test_validate_accepts_yaml_and_names_syntax_errors(client):
    good = client.post("/api/v1/scenarios/validate", content=yaml.safe_dump(small_document()),
                       headers={"Content-Type": "application/yaml"})
    assert good.status_code == 200 and good.json()["valid"] and good.json()["days"] == 3
    broken = client.post("/api/v1/scenarios/validate", content="name: [unclosed", headers={"Content-Type": "application/yaml"})
    assert broken.status_code == 422 and "not valid YAML" in broken.json()["detail"][0]["message"]
    not_json = client.post("/api/v1/scenarios/validate", content="{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422 and _paths(not_json) == ["body"]
    a_list = client.post("/api/v1/scenarios/validate", json=[1, 2])
    assert a_list.status_code == 422 and "mapping" in a_list.json()["detail"][0]["message"]


def test_a_document_cannot_point_at_server_files(client):
    doc = small_document()
    doc["buildings"][0]["load_csv"] = "/etc/passwd"
    doc["weather"] = {"source": "file", "file": "../../secret.epw"}
    reply = client.post("/api/v1/scenarios/validate", json=doc)
    assert reply.status_code == 422
    assert set(_paths(reply)) == {"buildings[0].load_csv", "weather.file"}
    assert "upload" in reply.json()["detail"][0]["message"]


def test_an_uploaded_meter_file_can_be_referred_to(client, tmp_path):
    index_ = pd.date_range("2026-01-01", periods=24 * 4, freq="h", tz="Asia/Bangkok")
    csv = "time,load_kw\n" + "".join(f"{t.isoformat()},{20 + (t.hour % 12)}\n" for t in index_)
    name = client.post("/api/v1/uploads", files={"file": ("office.csv", csv.encode(), "text/csv")}).json()["name"]
    assert name.startswith("upload-") and name.endswith(".csv")
    doc = small_document()
    doc["buildings"][0]["load_csv"] = name
    assert client.post("/api/v1/scenarios/validate", json=doc).status_code == 200
    wrong = client.post("/api/v1/uploads", files={"file": ("tool.exe", b"MZ", "application/octet-stream")})
    assert wrong.status_code == 422 and _paths(wrong) == ["file"]


def test_run_job_reports_progress_and_serves_every_result(client, run_job, store):
    assert run_job["progress"]["total"] > 0 and run_job["started"] and run_job["finished"]
    job_id, run_id = run_job["id"], run_job["result"]["run_id"]
    assert (store / run_id / "manifest.json").is_file()
    summary = client.get(f"/api/v1/jobs/{job_id}/results/summary.json").json()
    assert summary["total"]["load_mwh"] > 0
    bills = client.get(f"/api/v1/jobs/{job_id}/results/bills.csv")
    assert bills.status_code == 200 and "attachment" in bills.headers["content-disposition"]
    assert len(pd.read_csv(io.StringIO(bills.text))) > 0
    nc = client.get(f"/api/v1/jobs/{job_id}/results/results.nc")
    results = xr.open_dataset(io.BytesIO(nc.content), engine="h5netcdf")
    assert results.sizes["time"] == 3 * 24
    report = client.get(f"/api/v1/jobs/{job_id}/results/report.html")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "<script" in report.text and '<script src="http' not in report.text
    assert yaml.safe_load(client.get(f"/api/v1/jobs/{job_id}/results/scenario.yaml").text)["time"]["days"] == 3
    assert client.get(f"/api/v1/jobs/{job_id}/results/case.xlsx").status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}/results/..%2Fmanifest.json").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"kind": "dance", "scenario": "tha-yang"}, "body.kind"),
    ({"kind": "run", "scenario": "tha-yang", "samples": -1}, "body.samples"),
    ({"kind": "run", "scenario": "tha-yang", "colour": "red"}, "body.colour"),
    ({"kind": "run"}, "scenario"),
    ({"kind": "run", "scenario": "tha-yang", "document": {"name": "x"}}, "scenario"),
    ({"kind": "run", "scenario": "../etc"}, "scenario"),
    ({"kind": "run", "document": {"name": "x"}}, "site"),
    ({"kind": "sweep", "scenario": "tha-yang"}, "vary"),
    ({"kind": "sweep", "scenario": "tha-yang", "vary": {"a": [1], "b": [2], "c": [3]}}, "vary"),
    ({"kind": "sweep", "scenario": "tha-yang", "vary": {"battery/../x": [1]}}, "vary.battery/../x"),
    ({"kind": "sweep", "scenario": "tha-yang", "portfolio": "/etc/passwd"}, "portfolio"),
    ({"kind": "finance"}, "run"),
    ({"kind": "finance", "run": "nope"}, "run"),
    ({"kind": "operations", "scenario": "tha-yang", "day": "tomorrow"}, "day"),
])
def test_bad_job_requests_name_the_field(client, body, field):
    reply = client.post("/api/v1/jobs", json=body)
    assert reply.status_code in (404, 422), reply.text
    assert field in _paths(reply), reply.json()


def test_jobs_are_listed_newest_first_and_filtered_by_status(client, run_job):
    jobs = client.get("/api/v1/jobs").json()
    assert run_job["id"] in [j["id"] for j in jobs]
    done = client.get("/api/v1/jobs?status=done").json()
    assert done and all(j["status"] == "done" for j in done)


def test_unknown_job_ids_are_404_and_odd_ids_never_reach_the_disk(client):
    for job_id in ("j0000000000000000", "../../etc", "x" * 300):
        assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404
        assert client.delete(f"/api/v1/jobs/{job_id}").status_code == 404


def test_cancel_kills_a_running_job_and_stores_nothing(client, store):
    before = {e.run_id for e in index.entries(store)}
    doc = small_document(days=120)
    job_id = client.post("/api/v1/jobs", json={"kind": "run", "document": doc, "samples": 50}).json()["id"]
    wait_for(client, job_id, until=("running", "done", "failed"))
    cancelled = client.delete(f"/api/v1/jobs/{job_id}").json()
    assert cancelled["status"] == "cancelled"
    assert client.delete(f"/api/v1/jobs/{job_id}").json()["status"] == "cancelled"
    assert {e.run_id for e in index.entries(store)} == before
    assert client.get(f"/api/v1/jobs/{job_id}/results/summary.json").status_code == 409


def test_a_failed_job_keeps_its_message(client):
    doc = small_document()
    doc["time"]["start"] = "2026-03-01"
    doc["grid"] = {"outages": [{"start": "2026-03-01T10:00:00", "hours": 30}]}
    doc["battery"] = None
    doc.pop("battery")
    job_id = client.post("/api/v1/jobs", json={"kind": "operations", "document": doc, "day": "2026-03-02"})
    assert job_id.status_code == 422 and _paths(job_id) == ["battery"]
    job_id = client.post("/api/v1/jobs", json={"kind": "operations", "scenario": "tha-yang", "day": "2031-01-01"}).json()["id"]
    job = wait_for(client, job_id)
    assert job["status"] == "failed" and job["error"]["problems"][0]["path"] == "--day"


def test_finance_job_gives_every_structure_and_its_workbook(client, run_job):
    run_id = run_job["result"]["run_id"]
    bad = client.post("/api/v1/jobs", json={"kind": "finance", "run": run_id, "assumptions": {"years": 0, "colour": 1}})
    assert bad.status_code == 422 and set(_paths(bad)) == {"years", "colour"}
    longer = client.post("/api/v1/jobs", json={"kind": "finance", "run": run_id, "assumptions": {"years": 10}})
    assert longer.status_code == 422 and _paths(longer) == ["term"]
    job_id = client.post("/api/v1/jobs", json={"kind": "finance", "run": run_id,
                                               "assumptions": {"years": 15, "term": 15, "debt_frac": 0.5}}).json()["id"]
    job = wait_for(client, job_id)
    assert job["status"] == "done", job
    structures = job["result"]["structures"]
    assert list(structures) == ["municipal", "esco", "esco-guaranteed", "ppa", "ppp"]
    for summary in structures.values():
        assert summary["years"] == 15
        assert {"npv_thb", "irr_frac", "irr_status", "payback_years", "lcoe_thb_per_kwh", "min_dscr"} <= set(summary["investor"])
    assert structures["municipal"]["municipality"]["min_dscr"] is not None  # debt: DSCR reported
    workbook = client.get(f"/api/v1/jobs/{job_id}/results/case.xlsx?structure=ppa")
    assert workbook.status_code == 200 and zipfile.is_zipfile(io.BytesIO(workbook.content))
    assert client.get(f"/api/v1/jobs/{job_id}/results/case.xlsx?structure=../../x").status_code == 422
    assert client.get(f"/api/v1/jobs/{job_id}/results/finance.json").json()["run"] == run_id


def test_sweep_job_runs_its_members_and_can_be_shown(client, run_job):
    job_id = client.post("/api/v1/jobs", json={"kind": "sweep", "document": small_document(),
                                               "vary": {"battery.energy_kwh": [0, 150]}}).json()["id"]
    job = wait_for(client, job_id)
    assert job["status"] == "done", job
    assert job["result"]["counts"]["ok"] == 2 and job["progress"]["total"] == 2
    sweep_id = job["result"]["sweep_id"]
    members = client.get(f"/api/v1/jobs/{job_id}/members").json()
    assert [m["status"] for m in members] == ["ok", "ok"] and members[1]["battery.energy_kwh"] == 150
    assert members[0]["cost_after_thb"] > 0
    assert client.get(f"/api/v1/jobs/{run_job['id']}/members").status_code == 422
    shown = client.get(f"/api/v1/runs/{sweep_id}").json()
    assert shown["kind"] == "sweep" and len(shown["kpis"]) == 2
    table = client.get(f"/api/v1/jobs/{job_id}/results/table.csv")
    assert sorted(pd.read_csv(io.StringIO(table.text))["battery.energy_kwh"]) == [0, 150]
    again = client.post(f"/api/v1/jobs/{job_id}/resume")
    assert again.status_code == 422 and "done" in again.json()["detail"][0]["message"]


def test_tariffs_and_billing_an_uploaded_meter_file(client):
    tariffs = client.get("/api/v1/tariffs").json()
    assert "pea-3.2-lt22kv" in {t["id"] for t in tariffs}
    times = pd.date_range("2026-01-01", periods=31 * 96, freq="15min", tz="Asia/Bangkok")
    csv = "time,import_kw\n" + "".join(f"{t.isoformat()},{40 + 20 * (9 <= t.hour < 17)}\n" for t in times)
    bill = client.post("/api/v1/tariffs/pea-3.2-lt22kv/bill", files={"meter": ("m.csv", csv.encode(), "text/csv")})
    assert bill.status_code == 200, bill.text
    assert bill.json()["months"][0]["month"].startswith("2026-01") and bill.json()["total_thb"] > 0
    unknown = client.post("/api/v1/tariffs/pea-9.9/bill", files={"meter": ("m.csv", csv.encode(), "text/csv")})
    assert unknown.status_code == 404 and _paths(unknown) == ["tariff_id"]
    broken = client.post("/api/v1/tariffs/pea-3.2-lt22kv/bill", files={"meter": ("m.csv", b"when,what\nx,y\n", "text/csv")})
    assert broken.status_code == 422 and broken.json()["detail"][0]["message"]
    missing = client.post("/api/v1/tariffs/pea-3.2-lt22kv/bill")
    assert missing.status_code == 422 and _paths(missing) == ["body.meter"]


def test_runs_list_show_compare(client, run_job, store):
    listed = client.get("/api/v1/runs").json()
    ids = [r["id"] for r in listed]
    run_id = run_job["result"]["run_id"]
    assert run_id in ids and ids == sorted(ids, reverse=True)
    assert all(r["kind"] == "run" for r in client.get("/api/v1/runs?kind=run").json())
    assert client.get("/api/v1/runs?kind=party").status_code == 422
    shown = client.get(f"/api/v1/runs/{run_id}").json()
    assert shown["solver"]["meters"] and "total" in shown["kpis"]
    bills = client.get(f"/api/v1/runs/{run_id}/files/bills.csv")
    assert bills.status_code == 200 and "month" in bills.text.splitlines()[0]
    assert client.get(f"/api/v1/runs/{run_id}/files/table.csv").status_code == 404  # a sweep's file, not a run's
    assert client.get(f"/api/v1/runs/{run_id}/files/manifest.json").json()["scenario"] == "tha-yang"
    assert client.get("/api/v1/runs/20261201").status_code == 404  # no prefix matching over the API
    first = [r["id"] for r in listed if r["kind"] == "run" and r["id"] != run_id][0]
    side = client.get(f"/api/v1/compare?runs={first}&runs={run_id}").json()
    assert side["columns"][:2] == [first, run_id] and any(c.startswith("Δ") for c in side["columns"])
    cost = next(r for r in side["rows"] if r["kpi"] == "cost_after_thb")
    assert cost["values"][2] == pytest.approx(cost["values"][1] - cost["values"][0])
    assert client.get(f"/api/v1/compare?runs={run_id}").status_code == 422
    assert client.get(f"/api/v1/compare?runs={run_id}&runs=nope").status_code == 404


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/jobs", "/api/v1/jobs/{job_id}", "/api/v1/scenarios/validate", "/api/v1/tariffs",
            "/api/v1/runs", "/api/v1/compare"} <= set(spec["paths"])
    assert "Scenario" in spec["components"]["schemas"] and "Battery" in spec["components"]["schemas"]
    document = spec["components"]["schemas"]["JobRequest"]["properties"]["document"]
    assert {"$ref": "#/components/schemas/Scenario"} in document["anyOf"]
    page = client.get("/docs")
    assert page.status_code == 200 and "/api/v1/jobs" in page.text and "cdn" not in page.text.lower()


def test_foreign_origin_cannot_drive_the_api(client):
    reply = client.post("/api/v1/jobs", json={"kind": "run", "scenario": "tha-yang"},
                        headers={"Origin": "http://evil.example"})
    assert reply.status_code == 403 and _paths(reply) == ["origin"]


def test_serve_refuses_a_public_address_without_a_token_and_a_busy_port():
    cli = subprocess.run([sys.executable, "-m", "munigrid.scenarios.cli", "serve", "--host", "0.0.0.0"],
                         capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert cli.returncode == 2 and "--token" in cli.stderr
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cli = subprocess.run([sys.executable, "-m", "munigrid.scenarios.cli", "serve", "--port", str(port)],
                             capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert cli.returncode == 2 and "--port" in cli.stderr and "Traceback" not in cli.stderr


def test_finance_structures_of_the_service_are_the_finance_models():
    from munigrid.scenarios import api
    from munigrid.scenarios.finance import STRUCTURES

    assert api.FINANCE_STRUCTURES == STRUCTURES
