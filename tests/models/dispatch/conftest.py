"""Builders for the dispatch tests: tariff terms (``flat_terms``), an instance using every family
(``mixed_instance``) and a site with outages and a generator (``outage_site``)."""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Generator, Meter, PVArray, SizingEconomics, SolveOptions
from munigrid.models.tariffs.terms import DemandCharge, EnergyBlocks, TariffCostTerms


def make_flat_terms(prices_thb_per_kwh, step_h=1.0, period_of_step=None, demand_thb_per_kw=None, fixed_thb=0.0,
               export_thb_per_kwh=0.0, export_allowed=False, ratchet_frac=0.0, ratchet_history_thb=0.0):
    """Terms with given import prices, optional one-window monthly demand charge."""
    prices = np.asarray(prices_thb_per_kwh, dtype=float)
    n_t = len(prices)
    periods = np.zeros(n_t, dtype=int) if period_of_step is None else np.asarray(period_of_step)
    n_p = int(periods.max()) + 1
    charges = []
    if demand_thb_per_kw is not None:
        charges.append(DemandCharge(name="demand", window_mask=np.ones((1, n_t), bool),
                                    slope_thb_per_kw=np.array([[demand_thb_per_kw]]), intercept_thb=np.zeros(1),
                                    registered_kw=np.zeros((n_p, 1)), ratchet_frac=ratchet_frac,
                                    ratchet_lookback_periods=11 if ratchet_frac else 0,
                                    ratchet_history_thb=ratchet_history_thb))
    return TariffCostTerms(step_h=step_h, period_of_step=periods, import_thb_per_kwh=prices,
                           export_thb_per_kwh=np.full(n_t, float(export_thb_per_kwh)), export_allowed=export_allowed,
                           demand_charges=charges, fixed_thb_per_period=np.full(n_p, float(fixed_thb)))


@pytest.fixture
def flat_terms():
    """The :func:`make_flat_terms` builder."""
    return make_flat_terms


def make_mixed_instance(seed: int, sizing: bool, declining_blocks: bool = False,
                        several_batteries: bool = False) -> DispatchProblem:
    """Two meters, 48 h: demand windows with pieces and ratchet, energy blocks and tiers, PV, battery, generator,
    outage.

    With ``declining_blocks`` meter 0 has non-monotone (mixed-integer) blocks and meter 1
    increasing (linear) ones, instead of increasing blocks on meter 0 only. With
    ``several_batteries`` meter 0 also has an old lead-acid bank (fixed size, lossy, narrow
    window, high wear) and a second LFP bank sized in blocks.
    """
    rng = np.random.default_rng(seed)
    n_t, periods = 48, np.repeat([0, 1], 24)
    meters = []
    for i in range(2):
        window = np.zeros((2, n_t), bool)
        window[0, 8:20], window[0, 32:44], window[1] = True, True, True
        demand = DemandCharge("tod", window, np.array([[120.0, 0.0], [80.0, 30.0]]), np.array([0.0, 10.0]),
                              np.array([[5.0, 0.0], [0.0, 0.0]]), ratchet_frac=0.7, ratchet_lookback_periods=1,
                              ratchet_history_thb=900.0)
        blocks = EnergyBlocks(np.array([300.0, np.inf]), np.array([0.5, 0.9])) if i == 0 else None
        if declining_blocks:
            blocks = EnergyBlocks(np.array([300.0, 500.0, np.inf]), np.array([0.9, 0.4, 0.6])) if i == 0 else \
                EnergyBlocks(np.array([200.0, np.inf]), np.array([0.5, 0.8]))
        # tiers of a TOU period in the first month only (weight 0 in the second, half a step at its edge)
        on_peak = np.zeros(n_t)
        on_peak[8:20], on_peak[20] = 1.0, 0.5
        tiers = (EnergyBlocks(np.array([100.0, np.inf]), np.array([0.2, 0.6]), on_peak),)
        if declining_blocks and i == 0:
            tiers += (EnergyBlocks(np.array([150.0, np.inf]), np.array([0.3, 0.1]), 1.0 - on_peak),)
        terms = TariffCostTerms(1.0, periods, 2 + 3 * rng.random(n_t), np.full(n_t, 1.0), export_allowed=i == 1,
                                energy_blocks=blocks, demand_charges=[demand], fixed_thb_per_period=np.full(2, 50.0),
                                energy_tiers=tiers)
        pv = [PVArray(f"roof{a}", np.clip(np.sin(np.arange(n_t) / 24 * 2 * np.pi - 1.5), 0, None) * rng.random(),
                      capacity_kwp=10.0, max_kwp=60.0, capex_thb_per_kwp=20000, om_thb_per_kwp_year=200)
              for a in range(i + 1)]
        battery = Battery(energy_kwh=20, power_kw=10, c_rate_per_h=0.5, max_energy_kwh=80, capex_thb_per_kwh=6000,
                          capex_thb_per_kw=2000, degradation_thb_per_kwh=0.3)
        gen = Generator(rating_kw=15, min_load_frac=0.3, startup_thb=100, max_rating_kw=30, capex_thb_per_kw=8000,
                        standby_only=False) \
            if i == 0 else None
        outage = np.zeros(n_t, bool)
        outage[30:34] = True
        batteries = [battery]
        if several_batteries and i == 0:
            batteries += [Battery(energy_kwh=30, power_kw=8, charge_eff_frac=0.85, discharge_eff_frac=0.85,
                                  soc_min_frac=0.4, soc_max_frac=0.9, soc_initial_frac=0.6, soc_final_equal=True,
                                  degradation_thb_per_kwh=1.5, name="lead_acid"),
                          Battery(energy_kwh=0, power_kw=0, c_rate_per_h=1.0, max_energy_kwh=40, block_kwh=10,
                                  capex_thb_per_kwh=5000, name="lfp_new")]
        meters.append(Meter(f"m{i}", 10 + 20 * rng.random(n_t), terms, pv=pv, batteries=batteries, generator=gen,
                            outage=outage, voll_thb_per_kwh=100.0, critical_frac=0.2))
    econ = SizingEconomics(discount_rate_frac=0.08, budget_thb=600000, min_self_sufficiency_frac=0.2, max_co2_kg=5e3) \
        if sizing else SizingEconomics()
    return DispatchProblem(1.0, meters, SolveOptions(mode="sizing" if sizing else "dispatch"), econ)


@pytest.fixture
def mixed_instance():
    """The :func:`make_mixed_instance` builder."""
    return make_mixed_instance


def make_outage_site(seed: int, n_t: int = 36, battery: bool = True, shed: bool = True,
                 standby: bool = True) -> DispatchProblem:
    """One office meter over ``n_t`` hours with two random outages of 2-5 h, 30 kWp PV, a 40 kWh battery,
    a 50 kW generator (start-up, minimum load, no-load fuel) and shedding at 60 THB/kWh."""
    rng = np.random.default_rng(seed)
    hour = np.arange(n_t) % 24
    load_kw = 20 + 40 * ((hour >= 8) & (hour < 17)) + 10 * rng.random(n_t)
    price = np.where((hour >= 9) & (hour < 22), 4.5, 2.8)
    outage = np.zeros(n_t, bool)
    for start in rng.choice(n_t - 6, size=2, replace=False):
        outage[start:start + int(rng.integers(2, 6))] = True
    sun = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)
    meter = Meter("site", load_kw, make_flat_terms(price, demand_thb_per_kw=150.0),
                  pv=[PVArray("roof", 0.8 * sun, capacity_kwp=30.0)],
                  battery=Battery(energy_kwh=40, power_kw=20, soc_initial_frac=0.3) if battery else None,
                  generator=Generator(rating_kw=50, min_load_frac=0.4, startup_thb=120, fuel_slope_l_per_kwh=0.25,
                                      fuel_intercept_l_per_kwh=0.08, fuel_thb_per_l=32.0, standby_only=standby),
                  outage=outage, voll_thb_per_kwh=60.0 if shed else None, critical_frac=0.5)
    return DispatchProblem(1.0, [meter], SolveOptions(mode="dispatch", mip_rel_gap=1e-9))


@pytest.fixture
def outage_site():
    """The :func:`make_outage_site` builder."""
    return make_outage_site


def assert_rows_match_pyomo(data) -> None:
    """Row by row, the compiled matrix of ``data`` equals Pyomo's standard form of the materialised model."""
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    from munigrid.models.dispatch.formulation import materialise
    from munigrid.models.dispatch.standard_form import compile_instance

    form = compile_instance(data)
    model = materialise(data)
    ours = form.matrix.toarray()
    ref = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    names = list(data.columns.shape)
    column_of = {}
    for name in names:
        component = model.component(name)
        for idx in component:
            key = idx if isinstance(idx, tuple) else (idx,)
            column_of[id(component[idx])] = data.columns.columns(name, tuple(np.array([k]) for k in key))[0]
    ref_a = ref.A.toarray()
    permuted = np.zeros((ref_a.shape[0], form.n_cols))
    for j, var in enumerate(ref.columns):
        permuted[:, column_of[id(var)]] = ref_a[:, j]
    # compare as sets of rows scaled to unit infinity norm (Pyomo may flip signs of >= rows)
    def canonical(matrix):
        scale = np.abs(matrix).max(axis=1, keepdims=True)
        rows = matrix[scale[:, 0] > 0] / scale[scale[:, 0] > 0]
        sign = np.sign(rows[np.arange(len(rows)), np.argmax(np.abs(rows) > 1e-12, axis=1)])
        return np.unique(np.round(rows * sign[:, None], 9), axis=0)
    np.testing.assert_allclose(canonical(ours), canonical(permuted), atol=1e-9)


@pytest.fixture
def rows_match_pyomo():
    """The :func:`assert_rows_match_pyomo` check."""
    return assert_rows_match_pyomo
