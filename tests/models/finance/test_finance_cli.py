"""``munigrid finance`` end to end on the bundled scenario (runs the dispatch: slow)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from munigrid.scenarios.cli import cli


@pytest.mark.slow
def test_finance_json_at_grid_parity(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["finance", "tha-yang", "--structure", "ppa", "--discount", "0", "--json",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    assert summary["structure"] == "ppa"
    assert summary["municipality"]["net_savings_thb"] == pytest.approx(0.0, abs=1e-3)  # PPA at grid parity
    assert (tmp_path / "case.xlsx").is_file() and (tmp_path / "investor.csv").is_file()
