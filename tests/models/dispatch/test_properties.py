"""Random instances: physical and billing properties of the optimal schedule."""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, PVArray, SolveStatus, solve


@pytest.mark.parametrize("seed", range(6))
def test_random_schedule_properties(seed, flat_terms):
    rng = np.random.default_rng(seed)
    n_t, step_h = 96, 0.25
    prices = rng.uniform(-1.0, 6.0, n_t)  # some negative prices tempt simultaneous charge/discharge
    terms = flat_terms(prices, step_h=step_h, period_of_step=np.repeat([0, 1], n_t // 2),
                       demand_thb_per_kw=rng.uniform(0, 200), fixed_thb=33.29)
    bat = Battery(energy_kwh=rng.uniform(10, 50), power_kw=rng.uniform(5, 20), charge_eff_frac=0.92,
                  discharge_eff_frac=0.93, soc_min_frac=0.1, soc_max_frac=0.9, soc_initial_frac=0.5,
                  degradation_thb_per_kwh=0.2)
    profile = np.clip(np.sin(np.linspace(0, 2 * np.pi, n_t)), 0, None)
    load = rng.uniform(5, 30, n_t)
    meter = Meter("m", load, terms, pv=[PVArray("roof", profile, capacity_kwp=rng.uniform(0, 40))], battery=bat,
                  import_limit_kw=200)
    result = solve(DispatchProblem(step_h, [meter]))
    assert result.status is SolveStatus.OPTIMAL
    s = result.schedules["m"]
    balance = s.import_kw - s.export_kw + s.pv_ac_kw.sum(axis=0) + s.discharge_kw - s.charge_kw - load
    np.testing.assert_allclose(balance * step_h, 0.0, atol=1e-6)
    assert np.all(s.soc_kwh >= 0.1 * bat.energy_kwh - 1e-6) and np.all(s.soc_kwh <= 0.9 * bat.energy_kwh + 1e-6)
    assert s.soc_kwh[-1] >= 0.5 * bat.energy_kwh - 1e-6
    np.testing.assert_allclose(np.diff(s.soc_kwh), step_h * (0.92 * s.charge_kw - s.discharge_kw / 0.93), atol=1e-6)
    assert np.all(np.minimum(s.charge_kw, s.discharge_kw) <= 1e-6), "simultaneous charge and discharge"
    assert np.all(s.pv_ac_kw <= profile * meter.pv[0].capacity_kwp + 1e-6)
    assert np.all(s.export_kw <= 1e-9), "export is off by default"
    bill = terms.cost_thb(s.import_kw, s.export_kw)
    wear = step_h * 0.2 * s.discharge_kw.sum()
    assert result.objective_thb == pytest.approx(bill + wear, rel=1e-7, abs=1e-6)
    assert sum(result.costs_thb.values()) == pytest.approx(result.objective_thb, rel=1e-9)
