"""``munigrid finance`` / ``api.finance`` on a real stored run: one folder per structure, the
structure named everywhere, ``--structure all`` side by side, the report per structure."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from munigrid.models.errors import InputError
from munigrid.scenarios import api
from munigrid.scenarios import finance as finance_cases
from munigrid.scenarios.cli import cli, main
from munigrid.scenarios.schema import Scenario


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """Tha Yang's office (with its battery) and school, one week, dispatched by HiGHS and stored."""
    data = api.load("tha-yang").model_dump(mode="json")
    data["buildings"] = data["buildings"][:2]
    data["time"]["days"] = 7
    outcome = api.run(Scenario.model_validate(data), root=tmp_path_factory.mktemp("runs"), samples=0)
    return outcome.run_dir


@pytest.fixture(scope="module")
def all_json(run_dir):
    """``munigrid finance RUN --structure all --json`` once for the module."""
    result = CliRunner().invoke(cli, ["finance", str(run_dir), "--structure", "all", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_all_writes_one_folder_per_structure_named_inside(run_dir, all_json):
    assert list(all_json["structures"]) == list(finance_cases.STRUCTURES)
    for name, summary in all_json["structures"].items():
        folder = run_dir / "finance" / name
        assert summary["structure"] == name and summary["folder"] == str(folder)
        assert (folder / f"case-{name}.xlsx").is_file()
        for table in ("metrics", "municipality", "investor", "project", "tornado", "npv_percentiles"):
            assert set(pd.read_csv(folder / f"{table}.csv")["structure"]) == {name}, (name, table)
    comparison = pd.read_csv(run_dir / "finance" / finance_cases.COMPARISON_FILE)
    assert len(comparison) == 3 * len(finance_cases.STRUCTURES)
    assert all_json["report"] == str(run_dir / "report.html")
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    for name in finance_cases.STRUCTURES:
        assert f"Cash flows by party: {name}" in report


def test_irr_is_shown_only_where_it_is_a_return(all_json):
    for name, summary in all_json["structures"].items():
        for party in ("project", "municipality", "investor"):
            m = summary[party]
            assert (m["irr_frac"] is not None) == (m["irr_status"] == "unique"), (name, party)
            if m["irr_frac"] is None and m["irr_status"] != "none" or m["irr_note"].startswith("all cash flows are p"):
                assert " in year" in m["irr_note"], (name, party)  # the sign pattern is the reason


def test_net_savings_have_one_meaning_for_every_party(all_json):
    municipal = all_json["structures"]["municipal"]
    # municipal ownership: the municipality keeps all savings, as the project does
    for key in ("net_savings_year1_thb", "net_savings_total_thb"):
        assert municipal["municipality"][key] == pytest.approx(municipal["project"][key])
    assert municipal["project"]["net_savings_total_thb"] > 10 * municipal["project"]["net_savings_year1_thb"]


def test_one_structure_replaces_only_its_folder(run_dir, all_json):
    before = {p.parent.name: p.stat().st_mtime_ns for p in (run_dir / "finance").glob("*/metrics.csv")}
    assert len(before) == len(finance_cases.STRUCTURES)
    stages = []
    outcome = api.finance(run_dir, "esco", terms=finance_cases.ContractTerms(esco_share_frac=0.5),
                          progress=stages.append)
    assert outcome.replaced == ["esco"] and outcome.report_path == run_dir / "report.html"
    assert stages[0] == "loading the dispatch" and stages[-1] == "writing the report"
    assert "esco: tables, workbook, tornado, NPV percentiles" in stages
    after = {p.parent.name: p.stat().st_mtime_ns for p in (run_dir / "finance").glob("*/metrics.csv")}
    assert {n for n in after if after[n] != before[n]} == {"esco"}
    comparison = pd.read_csv(run_dir / "finance" / finance_cases.COMPARISON_FILE)
    esco = comparison[(comparison["structure"] == "esco") & (comparison["party"] == "municipality")]
    assert esco["npv_thb"].iloc[0] == pytest.approx(outcome.cases["esco"].summary()["municipality"]["npv_thb"])


def test_out_leaves_the_run_and_its_report_alone(run_dir, all_json, tmp_path):
    report_mtime = (run_dir / "report.html").stat().st_mtime_ns
    result = CliRunner().invoke(cli, ["finance", str(run_dir), "--structure", "ppa,municipal", "--out",
                                      str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["municipal", "ppa"]
    assert (run_dir / "report.html").stat().st_mtime_ns == report_mtime
    assert "report.html not rewritten" in result.output
    # the screen names the structures and the periods
    assert "municipal" in result.output and "ppa" in result.output
    assert "net savings, year 1 [THB]" in result.output and "net savings, years 1-20 [THB]" in result.output


def test_a_failed_write_keeps_the_previous_cases(run_dir, all_json, monkeypatch):
    before = (run_dir / "finance" / "ppp" / "metrics.csv").read_bytes()
    real = finance_cases._write_one

    def fail_on_ppp(case, *args, **kwargs):
        if case.structure.name == "ppp":
            raise OSError("disk full")
        return real(case, *args, **kwargs)

    monkeypatch.setattr(finance_cases, "_write_one", fail_on_ppp)
    with pytest.raises(OSError):
        api.finance(run_dir, ["ppa", "ppp"], terms=finance_cases.ContractTerms(ppa_discount_frac=0.5))
    assert (run_dir / "finance" / "ppp" / "metrics.csv").read_bytes() == before
    assert not list((run_dir / "finance").glob(".staging-*"))
    ppa = pd.read_csv(run_dir / "finance" / "ppa" / "metrics.csv")  # not swapped in either: all or nothing
    assert ppa["npv_thb"].iloc[1] == pytest.approx(all_json["structures"]["ppa"]["municipality"]["npv_thb"])


@pytest.mark.parametrize("args, field", [(["--structure", "bogus"], "structure"),
                                         (["--structure", "esco", "--term", "0"], "esco: structure.term_years")])
def test_bad_structure_options_exit_2_naming_the_field(run_dir, args, field, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["finance", str(run_dir), *args])
    assert exit_info.value.code == 2
    assert field in capsys.readouterr().err


def test_parse_structures():
    assert finance_cases.parse_structures("all") == finance_cases.STRUCTURES
    assert finance_cases.parse_structures("ppp, esco") == ("esco", "ppp")
    with pytest.raises(InputError, match="choose from municipal, esco"):
        finance_cases.parse_structures("esco,nope")
