r"""Project cash flows of years 0..N, before any ownership structure, tax or debt.

.. math::

    P_y = S_y - K_y - R_y - O^{fix}_y - O^{var}_y + V_y

with bill savings :math:`S_y` (:mod:`~munigrid.models.finance.energy`), capex :math:`K_0` by
component, replacements :math:`R_y` at each component's end of life (cash at the end of year
:math:`y`, the new unit serving from year :math:`y+1`; a battery's life ends early when its fade
reaches the end-of-life capacity), fixed O&M :math:`O^{fix}_y = \sum_c o_c (1+\iota)^{y-1}`,
variable O&M :math:`O^{var}_y = \sum_c u_c E_{c,y} (1+\iota)^{y-1}` on each component's energy basis,
and residual value :math:`V_N = \sum_c k_c \max(0, (t_c + \ell_c - N)/\ell_c)` of the unit in service
at the end (installed in year :math:`t_c` at cost :math:`k_c`, life :math:`\ell_c`), straight-line.
With a simulated lifetime (``ProjectInputs.lifetime``) the battery is replaced (or augmented,
at the replacement price times the share of capacity added) in the years the simulation did
so, and its residual value is its capacity left above the end-of-life capacity:
:math:`k \,\mathrm{clip}\big((c_N - c_{EoL})/(1 - c_{EoL}), 0, 1\big)`, :math:`k` the pack's
price (initial, or the replacement price once anything was bought).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from munigrid.models.finance.energy import (
    EnergyProjection,
    battery_life_years,
    project_energy,
    replacement_years,
)
from munigrid.models.finance.inputs import Component, ProjectInputs


@dataclass(frozen=True)
class CapitalSpend:
    """One capital outlay: initial purchase (year 0) or a replacement.

    Attributes
    ----------
    year : int
        Project year of the cash flow (depreciation starts the next year).
    component : str
        Component name.
    amount_thb : float
        Cost [THB].
    tax_life_years : int
        Straight-line tax depreciation period [years].
    """

    year: int
    component: str
    amount_thb: float
    tax_life_years: int


def component_life_years(component: Component, inputs: ProjectInputs) -> int:
    """Service life of one unit of ``component`` [years] (battery: shortened by fade)."""
    if component.energy_basis == "battery":
        return battery_life_years(component, inputs.battery_capacity_frac, inputs.battery_eol_frac)
    return int(component.life_years)


def simulated_battery(component: Component, inputs: ProjectInputs) -> bool:
    """True when the battery's replacements come from a simulated lifetime."""
    return component.energy_basis == "battery" and inputs.lifetime is not None


def capital_spends(inputs: ProjectInputs) -> list[CapitalSpend]:
    """Initial capex and every replacement within the project life, in year order."""
    spends = []
    for c in inputs.components:
        spends.append(CapitalSpend(0, c.name, c.capex_thb, c.tax_life_years))
        if not c.replace:
            continue
        years = (inputs.lifetime.battery_replacement_years if simulated_battery(c, inputs)
                 else replacement_years(component_life_years(c, inputs), int(inputs.years)))
        spends += [CapitalSpend(int(y), c.name, c.capex_thb * c.replacement_cost_frac, c.tax_life_years)
                   for y in years]
        if simulated_battery(c, inputs):
            spends += [CapitalSpend(int(y), c.name, c.capex_thb * c.replacement_cost_frac * added, c.tax_life_years)
                       for y, added in inputs.lifetime.battery_augmentation]
    return sorted(spends, key=lambda s: s.year)


def spends_of(spends: list[CapitalSpend], component: str) -> list[CapitalSpend]:
    """The outlays of one component."""
    return [s for s in spends if s.component == component]


def residual_value_thb(inputs: ProjectInputs, spends: list[CapitalSpend]) -> float:
    """Straight-line value of the units in service at the end of year N [THB]."""
    n, total = int(inputs.years), 0.0
    for c in inputs.components:
        if simulated_battery(c, inputs):
            left = ((inputs.lifetime.battery_end_capacity_frac - inputs.battery_eol_frac)
                    / max(1e-9, 1.0 - inputs.battery_eol_frac))
            bought = c.capex_thb * (c.replacement_cost_frac if len(spends_of(spends, c.name)) > 1 else 1.0)
            total += bought * float(np.clip(left, 0.0, 1.0))
            continue
        last = max(spends_of(spends, c.name), key=lambda s: s.year)
        life = component_life_years(c, inputs)
        total += last.amount_thb * max(0.0, (last.year + life - n) / life)
    return total


def om_thb(inputs: ProjectInputs, energy: EnergyProjection) -> tuple[np.ndarray, np.ndarray]:
    """Fixed and variable O&M of years 0..N [THB/year], inflated from year-1 prices."""
    n = int(inputs.years)
    year = np.arange(n + 1)
    inflation = np.where(year >= 1, (1.0 + inputs.escalation.om_frac_per_year) ** np.maximum(year - 1, 0), 0.0)
    basis = {"pv": energy.pv_used_kwh, "battery": energy.battery_throughput_kwh, "none": np.zeros(n + 1)}
    fixed = sum(c.om_fixed_thb_per_year for c in inputs.components) * inflation
    variable = sum((c.om_thb_per_kwh * basis[c.energy_basis] for c in inputs.components), np.zeros(n + 1))
    return fixed, variable * inflation


@dataclass(frozen=True)
class ProjectCashFlows:
    """Cash flows of the project as a whole, years 0..N [THB/year, inflows positive].

    Attributes
    ----------
    inputs : ProjectInputs
    energy : EnergyProjection
    capex_thb : dict of str to ndarray
        Initial capex by component (year 0), as positive costs.
    replacement_thb : ndarray
        Replacement costs, positive.
    om_fixed_thb, om_variable_thb : ndarray
        O&M costs, positive.
    residual_thb : ndarray
        Residual value in year N, positive.
    spends : tuple of CapitalSpend
        Every capital outlay (for depreciation and ownership splits).
    """

    inputs: ProjectInputs
    energy: EnergyProjection
    capex_thb: dict[str, np.ndarray]
    replacement_thb: np.ndarray
    om_fixed_thb: np.ndarray
    om_variable_thb: np.ndarray
    residual_thb: np.ndarray
    spends: tuple[CapitalSpend, ...]

    @property
    def years(self) -> np.ndarray:
        """Project years 0..N."""
        return np.arange(int(self.inputs.years) + 1)

    @property
    def capital_thb(self) -> np.ndarray:
        """Initial capex plus replacements of each year [THB], positive."""
        return sum(self.capex_thb.values(), np.zeros(len(self.years))) + self.replacement_thb

    @property
    def om_thb(self) -> np.ndarray:
        """Fixed plus variable O&M [THB], positive."""
        return self.om_fixed_thb + self.om_variable_thb

    @property
    def net_thb(self) -> np.ndarray:
        """:math:`P_y` of the module equation [THB]."""
        return self.energy.savings_thb - self.capital_thb - self.om_thb + self.residual_thb

    def to_frame(self) -> pd.DataFrame:
        """The project table, one row per year, costs negative."""
        e = self.energy
        columns = {
            "pv_used_kwh": e.pv_used_kwh,
            "load_kwh": e.load_kwh,
            "import_before_kwh": e.import_before_kwh,
            "import_after_kwh": e.import_after_kwh,
            "battery_capacity_frac": e.battery_capacity_frac,
            "ft_thb_per_kwh": e.ft_thb_per_kwh,
            "bill_before_thb": e.bill_before_thb,
            "bill_after_thb": e.bill_after_thb,
            "bill_savings_thb": e.savings_thb,
            **{f"capex_{name}_thb": -v for name, v in self.capex_thb.items()},
            "replacements_thb": -self.replacement_thb,
            "om_fixed_thb": -self.om_fixed_thb,
            "om_variable_thb": -self.om_variable_thb,
            "residual_value_thb": self.residual_thb,
            "net_thb": self.net_thb,
        }
        return pd.DataFrame(columns, index=pd.Index(self.years, name="year"))


def project_cash_flows(inputs: ProjectInputs) -> ProjectCashFlows:
    """Build the project's cash flows (see the module equation).

    Parameters
    ----------
    inputs : ProjectInputs
        Raises :class:`~munigrid.models.errors.InputError` listing every problem.

    Returns
    -------
    ProjectCashFlows
    """
    inputs = inputs.validated()
    n = int(inputs.years)
    energy = project_energy(inputs)
    spends = capital_spends(inputs)
    capex = {}
    for c in inputs.components:
        capex[c.name] = np.zeros(n + 1)
        capex[c.name][0] = c.capex_thb
    replacement = np.zeros(n + 1)
    for s in spends:
        if s.year > 0:
            replacement[s.year] += s.amount_thb
    residual = np.zeros(n + 1)
    residual[n] = residual_value_thb(inputs, spends)
    om_fixed, om_variable = om_thb(inputs, energy)
    return ProjectCashFlows(inputs, energy, capex, replacement, om_fixed, om_variable, residual, tuple(spends))
