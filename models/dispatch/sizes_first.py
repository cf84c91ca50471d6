r"""Year sizing with a thermal store: the sizes by the L-shaped method, then the schedule at those sizes.

A sizing LP whose store size column :math:`Q` couples every step of a year is slow for the simplex
(the one-year tank sizing of ``tha-yang-flex`` found no schedule within 120 s). It is the two-stage
problem of :mod:`~munigrid.models.dispatch.two_stage` with one sample,

.. math::

    \min_{z \in Z}\ Q_1(z), \qquad Q_1(z) = \min_x \{c^\top x : A x \in [l, u],\ \text{sizes of } x = z\},

which the L-shaped method (:func:`~munigrid.models.dispatch.two_stage_decomposed.l_shaped`) solves over
the few size columns :math:`z` with cuts from the fixed-size year LP. The schedule is then the usual
solve (:func:`~munigrid.models.dispatch.strategy.solve_strategy`) of the model with the size columns
fixed at :math:`z^*` by their bounds, so the answer passes the same checks as any other. Where the problem
does not split (integer columns, pooled targets) the decomposition refuses and the caller solves the
whole LP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from munigrid.models.dispatch.layout import ModelData
from munigrid.models.dispatch.problem import DispatchProblem
from munigrid.models.dispatch.two_stage_decomposed import l_shaped
from munigrid.models.dispatch.two_stage_sample import SIZE_FAMILIES

#: Meter-steps from which a sizing problem with a sized store goes through the decomposition (a meter-year, hourly).
MIN_METER_STEPS = 8760
#: Share of ``time_limit_s`` the decomposition may use; the rest is the fixed-size solve's [-].
DECOMPOSITION_SHARE = 0.5


@dataclass
class FixedSizes:
    """Outcome of :func:`sizes_first`.

    Attributes
    ----------
    data : ModelData
        The instance with every size column fixed at the decomposition's sizes.
    bound_thb : float
        The master's lower bound of the sizing optimum [THB over the horizon].
    timings : dict
        The decomposition's timings [s].
    """

    data: ModelData
    bound_thb: float
    timings: dict


def routed(problem: DispatchProblem, data: ModelData) -> bool:
    """Whether ``problem`` goes through :func:`sizes_first`: sizing mode, a sized store, at least
    :data:`MIN_METER_STEPS` meter-steps."""
    meter_steps = sum(len(m.load_kw) for m in problem.meters)
    return (problem.options.mode == "sizing" and "store_size_kwh_th" in data.columns.shape
            and meter_steps >= MIN_METER_STEPS)


def sizes_first(problem: DispatchProblem, data: ModelData, time_limit_s: float) -> FixedSizes | None:
    """The sizes of ``problem`` by the L-shaped method with one sample (module text), fixed in ``data``.

    Parameters
    ----------
    problem : DispatchProblem
        A sizing problem.
    data : ModelData
        Its instance (:func:`~munigrid.models.dispatch.layout.build_model_data`).
    time_limit_s : float
        Time for the decomposition [s].

    Returns
    -------
    FixedSizes or None
        None when the problem does not split or the decomposition found no optimal sizes in its time.
    """
    options = replace(problem.options, time_limit_s=max(float(time_limit_s), 1.0))
    names = [name for name in SIZE_FAMILIES if name in data.columns.shape]
    smallest = np.concatenate([np.ravel(data.lower[name]) for name in names]) if names else np.zeros(0)
    # start at the smallest sizes: sizing the one sample on its own first would be the whole LP again
    outcome = l_shaped([problem.meters], problem.step_h, options, problem.economics, None, {}, 1,
                       problem.options.mip_rel_gap, dict(enumerate(smallest)))
    if outcome.splits or outcome.sizes is None:
        return None
    lower, upper, offset = dict(data.lower), dict(data.upper), 0
    for name in names:
        shape = data.columns.shape[name]
        n = int(np.prod(shape))
        lower[name] = upper[name] = np.asarray(outcome.sizes[offset:offset + n], dtype=float).reshape(shape)
        offset += n
    return FixedSizes(replace(data, lower=lower, upper=upper), outcome.bound_thb, outcome.timings or {})
