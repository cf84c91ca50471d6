"""``munigrid runs report RUN`` (the click command in scenarios/commands/report_cmds.py)."""

from __future__ import annotations

import json

import pytest
import synthetic
from click.testing import CliRunner
from munigrid.scenarios.commands.report_cmds import report


@pytest.fixture(scope="module")
def store_root(tmp_path_factory):
    """A store of its own: these tests rewrite reports (other tests read the shared ones)."""
    root = tmp_path_factory.mktemp("cli-runs")
    synthetic.write_synthetic_run(root, "run-full", full=True, days=40)
    synthetic.write_synthetic_run(root, "run-min", full=False, days=10)
    synthetic.write_synthetic_sweep(root)
    return root


def _invoke(*args):
    return CliRunner().invoke(report, list(args), catch_exceptions=False)


def test_report_by_folder_writes_and_prints_json(store_root):
    result = _invoke(str(store_root / "run-min"), "--lang", "th", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out == {"kind": "run", "report": str(store_root / "run-min" / "report.html")}
    assert 'data-lang="th"' in (store_root / "run-min" / "report.html").read_text(encoding="utf-8")


def test_report_by_id_prefix_for_runs_and_sweeps(store_root):
    result = _invoke("run-f", "--root", str(store_root), "--week", "2026-02-02")
    assert result.exit_code == 0 and "run-full/report.html" in result.output
    result = _invoke("demo", "--root", str(store_root), "--json")
    assert json.loads(result.output)["kind"] == "sweep"


def test_unknown_run_and_bad_week_are_input_errors(store_root):
    from munigrid.models.errors import InputError

    runner = CliRunner()
    missing = runner.invoke(report, ["nothing-like-this", "--root", str(store_root)])
    assert isinstance(missing.exception, InputError) and "matches 'nothing-like-this'" in str(missing.exception)
    week = runner.invoke(report, [str(store_root / "run-full"), "--week", "2030-01-01"])
    assert isinstance(week.exception, InputError) and str(week.exception).startswith("week:")
    lang = runner.invoke(report, [str(store_root / "run-full"), "--lang", "fr"])
    assert lang.exit_code == 2


def _on_a_terminal(args: list[str], timeout_s: float = 120.0) -> tuple[int, str]:
    """Run ``munigrid ARGS`` with stderr on a pseudo-terminal; (exit code, what the terminal showed)."""
    import os
    import pty
    import subprocess
    import sys
    import time

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "munigrid.scenarios.cli", *args], stdout=subprocess.PIPE,
                            stderr=follower, env=os.environ | {"TERM": "xterm", "COLUMNS": "120"})
    os.close(follower)
    shown, deadline = b"", time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    proc.stdout.read()
    return proc.wait(timeout=max(1.0, deadline - time.monotonic())), shown.decode("utf-8", "replace")


def test_progress_names_the_stages_on_a_terminal_only(store_root, capfd):
    code, shown = _on_a_terminal(["runs", "report", str(store_root / "run-full")])
    assert code == 0
    assert "reading the run folder" in shown and "finance charts (2 structures)" in shown
    capfd.readouterr()
    result = CliRunner().invoke(report, [str(store_root / "run-min")])  # not a terminal: no spinner
    assert result.exit_code == 0 and "reading the run folder" not in result.output
    assert "reading the run folder" not in capfd.readouterr().err
