r"""PPP / BOT with an availability payment.

The investor builds, finances, operates and maintains the system for the concession term
:math:`T`, then transfers it free; the municipality keeps the bill savings and pays

.. math:: C_y = A_1 (1+e)^{y-1}\,\alpha,\quad 1 \le y \le T

with expected availability :math:`\alpha` (deductions for unavailability). Left unset, :math:`A_1`
is the payment that gives the investor exactly its target IRR on equity after tax
(NPV = 0 at the target rate, found with Brent's method).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from scipy.optimize import brentq

from munigrid.models.errors import InputError, Problem
from munigrid.models.finance.inputs import FinanceSettings, Financing, ProjectInputs, fraction_problems
from munigrid.models.finance.metrics import check_discount_rate, npv
from munigrid.models.finance.parties import Contract, split_parties
from munigrid.models.finance.project import ProjectCashFlows
from munigrid.models.finance.structures.base import financing_problems, initial_capex_thb, term_problems


@dataclass(frozen=True)
class PppAvailability:
    """Build-operate-transfer concession paid by availability (module equation).

    Parameters
    ----------
    term_years : int
        Concession term [years].
    availability_payment_thb_per_year : float or None
        :math:`A_1` [THB]; None: solved for ``target_irr_frac``.
    escalation_frac_per_year : float
        :math:`e` [-/year].
    availability_frac : float
        :math:`\\alpha` [-].
    target_irr_frac : float or None
        Investor's target equity IRR [-]; None: the investor's discount rate.
    financing : Financing or None
        Investor's debt.
    """

    term_years: int = 20
    availability_payment_thb_per_year: float | None = None
    escalation_frac_per_year: float = 0.0
    availability_frac: float = 1.0
    target_irr_frac: float | None = None
    financing: Financing | None = None
    name: ClassVar[str] = "ppp"

    def problems(self, inputs: ProjectInputs, path: str = "structure") -> list[Problem]:
        """Term, payment, availability and debt checks."""
        found = term_problems(self.term_years, inputs, f"{path}.term_years")
        if self.availability_payment_thb_per_year is not None and not self.availability_payment_thb_per_year >= 0:
            found.append(Problem(f"{path}.availability_payment_thb_per_year",
                                 f"must be >= 0, got {self.availability_payment_thb_per_year}"))
        found += fraction_problems(self.escalation_frac_per_year, f"{path}.escalation_frac_per_year", -0.5, 0.5)
        found += fraction_problems(self.availability_frac, f"{path}.availability_frac")
        if self.target_irr_frac is not None:
            found += check_discount_rate(self.target_irr_frac, f"{path}.target_irr_frac")
        return found + financing_problems(self.financing, f"{path}.financing", int(self.term_years))

    def payments_thb(self, payment_thb: float, n_years: int) -> np.ndarray:
        """:math:`C_y` for a year-1 payment ``payment_thb`` [THB/year]."""
        year = np.arange(n_years + 1)
        active = (year >= 1) & (year <= self.term_years)
        return payment_thb * (1.0 + self.escalation_frac_per_year) ** np.maximum(year - 1, 0) \
            * self.availability_frac * active

    def resolved(self, project: ProjectCashFlows, settings: FinanceSettings) -> PppAvailability:
        """Fix :math:`A_1` at the target IRR when it was left unset."""
        if self.availability_payment_thb_per_year is not None:
            return self
        target = settings.investor_discount_frac if self.target_irr_frac is None else self.target_irr_frac

        def investor_npv(payment_thb: float) -> float:
            trial = replace(self, availability_payment_thb_per_year=payment_thb)
            _, investor = split_parties(project, trial.contract(project, settings), settings)
            return npv(target, investor.equity_thb)

        high = max(1.0, initial_capex_thb(project))
        for _ in range(60):
            if investor_npv(high) >= 0:
                break
            high *= 2.0
        else:
            raise InputError([Problem("structure.availability_frac",
                                      f"no availability payment reaches the target IRR of {target:.1%} "
                                      f"with availability {self.availability_frac:g}")])
        return replace(self, availability_payment_thb_per_year=float(brentq(investor_npv, 0.0, high, xtol=1e-3)))

    def contract(self, project: ProjectCashFlows, settings: FinanceSettings) -> Contract:
        """Availability payments during the concession; free transfer at its end."""
        payment = self.resolved(project, settings).availability_payment_thb_per_year
        loan = self.financing.loan(initial_capex_thb(project)) if self.financing else None
        return Contract({"availability_payments_thb": self.payments_thb(payment, int(project.inputs.years))},
                        int(self.term_years), investor_loan=loan)
