"""The fast template compile equals Pyomo's own model of the same families, on random instances."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.solvers.highs import Highs

from munigrid.models.dispatch import Battery, DispatchProblem, Generator, Meter, PVArray, SizingEconomics, SolveOptions
from munigrid.models.dispatch.formulation import materialise
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.standard_form import compile_instance
from munigrid.models.dispatch.highs_backend import run_highs
from munigrid.models.tariffs.terms import DemandCharge, EnergyBlocks, TariffCostTerms


def _instance(seed: int, sizing: bool) -> DispatchProblem:
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
        terms = TariffCostTerms(1.0, periods, 2 + 3 * rng.random(n_t), np.full(n_t, 1.0), export_allowed=i == 1,
                                energy_blocks=blocks, demand_charges=[demand], fixed_thb_per_period=np.full(2, 50.0))
        pv = [PVArray(f"roof{a}", np.clip(np.sin(np.arange(n_t) / 24 * 2 * np.pi - 1.5), 0, None) * rng.random(),
                      capacity_kwp=10.0, max_kwp=60.0, capex_thb_per_kwp=20000, om_thb_per_kwp_year=200)
              for a in range(i + 1)]
        battery = Battery(energy_kwh=20, power_kw=10, c_rate_per_h=0.5, max_energy_kwh=80, capex_thb_per_kwh=6000,
                          capex_thb_per_kw=2000, degradation_thb_per_kwh=0.3)
        gen = Generator(rating_kw=15, min_load_frac=0.3, startup_thb=100, max_rating_kw=30, capex_thb_per_kw=8000) \
            if i == 0 else None
        outage = np.zeros(n_t, bool)
        outage[30:34] = True
        meters.append(Meter(f"m{i}", 10 + 20 * rng.random(n_t), terms, pv=pv, battery=battery, generator=gen,
                            outage=outage, voll_thb_per_kwh=100.0, critical_frac=0.2))
    econ = SizingEconomics(discount_rate_frac=0.08, budget_thb=600000, min_self_sufficiency_frac=0.2, max_co2_kg=5e3) \
        if sizing else SizingEconomics()
    return DispatchProblem(1.0, meters, SolveOptions(mode="sizing" if sizing else "dispatch"), econ)


@pytest.mark.parametrize("seed,sizing", [(1, False), (2, True)])
def test_compiled_lp_matches_materialised_pyomo(seed, sizing):
    """Same LP relaxation objective from the fast path and from Pyomo's own HiGHS interface."""
    data = build_model_data(_instance(seed, sizing))
    fast = run_highs(compile_instance(data), SolveOptions(), relax=True)
    model = materialise(data)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    reference = Highs().solve(model)
    assert fast.status.has_solution
    assert fast.objective_thb == pytest.approx(pyo.value(model.total_cost_thb), rel=1e-7)
    assert reference.incumbent_objective == pytest.approx(fast.objective_thb, rel=1e-7)


def test_compiled_rows_match_pyomo_rows_exactly():
    """Row by row, the compiled matrix equals Pyomo's standard form of the materialised model."""
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    data = build_model_data(_instance(3, True))
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
