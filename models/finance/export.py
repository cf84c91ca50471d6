"""Cash-flow tables of a case as CSV files and an Excel workbook (a sheet per party + assumptions)."""

from __future__ import annotations

from dataclasses import asdict, fields, is_dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.models.finance.case import CaseResult
from munigrid.models.finance.fiscal import to_fiscal_years

THB_FORMAT = "#,##0;[Red]-#,##0"


def case_tables(case: CaseResult, fiscal: bool = False) -> dict[str, pd.DataFrame]:
    """The project's and each party's table (by project year, or by Thai fiscal year)."""
    tables = {"project": case.project.to_frame(), "municipality": case.municipality.to_frame(),
              "investor": case.investor.to_frame()}
    if fiscal:
        tables = {name: to_fiscal_years(t, case.project.inputs.start_date) for name, t in tables.items()}
    return tables


def metrics_table(case: CaseResult) -> pd.DataFrame:
    """Headline metrics, one row per party (project first)."""
    summary = case.summary()
    return pd.DataFrame([{"party": p, **summary[p]} for p in ("project", "municipality", "investor")])


def _flatten(prefix: str, value, rows: list[tuple[str, str]]) -> None:
    if is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            _flatten(f"{prefix}.{f.name}" if prefix else f.name, getattr(value, f.name), rows)
    elif isinstance(value, (list, tuple)) and value and is_dataclass(value[0]):
        for i, item in enumerate(value):
            _flatten(f"{prefix}[{i}]", item, rows)
    elif isinstance(value, np.ndarray):
        rows.append((prefix, ", ".join(f"{v:.4g}" for v in value.ravel())))
    else:
        rows.append((prefix, str(value)))


def assumptions_table(case: CaseResult, extra: dict[str, str] | None = None) -> pd.DataFrame:
    """Every input of the case (project, structure with its fixed contract amounts, settings)."""
    rows: list[tuple[str, str]] = [("structure", case.structure.name)]
    _flatten("structure", case.structure, rows)
    _flatten("settings", case.settings, rows)
    _flatten("project", case.project.inputs, rows)
    rows += list((extra or {}).items())
    return pd.DataFrame(rows, columns=["item", "value"])


def write_csv(case: CaseResult, folder: str | Path, fiscal: bool = False) -> list[Path]:
    """Write ``project.csv``, ``municipality.csv``, ``investor.csv``, ``metrics.csv`` and
    ``assumptions.csv`` into ``folder``; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = case_tables(case, fiscal) | {"metrics": metrics_table(case), "assumptions": assumptions_table(case)}
    paths = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        table.to_csv(path, index=name not in ("metrics", "assumptions"))
        paths.append(path)
    return paths


def write_excel(case: CaseResult, path: str | Path, fiscal: bool = False,
                extra_assumptions: dict[str, str] | None = None) -> Path:
    """Workbook with sheets Assumptions, Metrics, Project, Municipality, Investor.

    THB and kWh columns carry a thousands-separator number format; the header row is frozen.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheets = {"Assumptions": assumptions_table(case, extra_assumptions), "Metrics": metrics_table(case)}
    sheets |= {name.capitalize(): table for name, table in case_tables(case, fiscal).items()}
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, table in sheets.items():
            with_index = name not in ("Assumptions", "Metrics")
            table.to_excel(writer, sheet_name=name, index=with_index)
            sheet = writer.sheets[name]
            sheet.freeze_panes = "B2"
            offset = 1 if with_index else 0
            for j, column in enumerate(table.columns, start=1 + offset):
                letter = sheet.cell(row=1, column=j).column_letter
                sheet.column_dimensions[letter].width = max(12, len(str(column)) + 2)
                if str(column).endswith(("_thb", "_kwh")):
                    for cell in sheet[letter][1:]:
                        cell.number_format = THB_FORMAT
    return path
