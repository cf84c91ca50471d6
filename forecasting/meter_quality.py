"""Duplicates, order, step and gaps of a meter series, each reported with counts and dates.

* Rows repeating a time stamp with the same values are dropped (reported); with different
  values they are refused, since either could be the reading.
* Rows out of order are sorted (reported).
* The step is the most common spacing; 1, 5, 10, 15, 30 and 60 minutes are read.
* Missing intervals are inserted as NaN and described as gaps with their dates; whether they
  may be filled is the caller's choice (:func:`describe_gaps` names them either way).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from munigrid.forecasting.meter_time import lines_of
from munigrid.models.errors import InputError

FILE_STEPS_MIN = (1, 5, 10, 15, 30, 60)
SHOWN_DATES = 5


def _stamp(t: pd.Timestamp) -> str:
    return t.strftime("%Y-%m-%d %H:%M")


def _dates(stamps: pd.DatetimeIndex) -> str:
    unique = stamps.unique()
    text = ", ".join(_stamp(t) for t in unique[:SHOWN_DATES])
    return text + (" …" if len(unique) > SHOWN_DATES else "")


def drop_duplicates(frame: pd.DataFrame, where: str, first_line: int) -> tuple[pd.DataFrame, list[str]]:
    """Drop repeated rows of one time stamp with equal values; refuse differing ones.

    ``frame`` is indexed by time with a ``line`` column (file line of each row).
    """
    values = frame.drop(columns="line")
    repeated = frame.index.duplicated(keep="first")
    if not repeated.any():
        return frame, []
    same = values.reset_index().duplicated(keep="first").to_numpy()
    differing = repeated & ~same
    if differing.any():
        lines = frame["line"].to_numpy()[differing] - first_line
        mask = np.zeros(int(frame["line"].max()) - first_line + 1, dtype=bool)
        mask[lines] = True
        raise InputError(f"{int(differing.sum())} time stamps appear twice with different values (lines "
                         f"{lines_of(mask, first_line)}; {_dates(frame.index[differing])}); keep one row per "
                         "interval", where)
    note = (f"{int(repeated.sum())} repeated rows (same time, same values) dropped: {_dates(frame.index[repeated])}")
    return frame[~repeated], [note]


def sort_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Sort by time, noting how many rows were out of order."""
    if frame.index.is_monotonic_increasing:
        return frame, []
    back = int((np.diff(frame.index.asi8) < 0).sum())
    return frame.sort_index(kind="stable"), [f"{back} rows out of time order were sorted"]


def file_step_min(index: pd.DatetimeIndex, where: str) -> int:
    """The file's step [min]: its most common spacing, one of :data:`FILE_STEPS_MIN`."""
    if len(index) < 2:
        raise InputError(f"{len(index)} data row{'s' if len(index) != 1 else ''}; a meter file needs at least two "
                         "readings", where)
    deltas_min = np.diff(index.as_unit("ns").asi8) / 6e10
    step = float(pd.Series(deltas_min).mode().iloc[0])
    if step not in FILE_STEPS_MIN:
        raise InputError(f"the step is {step:g} min; meter files with steps of {', '.join(map(str, FILE_STEPS_MIN))} "
                         "min are read: resample the file to one of them", where)
    return int(step)


def regular(frame: pd.DataFrame, step_min: int, where: str, first_line: int) -> pd.DataFrame:
    """Reindex onto the ``step_min`` grid from the first to the last stamp; off-grid rows are refused."""
    full = pd.date_range(frame.index[0], frame.index[-1], freq=f"{step_min}min", name="time")
    off = ~frame.index.isin(full)
    if off.any():
        mask = np.zeros(int(frame["line"].max()) - first_line + 1, dtype=bool)
        mask[frame["line"].to_numpy()[off] - first_line] = True
        raise InputError(f"time stamps off the {step_min}-min grid in lines {lines_of(mask, first_line)} "
                         f"({_dates(frame.index[off])}); labels must fall on whole steps (interval beginning)", where)
    return frame.reindex(full)


def describe_gaps(missing: pd.Series, step_min: int) -> str:
    """``'12 of 960 15-min intervals missing in 2 gaps: 2025-01-03 10:00-12:45 (12), …'``.

    Parameters
    ----------
    missing : Series of bool
        True where a value is missing, on a regular index.
    step_min : int
        Step [min].
    """
    flags = missing.to_numpy()
    starts = np.flatnonzero(flags & ~np.r_[False, flags[:-1]])
    ends = np.flatnonzero(flags & ~np.r_[flags[1:], False])
    spans = [f"{_stamp(missing.index[a])} to {_stamp(missing.index[b])} ({b - a + 1})"
             for a, b in zip(starts[:SHOWN_DATES], ends[:SHOWN_DATES])]
    more = f" and {len(starts) - SHOWN_DATES} more" if len(starts) > SHOWN_DATES else ""
    return (f"{int(flags.sum())} of {len(flags)} {step_min}-min intervals missing in {len(starts)} "
            f"gap{'s' if len(starts) != 1 else ''}: {'; '.join(spans)}{more}")
