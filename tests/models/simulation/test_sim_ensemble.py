"""Ensemble kernel (Monte Carlo, sizing sweep): reference equality, tariff contract, sampling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from munigrid.models.errors import InputError
from munigrid.models.simulation import reference
from munigrid.models.simulation.battery import simulate_battery
from munigrid.models.simulation.ensemble import METRICS, ensemble_kernel, run_ensemble
from munigrid.models.simulation.montecarlo import monte_carlo, summarize
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.sampling import SampleSource, day_block_bootstrap
from munigrid.models.simulation.strategies import peak_shaving, self_consumption, tou_arbitrage
from munigrid.models.simulation.sweep import sizing_sweep
from munigrid.models.simulation.tariff_arrays import flat_tariff, pack_tariff
from munigrid.models.tariffs.terms import DemandCharge, EnergyBlocks, TariffCostTerms

SPD = 4  # steps per day in the random cases (hypothesis keeps them small)


@st.composite
def tariffs(draw, n_steps, n_periods):
    period = np.sort(np.array(draw(st.lists(st.integers(0, n_periods - 1), min_size=n_steps, max_size=n_steps))))
    period = np.unique(period, return_inverse=True)[1]
    n_p = int(period.max()) + 1
    charges = []
    for f in range(draw(st.integers(0, 2))):
        k = draw(st.integers(1, 2))
        j = draw(st.integers(1, 2))
        mask = np.array(draw(st.lists(st.booleans(), min_size=k * n_steps, max_size=k * n_steps))).reshape(k, -1)
        slopes = np.array(draw(st.lists(st.floats(0, 300, allow_subnormal=False), min_size=j * k, max_size=j * k))).reshape(j, k)
        charges.append(DemandCharge(f"d{f}", mask, slopes, np.array(draw(st.lists(st.floats(-50, 50, allow_subnormal=False), min_size=j,
                                                                                    max_size=j))),
                                    np.array(draw(st.lists(st.floats(0, 20, allow_subnormal=False), min_size=n_p * k,
                                                           max_size=n_p * k))).reshape(n_p, k),
                                    draw(st.sampled_from([0.0, 0.7])), draw(st.integers(0, 3)),
                                    draw(st.floats(0, 1000, allow_subnormal=False)),
                                    ratchet_floors_bill=f == 0 and draw(st.booleans())))
    blocks = None
    if draw(st.booleans()):
        edges = np.cumsum(draw(st.lists(st.floats(1, 50, allow_subnormal=False), min_size=1, max_size=3)))
        blocks = EnergyBlocks(np.r_[edges, np.inf], np.array(draw(st.lists(st.floats(0, 6, allow_subnormal=False), min_size=edges.size + 1,
                                                                           max_size=edges.size + 1))))
    tiers = []
    for _ in range(draw(st.integers(0, 2))):  # tiers of some steps (a TOU period in some months)
        edges = np.cumsum(draw(st.lists(st.floats(1, 50, allow_subnormal=False), min_size=1, max_size=2)))
        prices = draw(st.lists(st.floats(0, 6, allow_subnormal=False), min_size=edges.size + 1, max_size=edges.size + 1))
        weight = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=n_steps, max_size=n_steps))
        tiers.append(EnergyBlocks(np.r_[edges, np.inf], np.array(prices), np.array(weight)))
    return TariffCostTerms(
        base_energy_thb_per_kwh=np.array(draw(st.lists(st.floats(0, 5, allow_subnormal=False), min_size=n_steps,
                                                        max_size=n_steps))),
        energy_tiers=tuple(tiers),
        step_h=draw(st.sampled_from([0.25, 1.0])), period_of_step=period,
        import_thb_per_kwh=np.array(draw(st.lists(st.floats(0, 8, allow_subnormal=False), min_size=n_steps, max_size=n_steps))),
        export_thb_per_kwh=np.array(draw(st.lists(st.floats(0, 3, allow_subnormal=False), min_size=n_steps, max_size=n_steps))),
        export_allowed=draw(st.booleans()), energy_blocks=blocks, demand_charges=charges,
        fixed_thb_per_period=np.full(n_p, 33.29))


@st.composite
def ensembles(draw):
    n_days = draw(st.integers(1, 4))
    n_src = draw(st.integers(1, 5))
    n = n_days * SPD
    floats = st.floats(-5.0, 30.0, allow_subnormal=False)
    source = SampleSource(np.array(draw(st.lists(floats, min_size=n, max_size=n))),
                          np.array(draw(st.lists(floats, min_size=n_src * SPD, max_size=n_src * SPD))),
                          np.array(draw(st.lists(st.floats(-0.2, 1.0, allow_subnormal=False), min_size=n, max_size=n))),
                          np.array(draw(st.lists(st.floats(-0.2, 1.0, allow_subnormal=False), min_size=n_src * SPD, max_size=n_src * SPD))),
                          SPD)
    samples = draw(st.integers(1, 3))
    day_map = np.array(draw(st.lists(st.integers(0, n_src - 1), min_size=samples * n_days,
                                     max_size=samples * n_days))).reshape(samples, n_days)
    scale = np.array(draw(st.lists(st.floats(0.0, 2.0, allow_subnormal=False), min_size=samples, max_size=samples)))
    sizes = np.array(draw(st.lists(st.tuples(st.floats(0, 40, allow_subnormal=False), st.floats(0, 80, allow_subnormal=False), st.floats(0, 30, allow_subnormal=False)), min_size=1,
                                   max_size=3)))
    terms = draw(tariffs(n, 3))
    band = draw(st.sampled_from([self_consumption(n), tou_arbitrage(np.arange(n) % SPD >= 2, 0.8),
                                 peak_shaving(10.0, n)]))
    lo = draw(st.floats(0.0, 0.4, allow_subnormal=False))
    hi = draw(st.floats(lo + 0.1, 1.0, allow_subnormal=False))
    battery = BatteryParams(1.0, 1.0, draw(st.floats(0.6, 1.0, allow_subnormal=False)), draw(st.floats(0.6, 1.0, allow_subnormal=False)), lo, hi,
                            draw(st.floats(lo, hi, allow_subnormal=False)))
    return source, day_map, scale, sizes, terms, band, battery, draw(st.floats(0.0, 20.0, allow_subnormal=False))


def _ft_change(day_map, tariff):
    """A different Ft change per sample and billing period [THB/kWh] (as a sampled Ft path gives)."""
    shape = (day_map.shape[0], tariff.registered_kw.shape[0])
    return np.linspace(-0.3, 0.6, shape[0] * shape[1]).reshape(shape)


def _kernel_args(source, day_map, scale, sizes, b, band, tariff, limit, ft_change=None):
    ft_change = np.zeros((day_map.shape[0], tariff.registered_kw.shape[0])) if ft_change is None else ft_change
    return (day_map, scale, source.base_load_kw, source.source_load_kw, source.base_pv_kw_per_kwp,
            source.source_pv_kw_per_kwp, source.steps_per_day, sizes, b.charge_eff_frac, b.discharge_eff_frac,
            b.soc_min_frac, b.soc_max_frac, b.soc_initial_frac, band.low_kw, band.high_kw, band.grid_target_frac,
            tariff, tariff.step_h, limit, ft_change)


@settings(max_examples=120, deadline=None)
@given(ensembles())
def test_ensemble_kernel_equals_reference(case):
    source, day_map, scale, sizes, terms, band, b, limit = case
    tariff = pack_tariff(terms)
    ft_change = _ft_change(day_map, tariff)
    got = ensemble_kernel(*_kernel_args(source, day_map, scale, sizes, b, band, tariff, limit, ft_change))
    for s in range(day_map.shape[0]):
        for c, (pv_kwp, e_kwh, p_kw) in enumerate(sizes):
            ref = reference.sample_summary(day_map[s], scale[s], source.base_load_kw, source.source_load_kw,
                                           source.base_pv_kw_per_kwp, source.source_pv_kw_per_kwp, SPD, pv_kwp,
                                           e_kwh, p_kw, b.charge_eff_frac, b.discharge_eff_frac, b.soc_min_frac,
                                           b.soc_max_frac, b.soc_initial_frac, band.low_kw, band.high_kw,
                                           band.grid_target_frac, tariff, tariff.step_h, limit, ft_change[s])
            np.testing.assert_allclose(got[s, c], [ref[name] for name, _ in METRICS], rtol=1e-9, atol=1e-7)


@settings(max_examples=60, deadline=None)
@given(ensembles())
def test_ensemble_cost_matches_the_tariff_contract(case):
    """The kernel's cost equals TariffCostTerms.cost_thb of the materialised import and export."""
    source, day_map, scale, sizes, terms, band, b, limit = case
    tariff = pack_tariff(terms)
    got = ensemble_kernel(*_kernel_args(source, day_map[:1], scale[:1], sizes[:1], b, band, tariff, limit))
    src = (day_map[0][:, None] * SPD + np.arange(SPD)).ravel()
    load = np.maximum(source.base_load_kw + scale[0] * source.source_load_kw[src], 0.0)
    pv = np.maximum(sizes[0, 0] * (source.base_pv_kw_per_kwp + source.source_pv_kw_per_kwp[src]), 0.0)
    battery = BatteryParams(sizes[0, 1], sizes[0, 2], b.charge_eff_frac, b.discharge_eff_frac, b.soc_min_frac,
                            b.soc_max_frac, b.soc_initial_frac)
    trace = simulate_battery(load, pv, battery, band, step_h=terms.step_h, export_allowed=terms.export_allowed,
                             export_limit_kw=limit)
    assert got[0, 0, 0] == pytest.approx(terms.cost_thb(trace.import_kw, trace.export_kw), rel=1e-9, abs=1e-6)


def test_bootstrap_keeps_weekdays_and_stays_in_range():
    day_map = day_block_bootstrap(200, 365, 3 * 365, block_days=5, season_window_weeks=4, seed=3)
    assert day_map.shape == (200, 365)
    assert day_map.min() >= 0 and day_map.max() < 3 * 365
    assert ((day_map - np.arange(365)) % 7 == 0).all()
    assert (np.diff(day_map, axis=1)[:, :4] == 1).all()  # days inside a block are consecutive
    assert len(np.unique(day_map[:, 100])) > 10


def test_stacked_years_stay_inside_one_year_on_the_same_weekday():
    years = [np.full(365 * 24, float(y)) for y in range(3)]
    source = SampleSource.stacked_years(years, [np.zeros(365 * 24)] * 3, step_h=1.0)
    assert source.year_stride_days == 365 and source.n_source_days == 3 * 365
    day_map = day_block_bootstrap(300, 365, source.n_source_days, block_days=7,
                                  year_stride_days=source.year_stride_days, seed=2)
    year, day = np.divmod(day_map, 365)
    assert ((day - np.arange(365)) % 7 == 0).all()
    assert (np.diff(year, axis=1)[:, :6] == 0).all()  # a block never crosses into another year
    assert set(np.unique(year)) == {0, 1, 2}


def _year(seed=0):
    rng = np.random.default_rng(seed)
    hour = np.arange(8760) % 24
    load = 40 + 20 * ((hour >= 8) & (hour < 18)) + rng.normal(0, 3, 8760).clip(-10, 10)
    pv = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * rng.uniform(0.3, 1.0, 8760)
    return load, pv, np.repeat(np.arange(12), 730)


def test_monte_carlo_and_sweep_agree_and_summarize():
    load, pv, month = _year()
    source = SampleSource.bootstrap(load, pv, n_steps=8760, step_h=1.0)
    tariff = flat_tariff(8760, 4.2, period_of_step=month, demand_thb_per_kw=210.0)
    battery = BatteryParams(100.0, 50.0)
    mc = monte_carlo(source, battery, 60.0, tariff, step_h=1.0, n_samples=40, seed=7)
    sweep = sizing_sweep(source, [0.0, 60.0], [0.0, 100.0], battery, tariff, step_h=1.0, n_samples=40, seed=7)
    np.testing.assert_allclose(sweep.cost_thb.sel(pv_kwp=60.0, battery_kwh=100.0), mc.cost_thb)
    assert (sweep.self_sufficiency_frac.sel(pv_kwp=0.0, battery_kwh=0.0) == 0).all()
    mean_cost = sweep.cost_thb.mean("sample")
    assert mean_cost.sel(pv_kwp=60.0, battery_kwh=100.0) < mean_cost.sel(pv_kwp=60.0, battery_kwh=0.0) \
        < mean_cost.sel(pv_kwp=0.0, battery_kwh=0.0)
    table = summarize(mc)
    assert list(table["quantile"].values) == ["P10", "P50", "P90", "mean"]
    p = table.cost_thb.values
    assert p[0] <= p[1] <= p[2] and p[0] < p[2]
    assert table.cost_thb.attrs["units"] == "THB"


def test_residual_source_reproduces_the_forecast_with_zero_residuals():
    load, pv, month = _year()
    source = SampleSource.residuals(load, pv, np.zeros(8760), np.zeros(8760), step_h=1.0)
    tariff = flat_tariff(8760, 4.2, period_of_step=month)
    mc = monte_carlo(source, BatteryParams(50.0, 25.0), 30.0, tariff, step_h=1.0, n_samples=5)
    trace = simulate_battery(load, 30.0 * pv, BatteryParams(50.0, 25.0), step_h=1.0)
    np.testing.assert_allclose(mc.import_kwh, trace.import_kw.sum())
    np.testing.assert_allclose(mc.cost_thb, 4.2 * trace.import_kw.sum())


def test_ensemble_bad_input_is_reported_before_running():
    load, pv, month = _year()
    source = SampleSource.bootstrap(load, pv, n_steps=8760, step_h=1.0)
    tariff = flat_tariff(24 * 364, 4.2)
    with pytest.raises(InputError) as err:
        run_ensemble(source, np.full((2, 365), 400), np.ones(3), np.array([[1.0, -2.0, 1.0]]),
                     BatteryParams(1, 1, discharge_eff_frac=1.2), tariff, self_consumption(8760), step_h=1.0)
    paths = {p.path for p in err.value.problems}
    assert {"tariff", "sizes", "day_map", "load_scale", "battery.discharge_eff_frac"} <= paths
    with pytest.raises(InputError, match="whole days"):
        SampleSource.bootstrap(load[:100], pv[:100], n_steps=8760, step_h=1.0)
    with pytest.raises(InputError, match="NaN"):
        SampleSource.bootstrap(np.r_[np.nan, load[1:]], pv, n_steps=8760, step_h=1.0)
