"""Finance defaults from ``data/finance_defaults.yaml`` (each value with its source and date).

Builds the components, settings and escalation scenarios of a case from a system size; every
value is overridable by passing the dataclasses directly.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from munigrid.models.errors import InputError, Problem
from munigrid.models.finance.inputs import Component, Escalation, FinanceSettings


@lru_cache(maxsize=1)
def finance_defaults() -> dict:
    """The parsed defaults file (nested dicts of ``{value, source, date}``)."""
    text = resources.files("munigrid.models.finance").joinpath("data/finance_defaults.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def default_value(*path: str):
    """The ``value`` at ``path`` in the defaults file, e.g. ``default_value("tax", "corporate_income_tax_frac")``."""
    node = finance_defaults()
    for key in path:
        node = node[key]
    return node["value"]


def default_settings() -> FinanceSettings:
    """Discount rates and tax rules from the defaults file."""
    return FinanceSettings(
        municipality_discount_frac=default_value("discount_rates", "municipality_frac"),
        investor_discount_frac=default_value("discount_rates", "investor_frac"),
        cit_frac=default_value("tax", "corporate_income_tax_frac"),
        loss_carryforward_years=default_value("tax", "loss_carryforward_years"),
    )


def default_escalation(name: str = "base") -> Escalation:
    """A named escalation scenario of the defaults file (flat, base or high)."""
    scenarios = finance_defaults()["escalation_scenarios"]
    if name not in scenarios:
        raise InputError([Problem("escalation", f"unknown scenario {name!r}; valid: {', '.join(scenarios)}")])
    return Escalation(
        name=name,
        tariff_frac_per_year=scenarios[name]["tariff_escalation_frac_per_year"]["value"],
        ft_change_thb_per_kwh_per_year=scenarios[name]["ft_change_thb_per_kwh_per_year"]["value"],
        om_frac_per_year=default_value("costs", "om_escalation_frac_per_year"),
    )


def default_components(pv_kwp: float, battery_kwh: float = 0.0) -> tuple[Component, ...]:
    """PV (modules and balance of system), inverter and battery priced from the defaults file.

    Parameters
    ----------
    pv_kwp : float
        PV size [kWp].
    battery_kwh : float
        Battery energy capacity [kWh]; 0: no battery component.
    """
    problems = [Problem(name, f"must be >= 0, got {value}")
                for name, value in (("pv_kwp", pv_kwp), ("battery_kwh", battery_kwh)) if not value >= 0]
    if problems:
        raise InputError(problems)
    pv_total_thb = pv_kwp * 1000.0 * default_value("costs", "pv_system_thb_per_wp")
    inverter_thb = pv_total_thb * default_value("costs", "inverter_share_of_pv_capex_frac")
    om_frac = default_value("costs", "om_fixed_frac_of_capex_per_year")
    components = [
        Component("pv", pv_total_thb - inverter_thb, default_value("lives", "pv_modules_years"),
                  om_fixed_thb_per_year=om_frac * pv_total_thb, energy_basis="pv",
                  tax_life_years=default_value("tax", "depreciation_years_pv")),
        Component("inverter", inverter_thb, default_value("lives", "inverter_years"),
                  tax_life_years=default_value("tax", "depreciation_years_inverter")),
    ]
    if battery_kwh > 0:
        battery_thb = battery_kwh * default_value("costs", "battery_thb_per_kwh")
        components.append(Component(
            "battery", battery_thb, default_value("lives", "battery_years"),
            om_fixed_thb_per_year=om_frac * battery_thb,
            om_thb_per_kwh=default_value("costs", "om_battery_thb_per_kwh_throughput"), energy_basis="battery",
            replacement_cost_frac=default_value("costs", "battery_replacement_cost_frac"),
            tax_life_years=default_value("tax", "depreciation_years_battery")))
    return tuple(components)
