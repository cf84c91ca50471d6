"""Metered load history from a CSV file, validated, on a regular grid, gaps filled and counted.

Policy: loads must be >= 0 kW; a value above 10 times the 99th percentile is refused as a
spike; a column named in W (``..._w``, ``(W)``) is converted to kW; one named in kW whose
peak exceeds 20,000 kW (more than any municipal building) gives a :class:`UnitWarning`.
Temperatures outside -10..55 degC (e.g. the -17.78 degC = 0 degF "missing" code) count as
missing. Gaps up to 2 h are interpolated; longer ones take the value from the same time one
week earlier (or later); more than 20 % missing load is refused.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.forecasting.tables import FillReport, _rows, fill_gaps, find_column, read_timeseries_csv, regular_grid
from munigrid.models.errors import InputError, Problem

LOAD_ALIASES = ("load_kw", "load", "kw", "power_kw", "power", "demand", "consumption", "ptot", "p")
TEMP_ALIASES = ("temp_air_c", "temp_air", "temperature", "temp", "t_air", "t2m")
MAX_PLAUSIBLE_KW = 20_000.0
SPIKE_FACTOR = 10.0
TEMP_VALID_C = (-10.0, 55.0)
MAX_MISSING_FRAC = 0.2
MAX_INTERP_H = 2.0


class UnitWarning(UserWarning):
    """Values look like they are in a different unit than the column says (W versus kW)."""


@dataclass
class MeterHistory:
    """A validated load history.

    Attributes
    ----------
    load_kw : pandas.Series
        Mean load over each interval [kW], Asia/Bangkok interval-beginning index.
    temp_air_c : pandas.Series or None
        Outdoor air temperature [degC] on the same index, when the file has it.
    step_min : int
        Step [min].
    fills : list of FillReport
        What was missing and how it was filled, per column.
    notes : list of str
        Unit conversions and other changes made.
    source : str
        File name.
    """

    load_kw: pd.Series
    temp_air_c: pd.Series | None
    step_min: int
    fills: list[FillReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str = ""

    def frame(self) -> pd.DataFrame:
        """``load_kw`` and, when present, ``temp_air_c`` as one frame."""
        cols = {"load_kw": self.load_kw}
        if self.temp_air_c is not None:
            cols["temp_air_c"] = self.temp_air_c
        return pd.DataFrame(cols)


def _unit_scale(name: str) -> float:
    """1/1000 when the column name says W (not kW), 1 when it says kW or nothing."""
    low = name.strip().lower()
    if re.search(r"(^|[_\s(\[])kw([)\]\s_]|$)", low):
        return 1.0
    if re.search(r"(^|[_\s(\[])w([)\]\s]|$)", low) or low.endswith("_w"):
        return 1e-3
    if re.search(r"(^|[_\s(\[])mw([)\]\s_]|$)", low):
        return 1e3
    return 1.0


def load_problems(load: pd.Series, where: str) -> list[Problem]:
    """Negative values and spikes in a load column, naming the file rows (header is row 1)."""
    problems = []
    values = load.to_numpy(dtype=float)
    neg = values < 0
    if neg.any():
        problems.append(Problem(where, f"{int(neg.sum())} negative loads in rows {_rows(neg)}; a meter of "
                                "consumption must be >= 0 (export belongs in a separate column)"))
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size:
        p99 = float(np.percentile(finite, 99))
        spike = values > SPIKE_FACTOR * p99
        if spike.any():
            problems.append(Problem(where, f"{int(spike.sum())} absurd values above {SPIKE_FACTOR:g} x the 99th "
                                    f"percentile ({p99:.4g}) in rows {_rows(spike)}; remove or correct them"))
    return problems


def read_meter(path: str | Path, tz: str | None = None, load_column: str | None = None,
               temperature_column: str | None = None) -> MeterHistory:
    """Read and validate a metered load history.

    Parameters
    ----------
    path : str or Path
        CSV with a time column, a load column [kW, or W when its name says so] and
        optionally outdoor temperature [degC].
    tz : str, optional
        Zone of naive time stamps (e.g. ``Asia/Bangkok``).
    load_column, temperature_column : str, optional
        Column names when not found automatically.

    Raises
    ------
    InputError
        Naming the file, column and rows: missing columns, unreadable or naive stamps,
        duplicates, negative or absurd loads, too much missing data.
    """
    path = Path(path)
    raw = read_timeseries_csv(path, tz=tz)
    where = path.name
    col = load_column or find_column(raw, LOAD_ALIASES, where, "load")
    if col not in raw.columns:
        raise InputError(f"load column {col!r} not found; columns are {', '.join(map(str, raw.columns))}", where)
    load_raw = pd.to_numeric(raw[col], errors="coerce")
    problems = load_problems(load_raw, f"{where}: column {col!r}")
    if problems:
        raise InputError(problems)
    frame, step_min = regular_grid(raw.assign(**{col: load_raw}), where)
    notes = []
    scale = _unit_scale(str(col))
    if scale != 1.0:
        notes.append(f"column {col!r} is in {'W' if scale < 1 else 'MW'}: converted to kW")
    load = frame[col].astype(float) * scale
    if scale == 1.0 and load.max() > MAX_PLAUSIBLE_KW:
        warnings.warn(f"{where}: column {col!r} peaks at {load.max():,.0f} kW, more than any municipal building; "
                      "is it in W? divide by 1000 or name the column '..._w'", UnitWarning, stacklevel=2)
    per_week = 7 * 24 * 60 // step_min
    max_steps = int(MAX_INTERP_H * 60 / step_min)
    load, load_fill = fill_gaps(load.rename("load_kw"), max_steps, seasonal_steps=per_week)
    if load_fill.n_missing / max(load_fill.n_total, 1) > MAX_MISSING_FRAC or load_fill.n_left_missing:
        raise InputError(f"{load_fill.n_missing} of {load_fill.n_total} intervals missing "
                         f"({load_fill.n_missing / load_fill.n_total:.0%}); at most {MAX_MISSING_FRAC:.0%} can be filled",
                         f"{where}: column {col!r}")
    fills = [load_fill]
    temp = None
    tcol = temperature_column or find_column(frame, TEMP_ALIASES, where, "temperature", required=False)
    if tcol is not None:
        t = pd.to_numeric(frame[tcol], errors="coerce")
        invalid = (t < TEMP_VALID_C[0]) | (t > TEMP_VALID_C[1])
        if invalid.any():
            notes.append(f"column {tcol!r}: {int(invalid.sum())} values outside {TEMP_VALID_C[0]:g}..{TEMP_VALID_C[1]:g} "
                         "degC treated as missing (e.g. -17.78 = 0 degF code)")
        temp, temp_fill = fill_gaps(t.mask(invalid).rename("temp_air_c"), max_steps, seasonal_steps=per_week)
        temp = temp.ffill().bfill()
        fills.append(temp_fill)
    return MeterHistory(load_kw=load, temp_air_c=temp, step_min=step_min, fills=fills, notes=notes, source=where)
