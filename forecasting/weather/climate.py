"""Monthly climate defaults for the synthetic year, read from ``thailand_climate.yaml``."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources

import numpy as np
import yaml

from munigrid.models.errors import InputError, Problem


def _monthly(name: str, lo: float, hi: float):
    return field(metadata={"monthly": True, "range": (lo, hi), "name": name})


@dataclass(frozen=True)
class ClimateNormals:
    """Monthly climate used to synthesise a typical year (12 values each, January first).

    Parameters
    ----------
    clearness_index : tuple of float
        Monthly mean clearness index :math:`K_t = \\sum G_h / \\sum G_{0,h}` [-].
    temp_mean_c : tuple of float
        Monthly mean air temperature at ``reference_altitude_m`` [degC].
    temp_range_c : tuple of float
        Mean daily maximum minus minimum [K].
    wind_speed_m_per_s : tuple of float
        Monthly mean wind speed [m/s].
    logit_sd, lag1_autocorrelation : float
        Day-to-day spread of the clear-sky index in logit space [-] and its AR(1) coefficient [-].
    intraday_sd_frac, intraday_lag1_autocorrelation : float
        Relative spread of step-to-step cloud variability [-] and its AR(1) coefficient [-].
    lapse_rate_c_per_m, reference_altitude_m : float
        Temperature change with altitude [K/m] and the altitude the temperatures refer to [m].
    """

    clearness_index: tuple[float, ...] = _monthly("clearness_index", 0.05, 0.85)
    temp_mean_c: tuple[float, ...] = _monthly("temp_mean_c", -40.0, 45.0)
    temp_range_c: tuple[float, ...] = _monthly("temp_range_c", 0.0, 30.0)
    wind_speed_m_per_s: tuple[float, ...] = _monthly("wind_speed_m_per_s", 0.0, 30.0)
    logit_sd: float = 0.9
    lag1_autocorrelation: float = 0.6
    intraday_sd_frac: float = 0.25
    intraday_lag1_autocorrelation: float = 0.7
    lapse_rate_c_per_m: float = -0.0065
    reference_altitude_m: float = 0.0

    def __post_init__(self):
        problems = []
        for f in fields(self):
            if not f.metadata.get("monthly"):
                continue
            values = np.asarray(getattr(self, f.name), dtype=float)
            lo, hi = f.metadata["range"]
            if values.shape != (12,):
                problems.append(Problem(f"climate.{f.name}", f"needs 12 monthly values, got {values.size}"))
            elif not np.all((values >= lo) & (values <= hi)):
                problems.append(Problem(f"climate.{f.name}", f"values must lie in [{lo}, {hi}], got {values.tolist()}"))
        for name in ("lag1_autocorrelation", "intraday_lag1_autocorrelation"):
            if not 0.0 <= getattr(self, name) < 1.0:
                problems.append(Problem(f"climate.{name}", f"must be in [0, 1), got {getattr(self, name)}"))
        if problems:
            raise InputError(problems)


@lru_cache(maxsize=1)
def thailand_climate() -> ClimateNormals:
    """The Thai lowland defaults with their sources in ``thailand_climate.yaml``."""
    text = resources.files("munigrid.forecasting.weather").joinpath("thailand_climate.yaml").read_text()
    data = yaml.safe_load(text)
    spread = data["daily_clearness_spread"]
    return ClimateNormals(
        clearness_index=tuple(data["clearness_index_monthly"]["values"]),
        temp_mean_c=tuple(data["temperature_monthly_mean_c"]["values"]),
        temp_range_c=tuple(data["temperature_daily_range_c"]["values"]),
        wind_speed_m_per_s=tuple(data["wind_speed_monthly_mean_m_per_s"]["values"]),
        logit_sd=spread["logit_sd"],
        lag1_autocorrelation=spread["lag1_autocorrelation"],
        intraday_sd_frac=spread["intraday_sd_frac"],
        intraday_lag1_autocorrelation=spread["intraday_lag1_autocorrelation"],
        lapse_rate_c_per_m=data["lapse_rate_c_per_m"],
        reference_altitude_m=data["reference_altitude_m"],
    )
