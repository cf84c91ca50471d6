r"""Private PPA: an investor finances, owns and operates the system and sells its energy.

The municipality pays for the PV energy used on site :math:`U_y` in years :math:`1..E`
(:math:`E` = buy-out year if exercised, else the term):

.. math::

    C_y = p_1 (1+e)^{y-1}\,U_y \quad\text{(fixed price)}\qquad\text{or}\qquad
    C_y = (1-d)\,S_y \quad\text{(discount } d \text{ to the grid)}

where the grid-parity value of the energy is the bill saving :math:`S_y` it brings (so a PPA at
the grid tariff, :math:`d = 0`, leaves the municipality no saving). At :math:`E` the system passes
to the municipality for the buy-out price (default: the investor's tax book value) or, at the end
of the term, for ``transfer_price_thb`` (default free).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from munigrid.models.errors import Problem
from munigrid.models.finance.inputs import FinanceSettings, Financing, ProjectInputs, fraction_problems
from munigrid.models.finance.parties import Contract
from munigrid.models.finance.project import ProjectCashFlows
from munigrid.models.finance.structures.base import financing_problems, initial_capex_thb, term_problems
from munigrid.models.finance.tax import depreciation_thb


@dataclass(frozen=True)
class Ppa:
    """Power purchase agreement (module equations): a fixed price, else a discount to the grid.

    Parameters
    ----------
    term_years : int
        Contract term [years].
    price_thb_per_kwh : float or None
        Year-1 fixed price :math:`p_1` [THB/kWh]; None: priced at a discount to the grid.
    discount_to_grid_frac : float
        Discount :math:`d` to the grid-parity value [-], 0..1, used when no fixed price is given.
    escalation_frac_per_year : float
        Yearly escalation :math:`e` of the fixed price [-/year].
    buyout_year : int or None
        Year at whose end the municipality buys the system (1..term); None: no buy-out.
    buyout_price_thb : float or None
        Buy-out price [THB]; None: the investor's tax book value then.
    transfer_price_thb : float
        Price of the hand-over at the end of the term [THB].
    financing : Financing or None
        Investor's debt.
    """

    term_years: int = 20
    price_thb_per_kwh: float | None = None
    discount_to_grid_frac: float = 0.2
    escalation_frac_per_year: float = 0.0
    buyout_year: int | None = None
    buyout_price_thb: float | None = None
    transfer_price_thb: float = 0.0
    financing: Financing | None = None
    name: ClassVar[str] = "ppa"

    @property
    def end_year(self) -> int:
        """Last year of the contract: the buy-out year if any, else the term."""
        return int(self.buyout_year if self.buyout_year is not None else self.term_years)

    def problems(self, inputs: ProjectInputs, path: str = "structure") -> list[Problem]:
        """Term, price, buy-out and debt checks."""
        found = term_problems(self.term_years, inputs, f"{path}.term_years")
        if self.price_thb_per_kwh is not None and not self.price_thb_per_kwh >= 0:
            found.append(Problem(f"{path}.price_thb_per_kwh", f"must be >= 0, got {self.price_thb_per_kwh}"))
        found += fraction_problems(self.discount_to_grid_frac, f"{path}.discount_to_grid_frac")
        found += fraction_problems(self.escalation_frac_per_year, f"{path}.escalation_frac_per_year", -0.5, 0.5)
        if self.buyout_year is not None and not 1 <= int(self.buyout_year) <= int(self.term_years):
            found.append(Problem(f"{path}.buyout_year",
                                 f"must fall within the term (1..{self.term_years}), got {self.buyout_year}"))
        for name in ("buyout_price_thb", "transfer_price_thb"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                found.append(Problem(f"{path}.{name}", f"must be >= 0, got {value}"))
        return found + financing_problems(self.financing, f"{path}.financing", self.end_year)

    def resolved(self, project: ProjectCashFlows, settings: FinanceSettings) -> Ppa:
        """Fix a default buy-out price at the investor's book value in the buy-out year."""
        if self.buyout_year is None or self.buyout_price_thb is not None:
            return self
        spends = [s for s in project.spends if s.year < self.end_year]
        _, book_value = depreciation_thb(spends, int(project.inputs.years), self.end_year)
        return replace(self, buyout_price_thb=float(book_value))

    def payments_thb(self, project: ProjectCashFlows) -> np.ndarray:
        """:math:`C_y` of the module equation [THB/year]."""
        n = int(project.inputs.years)
        year = np.arange(n + 1)
        active = (year >= 1) & (year <= self.end_year)
        if self.price_thb_per_kwh is not None:
            price = self.price_thb_per_kwh * (1.0 + self.escalation_frac_per_year) ** np.maximum(year - 1, 0)
            return price * project.energy.pv_used_kwh * active
        return (1.0 - self.discount_to_grid_frac) * project.energy.savings_thb * active

    def contract(self, project: ProjectCashFlows, settings: FinanceSettings) -> Contract:
        """Energy payments until the buy-out or the end of the term, then the hand-over."""
        terms = self.resolved(project, settings)
        price = terms.buyout_price_thb if self.buyout_year is not None else self.transfer_price_thb
        loan = self.financing.loan(initial_capex_thb(project)) if self.financing else None
        return Contract({"ppa_payments_thb": self.payments_thb(project)}, self.end_year, float(price),
                        investor_loan=loan)
