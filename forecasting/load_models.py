r"""Load forecasting models with P10/P50/P90 quantiles, one interface, chosen from a registry.

* :class:`SeasonalNaive` -- the same time one week earlier (:math:`\hat y_t = y_{t-7d}`; two
  weeks for horizons beyond a week); the baseline every skill is measured against.
* :class:`CalendarRegression` -- ridge regression on hour x occupancy day kind (working day,
  Saturday, Sunday, day off; :mod:`munigrid.forecasting.occupancy_days`), hour x day after a
  day off, bridge days, month, and cooling degrees :math:`\max(T - 25, 0)` split into
  occupied and other hours. Calendar and temperature only: no lagged load.
* :class:`ProfileScaling` -- the shape of the last 8 days of the target's kind scaled by the
  level of the last 3 (``profile_scaled`` in :mod:`munigrid.forecasting.features`), with a
  Saturday regime and a factor for the first working day after a day off (learnt from the history).
* :class:`GradientBoostingQuantiles` -- scikit-learn histogram gradient boosting, one model
  per quantile (pinball loss), on every feature of :mod:`munigrid.forecasting.features`.
* :class:`Ensemble` -- the mean of the gradient-boosting and profile-scaling quantiles (the
  profile member alone on the first working day after a day off).

Quantiles: the naive, regression and profile models add empirical quantiles of their
residuals (by hour of day, separately for working and other days) to the point forecast.
Every model except the baseline then calibrates its quantiles by split-conformal
calibration (:mod:`munigrid.forecasting.conformal`) on the last ``calibration_days`` of the
history: the model is fitted without those days, forecasts them with the forecast lead, the
calibration factors are learnt from those forecasts, and the model is refitted on the whole
history. Quantiles are clipped at 0 and sorted so that P10 <= P50 <= P90.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from threadpoolctl import threadpool_limits

from munigrid.forecasting.conformal import ConformalCalibration
from munigrid.forecasting.features import FEATURE_COLUMNS, build_features, calendar_features
from munigrid.forecasting.occupancy_days import N_KINDS, SATURDAY, WORKDAY, day_kind
from munigrid.models.errors import InputError, Problem
from munigrid.models.timegrid import duration

QUANTILES = (0.1, 0.5, 0.9)
COOLING_BASE_C = 25.0  # assumption: Thai air-conditioning load rises above about 25 degC
#: Default held-out recent period for the conformal calibration [day].
CALIBRATION_DAYS = 35
#: Least history left for fitting when holding out the calibration period [day].
MIN_FIT_DAYS = 14
#: Shortest calibration period worth using; with less history the raw quantiles are kept [day].
MIN_CALIBRATION_DAYS = 7
#: Features used by the profile rules only, not by gradient boosting (they repeat its other features).
PROFILE_ONLY_COLUMNS = ("kind_level",)
#: Weight of the Saturday-to-working-day ratio in a Saturday's level (:class:`ProfileScaling`) [-].
SATURDAY_REGIME_WEIGHT = 0.5
#: Prior days (at factor 1) shrinking the after-day-off factor of :class:`ProfileScaling` [day].
AFTER_OFF_PRIOR_DAYS = 3.0


def day_group(index: pd.DatetimeIndex) -> np.ndarray:
    """0 on working days, 1 on Saturdays, Sundays and days off (occupancy calendar)."""
    return (day_kind(index) != WORKDAY).astype(np.int8)


def calibrated_quantiles(raw: np.ndarray, calibration: ConformalCalibration | None, index: pd.DatetimeIndex,
                         quantiles: tuple[float, ...]) -> pd.DataFrame:
    """Raw quantile forecasts ``(len(index), len(quantiles))`` [kW] calibrated (if given), clipped at 0 and sorted."""
    if calibration is not None:
        raw = calibration.apply(raw, day_group(index))
    return pd.DataFrame(np.sort(np.clip(raw, 0.0, None), axis=1), index=index, columns=list(quantiles))


class LoadForecaster(ABC):
    """Fit on a load history, then forecast quantiles for target steps after the history.

    Parameters
    ----------
    horizon : pandas.Timedelta
        Time from the end of the history to the end of the forecast; sets the lead of lagged features.
    quantiles : tuple of float
        Forecast quantiles; must include 0.5.
    calibration_days : int, optional
        Recent days held out for the conformal calibration [day]; 0 keeps raw quantiles.
        Default :data:`CALIBRATION_DAYS` (0 for the baseline).
    """

    name: ClassVar[str]
    default_calibration_days: ClassVar[int] = CALIBRATION_DAYS

    def __init__(self, horizon: pd.Timedelta = pd.Timedelta(hours=24), quantiles: tuple[float, ...] = QUANTILES,
                 calibration_days: int | None = None):
        self.horizon = duration(horizon)
        self.quantiles = tuple(float(q) for q in quantiles)
        problems = []
        if 0.5 not in self.quantiles or not all(0.0 < q < 1.0 for q in self.quantiles):
            problems.append(Problem("quantiles", f"need 0.5 and values strictly between 0 and 1, got {quantiles}"))
        days = self.default_calibration_days if calibration_days is None else calibration_days
        if days < 0:
            problems.append(Problem("calibration_days", f"must be >= 0 days, got {days}"))
        if problems:
            raise InputError(problems)
        self.calibration_days = int(days)
        self.calibration: ConformalCalibration | None = None

    @abstractmethod
    def _fit(self, load_kw: pd.Series, temp_air_c: pd.Series | None) -> None:
        """Learn the model's parameters from a history [kW] (and temperature [degC])."""

    @abstractmethod
    def point(self, index: pd.DatetimeIndex, load_kw: pd.Series, temp_air_c: pd.Series | None) -> np.ndarray:
        """Point (P50) forecast [kW] for ``index`` from the history ``load_kw`` before it."""

    def holdout_start(self, index: pd.DatetimeIndex) -> pd.Timestamp | None:
        """Start of the held-out calibration period of a history on ``index``; None when too short to hold out."""
        span_days = (index[-1] - index[0]) // pd.Timedelta(days=1)
        holdout = min(self.calibration_days, span_days - MIN_FIT_DAYS)
        return index[-1].normalize() - pd.Timedelta(days=holdout - 1) if holdout >= MIN_CALIBRATION_DAYS else None

    def held_out_calibration(self, cut: pd.Timestamp, load_kw: pd.Series,
                             temp_air_c: pd.Series | None) -> ConformalCalibration:
        """Calibration from this model, fitted on the history before ``cut``, forecasting the history from ``cut`` on."""
        held_out = load_kw.index >= cut
        target = load_kw.index[held_out]
        return ConformalCalibration.fit(load_kw.to_numpy()[held_out], self._raw(target, load_kw, temp_air_c),
                                        self.quantiles, day_group(target))

    def fit(self, load_kw: pd.Series, temp_air_c: pd.Series | None = None) -> "LoadForecaster":
        """Learn from a history [kW] (and temperature [degC] on the same index), calibrating the quantiles."""
        self.calibration = None
        cut = self.holdout_start(load_kw.index)
        if cut is not None:
            self._fit(load_kw[load_kw.index < cut], None if temp_air_c is None else temp_air_c[temp_air_c.index < cut])
            self.calibration = self.held_out_calibration(cut, load_kw, temp_air_c)
        self._fit(load_kw, temp_air_c)
        return self

    def predict(self, index: pd.DatetimeIndex, load_kw: pd.Series, temp_air_c: pd.Series | None = None) -> pd.DataFrame:
        """Quantile forecasts [kW], one column per quantile, calibrated and sorted across quantiles."""
        return calibrated_quantiles(self._raw(index, load_kw, temp_air_c), self.calibration, index, self.quantiles)

    def _raw(self, index, load_kw, temp_air_c) -> np.ndarray:
        """Uncalibrated quantiles ``(len(index), len(quantiles))`` [kW], clipped at 0 and sorted."""
        return np.sort(np.clip(self._quantiles(index, load_kw, temp_air_c), 0.0, None), axis=1)

    def _quantiles(self, index, load_kw, temp_air_c) -> np.ndarray:
        point = self.point(index, load_kw, temp_air_c)
        keys = pd.MultiIndex.from_arrays([day_group(index), index.hour])
        offsets = self._residual_q.reindex(keys).fillna(0.0).to_numpy()
        return point[:, None] + offsets

    def _learn_residuals(self, actual: pd.Series, point: np.ndarray) -> None:
        """Residual quantiles [kW] by (working or other day, hour of day); the median offset is 0."""
        resid = pd.Series(actual.to_numpy() - point, index=actual.index).dropna()
        keys = [day_group(resid.index), resid.index.hour]
        table = pd.DataFrame({q: resid.groupby(keys).quantile(q) for q in self.quantiles})
        table[0.5] = 0.0
        self._residual_q = table


class SeasonalNaive(LoadForecaster):
    """Same time one week earlier (two weeks beyond a one-week horizon)."""

    name = "seasonal_naive"
    default_calibration_days = 0

    @property
    def lag_days(self) -> int:
        return 7 * int(np.ceil(self.horizon / pd.Timedelta(days=7)))

    def point(self, index, load_kw, temp_air_c):
        return load_kw.reindex(index - pd.Timedelta(days=self.lag_days)).to_numpy()

    def _fit(self, load_kw, temp_air_c):
        self._learn_residuals(load_kw, self.point(load_kw.index, load_kw, None))


class CalendarRegression(LoadForecaster):
    """Ridge regression on hour x day kind, day after a day off, bridge days, month and cooling degrees."""

    name = "calendar_regression"

    def _design(self, index: pd.DatetimeIndex, temp_air_c: pd.Series | None) -> np.ndarray:
        feats = calendar_features(index, temp_air_c)
        rows = np.arange(len(index))
        hour = feats["hour"].to_numpy().astype(int)
        kind = feats["day_kind"].to_numpy()
        cells = np.zeros((len(index), N_KINDS * 24))
        cells[rows, kind * 24 + hour] = 1.0
        after_off = np.zeros((len(index), 24))
        after_off[rows, hour] = feats["after_day_off"].to_numpy()
        month = np.zeros((len(index), 12))
        month[rows, feats["month"].to_numpy() - 1] = 1.0
        temp = feats["temp_air_c"].fillna(self._temp_fill).to_numpy()
        cdd = np.maximum(temp - COOLING_BASE_C, 0.0)
        occupied = (kind == WORKDAY) & (hour >= 8) & (hour < 18)
        return np.column_stack([cells, after_off, feats["bridge"].to_numpy(), month, cdd * occupied, cdd * ~occupied])

    def _fit(self, load_kw, temp_air_c):
        self._temp_fill = float(temp_air_c.mean()) if temp_air_c is not None else COOLING_BASE_C
        ok = load_kw.notna().to_numpy()
        x = self._design(load_kw.index, temp_air_c)
        self._model = Ridge(alpha=1.0).fit(x[ok], load_kw.to_numpy()[ok])
        self._learn_residuals(load_kw, self._model.predict(x))

    def point(self, index, load_kw, temp_air_c):
        return self._model.predict(self._design(index, temp_air_c))


class ProfileScaling(LoadForecaster):
    r"""Recent same-kind profile shape scaled by the recent same-kind level, with two day-kind rules.

    * Saturday regime: a Saturday's level is the mean of the recent Saturdays' level and
      ``saturday_level`` (the recent Saturday-to-working-day ratio times the recent working-day
      level, :mod:`munigrid.forecasting.features`): :math:`\hat y = 	ilde y\,(1 - w + w\,L_{sat}/L_{kind})`
      with :math:`w` = :data:`SATURDAY_REGIME_WEIGHT`.
    * The first working day after a day off takes the level of the last 20 working days
      (``workday_level_long``; the days just before a break are often light) times :math:`a`,
      the ratio of metered to forecast load on the history's such days, shrunk towards 1 by
      :data:`AFTER_OFF_PRIOR_DAYS`: :math:`a = (n\,r + n_0) / (n + n_0)` (occupancy comes back
      above the usual level after a break).
    """

    name = "profile_scaling"

    def _profile(self, feats: pd.DataFrame) -> pd.Series:
        """Profile forecast [kW] before the after-day-off factor (Saturday and after-day-off levels applied)."""
        base = feats["profile_scaled"]
        regime = base * (1.0 - SATURDAY_REGIME_WEIGHT + SATURDAY_REGIME_WEIGHT * feats["saturday_level"] / feats["kind_level"])
        base = base.where((feats["day_kind"] != SATURDAY) | regime.isna(), regime)
        after_break = base * feats["workday_level_long"] / feats["kind_level"]
        base = base.where((feats["after_day_off"] != 1) | after_break.isna(), after_break)
        return base.fillna(feats["lag_same_kind"]).fillna(feats["lag_week"])

    def point(self, index, load_kw, temp_air_c):
        feats = build_features(index, load_kw, None, self.horizon)
        return self._profile(feats).to_numpy() * np.where(feats["after_day_off"] == 1, self._after_off_factor, 1.0)

    def _fit(self, load_kw, temp_air_c):
        feats = build_features(load_kw.index, load_kw, None, self.horizon)
        base = self._profile(feats)
        after = (feats["after_day_off"] == 1) & load_kw.notna() & base.notna()
        n_days = len(load_kw.index[after].normalize().unique())
        ratio = float(load_kw[after].sum() / base[after].sum()) if n_days else 1.0
        self._after_off_factor = (n_days * ratio + AFTER_OFF_PRIOR_DAYS) / (n_days + AFTER_OFF_PRIOR_DAYS)
        point = base.to_numpy() * np.where(feats["after_day_off"] == 1, self._after_off_factor, 1.0)
        self._learn_residuals(load_kw, point)


class GradientBoostingQuantiles(LoadForecaster):
    """One histogram gradient-boosting model per quantile (pinball loss) on lagged, calendar and temperature features."""

    name = "gradient_boosting"

    def __init__(self, horizon=pd.Timedelta(hours=24), quantiles=QUANTILES, calibration_days: int | None = None,
                 max_iter: int = 200, seed: int = 0):
        super().__init__(horizon, quantiles, calibration_days)
        self.max_iter = max_iter
        self.seed = seed

    def _fit(self, load_kw, temp_air_c):
        feats = build_features(load_kw.index, load_kw, temp_air_c, self.horizon)
        ok = load_kw.notna().to_numpy() & feats["lag_lead"].notna().to_numpy()
        self._columns = [c for c in FEATURE_COLUMNS if c not in PROFILE_ONLY_COLUMNS
                         and feats.loc[ok, c].notna().any()]  # e.g. no temperature given
        with threadpool_limits(limits=1, user_api="openmp"):  # OpenMP on a busy machine is 40x slower
            self._models = {
                q: HistGradientBoostingRegressor(loss="quantile", quantile=q, max_iter=self.max_iter, learning_rate=0.08,
                                                 max_leaf_nodes=31, min_samples_leaf=20, early_stopping=False,
                                                 categorical_features=[self._columns.index("day_kind")],
                                                 random_state=self.seed)
                .fit(feats.loc[ok, self._columns].to_numpy(), load_kw.to_numpy()[ok])
                for q in self.quantiles}

    def _quantiles(self, index, load_kw, temp_air_c):
        x = build_features(index, load_kw, temp_air_c, self.horizon)[self._columns].to_numpy()
        with threadpool_limits(limits=1, user_api="openmp"):
            return np.column_stack([self._models[q].predict(x) for q in self.quantiles])

    def point(self, index, load_kw, temp_air_c):
        return self._quantiles(index, load_kw, temp_air_c)[:, self.quantiles.index(0.5)]


class Ensemble(LoadForecaster):
    """Mean of the gradient-boosting and profile-scaling quantiles (each uncalibrated), calibrated together.

    On the first working day after a day off the profile-scaling member alone: about a dozen
    such days a year are too few for gradient boosting to learn (skill -0.17 there, against
    +0.03 for the profile rule, ``docs/forecasting.md``).
    """

    name = "ensemble"
    members: ClassVar[tuple[type[LoadForecaster], ...]] = (GradientBoostingQuantiles, ProfileScaling)

    @classmethod
    def from_fitted(cls, members: list[LoadForecaster], calibration_days: int = 0) -> "Ensemble":
        """The ensemble of already fitted, uncalibrated members (one of each :attr:`members` class, same horizon)."""
        kinds = [type(m) for m in members]
        if kinds != list(cls.members) or any(m.calibration is not None for m in members):
            raise ValueError(f"need uncalibrated fitted {[k.name for k in cls.members]}, got {[k.name for k in kinds]}")
        ensemble = cls(members[0].horizon, members[0].quantiles, calibration_days=calibration_days)
        ensemble._members = list(members)
        return ensemble

    def _fit(self, load_kw, temp_air_c):
        self._members = [m(self.horizon, self.quantiles, calibration_days=0) for m in self.members]
        for member in self._members:
            member._fit(load_kw, temp_air_c)

    def _quantiles(self, index, load_kw, temp_air_c):
        boosted, profile = (m._raw(index, load_kw, temp_air_c) for m in self._members)
        after_break = calendar_features(index, None)["after_day_off"].to_numpy() == 1
        return np.where(after_break[:, None], profile, 0.5 * (boosted + profile))

    def point(self, index, load_kw, temp_air_c):
        return self._quantiles(index, load_kw, temp_air_c)[:, self.quantiles.index(0.5)]


MODELS: dict[str, type[LoadForecaster]] = {cls.name: cls for cls in (
    SeasonalNaive, CalendarRegression, ProfileScaling, GradientBoostingQuantiles, Ensemble)}
