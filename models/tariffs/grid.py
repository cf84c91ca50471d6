r"""A tariff laid over a time grid: billing months, TOU shares and demand windows.

The bill calculator and the optimiser's cost terms both start from this one layout, so
they cannot disagree about which step is on-peak or which month it is billed in.

* Billing periods are the calendar months (Asia/Bangkok) present in the index.
* A step's share of each TOU period is the share of its quarter hours in that period; a
  15-minute step lies in one period, a 1-hour step may straddle a boundary (18:30 in TOD).
* A step counts towards a demand window when any of its quarter hours lies in the window.
  With hourly steps the demand is an hourly average, which understates the 15-minute
  maximum demand the utility bills: the layout says so in its notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError
from munigrid.models.tariffs.calendar import SUBSTEP_MIN, period_codes, substep_times
from munigrid.models.tariffs.spec import CalendarSpec, DemandSpec
from munigrid.models.timegrid import TZ, step_hours


@dataclass(frozen=True)
class DemandWindows:
    """The demand windows of one demand-charge family on the grid.

    Parameters
    ----------
    spec : DemandSpec
        The family.
    mask : ndarray of bool, shape (K, T)
        Steps counting towards each window.
    labels : list of str
        One short label per window (``on_peak``, ``peak``, ``cp1``...).
    period : ndarray of int, shape (K, T)
        Billing month each step's import counts in, per window: the step's own month, or for
        a coincident group the month of the group's last step.
    """

    spec: DemandSpec
    mask: np.ndarray
    labels: list[str]
    period: np.ndarray


@dataclass(frozen=True)
class TariffGrid:
    """A tariff's calendar applied to an index.

    Parameters
    ----------
    index : DatetimeIndex
        The steps, Asia/Bangkok.
    step_h : float
        Step length [h].
    months : PeriodIndex
        Billing months in order, shape (P,).
    period_of_step : ndarray of int, shape (T,)
        Billing month (0..P-1) of each step.
    periods : list of str
        TOU period names of the calendar.
    period_frac : ndarray, shape (T, N)
        Share of each step in each TOU period [-], rows sum to 1.
    demand : list of DemandWindows
        Windows of every demand family.
    notes : list of str
        What the grid cannot represent exactly.
    """

    index: pd.DatetimeIndex
    step_h: float
    months: pd.PeriodIndex
    period_of_step: np.ndarray
    periods: list[str]
    period_frac: np.ndarray
    demand: list[DemandWindows]
    notes: list[str]

    @property
    def n_months(self) -> int:
        """Number of billing months P."""
        return len(self.months)


def aligned_values(series: pd.Series, index: pd.DatetimeIndex, where: str) -> np.ndarray:
    """Values of a tz-aware ``series`` at every step of ``index``; raises when any is missing."""
    if not isinstance(series.index, pd.DatetimeIndex) or series.index.tz is None:
        raise InputError("needs a tz-aware DatetimeIndex", where)
    aligned = series.reindex(index)
    if aligned.isna().any():
        first = index[np.flatnonzero(aligned.isna().to_numpy())[0]]
        raise InputError(f"{int(aligned.isna().sum())} steps have no value, first {first.isoformat()}; "
                         "give a value for every step of the horizon", where)
    return aligned.to_numpy(dtype=float)


def _interval_mask(windows, index: pd.DatetimeIndex, step_h: float) -> np.ndarray:
    """Steps touching any of ``windows`` (local-time intervals ``[start, end)``)."""
    starts = index.asi8
    ends = starts + int(round(step_h * 3600e9))
    mask = np.zeros(len(index), dtype=bool)
    for window in windows:
        lo, hi = (pd.Timestamp(t) for t in (window.start, window.end))
        lo = lo.tz_localize(TZ) if lo.tzinfo is None else lo.tz_convert(TZ)
        hi = hi.tz_localize(TZ) if hi.tzinfo is None else hi.tz_convert(TZ)
        mask |= (starts < hi.value) & (ends > lo.value)
    return mask


def _group_period(mask: np.ndarray, period_of_step: np.ndarray) -> np.ndarray:
    """Each group's steps all count in the billing month of the group's last step."""
    period = np.repeat(period_of_step[None, :], mask.shape[0], axis=0)
    for k, row in enumerate(mask):
        if row.any():
            period[k] = period_of_step[np.flatnonzero(row)[-1]]
    return period


def billing_months(index: pd.DatetimeIndex) -> tuple[pd.PeriodIndex, np.ndarray]:
    """Billing months of ``index`` in order (local time), shape (P,), and each step's month, shape (T,)."""
    month_of_step = index.tz_convert(TZ).tz_localize(None).to_period("M")
    months = pd.PeriodIndex(pd.unique(month_of_step), freq="M")
    return months, months.get_indexer(month_of_step).astype(np.int64)


def tariff_grid(calendar: CalendarSpec, demand: list[DemandSpec], index: pd.DatetimeIndex,
                extra_offpeak_dates: Iterable[dt.date | str] = ()) -> TariffGrid:
    """Lay a calendar and its demand windows over ``index`` (a checked munigrid time grid).

    Parameters
    ----------
    calendar : CalendarSpec
        TOU calendar of the tariff.
    demand : list of DemandSpec
        Demand-charge families of the tariff.
    index : DatetimeIndex
        tz-aware, regular, 15 min or 1 h.
    extra_offpeak_dates : iterable of date or str
        Extra dates with the ``holiday`` day type (off-peak all day under Thai TOU).
    """
    index = index.tz_convert(TZ)
    step_h = step_hours(index)
    try:
        extra = [pd.Timestamp(d).date() for d in extra_offpeak_dates]
    except (ValueError, TypeError) as err:
        raise InputError(f"dates must be YYYY-MM-DD: {err}", "extra_offpeak_dates") from err
    n_sub = max(1, int(round(step_h * 60 / SUBSTEP_MIN)))
    codes = period_codes(calendar, substep_times(index, step_h), extra).reshape(len(index), n_sub)
    periods = calendar.periods
    period_frac = np.stack([(codes == p).mean(axis=1) for p in range(len(periods))], axis=1)
    months, period_of_step = billing_months(index)
    windows = []
    for family in demand:
        period = np.repeat(period_of_step[None, :], max(1, len(family.windows) + len(family.coincident_windows)
                                                         + len(family.coincident_groups)), axis=0)
        if family.coincident_groups:
            mask = np.stack([_interval_mask(g.intervals, index, step_h) for g in family.coincident_groups])
            labels = [g.name for g in family.coincident_groups]
            period = _group_period(mask, period_of_step)
        elif family.coincident_windows:
            mask = np.stack([_interval_mask([w], index, step_h) for w in family.coincident_windows])
            labels = [f"cp{k + 1}" for k in range(len(family.coincident_windows))]
        else:
            mask = np.stack([np.isin(codes, [periods.index(p) for p in w]).any(axis=1) for w in family.windows])
            labels = ["_".join(w) for w in family.windows]
        windows.append(DemandWindows(family, mask, labels, period))
    notes = []
    if demand and step_h > SUBSTEP_MIN / 60:
        notes.append(f"{step_h * 60:g}-min steps: demand is a {step_h * 60:g}-min average, which understates "
                     "the 15-min maximum demand the utility bills; use 15-min data for exact demand charges")
    reliable = calendar.holidays.reliable_until_year if calendar.holidays is not None else None
    if reliable is not None and index.year.max() > reliable:
        notes.append(f"holiday dates after {reliable} are projected (they depend on cabinet decisions); "
                     "pass extra off-peak dates or check the TOU calendar for those years")
    if n_sub > 1 and np.any((period_frac > 0) & (period_frac < 1)):
        notes.append("some steps straddle a TOU period boundary: their energy is split by time share and "
                     "they count towards every demand window they touch")
    return TariffGrid(index, step_h, months, period_of_step, periods, period_frac, windows, notes)


def demand_pieces(spec: DemandSpec) -> tuple[np.ndarray, np.ndarray]:
    r"""Affine pieces of a demand family: charge = :math:`\max_j (a_j + \sum_k s_{j,k} D_k)`.

    * ``sum``: one piece, :math:`s = r`;
    * ``incremental``: :math:`r_1 D_1 + r_2\max(0, D_2 - D_1) = \max(r_1 D_1,\ (r_1 - r_2) D_1 + r_2 D_2)`;
    * ``blocks`` with edges :math:`u_b` and rates :math:`r_b` (non-decreasing): piece :math:`b` is
      :math:`c_{b-1} + r_b (D - u_{b-1})` with :math:`c_b` the charge at :math:`u_b`.

    Returns
    -------
    slopes : ndarray, shape (J, K)
        [THB/kW per month], before VAT.
    intercepts : ndarray, shape (J,)
        [THB per month], before VAT.
    """
    if spec.mode == "incremental":
        r1, r2 = spec.rate_thb_per_kw
        return np.array([[r1, 0.0], [r1 - r2, r2]]), np.zeros(2)
    if spec.mode == "blocks":
        rates = np.asarray(spec.blocks.rate_thb_per_kw, dtype=float)
        lower = np.concatenate([[0.0], np.asarray(spec.blocks.upper_kw[:-1], dtype=float)])
        charge_at_lower = np.concatenate([[0.0], np.cumsum(np.diff(lower) * rates[:-1])])
        return rates[:, None], charge_at_lower - rates * lower
    n_windows = max(len(spec.windows), len(spec.coincident_windows))
    rates = spec.rate_thb_per_kw * n_windows if spec.coincident_windows else spec.rate_thb_per_kw
    return np.asarray(rates, dtype=float)[None, :], np.zeros(1)
