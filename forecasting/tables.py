"""Reading time-series CSV files a user has, with every problem named by file, column and rows.

Policy, stated once:

* Time stamps must carry a zone (e.g. ``+07:00``) or the caller states it (``tz=``);
  naive stamps without ``tz`` are refused, since a UTC file read as local time is off by 7 h.
* Rows whose time cannot be read, duplicate and unsorted stamps are refused.
* Missing intervals are inserted on the file's own step and filled by :func:`fill_gaps`:
  gaps up to ``max_interp_steps`` by linear interpolation, longer ones (when a seasonal lag
  is given) from the same time one week earlier (or later at the start); what was filled is
  counted in a :class:`FillReport`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.forecasting.meter_text import excerpt, read_text
from munigrid.forecasting.meter_time import parse_times, time_columns
from munigrid.models.errors import InputError, Problem, quote


def _rows(mask: np.ndarray, first_data_row: int = 2, limit: int = 6) -> str:
    """1-based file rows (header is row 1) of the True entries, shortened."""
    rows = np.flatnonzero(mask) + first_data_row
    text = ", ".join(map(str, rows[:limit]))
    return text + (f" … ({len(rows)} rows)" if len(rows) > limit else "")


def normal_name(name: object) -> str:
    """A column name compared case-insensitively, spaces as underscores."""
    return str(name).strip().lower().replace(" ", "_")


def match_column(columns: list, aliases: tuple[str, ...], skip: tuple[str, ...] = ()) -> str | None:
    """The column of the first alias that names one: a column named exactly like it, else one whose
    name starts with it followed by ``_`` or ``(`` (``load_kw``, ``ghi (W/m2)``) and contains no word
    of ``skip`` (``ghi_clear`` is not GHI). None when nothing matches."""
    normal = {c: normal_name(c) for c in columns}
    for alias in aliases:
        exact = next((c for c, name in normal.items() if name == alias), None)
        if exact is not None:
            return exact
        prefixed = next((c for c, name in normal.items() if (name.startswith(alias + "_") or name.startswith(alias + "("))
                         and not any(s in name for s in skip)), None)
        if prefixed is not None:
            return prefixed
    return None


def find_column(frame: pd.DataFrame, aliases: tuple[str, ...], where: str, what: str,
                required: bool = True, skip: tuple[str, ...] = ()) -> str | None:
    """The column of ``what`` by :func:`match_column`; a missing required one is refused with the names expected."""
    found = match_column(list(frame.columns), aliases, skip)
    if found is None and required:
        raise InputError(f"no {what} column; expected one named like {', '.join(aliases[:4])}; "
                         f"found {', '.join(quote(str(c), 30) for c in list(frame.columns)[:12])}"
                         f"{' …' if len(frame.columns) > 12 else ''}", where)
    return found


def read_timeseries_csv(path: str | Path, tz: str | None = None, time_column: str | None = None) -> pd.DataFrame:
    """Read a CSV with a time column into a frame on a sorted, tz-aware Asia/Bangkok index.

    Parameters
    ----------
    path : str or Path
        CSV file; the first row names the columns.
    tz : str, optional
        Zone of naive stamps (e.g. ``Asia/Bangkok``); stamps with an offset are converted.
    time_column : str, optional
        Name of the time column (``"Date+Time"`` for two); found by name when omitted. Time
        stamps are read as meter files' are (:mod:`munigrid.forecasting.meter_time`).

    Raises
    ------
    InputError
        Listing every problem: unreadable file, no time column, unreadable stamps,
        naive stamps without ``tz``, duplicates, unsorted rows.
    """
    path = Path(path)
    where = path.name
    text, _ = read_text(path, where)
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"not a readable CSV file ({excerpt(err, 120)})", where) from None
    columns = time_columns(frame, time_column, where)
    index, _ = parse_times(frame, columns, tz, where)
    col = " + ".join(columns)
    problems: list[Problem] = []
    dup = index.duplicated(keep="first")
    if dup.any():
        problems.append(Problem(f"{where}: column {col!r}", f"duplicate time stamps in rows {_rows(dup)}; keep one value per interval"))
    back = np.r_[False, np.diff(index.asi8) < 0]
    if back.any():
        problems.append(Problem(f"{where}: column {col!r}", f"time goes backwards at rows {_rows(back)}; sort the file"))
    if problems:
        raise InputError(problems)
    frame = frame.drop(columns=columns)
    frame.index = index
    return frame


def regular_grid(frame: pd.DataFrame, where: str, allowed_steps_min=(15, 60)) -> tuple[pd.DataFrame, int]:
    """Reindex onto the file's own fixed step (the most common spacing), inserting missing rows.

    Returns the frame and its step [min]. Raises :class:`InputError` when the step is not allowed
    or stamps are off the grid.
    """
    if len(frame) < 2:
        raise InputError("need at least two rows", where)
    deltas_min = np.diff(frame.index.as_unit("ns").asi8) / 6e10
    step = float(pd.Series(deltas_min).mode().iloc[0])
    if step not in allowed_steps_min:
        raise InputError(f"step is {step:g} min; resample to one of {allowed_steps_min} min first", where)
    full = pd.date_range(frame.index[0], frame.index[-1], freq=f"{int(step)}min", name="time")
    off = ~frame.index.isin(full)
    if off.any():
        raise InputError(f"time stamps off the {step:g}-min grid in rows {_rows(off)}; "
                         "labels must fall on whole steps (interval beginning)", where)
    return frame.reindex(full), int(step)


@dataclass(frozen=True)
class FillReport:
    """How many values of one column were missing and how each was filled [steps]."""

    column: str
    n_total: int
    n_missing: int
    n_interpolated: int
    n_seasonal: int
    n_left_missing: int

    @property
    def filled_frac(self) -> float:
        """Share of the series that was filled [-]."""
        return (self.n_interpolated + self.n_seasonal) / max(self.n_total, 1)

    def __str__(self) -> str:
        return (f"{self.column}: {self.n_missing} of {self.n_total} missing; {self.n_interpolated} interpolated, "
                f"{self.n_seasonal} from the same time a week apart, {self.n_left_missing} left missing")


def fill_gaps(series: pd.Series, max_interp_steps: int, seasonal_steps: int | None = None) -> tuple[pd.Series, FillReport]:
    """Fill missing values: short gaps linearly, long gaps from the same time a week apart.

    Parameters
    ----------
    series : pandas.Series
        On a regular index; NaN marks missing.
    max_interp_steps : int
        Longest gap filled by linear interpolation [steps].
    seasonal_steps : int, optional
        Lag of the seasonal fill [steps] (one week); long gaps stay NaN when omitted.
    """
    values = series.to_numpy(dtype=float, copy=True)
    missing = np.isnan(values)
    run_id = np.cumsum(~missing)
    run_len = pd.Series(missing).groupby(run_id).transform("sum").to_numpy()
    interior = missing & (np.arange(len(values)) > np.argmax(~missing)) & (np.arange(len(values)) < len(values) - np.argmax(~missing[::-1]))
    short = missing & interior & (run_len <= max_interp_steps)
    interp = series.interpolate(method="linear", limit_area="inside").to_numpy()
    values[short] = interp[short]
    n_seasonal = 0
    if seasonal_steps:
        for lag in (seasonal_steps, -seasonal_steps, 2 * seasonal_steps, -2 * seasonal_steps):
            still = np.isnan(values)
            if not still.any():
                break
            shifted = pd.Series(values).shift(lag).to_numpy()
            take = still & ~np.isnan(shifted)
            values[take] = shifted[take]
            n_seasonal += int(take.sum())
    report = FillReport(str(series.name), len(values), int(missing.sum()), int(short.sum()), n_seasonal,
                        int(np.isnan(values).sum()))
    return pd.Series(values, index=series.index, name=series.name), report
