r"""From a sweep spec to its members: the parameter values of each member, in order.

- ``grid``: the Cartesian product :math:`V_1 \times \dots \times V_k` of the value lists,
  the last parameter varying fastest; :math:`\prod_j |V_j|` members.
- ``one_at_a_time``: the base scenario (no change, when ``include_base``), then for each
  parameter :math:`j` and each of its values one member changing only parameter :math:`j`;
  :math:`[1] + \sum_j |V_j|` members.
- ``monte_carlo``: ``samples`` members; unit draws :math:`u_{ij} \in (0, 1)` for member
  :math:`i` and parameter :math:`j`, by Latin hypercube (stratum :math:`\lfloor n u \rfloor`
  holds exactly one draw per parameter) or plain random sampling, then mapped through the
  inverse CDF :math:`x_{ij} = F_j^{-1}(u_{ij})`. The same ``seed`` gives the same members.

A member is a ``dict`` of path -> value (a set value or a scale factor); parameters a member
leaves at the base are absent.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import qmc

from munigrid.scenarios.sweep.spec import Choice, Normal, SweepSpec, Triangular, Uniform


def _grid(spec: SweepSpec) -> list[dict[str, Any]]:
    paths = [p.path for p in spec.parameters]
    return [dict(zip(paths, combo)) for combo in itertools.product(*(p.values for p in spec.parameters))]


def _one_at_a_time(spec: SweepSpec) -> list[dict[str, Any]]:
    members: list[dict[str, Any]] = [{}] if spec.include_base else []
    for p in spec.parameters:
        members += [{p.path: v} for v in p.values]
    return members


def unit_draws(n_samples: int, n_params: int, sampling: str, seed: int) -> np.ndarray:
    """Draws in :math:`(0, 1)` of shape ``(n_samples, n_params)`` [-]."""
    if sampling == "latin_hypercube":
        return qmc.LatinHypercube(d=n_params, seed=seed).random(n_samples)
    return np.random.default_rng(seed).random((n_samples, n_params))


def from_unit(dist: Uniform | Normal | Triangular | Choice, u: np.ndarray) -> list[Any]:
    """Values of ``dist`` at the probabilities ``u`` (inverse CDF; ``choice`` by cumulative weight)."""
    if isinstance(dist, Uniform):
        x = dist.low + (dist.high - dist.low) * u
    elif isinstance(dist, Normal):
        x = stats.norm.ppf(u, loc=dist.mean, scale=dist.sd) if dist.sd > 0 else np.full_like(u, dist.mean)
        x = np.clip(x, dist.low if dist.low is not None else -np.inf, dist.high if dist.high is not None else np.inf)
    elif isinstance(dist, Triangular):
        width = dist.high - dist.low
        c = (dist.mode - dist.low) / width if width > 0 else 0.5
        x = stats.triang.ppf(u, c, loc=dist.low, scale=width) if width > 0 else np.full_like(u, dist.low)
    else:
        weights = np.asarray(dist.weights if dist.weights is not None else [1.0] * len(dist.values), float)
        cumulative = np.cumsum(weights) / weights.sum()
        picks = np.minimum(np.searchsorted(cumulative, u, side="right"), len(dist.values) - 1)
        return [dist.values[k] for k in picks]
    return [float(v) for v in x]


def _monte_carlo(spec: SweepSpec) -> list[dict[str, Any]]:
    u = unit_draws(spec.samples, len(spec.parameters), spec.sampling, spec.seed)
    columns = {p.path: from_unit(p.distribution, u[:, j]) for j, p in enumerate(spec.parameters)}
    return [{path: values[i] for path, values in columns.items()} for i in range(spec.samples)]


DESIGNS = {"grid": _grid, "one_at_a_time": _one_at_a_time, "monte_carlo": _monte_carlo}


def member_values(spec: SweepSpec) -> list[dict[str, Any]]:
    """The parameter values of every member, in member order (see the module docstring)."""
    return DESIGNS[spec.method](spec)
