"""Fixtures: the bundled Tha Yang scenario as an operations site (built once per session)."""

from __future__ import annotations

import pytest

from munigrid.scenarios import api
from munigrid.scenarios.operations.site import operations_site


@pytest.fixture(scope="session")
def tha_yang():
    """The validated bundled scenario."""
    return api.load("tha-yang")


@pytest.fixture(scope="session")
def site(tha_yang):
    """Its battery building with archetype history, PV and tariff."""
    return operations_site(tha_yang, tha_yang._base_dir)
