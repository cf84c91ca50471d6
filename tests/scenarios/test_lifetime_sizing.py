"""``munigrid size --lifetime``: sizing over the project life against the typical year, judged by the
simulated life; bad input exits 2 naming the option or field."""

from __future__ import annotations

import pytest

from munigrid.scenarios import api
from munigrid.scenarios.cli import main
from munigrid.scenarios.lifetime_sizing import anchor_years

DAYS = 7


@pytest.mark.parametrize("args, named", [
    (["--lifetime", "--samples", "2"], "--lifetime"),
    (["--lifetime", "--load-growth", "0.5"], "--load-growth"),
    (["--lifetime", "--years", "0"], "--years"),
    (["--lifetime", "--years", "5", "--anchors", "8"], "anchors"),
    (["--lifetime", "--escalation", "steep"], "--escalation"),
    (["--lifetime", "--time-limit", "nan"], "--time-limit"),
    (["--days-per-month", "7"], "--days-per-month"),
])
def test_bad_options_exit_2_naming_them(args, named, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["size", "tha-yang-sizing", *args])
    assert stop.value.code == 2
    assert named in capsys.readouterr().err


def test_dispatch_scenario_exits_2_naming_the_mode(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["size", "tha-yang", "--lifetime"])
    assert stop.value.code == 2
    assert "optimisation.mode" in capsys.readouterr().err


def test_anchor_years_follow_fast_or_the_count():
    assert anchor_years(20, None, 0.0) == (1, 20)
    assert anchor_years(20, None, 0.02) == (1, 11, 20)
    assert anchor_years(20, 5, 0.0) == (1, 6, 10, 15, 20)
    assert anchor_years(1, None, 0.0) == (1,)


@pytest.fixture(scope="module")
def week_outcome():
    """Tha Yang sizing over one week, office and school only, 10-year life with load growth."""
    scenario = api.load("tha-yang-sizing")
    keep = [b for b in scenario.buildings if b.name in ("municipal_office", "municipal_school")]
    scenario = scenario.model_copy(update={"time": scenario.time.model_copy(update={"days": DAYS}),
                                           "buildings": keep})
    return api.size_over_life(scenario, years=10, load_growth_frac_per_year=0.02)


@pytest.mark.slow
def test_lifetime_design_is_no_dearer_over_the_life(week_outcome):
    """The lifetime design minimises the life's cost on the anchors: no dearer there than the typical-year
    design (each priced at its own simulated fade; 0.1 % for the fade difference between the two)."""
    typical, life = week_outcome["typical_year"], week_outcome["lifetime"]
    assert life["life_cost_thb"] <= typical["life_cost_thb"] * (1 + 1e-3)
    assert week_outcome["anchors"] == [1, 6, 10]
    assert sum(week_outcome["anchor_weights"]) == pytest.approx(1.0)
    last = week_outcome["rounds"][-1]
    assert last["moved_frac"] < 0.01 or len(week_outcome["rounds"]) == 3
    assert (last["pv_kwp"], last["battery_kwh"]) == pytest.approx((life["pv_kwp"], life["battery_kwh"]))
    for design in (typical, life):
        assert set(design) >= {"npv_thb", "lcoe_thb_per_kwh", "battery_replacement_years", "life_cost_thb"}
        assert all(1 <= y < 10 for y in design["battery_replacement_years"])
