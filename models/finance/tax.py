r"""Depreciation and corporate income tax of the private party (the municipality pays no tax).

Straight-line depreciation of each capital outlay :math:`k` made in year :math:`t_k` over
:math:`n_k` tax years, from year :math:`t_k + 1`, while the party holds the asset:

.. math:: D_y = \sum_k \frac{k}{n_k}\,[t_k < y \le t_k + n_k]

Tax on taxable income :math:`Y_y` after losses carried forward for at most :math:`m` years
(oldest used first): :math:`\mathrm{CIT}_y = \tau \max(0, Y_y - \text{losses used}_y)`.
"""

from __future__ import annotations

import numpy as np

from munigrid.models.finance.project import CapitalSpend


def depreciation_thb(spends: list[CapitalSpend], n_years: int, until_year: int) -> tuple[np.ndarray, float]:
    """Tax depreciation of years 0..N and the book value left at the end of ``until_year``.

    Parameters
    ----------
    spends : list of CapitalSpend
        Outlays paid by the party.
    n_years : int
        Project life N [years].
    until_year : int
        Last year the party holds the asset; later depreciation is not the party's.

    Returns
    -------
    depreciation : ndarray, shape (N+1,)
        :math:`D_y` [THB], zero after ``until_year``.
    book_value_thb : float
        Undepreciated cost at the end of ``until_year`` [THB].
    """
    depreciation = np.zeros(n_years + 1)
    book_value = 0.0
    for s in spends:
        per_year = s.amount_thb / s.tax_life_years
        first, last = s.year + 1, s.year + s.tax_life_years
        depreciation[first:min(last, until_year) + 1] += per_year
        book_value += per_year * max(0, last - max(until_year, s.year))
    return depreciation, book_value


def corporate_tax_thb(taxable_income_thb: np.ndarray, cit_frac: float, carryforward_years: int) -> np.ndarray:
    """Corporate income tax of each year with losses carried forward [THB], >= 0.

    Parameters
    ----------
    taxable_income_thb : ndarray
        :math:`Y_y` before loss relief [THB], may be negative.
    cit_frac : float
        Tax rate :math:`\\tau` [-].
    carryforward_years : int
        :math:`m`: a loss of year :math:`y` may be used in years :math:`y+1 .. y+m`.
    """
    tax = np.zeros(len(taxable_income_thb))
    losses: list[list[float]] = []  # [year incurred, amount left]
    for y, income in enumerate(np.asarray(taxable_income_thb, dtype=float)):
        losses = [loss for loss in losses if y - loss[0] <= carryforward_years and loss[1] > 0]
        if income < 0:
            losses.append([y, -income])
            continue
        for loss in losses:
            used = min(loss[1], income)
            loss[1] -= used
            income -= used
        tax[y] = cit_frac * income
    return tax
