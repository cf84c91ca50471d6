r"""Thai fiscal years (1 October - 30 September) and THB formatting for reports.

Project year :math:`y \ge 1` runs for twelve months from the commercial operation date plus
:math:`y-1` years; its flows are spread evenly over its months (an approximation: the yearly model
has no monthly profile) and each month goes to the fiscal year it falls in. Fiscal year
:math:`F` (C.E.) runs from 1 October :math:`F-1` to 30 September :math:`F`; its Thai label is
B.E. :math:`F + 543` (FY B.E. 2569 = 1 Oct 2025 - 30 Sep 2026). Year-0 flows fall on the
commercial operation date.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

BUDDHIST_ERA_OFFSET = 543
FISCAL_YEAR_START_MONTH = 10


def fiscal_year(day: date) -> int:
    """Thai fiscal year (C.E. number of the year it ends in) of a date."""
    return day.year + 1 if day.month >= FISCAL_YEAR_START_MONTH else day.year


def to_fiscal_years(table: pd.DataFrame, start_date: date) -> pd.DataFrame:
    """Re-aggregate a yearly cash-flow table by Thai fiscal year.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by project year 0..N; only flow columns (names ending in ``_thb`` or ``_kwh``)
        are summed, ratios and balances are left out.
    start_date : datetime.date
        Commercial operation date (start of project year 1).

    Returns
    -------
    pandas.DataFrame
        Indexed by fiscal year (C.E.), with a ``fiscal_year_be`` column.
    """
    flows = [c for c in table.columns if (c.endswith("_thb") or c.endswith("_kwh"))
             and not c.startswith(("cumulative", "debt_balance"))]
    weights: dict[int, np.ndarray] = {}
    for year in table.index:
        if year == 0:
            months = [(fiscal_year(start_date), 1.0)]
        else:
            months = []
            for m in range(12):
                index = start_date.month - 1 + m + 12 * (year - 1)
                months.append((fiscal_year(date(start_date.year + index // 12, index % 12 + 1, 1)), 1.0 / 12))
        for fy, share in months:
            weights.setdefault(fy, np.zeros(len(table.index)))[table.index.get_loc(year)] += share
    fiscal = sorted(weights)
    matrix = np.vstack([weights[fy] for fy in fiscal])
    out = pd.DataFrame(matrix @ table[flows].to_numpy(dtype=float), columns=flows,
                       index=pd.Index(fiscal, name="fiscal_year"))
    out.insert(0, "fiscal_year_be", out.index + BUDDHIST_ERA_OFFSET)
    return out


def format_thb(amount_thb: float, decimals: int = 0) -> str:
    """THB amount with thousands separators, e.g. ``-1,234,567`` (``-`` for a missing value)."""
    if amount_thb is None or not np.isfinite(amount_thb):
        return "-"
    return f"{amount_thb:,.{decimals}f}"
