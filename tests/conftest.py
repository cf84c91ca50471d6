"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; tests needing it skip with the reason when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"validation data not found at {SHARED_DATA} (only present beside the development checkout)")
    return SHARED_DATA
