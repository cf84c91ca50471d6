"""Cash-flow tables of a case as CSV files and an Excel workbook (a sheet per party + assumptions)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.models.finance.case import CaseResult
from munigrid.models.finance.fiscal import to_fiscal_years
from munigrid.models.finance.metrics import NO_FLOWS_REASON

THB_FORMAT = "#,##0;[Red]-#,##0"


def case_tables(case: CaseResult, fiscal: bool = False) -> dict[str, pd.DataFrame]:
    """The project's and each party's table (by project year, or by Thai fiscal year), each
    with the structure's name as its first column."""
    tables = {"project": case.project.to_frame(), "municipality": case.municipality.to_frame(),
              "investor": case.investor.to_frame()}
    if fiscal:
        tables = {name: to_fiscal_years(t, case.project.inputs.start_date) for name, t in tables.items()}
    for table in tables.values():
        table.insert(0, "structure", case.structure.name)
    return tables


def metrics_table(case: CaseResult) -> pd.DataFrame:
    """Headline metrics, one row per party (project first), with the structure and the period.

    ``period`` names the years the totals cover (``years 0-20``: NPV, IRR, payback; savings
    ``net_savings_year1_thb`` is year 1 and ``net_savings_total_thb`` years 1..N).
    """
    summary = case.summary()
    period = f"years 0-{summary['years']}"
    return pd.DataFrame([{"structure": summary["structure"], "party": p, "period": period, **summary[p]}
                         for p in ("project", "municipality", "investor")])


def incentives_table(case: CaseResult) -> pd.DataFrame:
    """Who receives which incentive: one row per party and incentive, total and NPV [THB]
    (empty without incentives)."""
    rows = [{"structure": case.structure.name, "party": party, "incentive": line.removeprefix("incentive_"),
             "total_thb": values["total_thb"], "npv_thb": values["npv_thb"]}
            for party, lines in case.incentives_received().items() for line, values in lines.items()]
    return pd.DataFrame(rows, columns=["structure", "party", "incentive", "total_thb", "npv_thb"])


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
    """Write ``project.csv``, ``municipality.csv``, ``investor.csv``, ``metrics.csv``,
    ``assumptions.csv`` and (with incentives) ``incentives.csv`` into ``folder``; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = case_tables(case, fiscal) | {"metrics": metrics_table(case), "assumptions": assumptions_table(case)}
    if case.project.inputs.incentives is not None:
        tables["incentives"] = incentives_table(case)
    paths = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        table.to_csv(path, index=name not in ("metrics", "assumptions", "incentives"))
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


def _cell(value, pattern: str) -> str:
    return "-" if value is None or pd.isna(value) else pattern.format(value)


#: row labels of :func:`comparison_table` (``{rate}``: the party's discount rate, ``{years}``: the life)
METRIC_LABELS = {
    "npv": "NPV at {rate}, years 0-{years} [THB]",
    "irr": "IRR, years 0-{years}",
    "payback": "payback, simple [years]",
    "lcoe": "LCOE, years 0-{years} [THB/kWh]",
    "year1": "net savings, year 1 [THB]",
    "total": "net savings, years 1-{years} [THB]",
    "dscr": "min DSCR, years with debt service [-]",
    "no_irr": "no IRR [{k}]",
}


def comparison_table(metrics: pd.DataFrame, parties: tuple[str, ...] = ("municipality", "investor", "project"),
                     labels: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Structures side by side: one text column per structure, one row per (party, metric).

    Every row label names its period (``years 0-20``, ``year 1``, ``years 1-20``) and unit; an
    IRR that is not a return shows ``no IRR [k]`` and footnote ``k`` gives the reason.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Rows of :func:`metrics_table` of one or more cases (columns ``structure``, ``party``,
        ``period``, ``npv_thb``, ``irr_frac``, ``irr_status``, ``irr_note``, ...).
    parties : tuple of str
        Parties to show, in order.
    labels : dict of str to str, optional
        Row-label templates with the keys of :data:`METRIC_LABELS` (e.g. another language).

    Returns
    -------
    table : pandas.DataFrame
        Index (party, metric), columns the structures, cells formatted text.
    footnotes : list of str
        ``[k] <structure>, <party>: <reason>`` (the reason in English).
    """
    templates = METRIC_LABELS | (labels or {})
    years = int(str(metrics["period"].iloc[0]).rsplit("-", 1)[-1])
    structures = list(dict.fromkeys(metrics["structure"]))
    rows: dict[tuple[str, str], dict[str, str]] = {}
    footnotes: list[str] = []
    for party in parties:
        by_structure = metrics[metrics["party"] == party].set_index("structure")
        if by_structure.empty:
            continue
        rate = f"{float(by_structure['discount_frac'].iloc[0]):.1%}"
        row_label = {key: templates[key].format(rate=rate, years=years)
                     for key in ("npv", "irr", "payback", "lcoe", "year1", "total", "dscr")}
        for label in row_label.values():
            rows[(party, label)] = {}
        for structure in structures:
            if structure not in by_structure.index:
                continue
            m = by_structure.loc[structure]
            if m.get("irr_status") == "unique":
                irr_text = f"{m['irr_frac']:.1%}"
            elif str(m.get("irr_note")) == NO_FLOWS_REASON:
                irr_text = "-"  # the party has no flows in this structure
            else:
                footnotes.append(f"[{len(footnotes) + 1}] {structure}, {party}: no IRR, {m.get('irr_note')}")
                irr_text = templates["no_irr"].format(k=len(footnotes))
            cells = {"npv": _cell(m.get("npv_thb"), "{:,.0f}"), "irr": irr_text,
                     "payback": _cell(m.get("payback_years"), "{:.1f}"),
                     "lcoe": _cell(m.get("lcoe_thb_per_kwh"), "{:.2f}"),
                     "year1": _cell(m.get("net_savings_year1_thb"), "{:,.0f}"),
                     "total": _cell(m.get("net_savings_total_thb"), "{:,.0f}"),
                     "dscr": _cell(m.get("min_dscr"), "{:.2f}")}
            for key, text in cells.items():
                rows[(party, row_label[key])][structure] = text
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=structures).fillna("-")
    table.index = pd.MultiIndex.from_tuples(table.index, names=["party", "metric"])
    return table, footnotes
