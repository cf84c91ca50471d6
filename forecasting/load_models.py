r"""Load forecasting models with P10/P50/P90 quantiles, one interface, chosen from a registry.

* :class:`SeasonalNaive` -- the same time one week earlier (:math:`\hat y_t = y_{t-7d}`; two
  weeks for horizons beyond a week); the baseline every skill is measured against.
* :class:`CalendarRegression` -- ridge regression on hour x day type (working day, Saturday,
  Sunday/Thai public holiday), month, and cooling degrees
  :math:`\max(T - 25, 0)` split into occupied and other hours.
* :class:`GradientBoostingQuantiles` -- scikit-learn histogram gradient boosting, one model per
  quantile (pinball loss), on calendar, holiday, temperature and lagged-load features
  (:mod:`munigrid.forecasting.features`).

The naive and regression quantiles add the training residuals' empirical quantiles by hour
of day to the point forecast. Quantiles are sorted so that P10 <= P50 <= P90.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from threadpoolctl import threadpool_limits

from munigrid.forecasting.calendar import WORKDAY
from munigrid.forecasting.features import build_features, lead_days

QUANTILES = (0.1, 0.5, 0.9)
COOLING_BASE_C = 25.0  # assumption: Thai air-conditioning load rises above about 25 degC


class LoadForecaster(ABC):
    """Fit on a load history, then forecast quantiles for target steps after the history."""

    name: ClassVar[str]

    def __init__(self, horizon: pd.Timedelta = pd.Timedelta(hours=24), quantiles: tuple[float, ...] = QUANTILES):
        self.horizon = pd.Timedelta(horizon)
        self.quantiles = tuple(quantiles)

    @abstractmethod
    def fit(self, load_kw: pd.Series, temp_air_c: pd.Series | None = None) -> "LoadForecaster":
        """Learn from a history [kW] (and temperature [degC] on the same index)."""

    @abstractmethod
    def point(self, index: pd.DatetimeIndex, load_kw: pd.Series, temp_air_c: pd.Series | None) -> np.ndarray:
        """Point (P50) forecast [kW] for ``index`` from the history ``load_kw`` before it."""

    def predict(self, index: pd.DatetimeIndex, load_kw: pd.Series, temp_air_c: pd.Series | None = None) -> pd.DataFrame:
        """Quantile forecasts [kW], one column per quantile, sorted across quantiles."""
        raw = self._quantiles(index, load_kw, temp_air_c)
        return pd.DataFrame(np.sort(np.clip(raw, 0.0, None), axis=1), index=index, columns=list(self.quantiles))

    def _quantiles(self, index, load_kw, temp_air_c) -> np.ndarray:
        point = self.point(index, load_kw, temp_air_c)
        offsets = self._residual_q.reindex(index.hour).to_numpy()
        return point[:, None] + offsets

    def _learn_residuals(self, actual: pd.Series, point: np.ndarray) -> None:
        resid = pd.Series(actual.to_numpy() - point, index=actual.index).dropna()
        by_hour = resid.groupby(resid.index.hour)
        self._residual_q = pd.DataFrame({q: by_hour.quantile(q) for q in self.quantiles}).reindex(range(24)).fillna(0.0)
        self._residual_q[0.5] = 0.0


class SeasonalNaive(LoadForecaster):
    """Same time one week earlier (two weeks beyond a one-week horizon)."""

    name = "seasonal_naive"

    @property
    def lag_days(self) -> int:
        return 7 * int(np.ceil(lead_days(self.horizon) / 7))

    def point(self, index, load_kw, temp_air_c):
        return load_kw.reindex(index - pd.Timedelta(days=self.lag_days)).to_numpy()

    def fit(self, load_kw, temp_air_c=None):
        self._learn_residuals(load_kw, self.point(load_kw.index, load_kw, None))
        return self


class CalendarRegression(LoadForecaster):
    """Ridge regression on hour x day type, month and occupied/unoccupied cooling degrees."""

    name = "calendar_regression"

    def _design(self, index: pd.DatetimeIndex, temp_air_c: pd.Series | None) -> np.ndarray:
        feats = build_features(index, pd.Series(dtype=float, index=index[:0]), temp_air_c, self.horizon)
        hour = feats["hour"].to_numpy().astype(int)
        cell = feats["day_type"].to_numpy() * 24 + hour
        onehot = np.zeros((len(index), 72))
        onehot[np.arange(len(index)), cell] = 1.0
        month = np.zeros((len(index), 12))
        month[np.arange(len(index)), feats["month"].to_numpy() - 1] = 1.0
        temp = feats["temp_air_c"].fillna(self._temp_fill).to_numpy()
        cdd = np.maximum(temp - COOLING_BASE_C, 0.0)
        occupied = (feats["day_type"].to_numpy() == WORKDAY) & (hour >= 8) & (hour < 18)
        return np.column_stack([onehot, month, cdd * occupied, cdd * ~occupied])

    def fit(self, load_kw, temp_air_c=None):
        self._temp_fill = float(temp_air_c.mean()) if temp_air_c is not None else COOLING_BASE_C
        ok = load_kw.notna().to_numpy()
        x = self._design(load_kw.index, temp_air_c)
        self._model = Ridge(alpha=1.0).fit(x[ok], load_kw.to_numpy()[ok])
        self._learn_residuals(load_kw, self._model.predict(x))
        return self

    def point(self, index, load_kw, temp_air_c):
        return self._model.predict(self._design(index, temp_air_c))


class GradientBoostingQuantiles(LoadForecaster):
    """One histogram gradient-boosting model per quantile (pinball loss)."""

    name = "gradient_boosting"

    def __init__(self, horizon=pd.Timedelta(hours=24), quantiles=QUANTILES, max_iter: int = 200, seed: int = 0):
        super().__init__(horizon, quantiles)
        self.max_iter = max_iter
        self.seed = seed

    def fit(self, load_kw, temp_air_c=None):
        feats = build_features(load_kw.index, load_kw, temp_air_c, self.horizon)
        ok = load_kw.notna().to_numpy() & feats["lag_lead"].notna().to_numpy()
        with threadpool_limits(limits=1, user_api="openmp"):  # OpenMP on a busy machine is 40x slower
            self._models = {
                q: HistGradientBoostingRegressor(loss="quantile", quantile=q, max_iter=self.max_iter, learning_rate=0.08,
                                                 max_leaf_nodes=31, min_samples_leaf=20, early_stopping=False,
                                                 categorical_features=[2], random_state=self.seed)
                .fit(feats[ok].to_numpy(), load_kw.to_numpy()[ok])
                for q in self.quantiles}
        return self

    def _quantiles(self, index, load_kw, temp_air_c):
        x = build_features(index, load_kw, temp_air_c, self.horizon).to_numpy()
        with threadpool_limits(limits=1, user_api="openmp"):
            return np.column_stack([self._models[q].predict(x) for q in self.quantiles])

    def point(self, index, load_kw, temp_air_c):
        return self._quantiles(index, load_kw, temp_air_c)[:, self.quantiles.index(0.5)]


MODELS: dict[str, type[LoadForecaster]] = {cls.name: cls for cls in (SeasonalNaive, CalendarRegression, GradientBoostingQuantiles)}
