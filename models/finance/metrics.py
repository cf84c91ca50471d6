r"""Investment metrics on yearly cash flows: NPV, IRR, payback, LCOE, CRF and annuities.

Cash flows are indexed by project year :math:`t = 0, 1, \dots, N` (year 0 is the investment at
commissioning, flows of year :math:`t \ge 1` are taken at the end of that year), in THB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import brentq

from munigrid.models.errors import InputError, Problem

# Discount factors x = 1/(1+r) scanned for sign changes of the NPV polynomial:
# x in [1e-4, 1e6] covers rates from -99.9999 % to +999,900 %.
_X_GRID = np.geomspace(1e-4, 1e6, 6001)
#: the reason given when a party has no cash flow at all
NO_FLOWS_REASON = "all cash flows are zero"


def check_discount_rate(rate_frac: float, path: str = "discount_rate_frac") -> list[Problem]:
    """Problems with a discount rate: it must be a finite number >= 0 [-]."""
    if not np.isfinite(rate_frac) or rate_frac < 0.0:
        return [Problem(path, f"must be a fraction >= 0 (e.g. 0.06 for 6 %), got {rate_frac}")]
    return []


def _require_rate(rate_frac: float, path: str) -> None:
    problems = check_discount_rate(rate_frac, path)
    if problems:
        raise InputError(problems)


def discount_factors(rate_frac: float, n_years: int) -> np.ndarray:
    r"""Discount factors :math:`(1+r)^{-t}` for :math:`t = 0 .. n-1` [-]."""
    _require_rate(rate_frac, "discount_rate_frac")
    return (1.0 + rate_frac) ** -np.arange(n_years, dtype=float)


def npv(rate_frac: float, flows_thb: np.ndarray) -> float:
    r"""Net present value [THB].

    .. math:: \mathrm{NPV} = \sum_{t=0}^{N} \frac{c_t}{(1+r)^t}

    Parameters
    ----------
    rate_frac : float
        Discount rate :math:`r` [-], >= 0.
    flows_thb : array_like, shape (N+1,)
        Cash flow :math:`c_t` of each year, year 0 first [THB].
    """
    flows = np.asarray(flows_thb, dtype=float)
    return float(flows @ discount_factors(rate_frac, len(flows)))


@dataclass(frozen=True)
class IrrResult:
    """Internal rate of return, or why there is none.

    Attributes
    ----------
    status : {"unique", "borrowing", "none", "multiple"}
        ``unique``: exactly one rate makes the NPV zero and the NPV is positive below it and
        negative above it, so the IRR is a return (higher is better); ``borrowing``: exactly one
        rate, but the NPV rises with the rate (money comes first and goes out later, like a
        loan), so the rate is a cost, not a return, and is not shown as an IRR; ``none``: no rate
        makes the NPV zero (e.g. all flows have one sign); ``multiple``: several rates do, so no
        single IRR is meaningful.
    rate_frac : float or None
        The IRR [-] when ``status == "unique"``, else None.
    roots_frac : tuple of float
        Every rate found with NPV = 0 [-].
    reason : str
        Why there is no IRR, with the sign pattern of the flows (empty when ``unique``).
    """

    status: Literal["unique", "borrowing", "none", "multiple"]
    rate_frac: float | None
    roots_frac: tuple[float, ...]
    reason: str

    def __str__(self) -> str:
        if self.status == "unique":
            return f"{self.rate_frac:.2%}"
        return f"no IRR ({self.reason})"


def _polynomial_roots(coefficients: np.ndarray) -> list[float]:
    """Positive roots of the polynomial (highest power first) found by bracketing on the grid.

    The last cell is widened towards infinity (rates near -100 %) until its sign matches the
    leading coefficient's, within the float range.
    """
    def value(z: float) -> float:
        return float(np.polyval(coefficients, z))

    grid = list(_X_GRID)
    with np.errstate(over="ignore", invalid="ignore"):
        lead = np.sign(coefficients[np.flatnonzero(coefficients)[0]])
        top = grid[-1]
        while np.sign(value(top)) != lead and np.isfinite(value(top * 10.0)) and top < 1e300:
            top *= 10.0
            grid.append(top)
        values = np.polyval(coefficients, np.array(grid))
    roots: list[float] = []
    for i in np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) <= 0):
        x = grid[i] if values[i] == 0.0 else brentq(value, grid[i], grid[i + 1], xtol=1e-14, rtol=1e-12)
        if not roots or abs(x - roots[-1]) > 1e-12 * max(1.0, x):
            roots.append(x)
    return sorted(roots, reverse=True)  # largest x = lowest rate first


def sign_pattern(flows_thb: np.ndarray) -> str:
    """The signs of the flows as runs of years, e.g. ``"+ in years 0-6, - in years 7-10"``.

    Zero flows (relative to the largest, 1e-9) join no run; an empty string when all are zero.
    """
    flows = np.asarray(flows_thb, dtype=float)
    tolerance = 1e-9 * max(1.0, float(np.abs(flows).max(initial=0.0)))
    runs: list[list] = []
    for year, value in enumerate(flows):
        if abs(value) <= tolerance:
            continue
        sign = "+" if value > 0 else "-"
        if runs and runs[-1][0] == sign:
            runs[-1][2] = year
        else:
            runs.append([sign, year, year])
    return ", ".join(f"{sign} in year {a}" if a == b else f"{sign} in years {a}-{b}" for sign, a, b in runs)


def irr(flows_thb: np.ndarray) -> IrrResult:
    r"""Internal rate of return with an existence check.

    Solves :math:`\sum_t c_t x^t = 0` for the discount factor :math:`x = 1/(1+r) > 0`: the
    polynomial is scanned on a dense logarithmic grid of :math:`x` (widened towards rates near
    -100 % when needed), every sign change is refined with Brent's method and mapped back to
    :math:`r = 1/x - 1`. All flows of one sign
    (or all zero) give ``status="none"``; more than one root gives ``status="multiple"``.

    A single root is a return only when the NPV falls through it as the rate rises. With one
    root, the NPV keeps one sign for all rates below it, the sign it has as
    :math:`r \to -100\,\%` (:math:`x \to \infty`), which is the sign of the last non-zero flow
    :math:`c_N`: :math:`c_N > 0` gives ``status="unique"``, :math:`c_N < 0` (e.g. positive
    early, negative later) gives ``status="borrowing"`` and no rate.

    Parameters
    ----------
    flows_thb : array_like, shape (N+1,)
        Cash flows, year 0 first [THB].

    Returns
    -------
    IrrResult
    """
    flows = np.asarray(flows_thb, dtype=float)
    nonzero = flows[np.abs(flows) > 1e-9 * max(1.0, float(np.abs(flows).max(initial=0.0)))]
    if nonzero.size == 0:
        return IrrResult("none", None, (), NO_FLOWS_REASON)
    pattern = sign_pattern(flows)
    if np.all(nonzero > 0) or np.all(nonzero < 0):
        sign = "positive" if nonzero[0] > 0 else "negative"
        return IrrResult("none", None, (), f"all cash flows are {sign} ({pattern}): nothing is invested and returned")
    roots = [1.0 / x - 1.0 for x in _polynomial_roots(flows[::-1])]
    if not roots:
        return IrrResult("none", None, (), f"no discount rate above -100 % makes the NPV zero ({pattern})")
    if len(roots) > 1:
        listed = ", ".join(f"{r:.2%}" for r in roots)
        return IrrResult("multiple", None, tuple(roots),
                         f"the NPV is zero at several rates ({listed}) because the flows change sign "
                         f"more than once ({pattern}): no single IRR")
    if nonzero[-1] < 0:
        return IrrResult("borrowing", None, (roots[0],),
                         f"the flows end negative ({pattern}), so the NPV rises with the discount rate: "
                         f"the rate of {roots[0]:.2%} that zeroes it is a cost of borrowing, not a return; "
                         "judge by the NPV")
    return IrrResult("unique", roots[0], (roots[0],), "")


def payback_years(flows_thb: np.ndarray, rate_frac: float = 0.0) -> float | None:
    r"""(Discounted) payback period [years], interpolated within the year; None if never.

    The first year :math:`T` after which the cumulative (discounted) flow
    :math:`S_t = \sum_{k \le t} c_k (1+r)^{-k}` stays >= 0 for the rest of the horizon;
    within year :math:`T` the flow is assumed to arrive evenly:
    :math:`\text{payback} = T - 1 + (-S_{T-1}) / (S_T - S_{T-1})`.
    Flows whose cumulative sum is never negative pay back at 0; all-zero flows have no payback (None).

    Parameters
    ----------
    flows_thb : array_like, shape (N+1,)
        Cash flows, year 0 first [THB].
    rate_frac : float
        Discount rate [-]; 0 gives the simple payback.
    """
    flows = np.asarray(flows_thb, dtype=float)
    if not np.any(flows):
        return None
    cumulative = np.cumsum(flows * discount_factors(rate_frac, len(flows)))
    negative = np.flatnonzero(cumulative < 0.0)
    if negative.size == 0:
        return 0.0
    last_negative = int(negative[-1])
    if last_negative == len(flows) - 1:
        return None
    before, after = cumulative[last_negative], cumulative[last_negative + 1]
    return last_negative + float(-before / (after - before))


def lcoe_thb_per_kwh(rate_frac: float, costs_thb: np.ndarray, energy_kwh: np.ndarray) -> float | None:
    r"""Levelised cost of energy [THB/kWh]; None when no energy is delivered.

    .. math:: \mathrm{LCOE} = \frac{\sum_t C_t (1+r)^{-t}}{\sum_t E_t (1+r)^{-t}}

    Parameters
    ----------
    rate_frac : float
        Discount rate [-].
    costs_thb : array_like, shape (N+1,)
        Costs of each year as positive numbers (capex, O&M, replacements, net of residual) [THB].
    energy_kwh : array_like, shape (N+1,)
        Energy delivered in each year [kWh].
    """
    factors = discount_factors(rate_frac, len(costs_thb))
    energy_pv = float(np.asarray(energy_kwh, dtype=float) @ factors)
    if energy_pv <= 0.0:
        return None
    return float(np.asarray(costs_thb, dtype=float) @ factors) / energy_pv


def crf(rate_frac: float, n_years: int) -> float:
    r"""Capital recovery factor [1/year].

    .. math:: \mathrm{CRF}(r, n) = \frac{r (1+r)^n}{(1+r)^n - 1}, \qquad \mathrm{CRF}(0, n) = 1/n
    """
    _require_rate(rate_frac, "rate_frac")
    if n_years < 1:
        raise InputError([Problem("n_years", f"must be an integer >= 1, got {n_years}")])
    if rate_frac == 0.0:
        return 1.0 / n_years
    growth = (1.0 + rate_frac) ** n_years
    return rate_frac * growth / (growth - 1.0)


def annuity_payment_thb(principal_thb: float, rate_frac: float, n_years: int) -> float:
    r"""Level yearly payment that repays ``principal_thb`` over ``n_years`` [THB/year].

    .. math:: A = P \cdot \mathrm{CRF}(r, n)
    """
    return principal_thb * crf(rate_frac, n_years)
