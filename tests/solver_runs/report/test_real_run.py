"""The report of a real run through ``munigrid.scenarios.api.run`` (the runner calls it)."""

from __future__ import annotations

from munigrid.scenarios import api
from munigrid.scenarios.schema import Scenario
from report_payload import arr, charts_of


def test_api_run_writes_a_report_with_every_core_chart(tmp_path):
    data = api.load("tha-yang").model_dump(mode="json")
    data["buildings"] = data["buildings"][:2]
    data["time"].update(start="2026-03-02", days=9)
    outcome = api.run(Scenario.model_validate(data), root=tmp_path, base_dir=tmp_path)
    assert outcome.report_path == outcome.run_dir / "report.html"
    charts = charts_of(outcome.report_path)
    assert {"monthly_energy", "monthly_bill", "dispatch_week", "soc_heatmap", "load_duration",
            "monthly_peaks"} <= set(charts)
    week = charts["dispatch_week"]["figure"]["data"]
    load = [t for t in week if t["name"] == "Load"][0]
    site = [t for t in week if t.get("visible", True) is not False]
    supply = sum(arr(t["y"]) for t in site if str(t.get("stackgroup", "")).startswith(("supply", "charge")))
    assert abs(supply - arr(load["y"])).max() < 1e-6 * max(1.0, arr(load["y"]).max())
    bill = charts["monthly_bill"]["figure"]["data"]
    assert abs(sum(arr(t["y"]).sum() for t in bill if t["name"] == "After")
               - outcome.summary.loc["total", "cost_after_thb"]) < 1.0
