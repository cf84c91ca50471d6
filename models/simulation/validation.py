"""Input checks for the simulation kernels: every problem at once, before any kernel runs.

Each ``*_problems`` function returns a list of :class:`~munigrid.models.errors.Problem`;
:func:`raise_if` turns a non-empty list into one :class:`~munigrid.models.errors.InputError`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError, Problem
from munigrid.models.simulation.params import BatteryParams, GeneratorParams
from munigrid.models.timegrid import index_problems


def raise_if(problems: list[Problem]) -> None:
    """Raise one :class:`InputError` carrying all ``problems``, if there are any."""
    if problems:
        raise InputError(problems)


def _number_problem(value, path: str, low: float, high: float, *, low_open=False) -> Problem | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return Problem(path, f"must be a number, got {value!r}")
    left = "(" if low_open else "["
    if not math.isfinite(x) or x < low or (low_open and x == low) or x > high:
        return Problem(path, f"must be in {left}{low:g}, {high:g}], got {value!r}")
    return None


def _collect(*checks: Problem | None) -> list[Problem]:
    return [p for p in checks if p is not None]


def battery_problems(battery: BatteryParams, path: str = "battery") -> list[Problem]:
    """Sizes >= 0, efficiencies in (0, 1], SoC limits ordered in [0, 1], start inside them."""
    problems = _collect(
        _number_problem(battery.energy_kwh, f"{path}.energy_kwh", 0.0, math.inf),
        _number_problem(battery.power_kw, f"{path}.power_kw", 0.0, math.inf),
        _number_problem(battery.charge_eff_frac, f"{path}.charge_eff_frac", 0.0, 1.0, low_open=True),
        _number_problem(battery.discharge_eff_frac, f"{path}.discharge_eff_frac", 0.0, 1.0, low_open=True),
        _number_problem(battery.soc_min_frac, f"{path}.soc_min_frac", 0.0, 1.0),
        _number_problem(battery.soc_max_frac, f"{path}.soc_max_frac", 0.0, 1.0),
        _number_problem(battery.soc_initial_frac, f"{path}.soc_initial_frac", 0.0, 1.0),
    )
    if problems:
        return problems
    if battery.soc_min_frac >= battery.soc_max_frac:
        problems.append(Problem(f"{path}.soc_min_frac", f"must be below soc_max_frac "
                                f"({battery.soc_max_frac:g}), got {battery.soc_min_frac:g}"))
    elif not battery.soc_min_frac <= battery.soc_initial_frac <= battery.soc_max_frac:
        problems.append(Problem(f"{path}.soc_initial_frac", f"must be between soc_min_frac and soc_max_frac "
                                f"[{battery.soc_min_frac:g}, {battery.soc_max_frac:g}], "
                                f"got {battery.soc_initial_frac:g}"))
    return problems


def generator_problems(generator: GeneratorParams, path: str = "generator") -> list[Problem]:
    """Rated power >= 0, minimum load in [0, 1), fuel coefficients >= 0, set point in [0, 1]."""
    return _collect(
        _number_problem(generator.rated_kw, f"{path}.rated_kw", 0.0, math.inf),
        _number_problem(generator.min_load_frac, f"{path}.min_load_frac", 0.0, 0.999),
        _number_problem(generator.fuel_intercept_l_per_kwh_rated, f"{path}.fuel_intercept_l_per_kwh_rated",
                        0.0, math.inf),
        _number_problem(generator.fuel_slope_l_per_kwh, f"{path}.fuel_slope_l_per_kwh", 0.0, math.inf),
        _number_problem(generator.cycle_charge_setpoint_frac, f"{path}.cycle_charge_setpoint_frac", 0.0, 1.0),
    )


def step_problems(step_h, path: str = "step_h") -> list[Problem]:
    """A step of 15 min or 1 h (0.25 or 1.0 h), the munigrid time grids."""
    if step_h not in (0.25, 1.0):
        return [Problem(path, f"must be 0.25 or 1.0 h (15 min or 1 h), got {step_h!r}")]
    return []


def as_series(values, path: str, problems: list[Problem], *, length: int | None = None,
              nonnegative: bool = True) -> np.ndarray:
    """``values`` as a contiguous float64 array, appending any problem to ``problems``.

    Checks: one-dimensional, not empty, no NaN or infinity, ``>= 0`` when ``nonnegative``,
    and ``length`` entries when given. The returned array is only meaningful when no
    problem was added.
    """
    arr = np.ascontiguousarray(np.asarray(values, dtype=float))
    if arr.ndim != 1:
        problems.append(Problem(path, f"must be a one-dimensional series, got shape {arr.shape}"))
        return arr
    if arr.size == 0:
        problems.append(Problem(path, "is empty; give one value per time step"))
        return arr
    bad = ~np.isfinite(arr)
    if bad.any():
        first = np.flatnonzero(bad)[:5]
        problems.append(Problem(path, f"{int(bad.sum())} NaN or infinite values (steps "
                                      f"{', '.join(map(str, first))}…); fill them first"))
    elif nonnegative and (arr < 0).any():
        first = np.flatnonzero(arr < 0)[:5]
        problems.append(Problem(path, f"{int((arr < 0).sum())} negative values (steps "
                                      f"{', '.join(map(str, first))}…); power must be >= 0 kW"))
    if length is not None and arr.size != length:
        problems.append(Problem(path, f"has {arr.size} steps, the time grid has {length}"))
    return arr


def same_grid_problems(index: pd.Index, reference: pd.Index, path: str, reference_name: str) -> list[Problem]:
    """``index`` must be a valid munigrid grid and equal to ``reference`` stamp by stamp."""
    if len(index) == 0:
        return [Problem(path, "has no time stamps; give one row per time step")]
    problems = index_problems(index, path)
    if problems:
        return problems
    if len(index) != len(reference) or not index.equals(reference):
        def describe(ix):
            step = (ix[1] - ix[0]) if len(ix) > 1 else "?"
            return f"{ix[0].isoformat()} .. {ix[-1].isoformat()} every {step}, {len(ix)} steps"

        return [Problem(path, f"is on another time grid ({describe(index)}) than the {reference_name} "
                              f"({describe(reference)}); resample or align it first")]
    return []
