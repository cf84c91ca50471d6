r"""The risk terms of two-stage sizing: CVaR of equally likely sample costs, and its weight and limit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RiskTerms:
    r"""The CVaR part of the objective and the optional limit.

    Parameters
    ----------
    cvar_weight : float
        :math:`\lambda \ge 0` [-].
    cvar_alpha_frac : float
        :math:`\alpha \in (0, 1)` [-]: CVaR is the mean of the worst :math:`1 - \alpha` share.
    cvar_limit_thb : float or None
        :math:`\bar K` [THB over the horizon]: upper bound on :math:`\mathrm{CVaR}_\alpha` of the cost.
    """

    cvar_weight: float = 0.0
    cvar_alpha_frac: float = 0.9
    cvar_limit_thb: float | None = None


def cvar(values: np.ndarray, alpha_frac: float) -> float:
    r"""Rockafellar-Uryasev CVaR of equally likely ``values``:
    :math:`\min_\eta\ \eta + \frac{1}{(1-\alpha)S}\sum_s \max(0, v_s - \eta)`, reached at a sample value."""
    values = np.asarray(values, dtype=float)
    excess = np.maximum(values[None, :] - values[:, None], 0.0).sum(axis=1)
    return float(np.min(values + excess / ((1.0 - alpha_frac) * values.size)))


def risk_value(costs: np.ndarray, weight: float, alpha_frac: float) -> float:
    r"""The two-stage objective at sample costs :math:`Q_s`:
    :math:`\frac1S\sum_s Q_s + \lambda\,\mathrm{CVaR}_\alpha(Q)` [THB]."""
    return float(np.mean(costs)) + (weight * cvar(costs, alpha_frac) if weight else 0.0)
