"""Archetype loads: scaling, calendars, holidays, school terms, street lighting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.forecasting.archetypes import KINDS, archetype_data, archetype_load_kw
from munigrid.forecasting.calendar import day_type
from munigrid.models.errors import InputError
from munigrid.models.timegrid import make_index

YEAR_H = make_index("2025-01-01", 8760, 60)


@pytest.mark.parametrize("kind", KINDS)
def test_annual_energy_matches_request(kind):
    load = archetype_load_kw(kind, YEAR_H, annual_kwh=50_000, seed=1)
    assert load.sum() == pytest.approx(50_000, rel=0.03)  # noise averages out over a year
    assert (load >= 0).all() and load.attrs["units"] == "kW"


def test_every_assumption_has_a_source():
    for kind, spec in archetype_data()["kinds"].items():
        for key in spec:
            if key in ("workday", "saturday", "sunday_or_holiday"):
                assert "shape_source" in spec, kind
            elif not key.endswith(("source", "description")) and key not in ("terms", "on_below_elevation_deg"):
                assert any(k.startswith(key.split("_")[0]) and k.endswith("source") for k in spec), (kind, key)


def test_floor_area_uses_eui_and_15_min_steps_keep_energy():
    q = make_index("2025-01-01", 8760 * 4, 15)
    load = archetype_load_kw("office", q, floor_area_m2=1000)
    assert load.sum() * 0.25 == pytest.approx(1000 * archetype_data()["kinds"]["office"]["eui_kwh_per_m2_year"], rel=0.03)


def test_office_follows_thai_calendar():
    load = archetype_load_kw("office", YEAR_H, seed=2)
    songkran = load["2025-04-14 10:00"]
    normal = load["2025-04-21 10:00"]  # a Monday
    assert songkran < 0.2 * normal
    assert load["2025-04-19 10:00"] < 0.2 * normal  # Saturday
    lunch, afternoon = load["2025-04-21 12:00"], load["2025-04-21 13:00"]
    assert lunch < 0.5 * afternoon


def test_buildings_are_closed_on_substitution_days_but_open_on_labour_day():
    idx = make_index("2025-01-01", 365 * 24, 60)
    kind = pd.Series(day_type(idx), index=idx).resample("D").first()
    assert kind["2025-04-14"] == 2 and kind["2025-04-16"] == 2  # Songkran and its substitution day
    assert kind["2025-05-01"] == 0  # Labour Day: public offices open (occupancy_days assumption)
    assert (day_type(idx[:24]) == 2).all()  # New Year's Day


def test_school_breaks_are_quieter_than_term():
    load = archetype_load_kw("school", YEAR_H)
    term = load["2025-06-09":"2025-06-13"].between_time("09:00", "11:59").mean()  # first term
    april = load["2025-04-21":"2025-04-25"].between_time("09:00", "11:59").mean()  # long break
    assert april < 0.5 * term


def test_street_lighting_is_on_at_night_only():
    load = archetype_load_kw("street_lighting", YEAR_H, annual_kwh=43_800)
    assert load["2025-06-01 12:00"] == 0 and load["2025-06-01 00:00"] == pytest.approx(load.max())
    on_hours = (load > 0).sum()
    assert 4_300 < on_hours < 4_800


def test_temperature_raises_office_load():
    hot = archetype_load_kw("office", YEAR_H, temperature_c=np.full(8760, 34.0))
    mild = archetype_load_kw("office", YEAR_H, temperature_c=np.full(8760, 26.0))
    assert hot.sum() > 1.15 * mild.sum()


def test_bad_input_collects_problems():
    with pytest.raises(InputError, match="kind"):
        archetype_load_kw("hospital", YEAR_H)
    with pytest.raises(InputError) as err:
        archetype_load_kw("street_lighting", YEAR_H, floor_area_m2=100, temperature_c=np.ones(3))
    assert {p.path for p in err.value.problems} == {"floor_area_m2", "temperature_c"}
