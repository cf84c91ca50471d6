"""Every entry of the bad-input corpus ends in exit 2 with the field named, no traceback, no file contents."""

from __future__ import annotations

import os

import pytest
from corpus_cases import cases, run_case


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_bad_input_ends_in_exit_2_naming_the_field(case, tmp_path, monkeypatch):
    monkeypatch.setenv("MUNIGRID_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("MUNIGRID_TEST_SECRET", "s3cr3t-value-never-echoed")
    code, output = run_case(case, tmp_path)
    assert code == 2, output
    assert case.expect in output, output
    assert "Traceback" not in output and "internal error" not in output
    assert "s3cr3t-value-never-echoed" not in output  # /proc/self/environ never echoed
    assert "root:x:0" not in output  # /etc/passwd never echoed
    assert len(output) < 4000, "a message quotes a whole input"


def test_the_corpus_is_large_and_its_base_is_valid(tmp_path):
    from munigrid.scenarios import api
    from corpus_cases import CORPUS

    assert len(cases()) >= 60
    assert api.check(api.load(CORPUS / "base.yaml")) == []
    assert os.path.getsize(CORPUS / "yaml_alias_bomb.yaml") < 1000
