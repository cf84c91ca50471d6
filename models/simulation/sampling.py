r"""Samples of load and PV years as maps from simulated days to source days.

A sample never materialises its T-step series: it is a row of ``day_map`` (source day of
each simulated day) and a load scale. The kernels read, for step :math:`h` of day :math:`d`
of sample :math:`s`,

.. math::

    L_{s,t} = \max\big(0,\ \bar L_t + \lambda_s\, \tilde L_{\,\delta_{s,d} N + h}\big), \qquad
    PV_{s,t} = P_{kWp} \max\big(0,\ \overline{pv}_t + \widetilde{pv}_{\,\delta_{s,d} N + h}\big)

with :math:`N` steps per day and :math:`t = dN + h`. Two sources fill these arrays:

* **block bootstrap** (:meth:`SampleSource.bootstrap`): :math:`\bar L = \overline{pv} = 0`
  and :math:`\tilde L, \widetilde{pv}` are history (one or more weather years of load and
  PV per kWp, measured together so their correlation is kept), or several modelled weather
  years on the simulated calendar (:meth:`SampleSource.stacked_years`);
* **forecast residuals** (:meth:`SampleSource.residuals`): :math:`\bar L, \overline{pv}` are
  the forecast and :math:`\tilde L, \widetilde{pv}` past forecast errors (actual - forecast).

:func:`day_block_bootstrap` draws blocks of consecutive days whose start is shifted by whole
weeks (so weekdays stay weekdays) within a seasonal window, from any of the source years.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from munigrid.models.errors import Problem
from munigrid.models.simulation.validation import as_series, raise_if

DAYS_PER_SOURCE_YEAR = 364  # 52 whole weeks: moving by it keeps the weekday


@dataclass(frozen=True)
class SampleSource:
    """Arrays the sampled series are built from (see the module equation).

    Attributes
    ----------
    base_load_kw : ndarray, shape (T,)
        :math:`\\bar L` [kW].
    source_load_kw : ndarray, shape (T_src,)
        :math:`\\tilde L` [kW].
    base_pv_kw_per_kwp : ndarray, shape (T,)
        :math:`\\overline{pv}` [kW/kWp].
    source_pv_kw_per_kwp : ndarray, shape (T_src,)
        :math:`\\widetilde{pv}` [kW/kWp].
    steps_per_day : int
        :math:`N`.
    year_stride_days : int
        Days from one source year to the next: 364 (52 weeks) for a continuous history, so
        a shift by whole years keeps the weekday; the simulated length for stacked years.
    """

    base_load_kw: np.ndarray
    source_load_kw: np.ndarray
    base_pv_kw_per_kwp: np.ndarray
    source_pv_kw_per_kwp: np.ndarray
    steps_per_day: int
    year_stride_days: int = DAYS_PER_SOURCE_YEAR

    @property
    def n_days(self) -> int:
        """Simulated days."""
        return self.base_load_kw.size // self.steps_per_day

    @property
    def n_source_days(self) -> int:
        """Days of source data."""
        return self.source_load_kw.size // self.steps_per_day

    @classmethod
    def bootstrap(cls, history_load_kw, history_pv_kw_per_kwp, *, n_steps: int, step_h: float) -> SampleSource:
        """Resample measured days: history of load [kW] and PV per kWp [kW/kWp], whole days.

        Day 0 of the history must fall on the same weekday as day 0 of the simulated grid.
        """
        steps_per_day = _steps_per_day(step_h)
        problems: list[Problem] = []
        load = as_series(history_load_kw, "history_load_kw", problems)
        pv = as_series(history_pv_kw_per_kwp, "history_pv_kw_per_kwp", problems, length=load.size)
        problems += _whole_days("history_load_kw", load.size, steps_per_day)
        problems += _whole_days("n_steps", n_steps, steps_per_day)
        raise_if(problems)
        zeros = np.zeros(n_steps)
        return cls(zeros, load, zeros.copy(), pv, steps_per_day)

    @classmethod
    def stacked_years(cls, loads_kw, pvs_kw_per_kwp, *, step_h: float) -> SampleSource:
        """Resample days of several modelled years, each on the simulated calendar (same dates).

        ``loads_kw`` and ``pvs_kw_per_kwp`` are lists of equal-length series [kW, kW/kWp], one
        per weather year (e.g. synthetic weather with different seeds); the simulated grid
        has the same length.
        """
        steps_per_day = _steps_per_day(step_h)
        problems: list[Problem] = []
        if len(loads_kw) == 0 or len(loads_kw) != len(pvs_kw_per_kwp):
            problems.append(Problem("years", "give one load and one PV series per year, at least one year"))
            raise_if(problems)
        n_steps = np.size(loads_kw[0])
        loads = [as_series(x, f"loads_kw[{i}]", problems, length=n_steps) for i, x in enumerate(loads_kw)]
        pvs = [as_series(x, f"pvs_kw_per_kwp[{i}]", problems, length=n_steps) for i, x in enumerate(pvs_kw_per_kwp)]
        problems += _whole_days("loads_kw[0]", n_steps, steps_per_day)
        raise_if(problems)
        zeros = np.zeros(n_steps)
        return cls(zeros, np.concatenate(loads), zeros.copy(), np.concatenate(pvs), steps_per_day,
                   n_steps // steps_per_day)

    @classmethod
    def residuals(cls, forecast_load_kw, forecast_pv_kw_per_kwp, residual_load_kw, residual_pv_kw_per_kwp, *,
                  step_h: float) -> SampleSource:
        """Forecast [kW, kW/kWp] plus resampled days of past forecast errors (actual - forecast)."""
        steps_per_day = _steps_per_day(step_h)
        problems: list[Problem] = []
        base_load = as_series(forecast_load_kw, "forecast_load_kw", problems)
        base_pv = as_series(forecast_pv_kw_per_kwp, "forecast_pv_kw_per_kwp", problems, length=base_load.size)
        res_load = as_series(residual_load_kw, "residual_load_kw", problems, nonnegative=False)
        res_pv = as_series(residual_pv_kw_per_kwp, "residual_pv_kw_per_kwp", problems, length=res_load.size,
                           nonnegative=False)
        problems += _whole_days("forecast_load_kw", base_load.size, steps_per_day)
        problems += _whole_days("residual_load_kw", res_load.size, steps_per_day)
        raise_if(problems)
        return cls(base_load, res_load, base_pv, res_pv, steps_per_day)


def _steps_per_day(step_h: float) -> int:
    if step_h not in (0.25, 1.0):
        raise_if([Problem("step_h", f"must be 0.25 or 1.0 h, got {step_h!r}")])
    return int(round(24 / step_h))


def _whole_days(path: str, n_steps: int, steps_per_day: int) -> list[Problem]:
    if n_steps == 0 or n_steps % steps_per_day:
        return [Problem(path, f"must cover whole days ({steps_per_day} steps each), got {n_steps} steps")]
    return []


def day_block_bootstrap(n_samples: int, n_days: int, n_source_days: int, *, block_days: int = 7,
                        season_window_weeks: int = 3, year_stride_days: int = DAYS_PER_SOURCE_YEAR,
                        seed: int | None = 0) -> np.ndarray:
    r"""Source day of every simulated day, by a seasonal moving-block bootstrap.

    Simulated days :math:`[b, b + B)` (block length :math:`B`) come from source days
    :math:`[\beta, \beta + B)` with :math:`\beta = (b \bmod Y) + Y y + 7 w`, year stride
    :math:`Y` (364 days for a continuous history), year :math:`y` uniform over the whole
    source years and week shift :math:`w` uniform in :math:`[-W, W]`, then moved by whole
    weeks into that source year. Weekdays are kept; holidays and leap days are not aligned.

    Parameters
    ----------
    n_samples, n_days, n_source_days : int
        Samples S, simulated days D, days of source data.
    block_days : int
        :math:`B` [days], >= 1; longer blocks keep multi-day weather spells.
    season_window_weeks : int
        :math:`W` [weeks], >= 0.
    year_stride_days : int
        :math:`Y` [days], >= ``block_days + 7``.
    seed : int or None
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    ndarray of int64, shape (S, D)
    """
    problems = []
    if n_samples < 1:
        problems.append(Problem("samples", f"must be >= 1, got {n_samples}"))
    if not 1 <= block_days <= min(n_days, n_source_days):
        problems.append(Problem("block_days", f"must be in [1, {min(n_days, n_source_days)}], got {block_days}"))
    if season_window_weeks < 0:
        problems.append(Problem("season_window_weeks", f"must be >= 0, got {season_window_weeks}"))
    if year_stride_days < 7 + block_days:
        problems.append(Problem("year_stride_days", f"must be >= block_days + 7 = {block_days + 7}, "
                                                    f"got {year_stride_days}"))
    if n_source_days < 7 + block_days:
        problems.append(Problem("history", f"needs at least {7 + block_days} days, got {n_source_days}"))
    raise_if(problems)
    rng = np.random.default_rng(seed)
    starts = np.arange(0, n_days, block_days)
    n_years = max(1, n_source_days // year_stride_days)
    year = rng.integers(0, n_years, size=(n_samples, starts.size))
    week = rng.integers(-season_window_weeks, season_window_weeks + 1, size=(n_samples, starts.size))
    beta = (starts[None, :] % year_stride_days) + year_stride_days * year + 7 * week
    lower = year_stride_days * year
    upper = np.minimum(lower + year_stride_days, n_source_days) - block_days
    beta = np.where(beta < lower, beta + 7 * -((beta - lower) // 7), beta)
    beta = np.where(beta > upper, beta - 7 * -((upper - beta) // 7), beta)
    offsets = np.arange(n_days) - np.repeat(starts, block_days)[:n_days]
    return np.repeat(beta, block_days, axis=1)[:, :n_days] + offsets[None, :]
