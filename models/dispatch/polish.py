r"""Turn any point of a relaxation into a schedule feasible for the model with binaries everywhere.

The *full model* has a charge/discharge binary :math:`u_{i,n,t}` at every battery step and a binary
on/off :math:`o_{i,t}` at every step where a committed generator may run. The solve strategy only
adds binaries where its relaxations need them, so its answers can still have two *defects*:
simultaneous charge and discharge (:func:`simultaneous_steps`) and fractional on/off
(:func:`fractional_on_off`). A point without either, satisfying every row and bound, is feasible
for the full model (:func:`is_clean`, which checks all three).

:func:`polished` removes the defects of a point :math:`\hat x` by fixing and re-solving LPs:

1. On/off fixed at each of two binary choices near :math:`\hat x` (rounded to the nearest, and
   on wherever the generator produced); energy-block binaries at the fill state of its period
   energies (:func:`~munigrid.models.dispatch.block_fill.filled_blocks`).
2. At every step where the current point charges and discharges at once, the smaller flow is
   fixed to 0; the LP over the remaining continuous columns is solved with a throughput cost of
   ``THROUGHPUT_THB_PER_KWH`` on both flows added (cycling that buys nothing then costs
   something and vanishes; the answer is priced without it, so it is at most that cost times
   its throughput, about 1e-6 of the bill, above the LP optimum) and idle cycling repaired.
   If the new point charges and discharges at once at other steps, those steps are fixed the
   same way and the LP is solved again (``POLISH_ITERATIONS`` at most; each iteration fixes at
   least one more step, so it ends). The cheaper clean answer over the choices is kept.

:func:`full_model` gives the full model itself, the strategy's last resort.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from munigrid.models.dispatch.block_fill import filled_blocks
from munigrid.models.dispatch.cycling import repair_idle_cycling
from munigrid.models.dispatch.highs_backend import HighsOutcome, run_highs
from munigrid.models.dispatch.layout import ModelData
from munigrid.models.dispatch.problem import SolveOptions, SolveStatus
from munigrid.models.dispatch.standard_form import StandardForm

SIMULTANEOUS_KW = 1e-6
FRACTIONAL = 1e-6
FEASIBILITY_TOL = 1e-5
POLISH_ITERATIONS = 8
THROUGHPUT_THB_PER_KWH = 1e-6


def values(data: ModelData, x: np.ndarray, name: str) -> np.ndarray:
    """The block of family ``name`` in ``x`` with the family's shape (a view)."""
    return x[data.columns.block(name)].reshape(data.columns.shape[name])


def battery_shape(data: ModelData) -> tuple[int, int, int]:
    """Shape (M, N, T) of the battery flows: meters, battery slots (0 without batteries), steps."""
    return data.columns.shape.get("charge_kw", (data.dims["M"], 0, data.dims["T"]))


def simultaneous_steps(data: ModelData, x: np.ndarray) -> np.ndarray:
    """Mask (M, N, T) of the steps where a battery charges and discharges at once."""
    if "charge_kw" not in data.columns.shape:
        return np.zeros(battery_shape(data), bool)
    return np.minimum(values(data, x, "charge_kw"), values(data, x, "discharge_kw")) > SIMULTANEOUS_KW


def fractional_on_off(data: ModelData, x: np.ndarray) -> np.ndarray:
    """Mask (M, T) of steps where a committed generator's on/off is not 0 or 1."""
    if "gen_on" not in data.columns.shape:
        return np.zeros((data.dims["M"], data.dims["T"]), bool)
    on = values(data, x, "gen_on")
    return (np.abs(on - np.round(on)) > FRACTIONAL) & data.needs_commitment[:, None]


def is_clean(form: StandardForm, data: ModelData, x: np.ndarray | None) -> bool:
    """True when ``x`` is feasible for the full model: within every row and bound (relative
    tolerance ``FEASIBILITY_TOL``), integral where ``form`` is, and without either defect."""
    if x is None or not np.all(np.isfinite(x)):
        return False
    activity = form.matrix @ x
    row_scale = 1.0 + np.abs(np.where(np.isfinite(form.row_lower), form.row_lower, 0.0)) + \
        np.abs(np.where(np.isfinite(form.row_upper), form.row_upper, 0.0))
    col_scale = 1.0 + np.abs(x)
    if np.any(activity < form.row_lower - FEASIBILITY_TOL * row_scale) or \
            np.any(activity > form.row_upper + FEASIBILITY_TOL * row_scale):
        return False
    if np.any(x < form.col_lower - FEASIBILITY_TOL * col_scale) or np.any(x > form.col_upper + FEASIBILITY_TOL * col_scale):
        return False
    if np.any(np.abs(x[form.integer] - np.round(x[form.integer])) > FRACTIONAL):
        return False
    return not (simultaneous_steps(data, x).any() or fractional_on_off(data, x).any())


def _on_off_choices(data: ModelData, x: np.ndarray, upper: np.ndarray) -> list[np.ndarray | None]:
    """Binary on/off vectors near ``x``: rounded to the nearest, and on wherever it produced."""
    if "gen_on" not in data.columns.shape:
        return [None]
    block = data.columns.block("gen_on")
    may_run = upper[block] > 0
    runs = values(data, x, "gen_kw").ravel() > SIMULTANEOUS_KW
    nearest = np.round(x[block]) > 0
    choices = [(nearest & may_run).astype(float), (runs & may_run).astype(float)]
    return choices if not np.array_equal(*choices) else choices[:1]


def with_throughput_cost(data: ModelData, form: StandardForm) -> StandardForm:
    """``form`` with ``THROUGHPUT_THB_PER_KWH`` added to the cost of every kWh charged and discharged
    (module step 2); callers price its answers with the original ``form``."""
    if "charge_kw" not in data.columns.shape:
        return form
    cost = form.cost.copy()
    for name in ("charge_kw", "discharge_kw"):
        cost[data.columns.block(name)] += THROUGHPUT_THB_PER_KWH * float(data.params["step_h"])
    return replace(form, cost=cost)


def with_directions(data: ModelData, x: np.ndarray) -> np.ndarray:
    """``x`` with each charge/discharge binary set to the flow that runs (charging where
    :math:`c \\ge d`): the LPs of the polish relax these binaries, which the fixed flows make redundant."""
    if "charging" not in data.columns.shape:
        return x
    out = x.copy()
    values(data, out, "charging")[...] = values(data, out, "charge_kw") >= values(data, out, "discharge_kw")
    return out


def _fix_directions(data: ModelData, x: np.ndarray, steps: np.ndarray, upper: np.ndarray) -> None:
    """Fix the smaller of the two battery flows of ``x`` to 0 at ``steps`` (mask (M, N, T)), in ``upper``."""
    charge, discharge = values(data, x, "charge_kw"), values(data, x, "discharge_kw")
    upper[data.columns.block("discharge_kw")][(steps & (charge >= discharge)).ravel()] = 0.0
    upper[data.columns.block("charge_kw")][(steps & (discharge > charge)).ravel()] = 0.0


def _without_simultaneous_flows(data: ModelData, form: StandardForm, x: np.ndarray, lower: np.ndarray,
                                upper: np.ndarray, options: SolveOptions, deadline: float) -> HighsOutcome | None:
    """Module step 2 from ``x`` with ``lower``/``upper`` fixed as in step 1: a clean LP answer or ``None``."""
    upper, point = upper.copy(), x
    answer: HighsOutcome | None = None
    for _ in range(POLISH_ITERATIONS):
        both = simultaneous_steps(data, point)
        if point is not x and not both.any():
            return answer
        _fix_directions(data, point, both, upper)
        limit_s = deadline - time.perf_counter()
        if limit_s <= 0:
            return None
        fixed = with_throughput_cost(data, replace(form, col_lower=lower, col_upper=upper))
        answer = run_highs(fixed, replace(options, time_limit_s=limit_s), relax=True)
        if not answer.status.has_solution:
            return None
        point = with_directions(data, repair_idle_cycling(data, answer.x))
        answer = replace(answer, x=point, objective_thb=form.objective(point))
    return None


def polished(data: ModelData, form: StandardForm, x: np.ndarray, options: SolveOptions,
             time_limit_s: float) -> HighsOutcome | None:
    """The cheapest clean answer the module's steps 1-2 find from ``x`` within ``time_limit_s`` [s],
    or ``None``. Its ``bound`` and ``mip_gap`` are NaN (the caller knows the bound)."""
    deadline = time.perf_counter() + time_limit_s
    lower, upper = form.col_lower.copy(), form.col_upper.copy()
    if "block_is_full" in data.columns.shape:
        block = data.columns.block("block_is_full")
        lower[block] = upper[block] = filled_blocks(data, x)[block]
    best = None
    for on_off in _on_off_choices(data, x, upper):
        if on_off is not None:
            block = data.columns.block("gen_on")
            lower[block] = upper[block] = on_off
        answer = _without_simultaneous_flows(data, form, x, lower.copy(), upper, options, deadline)
        if answer is not None and is_clean(form, data, answer.x) and (
                best is None or answer.objective_thb < best.objective_thb):
            best = answer
    if best is None:
        return None
    return replace(best, status=SolveStatus.FEASIBLE, bound=float("nan"), mip_gap=float("nan"))


def full_model(data: ModelData) -> ModelData:
    """``data`` with charge/discharge binaries at every battery step and binary on/off at every step
    where a committed generator may run (the model the strategy's guarantee is about)."""
    if "charge_kw" in data.columns.shape:
        has_battery = np.asarray(data.params["max_power_kw"]) > 0
        mask = np.repeat(has_battery[:, :, None], data.dims["T"], axis=2)
        if mask.any():
            data = data.with_exclusive_steps(*np.nonzero(mask))
    if "gen_on" in data.columns.shape:
        integer = dict(data.integer)
        integer["gen_on"] = (data.upper["gen_on"] > 0) & data.needs_commitment[:, None]
        data = ModelData(data.columns, data.lower, data.upper, integer, data.params, data.sets, data.dims,
                         data.needs_commitment)
    return data
