"""The LP's starting basis from the thermostat (crash.py): square, nonsingular, and the same optimum."""

from __future__ import annotations

import dataclasses

import highspy
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, PVArray, SolveOptions, SolveStatus
from munigrid.models.dispatch.crash import zone_crash
from munigrid.models.dispatch.flex import FlexLoads, PumpStation, ThermalZone, thermostat_baseline
from munigrid.models.dispatch.highs_backend import _crash_basis, _renumbered, run_highs
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.reduction import reduce_form
from munigrid.models.dispatch.standard_form import compile_instance

N_T = 7 * 24


def _office(flat_terms, two_zones: bool = False) -> DispatchProblem:
    """A week: day/night prices, PV, a battery, a reservoir and a pre-coolable zone (two meters with ``two_zones``)."""
    hour = np.arange(N_T) % 24
    day = (hour >= 8) & (hour < 18)
    terms = flat_terms(np.where((hour >= 9) & (hour < 22), 4.9, 3.0), demand_thb_per_kw=220.0)
    outdoor = 30 + 3 * np.sin((hour - 9) / 24 * 2 * np.pi)
    zone = ThermalZone(capacity_kwh_per_k=30.0, loss_kw_per_k=4.0, cooling_kw=50.0, cop=np.full(N_T, 3.2),
                       outdoor_c=outdoor, gain_kw=np.where(day, 30.0, 4.0), comfort_min_c=np.where(day, 23.0, 18.0),
                       comfort_max_c=np.where(day, 26.0, 32.0), temp_initial_c=28.0)
    station = PumpStation(pump_kw=45.0, kwh_per_m3=0.35, volume_m3=300.0,
                          demand_m3_per_h=np.where(day, 50.0, 20.0), level_min_frac=0.2, level_max_frac=1.0,
                          level_initial_frac=0.6)
    sun = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)
    meter = Meter("office", np.where(day, 150.0, 40.0), terms, pv=[PVArray("roof", 0.85 * sun, capacity_kwp=120.0)],
                  battery=Battery(energy_kwh=200, power_kw=100, charge_eff_frac=0.95, discharge_eff_frac=0.95,
                                  soc_min_frac=0.1, soc_max_frac=0.95, soc_initial_frac=0.5),
                  flex=FlexLoads(pumping=station, cooling=zone))
    meters = [meter]
    if two_zones:
        warm = dataclasses.replace(zone, outdoor_c=outdoor + 2, cooling_kw=30.0)
        meters.append(Meter("school", np.full(N_T, 30.0), terms, flex=FlexLoads(cooling=warm)))
        meters.append(Meter("lights", np.full(N_T, 10.0), terms))
    return DispatchProblem(1.0, meters, SolveOptions(mip_rel_gap=1e-9))


def test_crash_takes_the_thermostat_vertex_of_the_zone(flat_terms):
    """Cooling off at the thermostat: the temperature after the step is basic; cooling on: the cooling."""
    problem = _office(flat_terms)
    data = build_model_data(problem)
    form = compile_instance(data)
    crash = zone_crash(data, form)
    first, stop = next((a, z) for name, a, z in form.row_families if name == "zone_dynamics")
    np.testing.assert_array_equal(crash.rows, np.arange(first, stop))
    baseline_kw, _ = thermostat_baseline(problem.meters[0].flex.cooling, 1.0)
    off = baseline_kw <= 1e-9
    assert 0 < off.sum() < N_T
    temp, cool = data.columns.block("temp_c"), data.columns.block("cool_kw")
    np.testing.assert_array_equal(crash.basic_cols[off], temp.start + 1 + np.flatnonzero(off))
    np.testing.assert_array_equal(crash.basic_cols[~off], cool.start + np.flatnonzero(~off))
    np.testing.assert_array_equal(np.sort(crash.upper_cols), temp.start + 1 + np.flatnonzero(~off))


def test_no_zone_no_crash(flat_terms):
    problem = _office(flat_terms)
    plain = dataclasses.replace(problem, meters=[dataclasses.replace(problem.meters[0], flex=None)])
    data = build_model_data(plain)
    assert zone_crash(data, compile_instance(data)) is None


@pytest.mark.parametrize("two_zones", [False, True])
def test_crash_basis_is_square_and_nonsingular(flat_terms, two_zones):
    """After substitution (cooling power gone where its zone row defined it) the basis HiGHS gets
    has one basic column or slack per row, and its matrix factors."""
    data = build_model_data(_office(flat_terms, two_zones))
    form = compile_instance(data)
    reduced = reduce_form(form)
    crash = _renumbered(zone_crash(data, form), reduced, form.n_cols, form.n_rows)
    basis = _crash_basis(reduced.form, crash)
    basic = highspy.HighsBasisStatus.kBasic
    basic_cols = np.flatnonzero([s == basic for s in basis.col_status])
    basic_rows = np.flatnonzero([s == basic for s in basis.row_status])
    n_rows = reduced.form.n_rows
    assert len(basic_cols) + len(basic_rows) == n_rows
    assert len(basic_cols) > 0
    slack = sp.csc_matrix((np.ones(len(basic_rows)), (basic_rows, np.arange(len(basic_rows)))),
                          shape=(n_rows, len(basic_rows)))
    matrix = sp.hstack([reduced.form.matrix[:, basic_cols], slack], format="csc")
    splu(matrix)  # raises on a singular matrix


@pytest.mark.parametrize("two_zones", [False, True])
def test_crash_reaches_the_same_optimum(flat_terms, two_zones):
    data = build_model_data(_office(flat_terms, two_zones))
    form = compile_instance(data)
    options = SolveOptions(mip_rel_gap=1e-9)
    cold = run_highs(form, options, relax=True)
    warm = run_highs(form, options, relax=True, crash=zone_crash(data, form))
    assert cold.status is warm.status is SolveStatus.OPTIMAL
    assert warm.objective_thb == pytest.approx(cold.objective_thb, rel=1e-9)
    assert form.objective(warm.x) == pytest.approx(cold.objective_thb, rel=1e-9)
