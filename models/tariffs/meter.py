"""Metered series for billing: checked, never silently repaired.

A bill is only as right as its meter data. :func:`check_meter` collects every problem at
once (time zone, duplicates, gaps, mixed steps, missing or negative values, mismatched
kvar/export series) and raises :class:`InputError`; the only handling it applies by itself
is splitting negative import into export where export is allowed, and it reports that.
Meter *files* are read by :func:`munigrid.forecasting.meter.read_meter` (the one reader of
every command); this module checks the series it gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError, Problem
from munigrid.models.timegrid import TZ, index_problems

BILL_STEPS_MIN = (15, 30, 60)


@dataclass(frozen=True)
class MeterData:
    """Checked meter values as arrays on one index.

    Parameters
    ----------
    index : DatetimeIndex
        Asia/Bangkok, regular 15-, 30- or 60-min steps.
    import_kw : ndarray
        Import power [kW], >= 0.
    export_kw : ndarray
        Export power [kW], >= 0 (zeros when none).
    kvar : ndarray or None
        Reactive power [kvar].
    notes : list of str
        Handling applied.
    """

    index: pd.DatetimeIndex
    import_kw: np.ndarray
    export_kw: np.ndarray
    kvar: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


def nanosecond_index(index: pd.Index) -> pd.Index:
    """``index`` with nanosecond stamps (pandas 3 may use microseconds; the time-grid checks count ns)."""
    return index.as_unit("ns") if isinstance(index, pd.DatetimeIndex) else index


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    rows = np.flatnonzero(mask)[:limit] + 1
    more = "…" if mask.sum() > limit else ""
    return ", ".join(map(str, rows)) + more


def _series_problems(series, name: str, index: pd.Index | None) -> list[Problem]:
    if not isinstance(series, pd.Series):
        return [Problem(name, f"must be a pandas Series indexed by time, got {type(series).__name__}")]
    problems = []
    if index is not None and not series.index.equals(index):
        problems.append(Problem(name, "must have exactly the same time stamps as import_kw"))
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        problems.append(Problem(name, f"{int(bad.sum())} missing or non-numeric values (rows {_rows(bad)}); "
                                      "fill them or remove the month"))
    return problems


def check_meter(import_kw: pd.Series, kvar: pd.Series | None = None, export_kw: pd.Series | None = None,
                export_allowed: bool = False) -> MeterData:
    """Check a metered series and return it as arrays, or raise listing every problem.

    Parameters
    ----------
    import_kw : Series
        Mean import power per step [kW]; negative values mean export.
    kvar : Series or None
        Mean reactive power per step [kvar].
    export_kw : Series or None
        Mean export power per step [kW].
    export_allowed : bool
        Whether the tariff's export rule lets energy flow out.
    """
    problems = _series_problems(import_kw, "import_kw", None)
    if problems and not isinstance(import_kw, pd.Series):
        raise InputError(problems)
    problems += index_problems(nanosecond_index(import_kw.index), "import_kw.index", BILL_STEPS_MIN)
    for name, other in (("kvar", kvar), ("export_kw", export_kw)):
        if other is not None:
            problems += _series_problems(other, name, import_kw.index)
    if problems:
        raise InputError(problems)
    notes: list[str] = []
    values = import_kw.to_numpy(dtype=float)
    exported = np.zeros_like(values) if export_kw is None else export_kw.to_numpy(dtype=float)
    negative = values < 0
    if negative.any():
        if not export_allowed:
            problems.append(Problem("import_kw", f"{int(negative.sum())} negative values (rows {_rows(negative)}) "
                                                 "mean export, which this tariff's export rule does not allow; "
                                                 "fix the data or give an export rule"))
        elif export_kw is not None:
            problems.append(Problem("import_kw", f"{int(negative.sum())} negative values (rows {_rows(negative)}) "
                                                 "although export_kw is given; give import >= 0"))
        else:
            exported = np.where(negative, -values, 0.0)
            values = np.where(negative, 0.0, values)
            notes.append(f"{int(negative.sum())} negative import values were billed as export")
    if export_kw is not None:
        if (exported < 0).any():
            problems.append(Problem("export_kw", f"negative values (rows {_rows(exported < 0)}); give export >= 0"))
        if not export_allowed and (exported > 0).any():
            problems.append(Problem("export_kw", "export is not allowed under this tariff's export rule "
                                                 "(Thai government buildings: zero export); give an export rule"))
    if problems:
        raise InputError(problems)
    kvar_values = None if kvar is None else kvar.to_numpy(dtype=float)
    return MeterData(nanosecond_index(import_kw.index).tz_convert(TZ), values, exported, kvar_values, notes)
