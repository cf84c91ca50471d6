"""Rolling-origin backtest of load forecasters, scored overall, by hour of day and by day kind.

Issue time: origins are local midnights (00:00 of the first day forecast). By default each
forecast is issued at its origin from the meter readings of the intervals before it only: for
the day-ahead horizon, the forecast of day D uses loads up to the 23:00-24:00 interval of day
D-1. With ``issue_before="12h"`` it is issued at 12:00 of D-1 instead, from the readings
before 12:00 of D-1, and the models forecast with the lead of a 36 h horizon.
Origins are one forecast horizon apart (at least one day), starting after
``min_train_days``. Each model is refitted on all data before the issue time every
``refit_every_days`` and forecasts ``[origin, origin + horizon)`` of every origin until the
next refit.

Calibration of the quantiles (:mod:`munigrid.forecasting.conformal`), ``calibration``:

* ``"rolling"`` (default): from the model's own raw forecasts, as issued, of the last
  ``calibration_days`` before the refit's issue time (out of sample by construction), the way
  an operator calibrates from the errors the forecaster really made; the first refit, which
  has no earlier forecasts, uses the held-out fit below. One fit per model and refit.
* ``"holdout"``: as :meth:`munigrid.forecasting.load_models.LoadForecaster.fit` does, by a
  second fit without the last ``calibration_days`` of the history (two fits per refit).

The P50 is the same either way. Speed: features depend only on the target and the horizon
(never on data at or after the issue time, :mod:`munigrid.forecasting.features`), so each
fitted model forecasts all targets of its refit period in one call (the same values as one
call per origin); the ensemble reuses the gradient-boosting and profile fits; and the refits,
independent of each other, run in ``workers`` processes (this one and ``workers - 1`` others),
the costliest first. Temperature is what a forecaster would have: by
default persistence (the observed temperature ``lead`` days earlier, the same rule in
training and forecasting, i.e. a forecast with no skill beyond persistence);
``temperature="observed"`` stands for a perfect temperature forecast (an upper bound).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from typing import Callable, Literal, Sequence

import numpy as np
import pandas as pd

from munigrid.forecasting.conformal import ConformalCalibration
from munigrid.forecasting.features import lead_days
from munigrid.forecasting.load_models import (MIN_CALIBRATION_DAYS, MODELS, QUANTILES, Ensemble, LoadForecaster,
                                              SeasonalNaive, calibrated_quantiles, day_group)
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
    fit_cpu_s: float = float("nan")  # CPU time of the fits and forecasts, summed over the processes [s]

    def _score(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Scores of each model on the targets every model forecast and that were metered (actuals
        left out, e.g. suspect readings, and forecasts missing for want of lags are skipped for all)."""
        known = frame[0.5].notna() & frame["actual"].notna()
        frame = frame[known.groupby([frame.index, frame["origin"]]).transform("all").to_numpy()]
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


#: Fewest refits worth starting worker processes for (below, one process fits them all).
MIN_PARALLEL_REFITS = 4


@dataclass(frozen=True)
class RefitBlock:
    """Origins forecast by one fit: the fit sees the history before ``issued``, the first origin's issue time."""

    issued: pd.Timestamp
    origins: pd.DatetimeIndex
    targets: pd.DatetimeIndex


def refit_blocks(origins: pd.DatetimeIndex, refit_every_days: int, issue_before: pd.Timedelta,
                 horizon: pd.Timedelta, step: pd.Timedelta) -> list[RefitBlock]:
    """Split the origins into refit periods (a refit at the first origin ``refit_every_days`` after the last one)."""
    starts = []
    for i, origin in enumerate(origins):
        if not starts or origin - origins[starts[-1]] >= pd.Timedelta(days=refit_every_days):
            starts.append(i)
    blocks = []
    for first, end in zip(starts, starts[1:] + [len(origins)]):
        chunk = origins[first:end]
        ranges = [pd.date_range(o, o + horizon - step, freq=step) for o in chunk]
        targets = ranges[0].append(ranges[1:])
        blocks.append(RefitBlock(chunk[0] - issue_before, chunk, targets))
    return blocks


def fit_uncalibrated(names: Sequence[str], horizon: pd.Timedelta, quantiles: tuple[float, ...],
                     history: pd.Series, temp_hist: pd.Series | None) -> dict[str, LoadForecaster]:
    """The models ``names`` fitted on ``history`` [kW] without calibration; the ensemble made of the
    gradient-boosting and profile fits."""
    fitted: dict[str, LoadForecaster] = {}
    needed = dict.fromkeys(list(names) + ([k.name for k in Ensemble.members] if Ensemble.name in names else []))
    for m in needed:
        if m != Ensemble.name:
            fitted[m] = MODELS[m](horizon=horizon, quantiles=quantiles, calibration_days=0).fit(history, temp_hist)
    if Ensemble.name in names:
        fitted[Ensemble.name] = Ensemble.from_fitted([fitted[k.name] for k in Ensemble.members])
    return fitted


def held_out_calibrations(names: Sequence[str], horizon: pd.Timedelta, quantiles: tuple[float, ...],
                          history: pd.Series, temp_hist: pd.Series | None) -> dict[str, ConformalCalibration | None]:
    """Each model's calibration by its own held-out fit, as :meth:`LoadForecaster.fit` makes it, with one
    fit per model and held-out period (the ensemble reuses its members' held-out fits)."""
    cuts = {m: MODELS[m](horizon=horizon, quantiles=quantiles).holdout_start(history.index) for m in names}
    calibrations: dict[str, ConformalCalibration | None] = {m: None for m in names}
    for cut in sorted({c for c in cuts.values() if c is not None}):
        group = [m for m in names if cuts[m] == cut]
        early = fit_uncalibrated(group, horizon, quantiles, history[history.index < cut],
                                 None if temp_hist is None else temp_hist[temp_hist.index < cut])
        for m in group:
            calibrations[m] = early[m].held_out_calibration(cut, history, temp_hist)
    return calibrations


def fit_block(load_kw: pd.Series, temp_fc: pd.Series | None, names: Sequence[str], horizon: pd.Timedelta,
              quantiles: tuple[float, ...], block: RefitBlock,
              holdout: bool) -> dict[str, tuple[np.ndarray, ConformalCalibration | None]]:
    """Fit every model on the history before ``block.issued``; raw quantiles of the block's targets [kW].

    The models are fitted uncalibrated, once, and the ensemble is made of the gradient-boosting
    and profile fits; with ``holdout`` each model is also calibrated by its own held-out fit
    (the calibration is returned beside the raw forecasts).
    """
    history = load_kw[load_kw.index < block.issued]
    temp_hist = None if temp_fc is None else temp_fc[temp_fc.index < block.issued]
    fitted = fit_uncalibrated(names, horizon, quantiles, history, temp_hist)
    calibrations = (held_out_calibrations(names, horizon, quantiles, history, temp_hist) if holdout
                    else dict.fromkeys(names))
    # features never read data at or after a target's issue time, so the whole series can be passed
    return {m: (fitted[m]._raw(block.targets, load_kw, temp_fc), calibrations[m]) for m in names}


def _timed_fit_block(*task) -> tuple[dict, float]:
    """:func:`fit_block` and the CPU time it took in its process [s]."""
    cpu = time.process_time()
    out = fit_block(*task)
    return out, time.process_time() - cpu


def task_order(tasks: list[tuple]) -> list[int]:
    """Task positions, the costliest first: held-out fits (two per model), then the longest histories.

    A refit's cost is mostly the fixed number of boosting iterations, so a held-out fit on a
    short history costs more than a single fit on the longest one (about 7 s against 4.5 s
    CPU for a building-year); the order keeps a costly task from finishing last.
    """
    return sorted(range(len(tasks)), key=lambda i: (not tasks[i][-1], -tasks[i][5].issued.value))


def _fit_blocks(tasks: list[tuple], workers: int, progress: Callable[[int], None]) -> tuple[list[dict], float]:
    """:func:`fit_block` of every task (in ``workers`` processes when > 1), in task order, and their CPU time [s].

    With ``workers`` > 1, ``workers - 1`` worker processes and this process take the tasks of
    :func:`task_order` in turn: every task is queued in the pool, and this process runs each
    one the pool has not started yet (cancelled there), so no core waits for a worker to start.
    """
    done: list[dict | None] = [None] * len(tasks)
    cpu_s = 0.0
    if workers <= 1:
        for i, task in enumerate(tasks):
            done[i], cpu = _timed_fit_block(*task)
            cpu_s += cpu
            progress(i)
        return done, cpu_s
    method = "forkserver" if "forkserver" in get_all_start_methods() else "spawn"
    context = get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["munigrid.forecasting.backtest"])  # sklearn imported once, then forked
    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=context) as pool:
        futures = {i: pool.submit(_timed_fit_block, *tasks[i]) for i in task_order(tasks)}
        for i, future in futures.items():
            if future.cancel():  # not started by a worker: run it here
                done[i], cpu = _timed_fit_block(*tasks[i])
                cpu_s += cpu
                progress(i)
        running = {future: i for i, future in futures.items() if not future.cancelled()}
        for future in as_completed(running):
            i = running[future]
            done[i], cpu = future.result()
            cpu_s += cpu
            progress(i)
    return done, cpu_s


def rolling_calibration(targets: pd.DatetimeIndex, actual: np.ndarray, raw: np.ndarray, issued: pd.Timestamp,
                        calibration_days: int, quantiles: tuple[float, ...]) -> ConformalCalibration | None:
    """Calibration from the raw forecasts [kW] of the targets in the ``calibration_days`` before ``issued``.

    None when those forecasts cover less than :data:`~munigrid.forecasting.load_models.MIN_CALIBRATION_DAYS`
    days or ``calibration_days`` is 0.
    """
    window = (targets < issued) & (targets >= issued - pd.Timedelta(days=calibration_days))
    covered_days = len(np.unique(targets[window].normalize()))
    if calibration_days == 0 or covered_days < MIN_CALIBRATION_DAYS:
        return None
    return ConformalCalibration.fit(actual[window], raw[window], quantiles, day_group(targets[window]))


def rolling_origin_backtest(load_kw: pd.Series, temp_air_c: pd.Series | None = None,
                            models: Sequence[str] = tuple(MODELS), horizon: str | pd.Timedelta = "24h",
                            min_train_days: int = 28, refit_every_days: int = 28,
                            temperature: Literal["persistence", "observed"] = "persistence",
                            quantiles: tuple[float, ...] = QUANTILES,
                            issue_before: str | pd.Timedelta = "0h",
                            calibration: Literal["rolling", "holdout"] = "rolling",
                            workers: int | None = None,
                            progress: Callable[[int, int], None] | None = None) -> BacktestResult:
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
    calibration : {"rolling", "holdout"}
        How the quantiles are calibrated (module docstring).
    workers : int, optional
        Processes fitting the refits, this one included (default: one per CPU when there are at
        least :data:`MIN_PARALLEL_REFITS` refits); 1 fits them all in this process.
    progress : callable, optional
        Called as ``progress(origins_done, origins_total)`` after each refit period is forecast.
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
    if calibration not in ("rolling", "holdout"):
        problems.append(Problem("calibration", f"must be 'rolling' or 'holdout', got {calibration!r}"))
    if workers is not None and not (isinstance(workers, int) and workers >= 1):
        problems.append(Problem("workers", f"must be an integer >= 1, got {workers!r}"))
    if problems:
        raise InputError(problems)
    names = [BASELINE] + [m for m in models if m != BASELINE]
    model_horizon = horizon + issue_before  # from the issue time to the end of the forecast
    temp_fc = temperature_forecast(temp_air_c, model_horizon, temperature)
    step = load_kw.index[1] - load_kw.index[0]
    blocks = refit_blocks(_origins(load_kw.index, horizon, min_train_days), refit_every_days, issue_before,
                          horizon, step)
    if workers is None:
        workers = min(os.cpu_count() or 1, len(blocks)) if len(blocks) >= MIN_PARALLEL_REFITS else 1
    tasks = [(load_kw, temp_fc, names, model_horizon, tuple(quantiles), block, calibration == "holdout" or i == 0)
             for i, block in enumerate(blocks)]
    total, finished = sum(len(b.origins) for b in blocks), []

    def tick(i: int) -> None:
        finished.append(len(blocks[i].origins))
        if progress is not None:
            progress(sum(finished), total)

    fits, fit_cpu_s = _fit_blocks(tasks, workers, tick)
    targets = blocks[0].targets.append([b.targets for b in blocks[1:]])
    origin = blocks[0].origins.append([b.origins for b in blocks[1:]]).repeat(len(blocks[0].targets) // len(blocks[0].origins))
    actual = load_kw.reindex(targets).to_numpy()
    pieces = []
    for name in names:
        raw = np.concatenate([fit[name][0] for fit in fits])
        frames, start = [], 0
        for block, fit in zip(blocks, fits):
            rows = slice(start, start + len(block.targets))
            calib = fit[name][1] if fit[name][1] is not None or calibration == "holdout" else rolling_calibration(
                targets[:rows.start], actual[:rows.start], raw[:rows.start], block.issued,
                MODELS[name].default_calibration_days, tuple(quantiles))
            frames.append(calibrated_quantiles(raw[rows], calib, block.targets, tuple(quantiles)))
            start = rows.stop
        pred = pd.concat(frames)
        pred.insert(0, "model", name)
        pred.insert(1, "origin", origin)
        pred["actual"] = actual
        pieces.append(pred)
    forecasts = pd.concat(pieces).sort_values("origin", kind="stable")
    return BacktestResult(forecasts, horizon, tuple(quantiles), issue_before, fit_cpu_s)
