"""The sweep report compares finished members and lists failed and pending ones."""

from __future__ import annotations

import pandas as pd
import pytest
from munigrid.models.errors import InputError
from munigrid.solver_runs.report import write_sweep_report
from munigrid.solver_runs.report.sweep_report import member_label
from report_payload import arr, charts_of


def test_member_costs_match_the_member_summaries(store_root, sweep_report):
    charts = charts_of(sweep_report)
    assert set(charts) == {"member_costs", "member_tradeoff"}
    bars = [t for t in charts["member_costs"]["figure"]["data"] if t["type"] == "bar"][0]
    assert list(bars["x"]) == ["#0 energy_kwh=0", "#1 energy_kwh=100"]
    members = store_root / "sweeps" / "demo-sweep" / "members"
    expected = [pd.read_csv(members / key / "summary.csv", index_col=0).loc["total", "cost_after_thb"]
                for key in ("k0", "k1")]
    assert arr(bars["y"]) == pytest.approx(expected)


def test_failed_and_pending_members_are_listed(sweep_report):
    text = sweep_report.read_text(encoding="utf-8")
    assert "failed" in text and "pending" in text
    assert "battery.energy_kwh: &lt;bad&gt;" in text
    assert "#3 energy_kwh=300" in text


def test_member_label_marks_scaled_parameters():
    parameters = [{"path": "battery.energy_kwh", "apply": "set"}, {"path": "buildings[*].annual_kwh", "apply": "scale"}]
    label = member_label(4, {"battery.energy_kwh": 150, "buildings[*].annual_kwh": 1.2}, parameters)
    assert label == "#4 energy_kwh=150, annual_kwh×1.2"
    assert member_label(0, {}, []) == "#0"


def test_not_a_sweep_folder(tmp_path):
    with pytest.raises(InputError, match="not a sweep folder"):
        write_sweep_report(tmp_path)
