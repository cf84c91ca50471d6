"""What every ownership structure shares: term checks and the structure protocol."""

from __future__ import annotations

from typing import Protocol

from munigrid.models.errors import Problem
from munigrid.models.finance.inputs import FinanceSettings, Financing, ProjectInputs, check_term_within_life
from munigrid.models.finance.parties import Contract
from munigrid.models.finance.project import ProjectCashFlows


class Structure(Protocol):
    """An ownership structure: checks its terms, freezes them on a base case, and writes its contract."""

    name: str

    def problems(self, inputs: ProjectInputs, path: str = "structure") -> list[Problem]:
        """Every problem with the structure's terms for this project."""

    def resolved(self, project: ProjectCashFlows, settings: FinanceSettings) -> Structure:
        """A copy whose contract amounts left to defaults are fixed from ``project`` (the base case)."""

    def contract(self, project: ProjectCashFlows, settings: FinanceSettings) -> Contract:
        """The contract payments and hand-over on ``project``."""


def term_problems(term_years: int, inputs: ProjectInputs, path: str) -> list[Problem]:
    """A contract term must be 1..N years and within the life of every component never replaced."""
    found = []
    if not 1 <= int(term_years) <= int(inputs.years):
        found.append(Problem(path, f"must be between 1 and the project life of {inputs.years} years, "
                                   f"got {term_years}"))
    return found + check_term_within_life(int(term_years), inputs.components, path)


def financing_problems(financing: Financing | None, path: str, holding_years: int) -> list[Problem]:
    """Problems of optional debt terms whose tenor must end within ``holding_years``."""
    return [] if financing is None else financing.problems(path, max(1, holding_years))


def initial_capex_thb(project: ProjectCashFlows) -> float:
    """Total year-0 capex [THB]."""
    return float(sum(v[0] for v in project.capex_thb.values()))
