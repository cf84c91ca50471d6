"""Ft, the Thai automatic tariff adjustment [THB/kWh], set for four-month billing periods.

The Energy Regulatory Commission sets Ft for January-April, May-August and September-December.
:class:`FtSchedule` holds the known values (``data/ft.yaml``, each with its source; values
seen on one vendor page only are marked unverified), takes user values for later periods,
and refuses to guess: a month without a value raises :class:`InputError` unless a fallback
(``default`` value or ``last_known``) was chosen, and every use of a fallback or of an
unverified value is reported in the notes.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml

from munigrid.models.errors import InputError, Problem

PERIOD_START_MONTHS = (1, 5, 9)
Fallback = Literal["error", "last_known", "default"]


def period_key(month: pd.Period) -> str:
    """Key ``"YYYY-MM"`` of the four-month Ft period containing ``month``."""
    start = PERIOD_START_MONTHS[(month.month - 1) // 4]
    return f"{month.year:04d}-{start:02d}"


def _check_keys(values: Mapping[str, float], where: str) -> list[Problem]:
    problems = []
    for key, value in values.items():
        try:
            month = pd.Period(key, freq="M")
        except (ValueError, TypeError):
            problems.append(Problem(f"{where}[{key}]", "key must be the period's first month 'YYYY-MM'"))
            continue
        if month.month not in PERIOD_START_MONTHS or str(month) != key:
            problems.append(Problem(f"{where}[{key}]", "Ft periods start in January, May or September: "
                                                       "use 'YYYY-01', 'YYYY-05' or 'YYYY-09'"))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            problems.append(Problem(f"{where}[{key}]", f"must be a number in THB/kWh, got {value!r}"))
    return problems


@dataclass(frozen=True)
class FtResolution:
    """Ft for each month asked for, with what was assumed.

    Parameters
    ----------
    ft_thb_per_kwh : ndarray, shape (M,)
        Ft of each month [THB/kWh].
    notes : list of str
        Fallbacks and unverified values used.
    """

    ft_thb_per_kwh: np.ndarray
    notes: list[str]


@dataclass(frozen=True)
class FtSchedule:
    """Ft [THB/kWh] by four-month period.

    Parameters
    ----------
    values_thb_per_kwh : mapping of str to float
        Ft of each period, keyed by its first month ``"YYYY-01"``, ``"YYYY-05"`` or ``"YYYY-09"``.
    unverified : frozenset of str
        Keys whose value could not be confirmed (reported when used).
    fallback : {"error", "last_known", "default"}
        For a month without a value: raise (default), use the latest earlier known value,
        or use ``default_thb_per_kwh``.
    default_thb_per_kwh : float or None
        The value for ``fallback="default"``.
    """

    values_thb_per_kwh: Mapping[str, float] = field(default_factory=dict)
    unverified: frozenset[str] = frozenset()
    fallback: Fallback = "error"
    default_thb_per_kwh: float | None = None

    def __post_init__(self):
        problems = _check_keys(self.values_thb_per_kwh, "ft")
        if self.fallback == "default" and self.default_thb_per_kwh is None:
            problems.append(Problem("ft.default_thb_per_kwh", "fallback 'default' needs a default value"))
        if self.fallback not in ("error", "last_known", "default"):
            problems.append(Problem("ft.fallback", f"must be 'error', 'last_known' or 'default', got {self.fallback!r}"))
        if problems:
            raise InputError(problems)

    @classmethod
    def builtin(cls, fallback: Fallback = "error", default_thb_per_kwh: float | None = None) -> FtSchedule:
        """The known Ft values from ``data/ft.yaml`` (2024 to mid 2026)."""
        text = resources.files("munigrid.models.tariffs").joinpath("data/ft.yaml").read_text(encoding="utf-8")
        periods = yaml.safe_load(text)["periods"]
        return cls({k: float(v["value"]) for k, v in periods.items()},
                   frozenset(k for k, v in periods.items() if not v["verified"]),
                   fallback, default_thb_per_kwh)

    @classmethod
    def constant(cls, ft_thb_per_kwh: float) -> FtSchedule:
        """The same Ft for every month (a finite value in THB/kWh, within +-5)."""
        if not (np.isfinite(ft_thb_per_kwh) and abs(ft_thb_per_kwh) <= 5):
            raise InputError(f"must be a finite Ft within -5..5 THB/kWh, got {ft_thb_per_kwh!r}", "ft")
        return cls({}, frozenset(), "default", float(ft_thb_per_kwh))

    @classmethod
    def from_file(cls, path: str | Path, fallback: Fallback = "error",
                  default_thb_per_kwh: float | None = None) -> FtSchedule:
        """User Ft values layered over the built-in ones.

        CSV with columns ``period,ft_thb_per_kwh`` (``period`` = first month ``YYYY-MM``), or
        YAML mapping ``{"2026-09": 0.20, ...}``.
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(f"file not found: {path}", "ft_schedule")
        if path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
            if not rows or not {"period", "ft_thb_per_kwh"} <= set(rows[0]):
                raise InputError("needs columns 'period' and 'ft_thb_per_kwh'", str(path))
            try:
                values = {r["period"].strip(): float(r["ft_thb_per_kwh"]) for r in rows}
            except ValueError as err:
                raise InputError(f"ft_thb_per_kwh must be numbers: {err}", str(path)) from err
        else:
            try:
                values = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError, ValueError) as err:
                mark = getattr(err, "problem_mark", None)
                where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
                raise InputError(f"not a readable YAML Ft schedule ({getattr(err, 'problem', None) or err}); "
                                 "write lines like `2026-09: 0.1972`", where) from None
            if not isinstance(values, dict):
                raise InputError("must map periods 'YYYY-MM' to Ft in THB/kWh", str(path))
            values = {str(k): v for k, v in values.items()}
        problems = _check_keys(values, str(path))
        if problems:
            raise InputError(problems)
        return cls.builtin(fallback, default_thb_per_kwh).with_values(values)

    def with_values(self, values: Mapping[str, float]) -> FtSchedule:
        """A copy with ``values`` set (user values count as verified)."""
        merged = {**self.values_thb_per_kwh, **{k: float(v) for k, v in values.items()}}
        return replace(self, values_thb_per_kwh=merged, unverified=self.unverified - set(values))

    def resolve(self, months: pd.PeriodIndex) -> FtResolution:
        """Ft for every month in ``months``; raises :class:`InputError` naming missing periods."""
        known = sorted(self.values_thb_per_kwh)
        out = np.empty(len(months))
        notes: list[str] = []
        missing: list[str] = []
        for i, month in enumerate(months):
            key = period_key(month)
            if key in self.values_thb_per_kwh:
                out[i] = self.values_thb_per_kwh[key]
                if key in self.unverified:
                    notes.append(f"Ft {out[i]:.4f} THB/kWh for {month} (period {key}) is unverified")
            elif self.fallback == "default":
                out[i] = self.default_thb_per_kwh
                if self.values_thb_per_kwh:
                    notes.append(f"no Ft for {month}; used the default {out[i]:.4f} THB/kWh")
            elif self.fallback == "last_known" and known and known[0] <= key:
                last = max(k for k in known if k <= key)
                out[i] = self.values_thb_per_kwh[last]
                notes.append(f"no Ft for {month}; used the last known value {out[i]:.4f} THB/kWh (period {last})")
            else:
                missing.append(str(month))
        if missing:
            span = f"{known[0]}..{known[-1]}" if known else "none"
            raise InputError(f"no Ft value for months {', '.join(missing)} (known periods: {span}); "
                             "give --ft VALUE, an Ft schedule with these periods, or fallback "
                             "'last_known' / a default", "ft")
        return FtResolution(out, list(dict.fromkeys(notes)))


def as_schedule(ft: FtSchedule | float | None) -> FtSchedule:
    """``None`` -> the built-in schedule, a number -> a constant, a schedule -> itself."""
    if ft is None:
        return FtSchedule.builtin()
    if isinstance(ft, FtSchedule):
        return ft
    if isinstance(ft, (int, float, np.floating)) and np.isfinite(ft):
        return FtSchedule.constant(float(ft))
    raise InputError(f"must be an FtSchedule, a number in THB/kWh or None, got {ft!r}", "ft")
