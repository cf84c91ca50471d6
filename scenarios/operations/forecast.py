r"""Forecasts of load and PV for a planning horizon, from what is known at the issue time.

Load: a model of :mod:`munigrid.forecasting.load_models` (default ``ensemble``, the forecasting
package's best measured: gradient-boosting and profile-scaling quantiles averaged, calibrated
by split-conformal calibration) fitted on the metered history *before the issue time*. Its lead is the
time from the first unmetered step to the end of the horizon, so no lagged feature reads a
value that is not yet metered.

PV: the median (P50) is either

* ``"weather"``: the PV chain on the weather forecast (a file, else the scenario's weather,
  which for the bundled scenario is also the weather the actuals come from, so the PV
  forecast is then exact and the file header says so), or
* ``"recent_days"``: the median, for each time of day, of the PV actually produced on the
  last :data:`RECENT_DAYS` whole days before the issue time (no weather forecast needed).

The P10 and P90 of PV add the spread of those recent days around their median, per time of
day:

.. math:: PV_{q,t} = \max\big(0,\ PV_{50,t} + Q_q(PV_{d,h(t)}) - Q_{0.5}(PV_{d,h(t)})\big)

over recent days :math:`d` at the time of day :math:`h(t)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from munigrid.forecasting.load_models import MODELS, LoadForecaster
from munigrid.models.errors import InputError, Problem
from munigrid.scenarios.operations.forecaster_cache import ForecasterCache
from munigrid.scenarios.operations.site import OperationsSite

QUANTILES = (0.1, 0.5, 0.9)
COLUMNS = ("p10", "p50", "p90")
#: Least metered history before the issue time [day].
MIN_HISTORY_DAYS = 14
#: Most time between the last metered value and the issue time [day]; older history is an error.
MAX_STALE_DAYS = 7
#: Whole days of PV actuals behind the PV spread and the ``recent_days`` median [day].
RECENT_DAYS = 14
DEFAULT_LOAD_MODEL = "ensemble"
PVMethod = Literal["weather", "recent_days"]


@dataclass
class HorizonForecast:
    """Load and PV forecasts for one horizon, columns ``p10``, ``p50``, ``p90`` [kW].

    Attributes
    ----------
    load_kw, pv_kw : pandas.DataFrame
        Quantile forecasts on the horizon's index [kW], P10 <= P50 <= P90.
    load_model, pv_method : str
        How they were made.
    notes : list of str
        Fallbacks applied (stale history, weather not covering the horizon, ...).
    weather : DataFrame or None
        The weather the forecasts used on the horizon (the flexible loads' outdoor temperature
        and sun; None: the site's weather).
    """

    load_kw: pd.DataFrame
    pv_kw: pd.DataFrame
    load_model: str
    pv_method: str
    notes: list[str] = field(default_factory=list)
    weather: pd.DataFrame | None = None


def metered_history(site: OperationsSite, issue_time: pd.Timestamp) -> tuple[pd.Series, list[str]]:
    """Metered load before ``issue_time`` [kW] and notes; raises when it cannot support a forecast.

    Raises
    ------
    InputError
        Less than :data:`MIN_HISTORY_DAYS` of history, or none within :data:`MAX_STALE_DAYS`.
    """
    history = site.load_kw[site.index < issue_time].dropna()
    step = pd.Timedelta(hours=site.step_h)
    if history.empty:
        raise InputError(f"no metered load before the issue time {issue_time.isoformat()} ({site.history_source}); "
                         "give --history FILE covering the days before", "history")
    span = history.index[-1] + step - history.index[0]
    problems = []
    if span < pd.Timedelta(days=MIN_HISTORY_DAYS):
        problems.append(Problem("history", f"covers {span} before the issue time {issue_time.isoformat()}; "
                                           f"a forecast needs at least {MIN_HISTORY_DAYS} days"))
    stale = issue_time - (history.index[-1] + step)
    if stale > pd.Timedelta(days=MAX_STALE_DAYS):
        problems.append(Problem("history", f"ends at {history.index[-1].isoformat()}, {stale} before the issue "
                                           f"time; give metered data up to at most {MAX_STALE_DAYS} days before it"))
    if problems:
        raise InputError(problems)
    notes = []
    if stale > pd.Timedelta(0):
        notes.append(f"metered history ends {stale} before the issue time ({history.index[-1].isoformat()}): "
                     "the load forecast uses a longer lead")
    return history, notes


def forecast_weather(site: OperationsSite, index: pd.DatetimeIndex, n_committed: int,
                     weather: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """Weather for the horizon: the forecast file's, with the site's weather beyond its end.

    Raises
    ------
    InputError
        The forecast does not cover the committed day.
    """
    if weather is None:
        return site.weather.reindex(index), []
    on_grid = weather.reindex(index)
    missing = on_grid.isna().any(axis=1).to_numpy()
    if missing[:n_committed].any():
        first = index[int(np.argmax(missing[:n_committed]))]
        raise InputError(f"the weather forecast does not cover the planned day: {int(missing[:n_committed].sum())} "
                         f"of its {n_committed} steps are missing (first {first.isoformat()}); give a forecast "
                         f"from {index[0].isoformat()} at the scenario's step", "--weather-forecast")
    notes = []
    if missing.any():
        on_grid = on_grid.fillna(site.weather.reindex(index))
        notes.append(f"weather forecast ends before the look-ahead does: {int(missing.sum())} look-ahead steps "
                     "use the scenario's weather")
    return on_grid, notes


def fit_load_model(site: OperationsSite, history: pd.Series, index: pd.DatetimeIndex,
                   model: str = DEFAULT_LOAD_MODEL, cache: ForecasterCache | None = None) -> LoadForecaster:
    """Fit ``model`` on ``history`` with the lead that forecasting ``index`` from it needs.

    With ``cache``, a model fitted earlier on the same history and settings is reused
    (:mod:`.forecaster_cache`).
    """
    if model not in MODELS:
        raise InputError(f"unknown load model {model!r}; choose from {', '.join(MODELS)}", "--load-model")
    step = pd.Timedelta(hours=site.step_h)
    horizon = index[-1] + step - (history.index[-1] + step)
    temp = site.temp_air_c.reindex(history.index)

    def fit() -> LoadForecaster:
        return MODELS[model](horizon=horizon, quantiles=QUANTILES).fit(history, temp)

    return fit() if cache is None else cache.fitted(model, horizon, QUANTILES, history, temp, fit)


def load_quantiles(model: LoadForecaster, history: pd.Series, index: pd.DatetimeIndex,
                   temp_air_c: pd.Series) -> pd.DataFrame:
    """P10/P50/P90 load [kW] on ``index`` from a fitted model."""
    pred = model.predict(index, history, temp_air_c)
    return pd.DataFrame(pred.to_numpy(), index=index, columns=list(COLUMNS))


def recent_pv_days(site: OperationsSite, issue_time: pd.Timestamp) -> np.ndarray:
    """Actual PV of the last :data:`RECENT_DAYS` whole days before ``issue_time``, shape (days, steps per day) [kW]."""
    per_day = int(round(24 / site.step_h))
    end = issue_time.normalize()
    pv = site.pv_kw()
    recent = pv[(pv.index >= end - pd.Timedelta(days=RECENT_DAYS)) & (pv.index < end)].to_numpy()
    if recent.size < per_day:
        raise InputError(f"no whole day of PV before {end.isoformat()} on the site's grid", "history")
    return recent[: recent.size // per_day * per_day].reshape(-1, per_day)


def pv_quantiles(site: OperationsSite, issue_time: pd.Timestamp, index: pd.DatetimeIndex, weather: pd.DataFrame,
                 method: PVMethod, from_file: bool) -> pd.DataFrame:
    """P10/P50/P90 PV [kW] on ``index`` (module equation)."""
    days = recent_pv_days(site, issue_time)
    per_day = days.shape[1]
    slot = ((index.hour * 60 + index.minute) // int(round(site.step_h * 60))).to_numpy() % per_day
    q = np.quantile(days, QUANTILES, axis=0)  # (3, steps per day)
    if method == "recent_days":
        median = q[1, slot]
    elif from_file:
        median = site.pv_kw(site.pv_model(weather)).to_numpy()
    else:
        median = site.pv_kw().reindex(index).to_numpy()
    values = np.maximum(median[None, :] + q[:, slot] - q[1, slot], 0.0)
    return pd.DataFrame(np.sort(values, axis=0).T, index=index, columns=list(COLUMNS))


def forecast_horizon(site: OperationsSite, issue_time: pd.Timestamp, index: pd.DatetimeIndex, n_committed: int, *,
                     load_model: str = DEFAULT_LOAD_MODEL, pv_method: PVMethod = "weather",
                     weather: pd.DataFrame | None = None,
                     fitted: LoadForecaster | None = None,
                     cache: ForecasterCache | None = None) -> tuple[HorizonForecast, LoadForecaster]:
    """Load and PV quantile forecasts for ``index``, issued at ``issue_time``.

    Parameters
    ----------
    site : OperationsSite
        The building, its metered history and PV.
    issue_time : Timestamp
        When the forecast is made: only metered values before it are used.
    index : DatetimeIndex
        The horizon.
    n_committed : int
        Steps of the committed day at the start of ``index`` (a weather forecast must cover them).
    load_model : str
        Name in :data:`munigrid.forecasting.load_models.MODELS`.
    pv_method : {"weather", "recent_days"}
        Source of the PV median (module docstring).
    weather : DataFrame, optional
        Weather forecast (munigrid weather columns); default the scenario's weather.
    fitted : LoadForecaster, optional
        A model fitted earlier with the same lead, reused instead of refitting.
    cache : ForecasterCache, optional
        Fitted models by history and settings (:mod:`.forecaster_cache`), used when ``fitted`` is not given.

    Returns
    -------
    (HorizonForecast, LoadForecaster)
        The forecasts and the fitted load model (for reuse).
    """
    history, notes = metered_history(site, issue_time)
    horizon_weather, weather_notes = forecast_weather(site, index, n_committed, weather)
    notes += weather_notes
    model = fitted if fitted is not None else fit_load_model(site, history, index, load_model, cache)
    load = load_quantiles(model, history, index, horizon_weather["temp_air_c"])
    pv = pv_quantiles(site, issue_time, index, horizon_weather, pv_method, from_file=weather is not None)
    if pv_method == "weather" and weather is None:
        notes.append("no weather forecast given: PV P50 from the scenario's weather, the same weather the PV actuals "
                     "come from (a perfect PV forecast); give --weather-forecast FILE or --pv-forecast recent-days")
    return HorizonForecast(load, pv, model.name, pv_method, notes, horizon_weather), model
