r"""ESCO contracts: shared savings and guaranteed savings.

**Shared savings**: the ESCO finances, owns and operates the system for the term :math:`T` and
receives a share :math:`s` of the measured savings; the system is handed over free at the end:

.. math:: C_y = s\,\tilde S_y,\quad 1 \le y \le T

where the savings baseline :math:`\tilde S_y` is the bill saving at current prices
(``baseline="current_prices"``) or at contract year-1 prices, base tariff and Ft frozen
(``baseline="year1_prices"``: escalation gains stay with the municipality).

**Guaranteed savings**: the municipality finances and owns the system; the ESCO operates it for
:math:`T` years for a fee :math:`F_y = F_1 (1+e)^{y-1}` and pays any shortfall below the
guaranteed savings :math:`G_y`:

.. math:: C_y = F_y - \max(0,\ G_y - S_y),\quad 1 \le y \le T
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Literal

import numpy as np

from munigrid.models.errors import Problem
from munigrid.models.finance.energy import project_energy
from munigrid.models.finance.inputs import FinanceSettings, Financing, ProjectInputs, fraction_problems
from munigrid.models.finance.parties import Contract
from munigrid.models.finance.project import ProjectCashFlows
from munigrid.models.finance.structures.base import financing_problems, initial_capex_thb, term_problems


def _term_mask(n_years: int, term_years: int) -> np.ndarray:
    year = np.arange(n_years + 1)
    return (year >= 1) & (year <= term_years)


@dataclass(frozen=True)
class EscoSharedSavings:
    """ESCO-financed system paid by a share of the savings (module equations).

    Parameters
    ----------
    term_years : int
        Contract term [years].
    esco_share_frac : float
        ESCO's share :math:`s` of the savings [-], 0..1.
    baseline : {"current_prices", "year1_prices"}
        Prices at which shared savings are measured.
    financing : Financing or None
        ESCO's debt.
    """

    term_years: int = 20
    esco_share_frac: float = 0.7
    baseline: Literal["current_prices", "year1_prices"] = "current_prices"
    financing: Financing | None = None
    name: ClassVar[str] = "esco"

    def problems(self, inputs: ProjectInputs, path: str = "structure") -> list[Problem]:
        """Term, share, baseline and debt checks."""
        found = term_problems(self.term_years, inputs, f"{path}.term_years")
        found += fraction_problems(self.esco_share_frac, f"{path}.esco_share_frac")
        if self.baseline not in ("current_prices", "year1_prices"):
            found.append(Problem(f"{path}.baseline", f"must be current_prices or year1_prices, got {self.baseline!r}"))
        return found + financing_problems(self.financing, f"{path}.financing", int(self.term_years))

    def resolved(self, project: ProjectCashFlows, settings: FinanceSettings) -> EscoSharedSavings:
        """Nothing to fix: payments follow measured savings."""
        return self

    def baseline_savings_thb(self, project: ProjectCashFlows) -> np.ndarray:
        r"""Savings :math:`\tilde S_y` on which the share is paid [THB/year]."""
        if self.baseline == "current_prices":
            return project.energy.savings_thb
        frozen = replace(project.inputs.escalation, tariff_frac_per_year=0.0, ft_change_thb_per_kwh_per_year=0.0)
        return project_energy(replace(project.inputs, escalation=frozen)).savings_thb

    def contract(self, project: ProjectCashFlows, settings: FinanceSettings) -> Contract:
        """Shared-savings payments during the term; free hand-over at its end."""
        n = int(project.inputs.years)
        payments = self.esco_share_frac * self.baseline_savings_thb(project) * _term_mask(n, self.term_years)
        loan = self.financing.loan(initial_capex_thb(project)) if self.financing else None
        return Contract({"shared_savings_payments_thb": payments}, int(self.term_years), investor_loan=loan)


@dataclass(frozen=True)
class EscoGuaranteedSavings:
    """Municipality-financed system operated by an ESCO that guarantees the savings.

    Parameters
    ----------
    term_years : int
        Contract term [years].
    esco_fee_thb_per_year : float or None
        Year-1 fee :math:`F_1` [THB]; None: ``(1 + fee_markup_on_om_frac)`` times the year-1 O&M
        of the base case.
    fee_escalation_frac : float
        :math:`e` [-/year].
    guaranteed_savings_thb : tuple of float or None
        :math:`G_1..G_T` [THB]; None: ``guarantee_frac`` times the base case's expected savings.
    guarantee_frac : float
        Share of the expected savings that is guaranteed [-].
    fee_markup_on_om_frac : float
        ESCO margin over its O&M cost for the default fee [-].
    financing : Financing or None
        The municipality's loan.
    """

    term_years: int = 10
    esco_fee_thb_per_year: float | None = None
    fee_escalation_frac: float = 0.0
    guaranteed_savings_thb: tuple[float, ...] | None = None
    guarantee_frac: float = 0.9
    fee_markup_on_om_frac: float = 0.2
    financing: Financing | None = None
    name: ClassVar[str] = "esco-guaranteed"

    def problems(self, inputs: ProjectInputs, path: str = "structure") -> list[Problem]:
        """Term, guarantee, fee and debt checks."""
        found = term_problems(self.term_years, inputs, f"{path}.term_years")
        found += fraction_problems(self.guarantee_frac, f"{path}.guarantee_frac")
        found += fraction_problems(self.fee_escalation_frac, f"{path}.fee_escalation_frac", -0.5, 0.5)
        if self.esco_fee_thb_per_year is not None and self.esco_fee_thb_per_year < 0:
            found.append(Problem(f"{path}.esco_fee_thb_per_year", f"must be >= 0, got {self.esco_fee_thb_per_year}"))
        if self.guaranteed_savings_thb is not None and len(self.guaranteed_savings_thb) != self.term_years:
            found.append(Problem(f"{path}.guaranteed_savings_thb",
                                 f"must list one amount per contract year ({self.term_years}), "
                                 f"got {len(self.guaranteed_savings_thb)}"))
        return found + financing_problems(self.financing, f"{path}.financing", int(inputs.years))

    def resolved(self, project: ProjectCashFlows, settings: FinanceSettings) -> EscoGuaranteedSavings:
        """Fix the fee and the guaranteed amounts from the base case."""
        fee = self.esco_fee_thb_per_year
        if fee is None:
            fee = (1.0 + self.fee_markup_on_om_frac) * float(project.om_thb[1])
        guaranteed = self.guaranteed_savings_thb
        if guaranteed is None:
            expected = project.energy.savings_thb[1:int(self.term_years) + 1]
            guaranteed = tuple(float(g) for g in self.guarantee_frac * expected)
        return replace(self, esco_fee_thb_per_year=float(fee), guaranteed_savings_thb=guaranteed)

    def contract(self, project: ProjectCashFlows, settings: FinanceSettings) -> Contract:
        """Fee minus shortfall during the term; the ESCO operates, the municipality owns."""
        terms = self.resolved(project, settings)
        n, term = int(project.inputs.years), int(self.term_years)
        mask = _term_mask(n, term)
        age = np.maximum(np.arange(n + 1) - 1, 0)
        fee = terms.esco_fee_thb_per_year * (1.0 + self.fee_escalation_frac) ** age * mask
        guaranteed = np.zeros(n + 1)
        guaranteed[1:term + 1] = terms.guaranteed_savings_thb
        shortfall = np.maximum(0.0, guaranteed - project.energy.savings_thb) * mask
        loan = self.financing.loan(initial_capex_thb(project)) if self.financing else None
        return Contract({"esco_fee_thb": fee, "guarantee_shortfall_thb": -shortfall}, term,
                        investor_pays_capital=False, municipality_loan=loan)
