r"""Debt with level (annuity) debt service, and the debt-service coverage ratio.

For principal :math:`P`, rate :math:`r` and tenor :math:`n`, in years :math:`y = 1..n`:

.. math::

    A = P\,\mathrm{CRF}(r, n),\quad I_y = r\,B_{y-1},\quad Q_y = A - I_y,\quad B_y = B_{y-1} - Q_y,
    \quad B_0 = P

and :math:`\mathrm{DSCR}_y = \mathrm{CFADS}_y / A` (cash flow available for debt service over
debt service), defined only in years with debt service.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from munigrid.models.finance.inputs import Loan
from munigrid.models.finance.metrics import annuity_payment_thb


@dataclass(frozen=True)
class DebtSchedule:
    """A loan's flows over years 0..N [THB/year].

    Attributes
    ----------
    loan : Loan
    drawdown_thb : ndarray
        Principal received (year 0).
    interest_thb, principal_thb : ndarray
        Interest and principal repaid.
    balance_thb : ndarray
        Outstanding principal at the end of each year.
    """

    loan: Loan
    drawdown_thb: np.ndarray
    interest_thb: np.ndarray
    principal_thb: np.ndarray
    balance_thb: np.ndarray

    @property
    def service_thb(self) -> np.ndarray:
        """Debt service :math:`I_y + Q_y` [THB]."""
        return self.interest_thb + self.principal_thb


def debt_schedule(loan: Loan, n_years: int) -> DebtSchedule:
    """Annuity repayment schedule of ``loan`` over years 0..N (see the module equations)."""
    drawdown, interest, principal, balance = (np.zeros(n_years + 1) for _ in range(4))
    drawdown[0] = balance[0] = loan.amount_thb
    payment = annuity_payment_thb(loan.amount_thb, loan.rate_frac, int(loan.tenor_years)) if loan.amount_thb else 0.0
    for y in range(1, int(loan.tenor_years) + 1):
        interest[y] = loan.rate_frac * balance[y - 1]
        principal[y] = payment - interest[y]
        balance[y] = balance[y - 1] - principal[y]
    return DebtSchedule(loan, drawdown, interest, principal, balance)


def dscr(cfads_thb: np.ndarray, service_thb: np.ndarray) -> np.ndarray:
    """DSCR of each year [-]; NaN in years without debt service (the ratio is undefined there)."""
    out = np.full(len(service_thb), np.nan)
    paying = service_thb > 0
    out[paying] = np.asarray(cfads_thb, dtype=float)[paying] / service_thb[paying]
    return out
