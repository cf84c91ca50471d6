"""Readings a meter file holds that were not metered: gaps filled at the source.

Data systems fill their own gaps before export, so a file can have no missing interval and
still hold days that were never metered. Found on the file's own step, before any filling
of ours, each reported with its dates:

* **repeated days**: a whole day with exactly the readings of the day 7 days earlier (weeks
  copied from the week before) or of the day before; a day that is constant is a flat run;
* **zero runs**: readings of exactly 0 for at least :data:`ZERO_MIN_H` (outages, meter off),
  unless zeros are the building's normal (more than :data:`NORMAL_ZERO_FRAC` of the readings,
  e.g. street lighting by day);
* **flat runs**: the same non-zero reading for at least :data:`FLAT_MIN_H` (a value carried
  forward over a gap).

Forecasts leave them out of fitting and scoring by default (``forecast load --keep-suspect``
keeps them); bills and scenarios use every reading and only report them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ZERO_MIN_H = 1.0
FLAT_MIN_H = 6.0
NORMAL_ZERO_FRAC = 0.25
COPY_LAGS_DAYS = (7, 1)  # week copies first: a copied week also repeats days of a flat weekend
SHOWN_RUNS = 8


@dataclass(frozen=True)
class SuspectRun:
    """Consecutive readings of one kind that were probably not metered.

    Attributes
    ----------
    kind : {"repeated", "zero", "flat"}
        What was found.
    start, end : pandas.Timestamp
        First and last interval (beginnings) of the run.
    steps : int
        Intervals in the run.
    lag_days : int
        For repeated days, the distance to the day copied [day]; 0 otherwise.
    """

    kind: str
    start: pd.Timestamp
    end: pd.Timestamp
    steps: int
    lag_days: int = 0

    def __str__(self) -> str:
        span = f"{self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M}"
        if self.kind == "repeated":
            return f"{span}: the same readings as {self.lag_days} day{'s' if self.lag_days > 1 else ''} earlier"
        return f"{span} ({self.steps} intervals): {'zero' if self.kind == 'zero' else 'one value repeated'}"


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) positions of the runs of True in ``flags``."""
    starts = np.flatnonzero(flags & ~np.r_[False, flags[:-1]])
    ends = np.flatnonzero(flags & ~np.r_[flags[1:], False])
    return list(zip(starts.tolist(), ends.tolist()))


def _repeated_days(load: pd.Series, steps_per_day: int) -> tuple[np.ndarray, list[SuspectRun]]:
    """Steps of whole days equal to the day ``lag`` days earlier (:data:`COPY_LAGS_DAYS`), and their runs."""
    values = load.to_numpy(dtype=float)
    flags = np.zeros(len(values), dtype=bool)
    runs: list[SuspectRun] = []
    midnight = np.flatnonzero((load.index.hour == 0) & (load.index.minute == 0))
    if not len(midnight):
        return flags, runs
    first = int(midnight[0])
    n_days = (len(values) - first) // steps_per_day
    days = values[first:first + n_days * steps_per_day].reshape(n_days, steps_per_day)
    varying = np.isfinite(days).all(axis=1) & (days.max(axis=1, initial=-np.inf) > days.min(axis=1, initial=np.inf))
    copied = np.zeros(n_days, dtype=bool)
    for lag in COPY_LAGS_DAYS:
        if n_days <= lag:
            continue
        same = np.r_[np.zeros(lag, dtype=bool), (days[lag:] == days[:-lag]).all(axis=1) & varying[lag:]] & ~copied
        for a, b in _runs(same):
            runs.append(SuspectRun("repeated", load.index[first + a * steps_per_day],
                                   load.index[first + (b + 1) * steps_per_day - 1], (b - a + 1) * steps_per_day, lag))
        copied |= same
    flags[first:first + n_days * steps_per_day] = np.repeat(copied, steps_per_day)
    return flags, runs


def _constant_runs(load: pd.Series, step_min: int) -> tuple[np.ndarray, list[SuspectRun]]:
    """Steps in zero runs of at least :data:`ZERO_MIN_H` and flat non-zero runs of :data:`FLAT_MIN_H`."""
    values = load.to_numpy(dtype=float)
    flags = np.zeros(len(values), dtype=bool)
    runs: list[SuspectRun] = []
    zeros_normal = np.mean(values == 0) > NORMAL_ZERO_FRAC
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])  # NaN != NaN: every missing step starts a run
    ends = np.r_[starts[1:] - 1, len(values) - 1]
    for a, b in zip(starts.tolist(), ends.tolist()):
        n, value = b - a + 1, values[a]
        zero = value == 0
        min_h = ZERO_MIN_H if zero else FLAT_MIN_H
        if not np.isfinite(value) or n < 2 or n * step_min < min_h * 60 or (zero and zeros_normal):
            continue
        flags[a:b + 1] = True
        runs.append(SuspectRun("zero" if zero else "flat", load.index[a], load.index[b], n))
    return flags, runs


@dataclass(frozen=True)
class SuspectReadings:
    """What :func:`find_suspect` found in a load series.

    Attributes
    ----------
    mask : pandas.Series of bool
        True at the suspect steps, on the series' index.
    runs : list of SuspectRun
        Each run with its dates, in time order.
    """

    mask: pd.Series
    runs: list[SuspectRun]

    def notes(self) -> list[str]:
        """One line per kind found, with the share of the steps and the first runs' dates."""
        lines = []
        for kind, label in (("repeated", "repeated days"), ("zero", "zero runs"), ("flat", "flat runs")):
            runs = [r for r in self.runs if r.kind == kind]
            if not runs:
                continue
            steps = sum(r.steps for r in runs)
            shown = "; ".join(str(r) for r in runs[:SHOWN_RUNS])
            more = f"; and {len(runs) - SHOWN_RUNS} more" if len(runs) > SHOWN_RUNS else ""
            lines.append(f"suspect readings, {label}: {len(runs)} run{'s' if len(runs) > 1 else ''}, {steps} of "
                         f"{len(self.mask)} intervals ({steps / max(len(self.mask), 1):.1%}): {shown}{more}")
        return lines

    def on_step(self, step_min: int) -> pd.Series:
        """The mask on a coarser step: a step is suspect when any reading inside it is."""
        if len(self.mask) < 2 or (self.mask.index[1] - self.mask.index[0]) == pd.Timedelta(minutes=step_min):
            return self.mask
        return self.mask.resample(f"{step_min}min").max().astype(bool)


def find_suspect(load: pd.Series, step_min: int) -> SuspectReadings:
    """Repeated days, zero runs and flat runs of a load series on its own regular step.

    Parameters
    ----------
    load : pandas.Series
        Readings [any power unit] on a regular index, NaN where missing (missing steps are
        never suspect and break runs).
    step_min : int
        Step of the index [min].
    """
    repeated, copies = _repeated_days(load, 24 * 60 // step_min)
    constant, runs = _constant_runs(load, step_min)
    runs = sorted(copies + runs, key=lambda r: r.start)
    return SuspectReadings(pd.Series(repeated | constant, index=load.index, name="suspect"), runs)
