"""Investment cases: yearly cash flows of the municipality and a private investor.

Pure functions on plain inputs: :class:`EnergyYear1` (year-1 flows from the optimised
dispatch), :class:`Component` capital items and :class:`ProjectInputs`; one module per
ownership structure in :mod:`munigrid.models.finance.structures`; metrics, debt, tax,
sensitivity, Thai fiscal-year aggregation and CSV/Excel export beside them.
"""

from munigrid.models.finance.case import CaseResult, evaluate_case
from munigrid.models.finance.inputs import (
    Component,
    EnergyYear1,
    Escalation,
    FinanceSettings,
    Financing,
    Loan,
    ProjectInputs,
)
from munigrid.models.finance.metrics import IrrResult, annuity_payment_thb, crf, irr, lcoe_thb_per_kwh, npv, payback_years
from munigrid.models.finance.project import ProjectCashFlows, project_cash_flows

__all__ = [
    "CaseResult", "Component", "EnergyYear1", "Escalation", "FinanceSettings", "Financing", "IrrResult", "Loan",
    "ProjectCashFlows", "ProjectInputs", "annuity_payment_thb", "crf", "evaluate_case", "irr", "lcoe_thb_per_kwh",
    "npv", "payback_years", "project_cash_flows",
]
