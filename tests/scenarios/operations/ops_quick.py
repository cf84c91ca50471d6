"""Quick builders for the operations tests (imported by name; not a conftest)."""

from __future__ import annotations

from munigrid.scenarios.operations import daily

#: The quick load model for tests where the model does not matter (the default ensemble takes seconds).
QUICK_LOAD_MODEL = "calendar_regression"


def make_schedule(site, day, **kwargs):
    """:func:`munigrid.scenarios.operations.daily.make_schedule` with :data:`QUICK_LOAD_MODEL`."""
    return daily.make_schedule(site, day, load_model=QUICK_LOAD_MODEL, **kwargs)
