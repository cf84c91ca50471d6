"""Evaluate an investment case: project cash flows, one structure, both parties, metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from munigrid.models.errors import InputError
from munigrid.models.finance.incentives import BOI_LINE, LINES
from munigrid.models.finance.inputs import FinanceSettings, ProjectInputs
from munigrid.models.finance.metrics import irr, lcoe_thb_per_kwh, npv, payback_years
from munigrid.models.finance.parties import PartyCashFlows, split_parties
from munigrid.models.finance.project import ProjectCashFlows, project_cash_flows
from munigrid.models.finance.structures.base import Structure


@dataclass(frozen=True)
class CaseResult:
    """A structure evaluated on a project.

    Attributes
    ----------
    structure : Structure
        With every contract amount fixed (see ``Structure.resolved``).
    settings : FinanceSettings
    project : ProjectCashFlows
    municipality, investor : PartyCashFlows
    """

    structure: Structure
    settings: FinanceSettings
    project: ProjectCashFlows
    municipality: PartyCashFlows
    investor: PartyCashFlows

    def project_metrics(self) -> dict:
        """Pre-tax, unlevered project metrics at the municipality's discount rate."""
        rate, flows = self.settings.municipality_discount_frac, self.project.net_thb
        costs = self.project.capital_thb + self.project.om_thb - self.project.residual_thb
        result = irr(flows)
        return {"npv_thb": npv(rate, flows), "irr_frac": result.rate_frac, "irr_status": result.status,
                "irr_note": result.reason, "payback_years": payback_years(flows),
                "lcoe_thb_per_kwh": lcoe_thb_per_kwh(rate, costs, self.project.energy.pv_used_kwh),
                "capex_thb": float(sum(v[0] for v in self.project.capex_thb.values())),
                "net_savings_year1_thb": float(self.project.energy.savings_thb[1]),
                "net_savings_total_thb": float(self.project.energy.savings_thb[1:].sum()),
                "discount_frac": rate}

    def incentives_received(self) -> dict[str, dict[str, dict[str, float]]]:
        """Per party, each incentive it receives: undiscounted total and NPV at its rate [THB]
        (the BOI CIT exemption as ``boi_cit_exemption_thb``); empty without incentives."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for party in (self.municipality, self.investor):
            lines = {k: v for k, v in party.lines.items() if k in LINES.values()}
            if party.tax_exempt_thb is not None and np.any(party.tax_exempt_thb):
                lines[BOI_LINE] = party.tax_exempt_thb
            if lines:
                out[party.name] = {k: {"total_thb": float(v.sum()), "npv_thb": npv(party.discount_frac, v)}
                                   for k, v in lines.items()}
        return out

    def summary(self) -> dict:
        """JSON-ready headline numbers of the project and both parties, and who receives which incentive."""
        return {"structure": self.structure.name, "years": int(self.project.inputs.years),
                "project": self.project_metrics(),
                "municipality": self.municipality.metrics().as_dict(),
                "investor": self.investor.metrics().as_dict(),
                "incentives": self.incentives_received()}

    def balance_error_thb(self) -> float:
        """Largest yearly gap between the parties' pre-tax flows, less the incentives they receive,
        and the project's [THB] (should be ~0)."""
        gap = (self.municipality.pre_tax_thb + self.investor.pre_tax_thb - self.project.net_thb
               - self.municipality.incentive_thb - self.investor.incentive_thb)
        return float(np.abs(gap).max())


def evaluate_case(inputs: ProjectInputs, structure: Structure, settings: FinanceSettings | None = None,
                  base: ProjectCashFlows | None = None) -> CaseResult:
    """Cash flows and metrics of ``structure`` on the project ``inputs``.

    Parameters
    ----------
    inputs : ProjectInputs
        The project; every problem with it, the settings and the structure is raised at once
        as :class:`~munigrid.models.errors.InputError`.
    structure : Structure
        An ownership structure from :mod:`munigrid.models.finance.structures`.
    settings : FinanceSettings, optional
        Discount rates and tax; defaults from :class:`FinanceSettings`.
    base : ProjectCashFlows, optional
        Base case on which contract amounts left to defaults are fixed (sensitivity runs keep
        the contract of the base case); default: this project.

    Returns
    -------
    CaseResult
    """
    settings = settings or FinanceSettings()
    problems = inputs.problems() + settings.problems() + structure.problems(inputs)
    if problems:
        raise InputError(problems)
    project = project_cash_flows(inputs)
    terms = structure.resolved(base or project, settings)
    municipality, investor = split_parties(project, terms.contract(project, settings), settings)
    return CaseResult(terms, settings, project, municipality, investor)
