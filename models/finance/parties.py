r"""Split a project's cash flows between the municipality and a private investor.

Every structure is the same ledger with different contract payments. The investor holds the asset
(pays its capital outlays in years :math:`0..T-1`, operates it in years :math:`1..T`) until the
hand-over year :math:`T` (0 = never holds it); the municipality holds it before and after, always
receives the bill savings and pays the contract payments :math:`C_y` and the transfer price
:math:`X_T`. So, before tax and debt, the parties' flows add up to the project's:

.. math::

    M_y + I_y = P_y,\qquad M_y = S_y - C_y - X_y - \text{own costs}_y,\qquad
    I_y = C_y + X_y - \text{own costs}_y

The investor pays corporate income tax on :math:`C_y + X_y - O_y - D_y - \text{interest}_y`
with the undepreciated book value written off at hand-over; after-tax flows are
:math:`I_y - \mathrm{CIT}_y`, equity flows add the loan's drawdown and subtract its service.
Incentives (:mod:`munigrid.models.finance.incentives`) are extra lines of the party that
receives them, so then :math:`M_y + I_y = P_y + \text{incentives}_y`; a BOI holiday lowers the
investor's CIT.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from munigrid.models.finance.debt import DebtSchedule, debt_schedule, dscr
from munigrid.models.finance.incentives import BOI_LINE, LINES, allocate, boi_exemption_thb
from munigrid.models.finance.inputs import FinanceSettings, Loan
from munigrid.models.finance.metrics import IrrResult, irr, lcoe_thb_per_kwh, npv, payback_years
from munigrid.models.finance.project import ProjectCashFlows
from munigrid.models.finance.tax import corporate_tax_thb, depreciation_thb


@dataclass(frozen=True)
class PartyMetrics:
    """Headline numbers of one party, on its equity (after-tax, after-debt) flows.

    Attributes
    ----------
    npv_thb : float
        NPV at the party's discount rate [THB].
    irr : IrrResult
        IRR of the equity flows, or why there is none.
    project_irr : IrrResult
        IRR of the after-tax flows before debt.
    payback_years, discounted_payback_years : float or None
        Simple and discounted payback [years]; None if never.
    lcoe_thb_per_kwh : float or None
        Present value of the party's pre-tax costs over present value of the PV energy used [THB/kWh].
    net_savings_year1_thb, net_savings_total_thb : float or None
        Bill savings minus contract payments in year 1, and their undiscounted sum over years
        1..N [THB] (the municipality; None for a party without savings).
    min_dscr, mean_dscr : float or None
        Over the years with debt service [-].
    discount_frac : float
        Rate used [-].
    """

    npv_thb: float
    irr: IrrResult
    project_irr: IrrResult
    payback_years: float | None
    discounted_payback_years: float | None
    lcoe_thb_per_kwh: float | None
    net_savings_year1_thb: float | None
    net_savings_total_thb: float | None
    min_dscr: float | None
    mean_dscr: float | None
    discount_frac: float

    def as_dict(self) -> dict:
        """JSON-ready dictionary (IRRs as rate or null plus status and reason)."""
        out = {k: getattr(self, k) for k in ("npv_thb", "payback_years", "discounted_payback_years",
                                             "lcoe_thb_per_kwh", "net_savings_year1_thb",
                                             "net_savings_total_thb", "min_dscr", "mean_dscr",
                                             "discount_frac")}
        for name in ("irr", "project_irr"):
            result: IrrResult = getattr(self, name)
            out[f"{name}_frac"] = result.rate_frac
            out[f"{name}_status"] = result.status
            out[f"{name}_note"] = result.reason
        return out


@dataclass(frozen=True)
class PartyCashFlows:
    """One party's yearly cash flows [THB/year, inflows positive], years 0..N.

    Attributes
    ----------
    name : str
        ``"municipality"`` or ``"investor"``.
    lines : dict of str to ndarray
        Pre-tax, pre-debt lines; their sum is the party's share of the project flow.
    revenue_lines : tuple of str
        Which lines are revenue (the others are costs, for LCOE).
    tax_thb : ndarray
        Corporate income tax paid (positive).
    taxable_income_thb : ndarray
    depreciation_thb : ndarray
    debt : DebtSchedule or None
    pv_used_kwh : ndarray
        Energy basis of the LCOE [kWh].
    discount_frac : float
    """

    name: str
    lines: dict[str, np.ndarray]
    revenue_lines: tuple[str, ...]
    tax_thb: np.ndarray
    taxable_income_thb: np.ndarray
    depreciation_thb: np.ndarray
    debt: DebtSchedule | None
    pv_used_kwh: np.ndarray
    discount_frac: float
    savings_lines: tuple[str, ...] = field(default=())
    tax_exempt_thb: np.ndarray | None = None

    @property
    def incentive_thb(self) -> np.ndarray:
        """The party's incentive lines summed [THB] (BOI tax exemption not included)."""
        return sum((v for k, v in self.lines.items() if k in LINES.values()), np.zeros(len(self.tax_thb)))

    @property
    def pre_tax_thb(self) -> np.ndarray:
        """Sum of the pre-tax, pre-debt lines [THB]."""
        return sum(self.lines.values(), np.zeros(len(self.tax_thb)))

    @property
    def after_tax_thb(self) -> np.ndarray:
        """Pre-tax flow minus CIT [THB]."""
        return self.pre_tax_thb - self.tax_thb

    @property
    def equity_thb(self) -> np.ndarray:
        """After-tax flow plus drawdown minus debt service [THB]."""
        if self.debt is None:
            return self.after_tax_thb
        return self.after_tax_thb + self.debt.drawdown_thb - self.debt.service_thb

    @property
    def dscr(self) -> np.ndarray:
        """Debt-service coverage of each year [-], NaN without debt service.

        Cash flow available for debt service is the after-tax, pre-debt flow of the year.
        """
        if self.debt is None:
            return np.full(len(self.tax_thb), np.nan)
        return dscr(self.after_tax_thb, self.debt.service_thb)

    def metrics(self) -> PartyMetrics:
        """NPV, IRR, payback, LCOE, savings and DSCR of this party."""
        costs = -sum((v for k, v in self.lines.items() if k not in self.revenue_lines),
                     np.zeros(len(self.tax_thb)))
        ratio = self.dscr[np.isfinite(self.dscr)]
        savings = sum((self.lines[k] for k in self.savings_lines), np.zeros(len(self.tax_thb)))
        return PartyMetrics(
            npv_thb=npv(self.discount_frac, self.equity_thb),
            irr=irr(self.equity_thb),
            project_irr=irr(self.after_tax_thb),
            payback_years=payback_years(self.equity_thb),
            discounted_payback_years=payback_years(self.equity_thb, self.discount_frac),
            lcoe_thb_per_kwh=lcoe_thb_per_kwh(self.discount_frac, costs, self.pv_used_kwh)
            if np.any(costs) else None,
            net_savings_year1_thb=float(savings[1]) if self.savings_lines else None,
            net_savings_total_thb=float(savings[1:].sum()) if self.savings_lines else None,
            min_dscr=float(ratio.min()) if ratio.size else None,
            mean_dscr=float(ratio.mean()) if ratio.size else None,
            discount_frac=self.discount_frac,
        )

    def to_frame(self) -> pd.DataFrame:
        """The party's cash-flow table, one row per year."""
        n = len(self.tax_thb)
        table = {**self.lines, "pre_tax_thb": self.pre_tax_thb}
        if np.any(self.tax_thb) or np.any(self.depreciation_thb):
            table |= {"depreciation_thb": self.depreciation_thb, "taxable_income_thb": self.taxable_income_thb}
            if self.tax_exempt_thb is not None:
                table[BOI_LINE] = self.tax_exempt_thb
            table |= {"cit_thb": -self.tax_thb, "after_tax_thb": self.after_tax_thb}
        if self.debt is not None:
            table |= {"debt_drawdown_thb": self.debt.drawdown_thb, "interest_thb": -self.debt.interest_thb,
                      "principal_thb": -self.debt.principal_thb, "debt_balance_thb": self.debt.balance_thb,
                      "dscr": self.dscr}
        table["equity_thb"] = self.equity_thb
        table["cumulative_thb"] = np.cumsum(self.equity_thb)
        return pd.DataFrame(table, index=pd.Index(np.arange(n), name="year"))


@dataclass(frozen=True)
class Contract:
    """Payments of a structure, as the ledger needs them.

    Attributes
    ----------
    payments_thb : dict of str to ndarray
        Named payments from the municipality to the investor per year [THB] (negative: the
        investor pays, e.g. a guarantee shortfall).
    handover_year : int
        :math:`T`: last year the investor holds the asset (0: never).
    transfer_price_thb : float
        Paid by the municipality at hand-over [THB].
    investor_pays_capital : bool
        False: the municipality pays the capital outlays even while the investor operates
        (guaranteed savings).
    investor_loan, municipality_loan : Loan or None
    """

    payments_thb: dict[str, np.ndarray]
    handover_year: int
    transfer_price_thb: float = 0.0
    investor_pays_capital: bool = True
    investor_loan: Loan | None = None
    municipality_loan: Loan | None = None


def _holding_masks(n: int, handover: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the years in which the investor pays capital (0..T-1) and operates (1..T)."""
    year = np.arange(n + 1)
    return year < handover, (year >= 1) & (year <= handover)


def split_parties(project: ProjectCashFlows, contract: Contract, settings: FinanceSettings
                  ) -> tuple[PartyCashFlows, PartyCashFlows]:
    """The municipality's and the investor's cash flows under ``contract`` (module equations).

    Returns
    -------
    municipality, investor : PartyCashFlows
    """
    n = int(project.inputs.years)
    zeros = np.zeros(n + 1)
    investor_capital, investor_operates = _holding_masks(n, contract.handover_year)
    if not contract.investor_pays_capital:
        investor_capital = np.zeros(n + 1, dtype=bool)
    initial = sum(project.capex_thb.values(), zeros.copy())
    transfer = zeros.copy()
    if contract.handover_year > 0:
        transfer[contract.handover_year] = contract.transfer_price_thb
    payments_total = sum(contract.payments_thb.values(), zeros.copy())

    def own(mask_capital: np.ndarray, mask_operate: np.ndarray) -> dict[str, np.ndarray]:
        return {"capex_thb": -initial * mask_capital, "replacements_thb": -project.replacement_thb * mask_capital,
                "om_thb": -project.om_thb * mask_operate}

    municipality_lines = {"bill_savings_thb": project.energy.savings_thb.copy()}
    municipality_lines |= {k: -v for k, v in contract.payments_thb.items()}
    if contract.handover_year > 0:
        municipality_lines["transfer_price_thb"] = -transfer
    municipality_lines |= own(~investor_capital, ~investor_operates)
    municipality_lines["residual_value_thb"] = project.residual_thb.copy()

    investor_lines = dict(contract.payments_thb)
    if contract.handover_year > 0:
        investor_lines["transfer_price_thb"] = transfer
    investor_lines |= own(investor_capital, investor_operates)
    incentives = project.inputs.incentives
    received = {"municipality": {}, "investor": {}} if incentives is None else allocate(
        incentives, n_years=n, avoided_import_kwh=project.energy.import_before_kwh - project.energy.import_after_kwh,
        pv_used_kwh=project.energy.pv_used_kwh, initial_capex_thb=float(initial[0]), spends=project.spends,
        investor_capital=investor_capital,
        investor_holds=investor_operates if contract.investor_pays_capital else np.zeros(n + 1, dtype=bool))
    municipality_lines |= received["municipality"]
    investor_lines |= received["investor"]

    debt_investor = debt_schedule(contract.investor_loan, n) if contract.investor_loan else None
    spends = [s for s in project.spends if investor_capital[s.year]]
    depreciation, book_value = depreciation_thb(spends, n, contract.handover_year)
    taxable = payments_total + transfer - project.om_thb * investor_operates - depreciation
    taxable = taxable + sum((v for k, v in received["investor"].items() if k != LINES["duty"]), zeros.copy())
    if debt_investor is not None:
        taxable = taxable - debt_investor.interest_thb
    if contract.handover_year > 0:
        taxable[contract.handover_year] -= book_value
    taxable = taxable * (np.arange(n + 1) <= contract.handover_year)
    tax = corporate_tax_thb(taxable, settings.cit_frac, settings.loss_carryforward_years)
    exempt = None
    if incentives is not None and incentives.boi:
        exempt = boi_exemption_thb(tax, incentives, float(initial[0]) if investor_capital[0] else 0.0)
        tax = tax - exempt

    energy = project.energy.pv_used_kwh
    municipality = PartyCashFlows(
        "municipality", municipality_lines, ("bill_savings_thb",), zeros.copy(), zeros.copy(), zeros.copy(),
        debt_schedule(contract.municipality_loan, n) if contract.municipality_loan else None,
        energy, settings.municipality_discount_frac,
        savings_lines=("bill_savings_thb", *contract.payments_thb))
    investor = PartyCashFlows(
        "investor", investor_lines, (*contract.payments_thb, "transfer_price_thb"), tax, taxable, depreciation,
        debt_investor, energy, settings.investor_discount_frac, tax_exempt_thb=exempt)
    return municipality, investor
