"""Project cash flows: year-1 identity, degradation, escalation, replacements, residual value, O&M."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from finance_cases import battery_inputs, simple_energy, simple_inputs
from munigrid.models.errors import InputError
from munigrid.models.finance import Component, Escalation, project_cash_flows
from munigrid.models.finance.energy import battery_life_years, scale_base_tariff


def test_year1_reproduces_the_dispatch(mixed):
    flows = project_cash_flows(mixed)
    e = mixed.energy
    assert flows.energy.savings_thb[1] == pytest.approx(e.bill_before_thb - e.bill_after_thb)
    assert flows.energy.bill_before_thb[1] == pytest.approx(e.bill_before_thb)
    assert flows.energy.pv_used_kwh[1] == pytest.approx(e.pv_used_kwh)
    assert flows.energy.import_after_kwh[1] == pytest.approx(e.import_after_kwh)
    assert flows.net_thb[0] == pytest.approx(-(2_500_000 + 340_000 + 1_100_000))


def test_pv_degradation_scales_energy_and_savings():
    inputs = simple_inputs(pv_degradation_frac_per_year=0.005)
    flows = project_cash_flows(inputs)
    years = np.arange(1, 11)
    np.testing.assert_allclose(flows.energy.pv_used_kwh[1:], 100_000 * 0.995 ** (years - 1))
    np.testing.assert_allclose(flows.energy.savings_thb[1:], 400_000 * 0.995 ** (years - 1))


def test_tariff_and_ft_escalation_by_hand():
    # Ft 0.2 in year 1, +0.01/yr; base tariff +2 %/yr; VAT 7 %. Avoided import 100,000 kWh.
    energy = simple_energy(ft_thb_per_kwh=0.2)
    inputs = simple_inputs(energy=energy, escalation=Escalation("t", 0.02, 0.01))
    flows = project_cash_flows(inputs)
    ft_part_1 = 0.2 * 100_000 * 1.07
    year = 3
    expected = (400_000 - ft_part_1) * 1.02 ** 2 + (0.2 + 0.02) * 100_000 * 1.07
    assert flows.energy.savings_thb[year] == pytest.approx(expected)
    assert flows.energy.ft_thb_per_kwh[year] == pytest.approx(0.22)
    before = (1_200_000 - 0.2 * 300_000 * 1.07) * 1.02 ** 2 + 0.22 * 300_000 * 1.07
    assert flows.energy.bill_before_thb[year] == pytest.approx(before)
    assert flows.energy.bill_after_thb[year] == pytest.approx(before - expected)


def test_scaling_the_base_tariff_leaves_ft_alone():
    energy = simple_energy(ft_thb_per_kwh=0.2)
    scaled = scale_base_tariff(energy, 1.1)
    ft_before = 0.2 * 300_000 * 1.07
    assert scaled.bill_before_thb == pytest.approx((1_200_000 - ft_before) * 1.1 + ft_before)


def test_load_growth_absorbs_curtailed_pv_up_to_what_is_available():
    energy = simple_energy(pv_available_kwh=110_000.0)
    flows = project_cash_flows(simple_inputs(energy=energy, load_growth_frac_per_year=0.05))
    assert flows.energy.pv_used_kwh[2] == pytest.approx(105_000)
    assert flows.energy.pv_used_kwh[3] == pytest.approx(110_000)  # capped at the PV available
    assert flows.energy.load_kwh[3] == pytest.approx(300_000 * 1.05 ** 2)


def test_replacements_at_end_of_life_and_residual_value():
    components = (Component("pv", 1_000_000, 25, energy_basis="pv"), Component("inverter", 120_000, 12))
    flows = project_cash_flows(simple_inputs(years=20, components=components))
    assert np.flatnonzero(flows.replacement_thb).tolist() == [12]
    assert flows.replacement_thb[12] == pytest.approx(120_000)
    # PV: 5 of 25 years left; inverter replaced in 12: 4 of 12 years left
    assert flows.residual_thb[20] == pytest.approx(1_000_000 * 5 / 25 + 120_000 * 4 / 12)


def test_battery_replaced_when_fade_reaches_end_of_life():
    fade = 1.0 - 0.03 * np.arange(1, 15)  # 0.97, 0.94, ... below 0.8 after 7 years
    battery = Component("battery", 500_000, 10, energy_basis="battery", replacement_cost_frac=0.6)
    assert battery_life_years(battery, fade, 0.8) == 7
    inputs = simple_inputs(years=20, components=(battery,), battery_capacity_frac=fade)
    flows = project_cash_flows(inputs)
    assert np.flatnonzero(flows.replacement_thb).tolist() == [7, 14]
    assert flows.replacement_thb[7] == pytest.approx(300_000)
    # mid-year capacity restarts after a replacement
    assert flows.energy.battery_capacity_frac[8] == pytest.approx(flows.energy.battery_capacity_frac[1])
    assert flows.energy.battery_capacity_frac[1] == pytest.approx(0.985)


def test_battery_share_of_savings_follows_its_fade(mixed):
    flows = project_cash_flows(replace(mixed, load_growth_frac_per_year=0.0,
                                       escalation=Escalation(), pv_degradation_frac_per_year=0.0))
    # PV part constant, battery part (50,000 THB) scales with mid-year capacity relative to year 1
    capacity = flows.energy.battery_capacity_frac
    np.testing.assert_allclose(flows.energy.savings_thb[1:], 600_000 + 50_000 * capacity[1:] / capacity[1])


def test_om_fixed_and_variable_with_inflation(mixed):
    flows = project_cash_flows(mixed)
    year = 5
    assert flows.om_fixed_thb[year] == pytest.approx(25_000 * 1.02 ** 4)
    throughput = flows.energy.battery_throughput_kwh[year]
    assert flows.om_variable_thb[year] == pytest.approx(0.1 * throughput * 1.02 ** 4)
    assert flows.om_fixed_thb[0] == 0.0


def test_bad_project_inputs_are_collected_with_their_fields():
    bad = simple_inputs(years=0, pv_degradation_frac_per_year=0.5,
                        energy=simple_energy(pv_used_kwh=200_000.0, bill_after_thb=-1.0))
    with pytest.raises(InputError) as err:
        project_cash_flows(bad)
    paths = {p.path for p in err.value.problems}
    assert {"years", "pv_degradation_frac_per_year", "energy.pv_used_kwh", "energy.bill_after_thb"} <= paths


def test_project_longer_than_a_component_that_is_never_replaced():
    components = (Component("pv", 1_000_000, 15, energy_basis="pv", replace=False),)
    with pytest.raises(InputError, match="years: 20 years is longer than the 15-year life of 'pv'"):
        project_cash_flows(simple_inputs(years=20, components=components))


def test_project_table_columns(mixed):
    table = project_cash_flows(mixed).to_frame()
    assert table.index.tolist() == list(range(21))
    np.testing.assert_allclose(table.filter(like="capex_").sum(axis=1).iloc[0], -3_940_000)
    np.testing.assert_allclose(table["net_thb"].to_numpy(), project_cash_flows(battery_inputs()).net_thb)
