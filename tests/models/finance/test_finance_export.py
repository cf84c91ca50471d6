"""Thai fiscal years, THB formatting, CSV and Excel export."""

from __future__ import annotations

from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest
from munigrid.models.finance import evaluate_case
from munigrid.models.finance.export import write_csv, write_excel
from munigrid.models.finance.fiscal import fiscal_year, format_thb, to_fiscal_years
from munigrid.models.finance.structures import Ppa


def test_fiscal_year_boundaries():
    assert fiscal_year(date(2025, 10, 1)) == 2026  # FY B.E. 2569 = 1 Oct 2025 - 30 Sep 2026
    assert fiscal_year(date(2026, 9, 30)) == 2026
    assert fiscal_year(date(2026, 10, 1)) == 2027


def test_fiscal_aggregation_spreads_project_years_by_month():
    table = pd.DataFrame({"net_thb": [-1200.0, 1200.0, 1200.0], "dscr": [np.nan, 1.5, 1.5]},
                         index=pd.Index([0, 1, 2], name="year"))
    fiscal = to_fiscal_years(table, date(2026, 1, 1))
    # year 1 = Jan-Dec 2026: 9 months in FY2026, 3 in FY2027
    assert fiscal.loc[2026, "net_thb"] == pytest.approx(-1200 + 900)
    assert fiscal.loc[2027, "net_thb"] == pytest.approx(300 + 900)
    assert fiscal.loc[2028, "net_thb"] == pytest.approx(300)
    assert fiscal["net_thb"].sum() == pytest.approx(table["net_thb"].sum())
    assert fiscal.loc[2026, "fiscal_year_be"] == 2569
    assert "dscr" not in fiscal.columns


def test_format_thb():
    assert format_thb(1234567.4) == "1,234,567"
    assert format_thb(-9876.5, 2) == "-9,876.50"
    assert format_thb(float("nan")) == "-"


def test_csv_and_excel(tmp_path, mixed):
    case = evaluate_case(mixed, Ppa(buyout_year=8, price_thb_per_kwh=3.0))
    paths = write_csv(case, tmp_path / "csv", fiscal=True)
    assert {p.name for p in paths} == {"project.csv", "municipality.csv", "investor.csv", "metrics.csv",
                                       "assumptions.csv"}
    investor = pd.read_csv(tmp_path / "csv" / "investor.csv", index_col=0)
    assert investor["equity_thb"].sum() == pytest.approx(case.investor.equity_thb.sum())
    assumptions = pd.read_csv(tmp_path / "csv" / "assumptions.csv")
    assert "structure.buyout_price_thb" in set(assumptions["item"])

    workbook_path = write_excel(case, tmp_path / "case.xlsx")
    workbook = openpyxl.load_workbook(workbook_path)
    assert workbook.sheetnames == ["Assumptions", "Metrics", "Project", "Municipality", "Investor"]
    sheet = workbook["Municipality"]
    header = [c.value for c in sheet[1]]
    column = header.index("bill_savings_thb") + 1
    cell = sheet.cell(row=3, column=column)
    assert cell.value == pytest.approx(case.municipality.lines["bill_savings_thb"][1])
    assert cell.number_format.startswith("#,##0")
    # the structure is named on every sheet and in every CSV
    assert sheet.cell(row=2, column=header.index("structure") + 1).value == "ppa"
    assert [c.value for c in workbook["Metrics"][1]][:3] == ["structure", "party", "period"]
    for name in ("project", "municipality", "investor", "metrics"):
        assert set(pd.read_csv(tmp_path / "csv" / f"{name}.csv")["structure"]) == {"ppa"}
    assert set(pd.read_csv(tmp_path / "csv" / "metrics.csv")["period"]) == {"years 0-20"}
