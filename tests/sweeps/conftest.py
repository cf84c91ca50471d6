"""Fixtures of the sweep tests: a two-building, two-day Tha Yang and a 2 x 2 grid spec."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sweep_support import SPEC, scenario_and_dir

from munigrid.scenarios.schema import Scenario


@pytest.fixture
def scenario() -> Scenario:
    """Tha Yang's office (with its battery) and school, two days."""
    return scenario_and_dir()[0]


@pytest.fixture
def spec() -> dict:
    """Battery size x load growth, 2 x 2 members."""
    return copy.deepcopy(SPEC)


@pytest.fixture
def here() -> Path:
    """Base folder for relative files (the small scenario reads none)."""
    return Path(__file__).parent
