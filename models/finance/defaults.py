"""Finance defaults from ``data/finance_defaults.yaml`` (each value with its source and date).

Builds the components, settings and escalation scenarios of a case from a system size; every
value is overridable by passing the dataclasses directly.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from munigrid.models.errors import InputError, Problem
from munigrid.models.finance.incentives import Incentives
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


def default_components(pv_kwp: float, battery_kwh: float = 0.0, store_thb: float = 0.0) -> tuple[Component, ...]:
    """PV (modules and balance of system), inverter and battery priced from the defaults file.

    Parameters
    ----------
    pv_kwp : float
        PV size [kWp].
    battery_kwh : float
        Battery energy capacity [kWh]; 0: no battery component.
    store_thb : float
        Price of the thermal stores (tanks with their chillers) [THB], priced by the run from the
        ``thermal_store_*`` and ``chiller_*`` costs; 0: no thermal store component.
    """
    problems = [Problem(name, f"must be >= 0, got {value}")
                for name, value in (("pv_kwp", pv_kwp), ("battery_kwh", battery_kwh), ("store_thb", store_thb))
                if not value >= 0]
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
    if store_thb > 0:
        components.append(Component("thermal_store", store_thb, default_value("lives", "thermal_store_years"),
                                    om_fixed_thb_per_year=om_frac * store_thb,
                                    tax_life_years=default_value("lives", "thermal_store_years")))
    return tuple(components)


#: BOI schemes of the defaults file, by the name the CLI uses
BOI_SCHEMES = {"esco": "esco", "solar-measure": "solar_measure"}


def default_incentives(boi_scheme: str | None = None, tver: bool = False, *, tver_price_thb_per_tco2e=None,
                       grant_capital_frac=None, grant_performance_thb_per_kwh=None,
                       grant_performance_years=None) -> Incentives:
    """Incentives from the defaults file: a BOI scheme (``esco`` or ``solar-measure``; None: not
    promoted), T-VER registration on or off, grants; a ``None`` argument keeps the file's value."""
    node = finance_defaults()["incentives"]
    pick = lambda given, *path: default_value("incentives", *path) if given is None else given  # noqa: E731
    problems = [] if boi_scheme is None or boi_scheme in BOI_SCHEMES else [
        Problem("boi_scheme", f"unknown scheme {boi_scheme!r}; valid: {', '.join(BOI_SCHEMES)}")]
    if problems:
        raise InputError(problems)
    boi = node["boi"][BOI_SCHEMES[boi_scheme]] if boi_scheme else None
    duty = node["import_duty"]
    incentives = Incentives(
        boi_cit_holiday_years=int(boi["cit_holiday_years"]["value"]) if boi else 0,
        boi_cit_cap_frac=boi["cit_cap_frac_of_investment"]["value"] if boi else None,
        boi_import_duty_exempt=bool(node["boi"]["machinery_import_duty_exempt"]["value"]),
        duty_frac_by_component=tuple((name, float(duty[f"{name}_duty_frac"]["value"]))
                                     for name in ("pv", "inverter", "battery")),
        imported_share_frac=float(duty["imported_share_frac"]["value"]),
        tver_price_thb_per_tco2e=float(pick(tver_price_thb_per_tco2e, "tver", "price_thb_per_tco2e")) if tver else 0.0,
        grid_kg_per_kwh=float(default_value("incentives", "tver", "grid_kg_per_kwh")),
        tver_crediting_years=int(default_value("incentives", "tver", "crediting_years")),
        tver_registration_thb=float(default_value("incentives", "tver", "registration_thb")),
        tver_verification_thb=float(default_value("incentives", "tver", "verification_thb")),
        tver_verification_every_years=int(default_value("incentives", "tver", "verification_every_years")),
        grant_capital_frac=float(pick(grant_capital_frac, "grant", "capital_frac_of_capex")),
        grant_performance_thb_per_kwh=float(pick(grant_performance_thb_per_kwh, "grant", "performance_thb_per_kwh")),
        grant_performance_years=int(pick(grant_performance_years, "grant", "performance_years")))
    if incentives.problems():
        raise InputError(incentives.problems())
    return incentives
