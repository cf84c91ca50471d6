"""Rolling-origin backtest of load forecasters, scored overall, by hour of day and by day kind.

Issue time: origins are local midnights (00:00 of the first day forecast). By default each
forecast is issued at its origin from the meter readings of the intervals before it only: for
the day-ahead horizon, the forecast of day D uses loads up to the 23:00-24:00 interval of day
D-1. With ``issue_before="12h"`` it is issued at 12:00 of D-1 instead, from the readings
before 12:00 of D-1, and the models forecast with the lead of a 36 h horizon.
Origins are one forecast horizon apart (at least one day), starting after
``min_train_days``. Each model is refitted on all data before the origin every
``refit_every_days`` (its conformal calibration uses the most recent weeks of that data) and
forecasts ``[origin, origin + horizon)``. Temperature is what a forecaster would have: by
default persistence (the observed temperature ``lead`` days earlier, the same rule in
training and forecasting, i.e. a forecast with no skill beyond persistence);
``temperature="observed"`` stands for a perfect temperature forecast (an upper bound).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import pandas as pd

from munigrid.forecasting.features import lead_days
from munigrid.forecasting.load_models import MODELS, QUANTILES, SeasonalNaive
from munigrid.forecasting.occupancy_days import DAY_OFF, SATURDAY, SUNDAY, daily_kinds
from munigrid.forecasting.skill import scores, skill
from munigrid.models.errors import InputError, Problem
from munigrid.models.timegrid import duration

BASELINE = SeasonalNaive.name


@dataclass
class BacktestResult:
    """Forecasts of every model at every origin, with the actuals, and their scores.

    ``forecasts`` is long: one row per (model, target step) with ``origin``, ``actual`` and one
    column per quantile [kW].
    """

    forecasts: pd.DataFrame
    horizon: pd.Timedelta
    quantiles: tuple[float, ...]
    issue_before: pd.Timedelta = pd.Timedelta(0)

    def _score(self, frame: pd.DataFrame) -> pd.DataFrame:
        rows = {m: scores(g["actual"].to_numpy(), {q: g[q].to_numpy() for q in self.quantiles})
                for m, g in frame.groupby("model", sort=False)}
        table = pd.DataFrame(rows).T
        if BASELINE in table.index:
            table["skill_vs_naive"] = [skill(mae, table.loc[BASELINE, "mae"]) for mae in table["mae"]]
        return table

    def table(self) -> pd.DataFrame:
        """MAE, RMSE [kW], MAPE, pinball [kW], P10-P90 coverage and skill vs seasonal naive, per model."""
        return self._score(self.forecasts)

    def by_hour(self) -> pd.DataFrame:
        """MAE [kW] per model (columns) and hour of day (rows), with the skill of each model."""
        f = self.forecasts
        mae = (f[0.5] - f["actual"]).abs().groupby([f.index.hour, f["model"]]).mean().unstack("model")
        for m in [c for c in mae.columns if c != BASELINE and BASELINE in mae.columns]:
            mae[f"skill_{m}"] = 1.0 - mae[m] / mae[BASELINE]
        mae.index.name = "hour"
        return mae

    def by_day_kind(self) -> pd.DataFrame:
        """Scores per model and occupancy day kind (:data:`DAY_KINDS`, exclusive, first match wins)."""
        f = self.forecasts
        kind = day_kind_labels(f.index)
        parts = {k: self._score(f[kind == k]) for k in DAY_KINDS if (kind == k).any()}
        return pd.concat(parts, names=["day_kind", "model"])


#: Day kinds of the scores, in order of precedence: days off (public-sector calendar with
#: substitution days), bridge days, the first working day after a day off, Saturday, Sunday, workday.
DAY_KINDS = ("day_off", "bridge", "after_day_off", "saturday", "sunday", "workday")


def day_kind_labels(index: pd.DatetimeIndex) -> np.ndarray:
    """The :data:`DAY_KINDS` label of every step."""
    days = pd.DatetimeIndex(index.normalize())
    kinds = daily_kinds(pd.DatetimeIndex(days.unique())).reindex(days)
    kind = kinds["kind"].to_numpy()
    return np.select([kind == DAY_OFF, kinds["bridge"].to_numpy() == 1, kinds["after_day_off"].to_numpy() == 1,
                      kind == SATURDAY, kind == SUNDAY], list(DAY_KINDS[:5]), DAY_KINDS[5])


def _origins(index: pd.DatetimeIndex, horizon: pd.Timedelta, min_train_days: int) -> pd.DatetimeIndex:
    first = index[0].normalize() + pd.Timedelta(days=min_train_days)
    last = index[-1] + (index[1] - index[0]) - horizon
    return pd.date_range(first, last, freq=pd.Timedelta(days=lead_days(horizon)))


def temperature_forecast(temp_air_c: pd.Series | None, horizon: pd.Timedelta,
                         mode: Literal["persistence", "observed"]) -> pd.Series | None:
    """The temperature a forecaster is given [degC]: observed ``lead`` days earlier, or observed."""
    if temp_air_c is None or mode == "observed":
        return temp_air_c
    shifted = temp_air_c.reindex(temp_air_c.index - pd.Timedelta(days=lead_days(horizon)))
    return pd.Series(shifted.to_numpy(), index=temp_air_c.index).bfill()


def rolling_origin_backtest(load_kw: pd.Series, temp_air_c: pd.Series | None = None,
                            models: Sequence[str] = tuple(MODELS), horizon: str | pd.Timedelta = "24h",
                            min_train_days: int = 28, refit_every_days: int = 28,
                            temperature: Literal["persistence", "observed"] = "persistence",
                            quantiles: tuple[float, ...] = QUANTILES,
                            issue_before: str | pd.Timedelta = "0h") -> BacktestResult:
    """Backtest load models on a metered history.

    Parameters
    ----------
    load_kw : pandas.Series
        History on a regular tz-aware grid, no gaps [kW].
    temp_air_c : pandas.Series, optional
        Outdoor temperature on the same index [degC].
    models : sequence of str
        Names in :data:`munigrid.forecasting.load_models.MODELS`; the seasonal naive baseline is always added.
    horizon : str or Timedelta
        ``24h`` (day-ahead), ``7d`` (week-ahead), ...
    min_train_days, refit_every_days : int
        First origin after this many days [day]; refit interval [day].
    temperature : {"persistence", "observed"}
        Temperature given to the models (see module docstring).
    quantiles : tuple of float
        Forecast quantiles (with 0.5).
    issue_before : str or Timedelta
        Time between the issue of a forecast and its origin, 0 to 24 h (module docstring).
    """
    horizon = duration(horizon)
    issue_before = duration(issue_before)
    problems = [Problem("models", f"unknown model {m!r}; choose from {', '.join(MODELS)}") for m in models if m not in MODELS]
    if horizon < pd.Timedelta(hours=1) or horizon > pd.Timedelta(days=14):
        problems.append(Problem("horizon", f"must be between 1h and 14d, got {horizon}"))
    span_days = (load_kw.index[-1] - load_kw.index[0]).days
    if span_days < min_train_days + lead_days(horizon):
        problems.append(Problem("history", f"covers {span_days} days; a backtest needs at least "
                                f"{min_train_days + lead_days(horizon)} (training {min_train_days} + one horizon)"))
    if not pd.Timedelta(0) <= issue_before <= pd.Timedelta(days=1):
        problems.append(Problem("issue_before", f"must be between 0h and 24h before the origin, got {issue_before}"))
    if problems:
        raise InputError(problems)
    names = [BASELINE] + [m for m in models if m != BASELINE]
    model_horizon = horizon + issue_before  # from the issue time to the end of the forecast
    temp_fc = temperature_forecast(temp_air_c, model_horizon, temperature)
    step = load_kw.index[1] - load_kw.index[0]
    fitted: dict[str, object] = {}
    last_fit: pd.Timestamp | None = None
    pieces = []
    for origin in _origins(load_kw.index, horizon, min_train_days):
        issued = origin - issue_before
        history = load_kw[load_kw.index < issued]
        if last_fit is None or origin - last_fit >= pd.Timedelta(days=refit_every_days):
            temp_hist = None if temp_fc is None else temp_fc[temp_fc.index < issued]
            fitted = {m: MODELS[m](horizon=model_horizon, quantiles=quantiles).fit(history, temp_hist) for m in names}
            last_fit = origin
        target = pd.date_range(origin, origin + horizon - step, freq=step)
        actual = load_kw.reindex(target).to_numpy()
        for name, model in fitted.items():
            pred = model.predict(target, history, temp_fc)
            pred.insert(0, "model", name)
            pred.insert(1, "origin", origin)
            pred["actual"] = actual
            pieces.append(pred)
    return BacktestResult(pd.concat(pieces), horizon, tuple(quantiles), issue_before)
