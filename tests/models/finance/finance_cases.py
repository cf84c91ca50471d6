"""Hand-checkable finance inputs shared by the finance tests."""

from __future__ import annotations

import numpy as np
from munigrid.models.finance import Component, EnergyYear1, Escalation, ProjectInputs


def simple_energy(**overrides) -> EnergyYear1:
    """PV only: 100,000 kWh used of 100,000 available, saving 400,000 THB in year 1 (Ft 0)."""
    values = dict(load_kwh=300_000.0, pv_available_kwh=100_000.0, pv_used_kwh=100_000.0,
                  import_before_kwh=300_000.0, import_after_kwh=200_000.0,
                  bill_before_thb=1_200_000.0, bill_after_thb=800_000.0, ft_thb_per_kwh=0.0, vat_frac=0.07)
    values.update(overrides)
    return EnergyYear1(**values)


def simple_inputs(years: int = 10, **overrides) -> ProjectInputs:
    """One PV component, 2,000,000 THB, life 25, no O&M, no degradation, flat prices."""
    values = dict(energy=simple_energy(), components=(Component("pv", 2_000_000.0, 25, tax_life_years=10,
                                                                energy_basis="pv"),),
                  years=years, pv_degradation_frac_per_year=0.0, escalation=Escalation())
    values.update(overrides)
    return ProjectInputs(**values)


def battery_inputs(years: int = 20) -> ProjectInputs:
    """PV + inverter + battery with fade, escalating prices and O&M: a realistic mixed case."""
    energy = EnergyYear1(load_kwh=400_000, pv_available_kwh=150_000, pv_used_kwh=145_000,
                         import_before_kwh=400_000, import_after_kwh=255_000, bill_before_thb=2_000_000,
                         bill_after_thb=1_350_000, bill_pv_only_thb=1_400_000, battery_throughput_kwh=30_000,
                         ft_thb_per_kwh=0.1623)
    components = (Component("pv", 2_500_000, 25, om_fixed_thb_per_year=25_000, energy_basis="pv", tax_life_years=20),
                  Component("inverter", 340_000, 12, tax_life_years=10),
                  Component("battery", 1_100_000, 10, om_thb_per_kwh=0.1, energy_basis="battery",
                            replacement_cost_frac=0.7))
    return ProjectInputs(energy, components, years=years, battery_capacity_frac=1 - 0.025 * np.arange(1, 15),
                         load_growth_frac_per_year=0.01,
                         escalation=Escalation("base", 0.01, 0.005, om_frac_per_year=0.02))
