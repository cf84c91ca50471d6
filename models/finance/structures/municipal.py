"""Municipal ownership: the municipality buys, owns and operates the system (budget or loan).

No contract payments and no tax; with a loan the municipality's equity flows are
:math:`P_y + \\text{drawdown}_y - \\text{debt service}_y` and its DSCR is
:math:`P_y / \\text{debt service}_y`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from munigrid.models.errors import Problem
from munigrid.models.finance.inputs import FinanceSettings, Financing, ProjectInputs
from munigrid.models.finance.parties import Contract
from munigrid.models.finance.project import ProjectCashFlows
from munigrid.models.finance.structures.base import financing_problems, initial_capex_thb


@dataclass(frozen=True)
class MunicipalOwnership:
    """The municipality owns the system; paid from the budget, or partly with ``financing``."""

    financing: Financing | None = None
    name: ClassVar[str] = "municipal"

    def problems(self, inputs: ProjectInputs, path: str = "structure") -> list[Problem]:
        """Loan terms must fit the project life."""
        return financing_problems(self.financing, f"{path}.financing", int(inputs.years))

    def resolved(self, project: ProjectCashFlows, settings: FinanceSettings) -> MunicipalOwnership:
        """Nothing to fix: no contract amounts."""
        return self

    def contract(self, project: ProjectCashFlows, settings: FinanceSettings) -> Contract:
        """No payments; the investor never holds the asset."""
        loan = self.financing.loan(initial_capex_thb(project)) if self.financing else None
        return Contract(payments_thb={}, handover_year=0, municipality_loan=loan)
