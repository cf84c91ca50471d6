"""Imported once by the jobs' fork server, so that every job process forked from it starts warm.

Importing this module imports the engine and the report (plotly) and builds the inputs of a
two-day Tha Yang scenario (weather, PV, loads, tariffs) and one bill, which fills the caches
every job reads (tariff library, holiday calendars, pvlib data). Forked jobs inherit all of it.
No solver runs here: HiGHS threads must not exist in a process that forks.
"""

from __future__ import annotations

from munigrid.scenarios import api
from munigrid.scenarios.inputs import ft_schedule
from munigrid.solver_runs.report import write_run_report, write_sweep_report  # noqa: F401  (imported to warm)

WARM_DAYS = 2


def warm_up() -> None:
    """Inputs and a bill of a short bundled scenario (nothing is stored)."""
    scenario = api.load("tha-yang")
    scenario.time.days = WARM_DAYS
    inputs = api.inputs(scenario)
    first = inputs.buildings[0]
    first.tariff.bill(first.load_kw, ft=ft_schedule(scenario))


try:
    warm_up()
except Exception:  # warming only saves time: each job does the same work itself, with its own error messages
    pass
