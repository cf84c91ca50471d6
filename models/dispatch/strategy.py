r"""Solve strategy: the LP first, binaries only where the LP needs them, the MILP from the LP.

1. Solve the LP relaxation (generator on/off in :math:`[0, 1]`, no charge/discharge binaries).
2. Where the LP charges and discharges the same battery in the same step (possible with negative
   prices or export caps; wasteful otherwise), add the binary :math:`u_{i,t}` and the two
   exclusivity rows at those steps only.
3. Make the on/off variables of a generator binary when it needs commitment (minimum load,
   start-up cost or no-load fuel) and its LP on/off is fractional somewhere.
4. Solve the MILP from the LP point as a MIP start; if the MILP shows simultaneous flows at new
   steps, add them and repeat (at most ``MAX_ROUNDS`` times).

Integer block sizes make the problem a MILP from the start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from munigrid.models.dispatch.highs_backend import HighsOutcome, run_highs
from munigrid.models.dispatch.layout import ModelData
from munigrid.models.dispatch.problem import SolveOptions
from munigrid.models.dispatch.standard_form import StandardForm, compile_instance

SIMULTANEOUS_KW = 1e-6
FRACTIONAL = 1e-6
MAX_ROUNDS = 4


@dataclass
class StrategyOutcome:
    """Final solver outcome with the instance it belongs to."""

    outcome: HighsOutcome
    data: ModelData
    form: StandardForm
    n_binaries: int
    timings: dict[str, float]


def _values(data: ModelData, x: np.ndarray, name: str) -> np.ndarray:
    return x[data.columns.block(name)].reshape(data.columns.shape[name])


def simultaneous_steps(data: ModelData, x: np.ndarray) -> np.ndarray:
    """Mask (M, T) of steps that charge and discharge the same battery at once."""
    if "charge_kw" not in data.columns.shape:
        return np.zeros((data.dims["M"], data.dims["T"]), bool)
    both = np.minimum(_values(data, x, "charge_kw"), _values(data, x, "discharge_kw"))
    return both > SIMULTANEOUS_KW


def _with_commitment(data: ModelData, x: np.ndarray) -> tuple[ModelData, bool]:
    """Binary on/off for committed generators whose LP on/off is fractional."""
    if "gen_on" not in data.columns.shape:
        return data, False
    on = _values(data, x, "gen_on")
    fractional = (np.abs(on - np.round(on)) > FRACTIONAL).any(axis=1) & data.needs_commitment
    if not fractional.any() or np.asarray(data.integer.get("gen_on", False)).any():
        return data, False
    integer = dict(data.integer)
    integer["gen_on"] = np.repeat(fractional[:, None], data.dims["T"], axis=1)
    return ModelData(data.columns, data.lower, data.upper, integer, data.params, data.sets, data.dims,
                     data.needs_commitment), True


def _start(old: ModelData, x: np.ndarray, new: ModelData) -> np.ndarray:
    """MIP start for ``new`` from the solution ``x`` of ``old``: shared families copied."""
    parts = []
    for name, shape in new.columns.shape.items():
        if name in old.columns.shape:
            values = _values(old, x, name).copy()
        elif name == "charging":
            values = (_values(old, x, "charge_kw") >= _values(old, x, "discharge_kw")).astype(float)
        else:
            values = np.clip(np.zeros(shape), new.lower[name], new.upper[name])
        if name == "gen_on":
            values = (values > FRACTIONAL).astype(float)
        parts.append(values.ravel())
    return np.concatenate(parts)


def _exclusive_mask(data: ModelData) -> np.ndarray:
    mask = np.zeros((data.dims["M"], data.dims["T"]), bool)
    if "MT_exclusive" in data.sets:
        mask[data.sets["MT_exclusive"]] = True
    return mask


def solve_strategy(data: ModelData, options: SolveOptions) -> StrategyOutcome:
    """Run steps 1-4 of the module docstring."""
    timings = {"build_s": 0.0, "solve_s": 0.0}
    tic = time.perf_counter()
    form = compile_instance(data)
    timings["build_s"] += time.perf_counter() - tic
    first = run_highs(form, options, relax=True)
    timings["solve_s"] += first.solve_s
    timings["lp_s"] = first.solve_s
    if not first.status.has_solution:
        return StrategyOutcome(first, data, form, 0, timings)
    outcome, current = first, data
    for _ in range(MAX_ROUNDS):
        new_steps = simultaneous_steps(current, outcome.x) & ~_exclusive_mask(current)
        candidate = current
        if new_steps.any():
            exclusive = _exclusive_mask(current) | new_steps
            candidate = current.with_exclusive_steps(*np.nonzero(exclusive))
        candidate, committed = _with_commitment(candidate, outcome.x)
        if candidate is current and (outcome is not first or not form.integer.any()):
            break
        tic = time.perf_counter()
        new_form = compile_instance(candidate) if candidate is not current else form
        timings["build_s"] += time.perf_counter() - tic
        start = _start(current, outcome.x, candidate)
        outcome = run_highs(new_form, options, start=start)
        timings["solve_s"] += outcome.solve_s
        timings["milp_s"] = timings.get("milp_s", 0.0) + outcome.solve_s
        current, form = candidate, new_form
        if not outcome.status.has_solution:
            break
    return StrategyOutcome(outcome, current, form, int(form.integer.sum()), timings)
