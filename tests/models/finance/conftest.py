"""Fixtures of the finance tests (builders in finance_cases.py)."""

from __future__ import annotations

import pytest
from finance_cases import battery_inputs, simple_inputs
from munigrid.models.finance import ProjectInputs


@pytest.fixture
def simple() -> ProjectInputs:
    return simple_inputs()


@pytest.fixture
def mixed() -> ProjectInputs:
    return battery_inputs()
