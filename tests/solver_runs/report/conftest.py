"""Fixtures: a full synthetic run (every optional file), a minimal one, and a sweep, with reports."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import synthetic  # noqa: E402
from munigrid.solver_runs.report import write_run_report, write_sweep_report  # noqa: E402


@pytest.fixture(scope="session")
def store_root(tmp_path_factory) -> Path:
    """A run store with ``run-full``, ``run-min`` and the sweep ``demo-sweep``."""
    root = tmp_path_factory.mktemp("runs")
    synthetic.write_synthetic_run(root, "run-full", full=True)
    synthetic.write_synthetic_run(root, "run-min", full=False, days=20)
    synthetic.write_synthetic_sweep(root)
    return root


@pytest.fixture(scope="session")
def full_report(store_root) -> Path:
    """``report.html`` of the run with every optional file."""
    return write_run_report(store_root / "run-full")


@pytest.fixture(scope="session")
def min_report(store_root) -> Path:
    """``report.html`` (Thai first) of the run without finance, simulation, skill or bills before."""
    return write_run_report(store_root / "run-min", lang="th")


@pytest.fixture(scope="session")
def sweep_report(store_root) -> Path:
    """``report.html`` of the sweep."""
    return write_sweep_report(store_root / "sweeps" / "demo-sweep")
