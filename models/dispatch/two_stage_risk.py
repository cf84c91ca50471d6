r"""The risk part of two-stage sizing: CVaR of equally likely sample costs and the objective it enters."""

from __future__ import annotations

import numpy as np


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
