"""Ft paths in the sampled years: zero volatility is the fixed schedule, a sample's bill moves by
kWh x change of Ft x VAT per period, the optimiser prices each sample with its own path, bad input is named."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from munigrid.models.dispatch import DispatchProblem, SolveOptions, solve
from munigrid.models.errors import InputError
from munigrid.models.simulation.ensemble import METRICS
from munigrid.models.simulation.sampling import day_block_bootstrap
from munigrid.models.tariffs.ft import period_key
from munigrid.models.tariffs.ft_paths import FtProcess, sample_ft_paths
from munigrid.models.tariffs.grid import billing_months
from munigrid.scenarios import api
from munigrid.scenarios.cli import cli, main
from munigrid.scenarios.inputs import ft_schedule
from munigrid.scenarios.library import bundled, read_yaml
from munigrid.scenarios.runner import meter_for
from munigrid.scenarios.schema import parse_scenario
from munigrid.scenarios.simulation import _optimiser_sources, ft_process_for, ft_summary, simulate_scenario
from munigrid.scenarios.uncertainty import dispatch_sample, schedule_metrics

DAYS, SAMPLES = 150, 4  # January to May 2026: two Ft periods (Jan-Apr, May-Aug)
PROCESS = FtProcess(0.3, 0.7, -0.15, 1.55)


@pytest.fixture(scope="module")
def site():
    scenario = api.load("tha-yang")
    return scenario.model_copy(update={"time": scenario.time.model_copy(update={"days": DAYS})})


@pytest.fixture(scope="module")
def inputs(site):
    return api.inputs(site)


def test_zero_volatility_equals_the_fixed_schedule_exactly(site, inputs):
    still, _ = simulate_scenario(site, samples=SAMPLES, inputs=inputs, ft_process=replace(PROCESS,
                                                                                          volatility_thb_per_kwh=0.0))
    fixed, _ = simulate_scenario(site, samples=SAMPLES, inputs=inputs, ft_process=None)
    for name, _ in METRICS:
        assert np.array_equal(still[name].values, fixed[name].values), name
    assert np.array_equal(still.ft_mean_thb_per_kwh.values, fixed.ft_mean_thb_per_kwh.values)
    assert (still.attrs["ft_paths"], fixed.attrs["ft_paths"]) == ("sampled", "fixed")


def test_sampled_bill_is_fixed_bill_plus_kwh_times_ft_change_times_vat(site, inputs):
    """The school (no battery): import by hand from the day map, max(load - PV, 0) each hour; each
    sample's bill = its fixed-Ft bill + sum over billing months of kWh x (Ft_s - F) x 1.07. The rule
    does not look at prices, so every energy and demand figure of every building is unchanged."""
    sampled, _ = simulate_scenario(site, samples=SAMPLES, inputs=inputs, ft_process=PROCESS)
    fixed, _ = simulate_scenario(site, samples=SAMPLES, inputs=inputs, ft_process=None)
    school = inputs.building("municipal_school")
    assert school.tariff.vat_factor == pytest.approx(1.07) and school.tariff.spec.ft_applies
    months, month_of_step = billing_months(inputs.index)
    paths = sample_ft_paths(ft_schedule(site), months, SAMPLES, process=PROCESS, seed=0)
    day_map = day_block_bootstrap(SAMPLES, DAYS, DAYS, block_days=7, year_stride_days=DAYS, seed=0)
    load, pv = school.load_kw.to_numpy(), school.pv_ac_kw.to_numpy()
    for s in range(SAMPLES):
        steps = np.concatenate([np.arange(24 * d, 24 * d + 24) for d in day_map[s]])
        import_kwh = np.maximum(load[steps] - pv[steps], 0.0)  # 1 h steps
        month_kwh = np.bincount(month_of_step, weights=import_kwh, minlength=len(months))
        assert len(set(paths.sampled_thb_per_kwh[s])) == 2  # one Ft per period, two periods
        expected = float(month_kwh @ (1.07 * (paths.sampled_thb_per_kwh[s] - paths.fixed_thb_per_kwh)))
        got = sampled.sel(building="municipal_school", sample=s)
        assert float(got.import_kwh) == pytest.approx(month_kwh.sum(), rel=1e-12)
        assert float(got.cost_thb) - float(fixed.sel(building="municipal_school", sample=s).cost_thb) == pytest.approx(
            expected, rel=1e-9, abs=1e-6)
    for name in ("import_kwh", "peak_import_kw", "demand_cost_thb", "self_sufficiency_frac", "equivalent_full_cycles"):
        assert np.array_equal(sampled[name].values, fixed[name].values), name
    assert not np.allclose(sampled.cost_thb.values, fixed.cost_thb.values)


def test_optimiser_prices_each_sample_with_its_own_path(site, inputs):
    """The office's sampled year equals a direct solve of a meter whose tariff terms were built by
    Tariff.cost_terms from an Ft schedule holding that sample's path."""
    samples, _ = simulate_scenario(site, samples=2, inputs=inputs, operator="optimiser", workers=1,
                                   ft_process=PROCESS)
    months = billing_months(inputs.index)[0]
    paths = sample_ft_paths(ft_schedule(site), months, 2, process=PROCESS, seed=0)
    day_map = day_block_bootstrap(2, DAYS, DAYS, block_days=7, year_stride_days=DAYS, seed=0)
    office = inputs.building("municipal_office")
    dispatch = site.model_copy(update={"optimisation": site.optimisation.model_copy(update={"mode": "dispatch"})})
    for s in range(2):
        schedule = ft_schedule(site).with_values({period_key(m): float(paths.sampled_thb_per_kwh[s, p])
                                                  for p, m in enumerate(months)})
        meter = meter_for(office, inputs, dispatch, schedule)[0]
        steps = np.concatenate([np.arange(24 * d, 24 * d + 24) for d in day_map[s]])
        pv = [replace(a, ac_kw_per_kwp=office.pv_kw_per_kwp[a.name].to_numpy()[steps]) for a in meter.pv]
        meter = replace(meter, load_kw=office.load_kw.to_numpy()[steps], pv=pv)
        direct = solve(DispatchProblem(step_h=1.0, meters=[meter], options=SolveOptions(threads=1)))
        metrics = schedule_metrics(meter, direct, 1.0)
        got = samples.sel(building="municipal_office", sample=s)
        for k, (name, _) in enumerate(METRICS):
            if name in ("cost_thb", "energy_cost_thb", "demand_cost_thb", "load_kwh", "pv_kwh"):
                assert float(got[name]) == pytest.approx(metrics[k], rel=1e-7), name


def test_ft_can_change_the_optimised_schedule(site, inputs):
    """Why each sample is solved at its own prices: with an Ft step of +1.5 THB/kWh on 1 May, the office's
    optimum bought at the new prices is cheaper than the fixed-Ft schedule re-priced afterwards (the battery
    is charged before the step and discharged after it, paying for its losses at the lower Ft)."""
    source = _optimiser_sources(site, [inputs], ft_schedule(site))[0]
    months = billing_months(inputs.index)[0]
    change = np.where(months >= pd.Period("2026-05", freq="M"), 1.07 * 1.5, 0.0)
    days = np.arange(DAYS)
    options = SolveOptions(threads=1)
    _, fixed = dispatch_sample(source, days, 1.0, 1.0, options)
    _, repriced = dispatch_sample(source, days, 1.0, 1.0, options, change)
    month_of_step = billing_months(inputs.index)[1]
    fixed_import = fixed.schedules["municipal_office"].import_kw
    repriced_afterwards = fixed.objective_thb + float(np.bincount(month_of_step, weights=fixed_import) @ change)
    assert repriced.objective_thb < repriced_afterwards - 1.0
    assert not np.allclose(repriced.schedules["municipal_office"].import_kw, fixed_import)


def test_scenario_and_command_line_choose_the_paths(site):
    assert ft_process_for(site) == FtProcess.estimated()  # default: sampled, estimated parameters
    assert ft_process_for(site, "fixed") is None
    assert ft_process_for(site, volatility_thb_per_kwh=0.1).volatility_thb_per_kwh == 0.1
    fixed = site.model_copy(update={"uncertainty": site.uncertainty.model_copy(update={"ft_paths": "fixed"})})
    assert ft_process_for(fixed) is None and ft_process_for(fixed, "sampled") == FtProcess.estimated()
    summary = ft_summary(simulate_scenario(site, samples=3, ft_process=ft_process_for(site))[0])
    assert summary["paths"] == "sampled" and set(summary["sample_mean_thb_per_kwh"]) == {"P10", "P50", "P90", "mean"}


@pytest.mark.parametrize(("update", "field"), [
    ({"ft_paths": "random"}, "uncertainty.ft_paths"),
    ({"ft_persistence_frac": 1.5}, "uncertainty.ft_persistence_frac"),
    ({"ft_volatility_thb_per_kwh": -0.1}, "uncertainty.ft_volatility_thb_per_kwh"),
    ({"ft_min_thb_per_kwh": 1.0, "ft_max_thb_per_kwh": 0.5}, "ft_min_thb_per_kwh"),
])
def test_bad_scenario_fields_are_named(update, field):
    data = copy.deepcopy(read_yaml(bundled()["tha-yang"]))
    data.setdefault("uncertainty", {}).update(update)
    with pytest.raises(InputError) as err:
        parse_scenario(data)
    assert field in str(err.value)


def test_minimum_above_the_estimated_maximum_is_named(site):
    high = site.model_copy(update={"uncertainty": site.uncertainty.model_copy(update={"ft_min_thb_per_kwh": 3.0})})
    with pytest.raises(InputError) as err:
        ft_process_for(high)
    assert err.value.problems[0].path == "uncertainty.ft_min_thb_per_kwh"


@pytest.mark.parametrize(("args", "named"), [
    (["--ft-paths", "random"], "--ft-paths"),
    (["--ft-volatility", "-0.2"], "--ft-volatility"),
    (["--ft-volatility", "nan"], "--ft-volatility"),
])
def test_bad_command_line_values_exit_2(args, named):
    result = CliRunner().invoke(cli, ["simulate", "tha-yang", "--samples", "2", *args])
    assert result.exit_code == 2 and named in result.output


def test_bad_scenario_file_exits_2_naming_the_field(tmp_path, capsys):
    data = copy.deepcopy(read_yaml(bundled()["tha-yang"]))
    data["uncertainty"] = {"ft_persistence_frac": 2}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        main(["simulate", str(path), "--samples", "2"])
    assert exit_.value.code == 2 and "uncertainty.ft_persistence_frac" in capsys.readouterr().err
