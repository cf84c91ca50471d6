"""Plain inputs of an investment case: year-1 energy flows, components, escalation, settings.

Year-1 values come from the optimised dispatch; later years are projected from them by
:mod:`munigrid.models.finance.energy`. Every check collects all problems and raises one
:class:`~munigrid.models.errors.InputError` naming each field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np

from munigrid.models.errors import InputError, Problem
from munigrid.models.finance.incentives import Incentives
from munigrid.models.finance.metrics import check_discount_rate


def fraction_problems(value: float, path: str, low: float = 0.0, high: float = 1.0) -> list[Problem]:
    """Problems when ``value`` is not a finite number in [low, high]."""
    if not np.isfinite(value) or not low <= value <= high:
        return [Problem(path, f"must be a fraction between {low:g} and {high:g}, got {value}")]
    return []


def non_negative_problems(value: float, path: str) -> list[Problem]:
    """Problems when ``value`` is not a finite number >= 0."""
    if not np.isfinite(value) or value < 0.0:
        return [Problem(path, f"must be >= 0, got {value}")]
    return []


def check_term_within_life(term_years: int, components: tuple[Component, ...], path: str) -> list[Problem]:
    """Problems where a period of ``term_years`` outlasts a component that is never replaced."""
    return [Problem(path, f"{term_years} years is longer than the {c.life_years}-year life of {c.name!r}, "
                          f"which is not replaced: allow its replacement or shorten {path}")
            for c in components if not c.replace and c.life_years < term_years]


@dataclass(frozen=True)
class EnergyYear1:
    """Energy and bills of the first operating year, from the optimised dispatch.

    Parameters
    ----------
    load_kwh : float
        Site consumption [kWh/year].
    pv_available_kwh : float
        PV AC energy the array could produce [kWh/year] (used + curtailed).
    pv_used_kwh : float
        PV energy used on site [kWh/year] (no export for Thai government buildings).
    import_before_kwh, import_after_kwh : float
        Grid import without and with the project [kWh/year].
    bill_before_thb, bill_after_thb : float
        Electricity bill without and with the project, Ft and VAT included [THB/year].
    bill_pv_only_thb : float or None
        Bill with the PV but without the battery [THB/year]; splits the savings into a PV part
        (follows PV degradation) and a battery part (follows capacity fade). None: no battery,
        all savings follow the PV.
    battery_throughput_kwh : float
        Energy discharged by the battery [kWh/year] (basis of per-kWh battery O&M).
    ft_thb_per_kwh : float
        Ft used in the year-1 bills [THB/kWh, before VAT].
    vat_frac : float
        VAT applied to base tariff + Ft [-].
    """

    load_kwh: float
    pv_available_kwh: float
    pv_used_kwh: float
    import_before_kwh: float
    import_after_kwh: float
    bill_before_thb: float
    bill_after_thb: float
    bill_pv_only_thb: float | None = None
    battery_throughput_kwh: float = 0.0
    ft_thb_per_kwh: float = 0.1623
    vat_frac: float = 0.07

    def problems(self, path: str = "energy") -> list[Problem]:
        """Every problem with these values."""
        found: list[Problem] = []
        for name in ("load_kwh", "pv_available_kwh", "pv_used_kwh", "import_before_kwh", "import_after_kwh",
                     "bill_before_thb", "bill_after_thb", "battery_throughput_kwh", "ft_thb_per_kwh"):
            found += non_negative_problems(getattr(self, name), f"{path}.{name}")
        if self.pv_used_kwh > self.pv_available_kwh * (1 + 1e-9):
            found.append(Problem(f"{path}.pv_used_kwh", f"must not exceed pv_available_kwh "
                                 f"({self.pv_available_kwh:,.0f}), got {self.pv_used_kwh:,.0f}"))
        found += fraction_problems(self.vat_frac, f"{path}.vat_frac")
        return found


@dataclass(frozen=True)
class LifetimeEnergy:
    """Energy and bills of every operating year from a year-by-year simulation.

    Each year is its own dispatch (aged PV, faded battery, grown load) priced at year-1 prices
    (base tariff and Ft of year 1); the finance projection applies the escalation paths to it.

    Parameters
    ----------
    years : tuple of EnergyYear1
        Years 1..N, in order; ``bill_pv_only_thb`` is unused.
    battery_capacity_frac : tuple of float
        Battery capacity at the start of each year relative to new [-] (empty: no battery).
    battery_replacement_years : tuple of int
        Years (1..N-1) at whose end the battery is replaced, from the simulated fade.
    battery_augmentation : tuple of (int, float)
        Years at whose end modules are added, with the share of the nominal capacity added [-].
    battery_end_capacity_frac : float
        Capacity of the battery in service at the end of year N [-] (its residual value).
    load_growth_frac_per_year, pv_degradation_frac_per_year : float
        Growth and degradation the years were simulated with [-/year]; a project whose own
        values differ (a sensitivity) scales the simulated years by the ratio.
    method : str
        How the years were made (``full``: every year re-solved; ``fast``: anchor years).
    """

    years: tuple[EnergyYear1, ...]
    battery_capacity_frac: tuple[float, ...] = ()
    battery_replacement_years: tuple[int, ...] = ()
    battery_augmentation: tuple[tuple[int, float], ...] = ()
    battery_end_capacity_frac: float = 1.0
    load_growth_frac_per_year: float = 0.0
    pv_degradation_frac_per_year: float = 0.0
    method: str = "full"

    def problems(self, n_years: int, path: str = "lifetime") -> list[Problem]:
        """Every problem with these years for a project of ``n_years``."""
        found: list[Problem] = []
        if len(self.years) != n_years:
            found.append(Problem(f"{path}.years", f"must hold one year per project year ({n_years}), "
                                                  f"got {len(self.years)}"))
        for i, year in enumerate(self.years):
            found += year.problems(f"{path}.years[{i}]")
        if self.battery_capacity_frac and len(self.battery_capacity_frac) != n_years:
            found.append(Problem(f"{path}.battery_capacity_frac", f"must hold {n_years} values or none"))
        bad = [y for y in (*self.battery_replacement_years, *(y for y, _ in self.battery_augmentation))
               if not 1 <= int(y) < n_years]
        if bad:
            found.append(Problem(f"{path}.battery_replacement_years", f"must lie in 1..{n_years - 1}, got {bad}"))
        found += fraction_problems(self.battery_end_capacity_frac, f"{path}.battery_end_capacity_frac")
        return found


@dataclass(frozen=True)
class Component:
    """One capital item of the system.

    Parameters
    ----------
    name : str
        Label, e.g. ``"pv"``, ``"inverter"``, ``"battery"``.
    capex_thb : float
        Installed cost at year 0 [THB].
    life_years : int
        Technical life [years]; the component is replaced at its end of life when ``replace``.
    om_fixed_thb_per_year : float
        Fixed O&M in year 1 prices [THB/year].
    om_thb_per_kwh : float
        Variable O&M [THB/kWh] on the component's energy basis.
    energy_basis : {"pv", "battery", "none"}
        Energy that drives variable O&M and (for ``battery``) the capacity-fade replacement.
    replacement_cost_frac : float
        Replacement cost as a share of ``capex_thb`` [-].
    replace : bool
        False: the component is not replaced; the project or contract must end within its life.
    tax_life_years : int
        Straight-line tax depreciation period [years].
    """

    name: str
    capex_thb: float
    life_years: int
    om_fixed_thb_per_year: float = 0.0
    om_thb_per_kwh: float = 0.0
    energy_basis: Literal["pv", "battery", "none"] = "none"
    replacement_cost_frac: float = 1.0
    replace: bool = True
    tax_life_years: int = 10

    def problems(self, path: str) -> list[Problem]:
        """Every problem with this component."""
        found = non_negative_problems(self.capex_thb, f"{path}.capex_thb")
        found += non_negative_problems(self.om_fixed_thb_per_year, f"{path}.om_fixed_thb_per_year")
        found += non_negative_problems(self.om_thb_per_kwh, f"{path}.om_thb_per_kwh")
        found += non_negative_problems(self.replacement_cost_frac, f"{path}.replacement_cost_frac")
        for name in ("life_years", "tax_life_years"):
            if int(getattr(self, name)) < 1:
                found.append(Problem(f"{path}.{name}", f"must be an integer >= 1, got {getattr(self, name)}"))
        if self.energy_basis not in ("pv", "battery", "none"):
            found.append(Problem(f"{path}.energy_basis", f"must be pv, battery or none, got {self.energy_basis!r}"))
        return found


@dataclass(frozen=True)
class Escalation:
    """Price paths over the project life.

    Parameters
    ----------
    name : str
        Scenario label.
    tariff_frac_per_year : float
        Yearly escalation of the base tariff (energy and demand rates) [-/year].
    ft_change_thb_per_kwh_per_year : float
        Yearly change of Ft [THB/kWh per year] from the year-1 value; Ft never goes below
        ``ft_floor_thb_per_kwh``.
    ft_shift_thb_per_kwh : float
        Level shift applied to Ft in every year [THB/kWh] (sensitivity).
    om_frac_per_year : float
        O&M cost inflation [-/year].
    ft_floor_thb_per_kwh : float
        Lowest Ft considered [THB/kWh] (Ft has been negative in the past; default allows it).
    """

    name: str = "flat"
    tariff_frac_per_year: float = 0.0
    ft_change_thb_per_kwh_per_year: float = 0.0
    ft_shift_thb_per_kwh: float = 0.0
    om_frac_per_year: float = 0.0
    ft_floor_thb_per_kwh: float = -1.0

    def problems(self, path: str = "escalation") -> list[Problem]:
        """Every problem with these paths."""
        found = fraction_problems(self.tariff_frac_per_year, f"{path}.tariff_frac_per_year", -0.5, 0.5)
        found += fraction_problems(self.om_frac_per_year, f"{path}.om_frac_per_year", -0.5, 0.5)
        return found


@dataclass(frozen=True)
class ProjectInputs:
    """Everything that defines the project's cash flows, before any ownership structure.

    Parameters
    ----------
    energy : EnergyYear1
        Year-1 flows from the optimised dispatch.
    components : tuple of Component
        Capital items.
    years : int
        Project life N [years], 1..40.
    pv_degradation_frac_per_year : float
        Yearly loss of PV output [-/year].
    load_growth_frac_per_year : float
        Yearly change of the site load [-/year].
    battery_capacity_frac : ndarray or None
        Remaining capacity of a battery at the end of each year of its life [-], from the
        degradation model (``battery_capacity_frac[k]`` after ``k+1`` years). None: no fade
        model, the battery keeps its capacity until ``life_years``.
    battery_eol_frac : float
        Capacity at which a battery is replaced [-].
    yield_factor : float or ndarray, shape (N,)
        Multiplier on PV output in each operating year [-] (weather, sensitivity).
    escalation : Escalation
        Tariff, Ft and O&M paths.
    start_date : datetime.date
        Commercial operation date (start of year 1); year 0 flows happen on it.
    lifetime : LifetimeEnergy or None
        Every year simulated (:mod:`munigrid.scenarios.lifetime`); None: years 2..N are year 1
        scaled (:mod:`munigrid.models.finance.energy`).
    incentives : Incentives or None
        BOI, T-VER, grants and import duty (:mod:`munigrid.models.finance.incentives`); the
        project's flows are before them, each party's include those it receives.
    """

    energy: EnergyYear1
    components: tuple[Component, ...]
    years: int = 20
    pv_degradation_frac_per_year: float = 0.005
    load_growth_frac_per_year: float = 0.0
    battery_capacity_frac: np.ndarray | None = None
    battery_eol_frac: float = 0.8
    yield_factor: float | np.ndarray = 1.0
    escalation: Escalation = field(default_factory=Escalation)
    start_date: date = date(2026, 1, 1)
    lifetime: LifetimeEnergy | None = None
    incentives: Incentives | None = None

    def problems(self) -> list[Problem]:
        """Every problem with the project inputs."""
        found = self.energy.problems("energy")
        if not 1 <= int(self.years) <= 40:
            found.append(Problem("years", f"must be an integer between 1 and 40, got {self.years}"))
        found += fraction_problems(self.pv_degradation_frac_per_year, "pv_degradation_frac_per_year", 0.0, 0.1)
        found += fraction_problems(self.load_growth_frac_per_year, "load_growth_frac_per_year", -0.5, 0.5)
        found += fraction_problems(self.battery_eol_frac, "battery_eol_frac")
        if self.battery_capacity_frac is not None:
            fade = np.asarray(self.battery_capacity_frac, dtype=float)
            if fade.ndim != 1 or fade.size == 0 or np.any(~np.isfinite(fade)) or np.any(fade < 0) or np.any(fade > 1):
                found.append(Problem("battery_capacity_frac",
                                     "must be a non-empty 1-D array of fractions between 0 and 1"))
        factor = np.asarray(self.yield_factor, dtype=float)
        if factor.ndim not in (0, 1) or (factor.ndim == 1 and factor.shape != (self.years,)) \
                or np.any(~np.isfinite(factor)) or np.any(factor < 0):
            found.append(Problem("yield_factor", f"must be a number >= 0 or an array of {self.years} such numbers"))
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            found.append(Problem("components", f"names must be unique, got {names}"))
        for i, component in enumerate(self.components):
            found += component.problems(f"components[{i}]")
        found += check_term_within_life(self.years, self.components, "years")
        found += self.escalation.problems("escalation")
        if self.lifetime is not None:
            found += self.lifetime.problems(int(self.years))
        if self.incentives is not None:
            found += self.incentives.problems("incentives")
        return found

    def validated(self) -> ProjectInputs:
        """Self, after raising :class:`InputError` with every problem found."""
        found = self.problems()
        if found:
            raise InputError(found)
        return self


@dataclass(frozen=True)
class FinanceSettings:
    """Discounting and tax rules of the parties.

    Parameters
    ----------
    municipality_discount_frac : float
        Municipality's discount rate [-], >= 0.
    investor_discount_frac : float
        Private investor's discount rate (cost of equity when levered) [-], >= 0.
    cit_frac : float
        Corporate income tax rate on the investor's taxable income [-]; the municipality pays none.
    loss_carryforward_years : int
        Years a tax loss may be offset against later profits.
    """

    municipality_discount_frac: float = 0.06
    investor_discount_frac: float = 0.10
    cit_frac: float = 0.20
    loss_carryforward_years: int = 5

    def problems(self, path: str = "settings") -> list[Problem]:
        """Every problem with these settings."""
        found = check_discount_rate(self.municipality_discount_frac, f"{path}.municipality_discount_frac")
        found += check_discount_rate(self.investor_discount_frac, f"{path}.investor_discount_frac")
        found += fraction_problems(self.cit_frac, f"{path}.cit_frac")
        if int(self.loss_carryforward_years) < 0:
            found.append(Problem(f"{path}.loss_carryforward_years", f"must be >= 0, got {self.loss_carryforward_years}"))
        return found


@dataclass(frozen=True)
class Loan:
    """Debt with level (annuity) debt service.

    Parameters
    ----------
    amount_thb : float
        Principal drawn at year 0 [THB].
    rate_frac : float
        Interest rate [-/year].
    tenor_years : int
        Repayment period [years], starting in year 1.
    """

    amount_thb: float
    rate_frac: float
    tenor_years: int

    def problems(self, path: str, max_tenor_years: int) -> list[Problem]:
        """Every problem with this loan; the tenor may not outlast ``max_tenor_years``."""
        found = non_negative_problems(self.amount_thb, f"{path}.amount_thb")
        found += check_discount_rate(self.rate_frac, f"{path}.rate_frac")
        if not 1 <= int(self.tenor_years) <= max_tenor_years:
            found.append(Problem(f"{path}.tenor_years",
                                 f"must be between 1 and {max_tenor_years} (the borrower's holding period), "
                                 f"got {self.tenor_years}"))
        return found


@dataclass(frozen=True)
class Financing:
    """Debt terms as a share of the borrower's initial capex.

    Parameters
    ----------
    debt_frac : float
        Debt over initial capex [-], 0..1.
    rate_frac : float
        Interest rate [-/year], >= 0.
    tenor_years : int
        Repayment period [years].
    """

    debt_frac: float
    rate_frac: float
    tenor_years: int

    def loan(self, capex_thb: float) -> Loan:
        """The loan on ``capex_thb`` [THB]."""
        return Loan(self.debt_frac * capex_thb, self.rate_frac, int(self.tenor_years))

    def problems(self, path: str, max_tenor_years: int) -> list[Problem]:
        """Every problem with these terms; the tenor may not outlast ``max_tenor_years``."""
        found = fraction_problems(self.debt_frac, f"{path}.debt_frac")
        return found + self.loan(0.0).problems(path, max_tenor_years)
