"""Rainflow cycle counting (ASTM E1049-85 (2017), section 5.4.4, three-point method).

The series is reduced to its reversals (turning points); a stack then closes a cycle of
range :math:`Y = |s_{-2} - s_{-3}|` whenever the newest range :math:`X = |s_{-1} - s_{-2}|`
is at least :math:`Y`: a full cycle, or a half cycle when :math:`Y` contains the first
point. Ranges left on the stack at the end count as half cycles.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def reversals(series):
    """Turning points of ``series``: the first and last point and every change of direction."""
    n = series.shape[0]
    out = np.empty(n)
    if n == 0:
        return out
    out[0] = series[0]
    m = 1
    direction = 0
    for i in range(1, n):
        dx = series[i] - out[m - 1]
        if dx == 0.0:
            continue
        d = 1 if dx > 0.0 else -1
        if m >= 2 and d == direction:
            out[m - 1] = series[i]
        else:
            out[m] = series[i]
            m += 1
            direction = d
    return out[:m]


@njit(cache=True)
def rainflow_kernel(series):
    """Cycles of ``series``: ranges, means and counts (1.0 or 0.5), in the order they close.

    Returns
    -------
    (range, mean, count) : tuple of ndarray, shape (n_cycles,)
    """
    points = reversals(series)
    n = points.shape[0]
    rng = np.empty(n)
    mean = np.empty(n)
    count = np.empty(n)
    stack = np.empty(n)
    top = 0  # number of points on the stack
    bottom = 0  # index of the first point still on the stack
    m = 0
    for i in range(n):
        stack[top] = points[i]
        top += 1
        while top - bottom >= 3:
            x = abs(stack[top - 1] - stack[top - 2])
            y = abs(stack[top - 2] - stack[top - 3])
            if x < y:
                break
            rng[m] = y
            mean[m] = 0.5 * (stack[top - 2] + stack[top - 3])
            if top - bottom == 3:
                count[m] = 0.5
                bottom += 1
            else:
                count[m] = 1.0
                stack[top - 3] = stack[top - 1]
                top -= 2
            m += 1
    for j in range(bottom, top - 1):
        rng[m] = abs(stack[j + 1] - stack[j])
        mean[m] = 0.5 * (stack[j + 1] + stack[j])
        count[m] = 0.5
        m += 1
    return rng[:m], mean[:m], count[:m]
