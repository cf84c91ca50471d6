"""The HTTP adapter served by uvicorn on 127.0.0.1: a device posts measurements and polls set points."""

from __future__ import annotations

import httpx
import pandas as pd
import pytest
from ems_quick import DAY, GUARD_KW, config, controller, sim_site
from sim_site import free_port

from munigrid.scenarios.operations.link.http import HttpLink, HttpRegistry, Served
from munigrid.scenarios.operations.link.log import log_path, read_log
from munigrid.scenarios.operations.link.replay import replay

STEPS = 16


@pytest.fixture
def served():
    """A registry of sites served on a free 127.0.0.1 port, and an HTTP client to it."""
    sites = HttpRegistry()
    port = free_port()
    server = Served("127.0.0.1", port, sites)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5.0) as client:
        yield sites, client
    server.stop()


def test_routes_and_openapi_schema(served):
    sites, client = served
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert {"/api/v1/ems/{site}/measurements", "/api/v1/ems/{site}/setpoint", "/api/v1/ems/{site}/plan"} <= set(paths)
    assert {"MeasurementIn", "SetpointOut", "PlanOut"} <= set(schema["components"]["schemas"])
    # unknown site: 404 naming the served ones; a body that is no measurement: 422
    cfg = config({"kind": "http"})
    HttpLink(cfg.adapter, "office", 120, sites).connect()
    missing = client.get("/api/v1/ems/school/setpoint")
    assert missing.status_code == 404 and "served: office" in missing.json()["detail"]
    bad = client.post("/api/v1/ems/office/measurements", json={"time": "2026-03-10T08:00", "soc_pct": "full"})
    assert bad.status_code == 422
    assert client.get("/api/v1/ems/office/setpoint").status_code == 404  # before the first step


@pytest.mark.slow
def test_day_over_http(site15, day_series, served, tmp_path):
    sites, client = served
    sim = sim_site(site15, day_series, DAY)
    cfg = config({"kind": "http", "wait_s": 2.0})
    link = HttpLink(cfg.adapter, cfg.site, cfg.safety.max_age_s, sites)
    ctl, clock = controller(site15, cfg, link, DAY, tmp_path)

    def post():  # without battery_kw: the controller takes the battery to follow its set point
        values = {k: v for k, v in sim.readings().items() if k != "battery_kw"}
        answer = client.post(f"/api/v1/ems/{cfg.site}/measurements",
                             json={**values, "time": values["time"].isoformat()})
        assert answer.status_code == 202

    plans = []

    def device(now):
        plans.append(client.get(f"/api/v1/ems/{cfg.site}/plan").json())
        setpoint = client.get(f"/api/v1/ems/{cfg.site}/setpoint").json()
        sim.write(setpoint["setpoint_kw"])
        sim.advance(now)
        if now < DAY + pd.Timedelta(hours=2) or now >= DAY + pd.Timedelta(hours=2, minutes=30):
            post()  # the 02:00 and 02:15 measurements never come

    sites.add(link)
    post()
    clock.on_advance(device)
    ctl.run(steps=STEPS)
    records, _ = read_log(log_path(tmp_path, cfg.site, DAY))
    steps = [r for r in records if r["kind"] == "step"]
    assert [r["mode"] for r in steps] == ["normal"] * 8 + ["safe"] * 2 + ["normal"] * 6
    assert all(plan["step_min"] == 15 and plan["steps"] for plan in plans)
    assert plans[-1]["steps"][0]["time"] == steps[-2]["step"]  # re-planned every step
    assert client.get(f"/api/v1/ems/{cfg.site}/plan").status_code == 404  # no longer served once stopped
    trace = sim.trace()
    assert (trace.loc[trace["battery_kw"] > 1e-6, "import_kw"] <= GUARD_KW + 1e-3).all()
    assert replay(site15, records).max_diff_kw < 1e-6
