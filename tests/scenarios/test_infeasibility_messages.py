"""No schedule: the message names the building, the dates and the fix; a valid outage month gets a schedule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, SolveStatus, solve
from munigrid.models.errors import NoSolutionError
from munigrid.models.tariffs.terms import TariffCostTerms
from munigrid.scenarios import api
from munigrid.scenarios.infeasibility import explain

INDEX = pd.date_range("2026-01-01", periods=48, freq="h", tz="Asia/Bangkok")


def _meter(**kwargs) -> Meter:
    terms = TariffCostTerms(1.0, np.zeros(48, int), np.full(48, 4.0), np.zeros(48), False, None, [], np.zeros(1))
    load = np.where((INDEX.hour >= 8) & (INDEX.hour < 17), 30.0, 4.0)
    return Meter("municipal_office", load, terms, **kwargs)


def test_import_limit_below_the_load_names_building_dates_and_fix():
    meter = _meter(import_limit_kw=5.0)
    result = solve(DispatchProblem(1.0, [meter]))
    assert result.status is SolveStatus.INFEASIBLE
    lines = explain(result, [meter], INDEX)
    assert lines == ["grid.import_limit_kw 5 is below the load at 18 steps of municipal_office "
                     "(2026-01-01 08:00, 2026-01-01 09:00, 2026-01-01 10:00, ...); raise it or add storage or generation"]


def test_outage_without_shedding_or_backup_names_the_outage_steps():
    outage = np.zeros(48, bool)
    outage[10:13] = True
    meter = _meter(outage=outage, battery=Battery(energy_kwh=10, power_kw=5))
    result = solve(DispatchProblem(1.0, [meter]))
    lines = explain(result, [meter], INDEX)
    assert len(lines) == 1 and "cannot be met in grid outages" in lines[0] and "2026-01-01 10:00" in lines[0]
    assert "municipal_office" in lines[0] and "voll_thb_per_kwh" in lines[0]


def _office_month(tmp_path, grid: str):
    text = f"""name: office_month
site: {{name: Tha Yang, latitude_deg: 12.97, longitude_deg: 99.89, altitude_m: 10}}
time: {{start: 2026-01-01, days: 31, step_min: 60}}
weather: {{source: synthetic, seed: 2026}}
buildings:
  - name: municipal_office
    kind: office
    annual_kwh: 165000
    tariff: pea-3.2-lt22kv
    roof_area_m2: 600
    pv_arrays:
      - {{name: main_roof, capacity_kwp: 60, tilt_deg: 12, azimuth_deg: 180}}
battery: {{building: municipal_office, energy_kwh: 40, power_kw: 20}}
generator: {{building: municipal_office, rating_kw: 120, startup_thb: 150}}
grid:
{grid}
optimisation: {{time_limit_s: 60}}
"""
    path = tmp_path / "office_month.yaml"
    path.write_text(text)
    return path


def test_office_month_with_a_daytime_outage_and_no_critical_load_has_a_schedule(tmp_path):
    """Issue 21 item 8: returned no_solution with an empty diagnosis although shedding everything is feasible."""
    grid = "  voll_thb_per_kwh: 200\n  critical_frac: 0\n  outages:\n    - {start: 2026-01-14T10:00:00, hours: 6}"
    outcome = api.run(_office_month(tmp_path, grid), store=False)
    solver = outcome.manifest["solver"]["meters"]["municipal_office"]
    assert solver["status"] == "optimal"
    outage = (outcome.results.time >= pd.Timestamp("2026-01-14 10:00", tz="Asia/Bangkok")) & \
        (outcome.results.time < pd.Timestamp("2026-01-14 16:00", tz="Asia/Bangkok"))
    assert float(outcome.results.import_kw.sel(building="municipal_office")[outage.values].max()) <= 1e-6


def test_outage_that_cannot_be_covered_says_which_dates(tmp_path):
    grid = "  outages:\n    - {start: 2026-01-14T10:00:00, hours: 6}"
    path = _office_month(tmp_path, grid)
    path.write_text(path.read_text().replace("generator: {building: municipal_office, rating_kw: 120, startup_thb: 150}\n",
                                             ""))
    with pytest.raises(NoSolutionError) as err:
        api.run(path, store=False)
    assert "municipal_office" in str(err.value) and "2026-01-14 1" in str(err.value)
