"""Sampled years operated by the optimiser: each equals a direct solve of that year; P-values by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from munigrid.models.dispatch import DispatchProblem, SolveOptions, solve
from munigrid.models.errors import InputError
from munigrid.models.simulation.ensemble import METRICS
from munigrid.models.simulation.sampling import day_block_bootstrap
from munigrid.scenarios import api
from munigrid.scenarios.cli import cli
from munigrid.scenarios.inputs import ft_schedule
from munigrid.scenarios.runner import meter_for
from munigrid.scenarios.simulation import _optimiser_sources, ft_process_for, simulate_scenario, site_percentiles
from munigrid.scenarios.uncertainty import dispatch_sample, schedule_metrics

DAYS, SAMPLES = 28, 2


@pytest.fixture(scope="module")
def short_site():
    """Tha Yang over four weeks (the office hosts the battery)."""
    scenario = api.load("tha-yang")
    return scenario.model_copy(update={"time": scenario.time.model_copy(update={"days": DAYS})})


def _year_by_hand(scenario, inputs, day_row):
    """The office's sampled year built from the day map by plain indexing, solved directly."""
    office = inputs.building("municipal_office")
    dispatch = scenario.model_copy(
        update={"optimisation": scenario.optimisation.model_copy(update={"mode": "dispatch"})})
    meter = meter_for(office, inputs, dispatch, ft_schedule(scenario))[0]
    steps = np.concatenate([np.arange(24 * d, 24 * d + 24) for d in day_row])
    pv = [replace(a, ac_kw_per_kwp=office.pv_kw_per_kwp[a.name].to_numpy()[steps]) for a in meter.pv]
    meter = replace(meter, load_kw=office.load_kw.to_numpy()[steps], pv=pv)
    return meter, solve(DispatchProblem(step_h=1.0, meters=[meter], options=SolveOptions(threads=1)))


def test_sampled_year_equals_a_direct_solve(short_site):
    samples, _ = simulate_scenario(short_site, samples=SAMPLES, operator="optimiser", workers=1)
    assert samples.attrs["optimised_buildings"] == "municipal_office"
    day_map = day_block_bootstrap(SAMPLES, DAYS, DAYS, block_days=7, year_stride_days=DAYS, seed=0)
    inputs = api.inputs(short_site)
    source = _optimiser_sources(short_site, [inputs], ft_schedule(short_site))[0]
    for s in range(SAMPLES):
        meter, direct = _year_by_hand(short_site, inputs, day_map[s])
        metrics = schedule_metrics(meter, direct, 1.0)
        office = samples.sel(building="municipal_office", sample=s)
        for k, name in enumerate(("cost_thb", "energy_cost_thb", "demand_cost_thb", "import_kwh", "load_kwh",
                                  "pv_kwh", "self_sufficiency_frac", "peak_import_kw", "equivalent_full_cycles")):
            expected = metrics[[n for n, _ in METRICS].index(name)]
            assert float(office[name]) == pytest.approx(expected, rel=1e-9, abs=1e-9), name
        _, result = dispatch_sample(source, day_map[s], 1.0, 1.0, SolveOptions(threads=1))
        assert result.objective_thb == pytest.approx(direct.objective_thb, rel=1e-12)
        mine, theirs = result.schedules["municipal_office"], direct.schedules["municipal_office"]
        for field in ("import_kw", "charge_kw", "discharge_kw", "soc_kwh", "curtailed_kw"):
            np.testing.assert_allclose(getattr(mine, field), getattr(theirs, field), rtol=1e-12, atol=1e-9)
    rule, _ = simulate_scenario(short_site, samples=SAMPLES, operator="rule")
    others = [b for b in rule.building.values if b != "municipal_office"]  # nothing to decide: the kernel
    xr.testing.assert_allclose(rule.sel(building=others), samples.sel(building=others))
    assert (samples.sel(building="municipal_office").cost_thb < rule.sel(building="municipal_office").cost_thb).all()


def test_p_values_by_hand():
    """Site cost per sample 110, 220, 330, 440, 550: linear quantiles P10 154, P50 330, P90 506."""
    cost = np.array([[100.0, 200, 300, 400, 500], [10, 20, 30, 40, 50]])
    load = np.full((2, 5), 50.0)
    imported = np.array([[10.0, 20, 30, 40, 50], [0, 0, 0, 0, 0]])
    variables = {name: (("building", "sample"), np.zeros((2, 5))) for name in
                 ("energy_cost_thb", "demand_cost_thb", "export_kwh", "curtail_kwh", "pv_kwh")}
    variables.update(cost_thb=(("building", "sample"), cost), load_kwh=(("building", "sample"), load),
                     import_kwh=(("building", "sample"), imported))
    bands = site_percentiles(xr.Dataset(variables, coords={"building": ["a", "b"], "sample": np.arange(5)}))
    assert bands["cost_thb"] == pytest.approx({"P10": 154.0, "P50": 330.0, "P90": 506.0, "mean": 330.0})
    # site self-sufficiency 1 - import / 100: 0.9, 0.8, 0.7, 0.6, 0.5
    assert bands["self_sufficiency_frac"] == pytest.approx({"P10": 0.54, "P50": 0.7, "P90": 0.86, "mean": 0.7})
    assert bands["import_kwh"]["P90"] == pytest.approx(46.0)


def test_unknown_operator_is_named(short_site):
    with pytest.raises(InputError) as err:
        simulate_scenario(short_site, samples=2, operator="ems")
    assert err.value.problems[0].path == "operator (--operator)"
    result = CliRunner().invoke(cli, ["simulate", "tha-yang", "--operator", "ems"])
    assert result.exit_code == 2 and "--operator" in result.output


def test_size_needs_sizing_mode():
    result = CliRunner().invoke(cli, ["size", "tha-yang", "--samples", "2"])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError)
    assert result.exception.problems[0].path == "optimisation.mode"


@pytest.mark.slow
def test_size_compares_designs_on_the_same_samples():
    """Four weeks, three samples: the two-stage design is no dearer in sample than the typical-year design
    (it minimises that very figure), and both are priced on the same years."""
    from munigrid.scenarios.uncertainty_sizing import compare_sizing

    scenario = api.load("tha-yang-sizing")
    scenario = scenario.model_copy(update={"time": scenario.time.model_copy(update={"days": DAYS})})
    out = compare_sizing(scenario, scenario._base_dir, n_samples=3)
    typical, two_stage = out["typical_year"], out["two_stage"]
    assert two_stage["expected_thb"] <= typical["expected_thb"] * (1 + 1e-6)
    assert two_stage["p90_thb"] >= two_stage["expected_thb"] - 1e-6
    assert out["two_stage_objective_thb"] / (DAYS / 365) == pytest.approx(two_stage["expected_thb"], rel=1e-6)
    assert set(typical["out_of_sample"]) == {"expected_thb", "p90_thb", "cvar_thb"}


def test_run_with_the_optimiser_operator_records_it(short_site):
    """Through api.run and two worker processes: the manifest says who operated which building."""
    outcome = api.run(short_site, store=False, samples=SAMPLES, operator="optimiser")
    uncertainty = outcome.manifest["uncertainty"]
    assert uncertainty["operator"] == "optimiser" and uncertainty["optimised_buildings"] == "municipal_office"
    assert uncertainty["optimiser_failed_samples"] == 0
    direct, _ = simulate_scenario(short_site, samples=SAMPLES, operator="optimiser", workers=1,
                                  ft_process=ft_process_for(short_site))
    xr.testing.assert_allclose(outcome.samples, direct)
