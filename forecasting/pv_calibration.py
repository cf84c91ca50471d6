r"""PV calibrated to its meter: effective capacity, a shading/soiling profile, and a fault detector.

A PV model with nameplate inputs is often well above what a real roof delivers (the 8 kWp
Bangkok roof gives about 25 % less: soiling, shading, mismatch, a derated inverter). From a
few weeks of measured production and the site's measured weather (GHI, temperature), the
calibration fits, on a *fit window*, and is checked on a *later window*:

* the effective capacity factor :math:`k = \sum_t P^{meas}_t / \sum_t P^{mod}_t` over the
  fit window's steps with both values (effective size :math:`k \cdot` kWp);
* a profile by hour of day :math:`h` (shading by a parapet or a tree, soiling that
  shows at low sun), shrunk towards 1 where the window has little energy in that hour:

  .. math:: f_h = w_h \frac{\sum_{t \in h} P^{meas}_t}{k \sum_{t \in h} P^{mod}_t} + (1 - w_h),
            \qquad w_h = \frac{E^{mod}_h}{E^{mod}_h + E_0},

  with :math:`E^{mod}_h` the modelled energy of hour :math:`h` in the window and :math:`E_0`
  :data:`SHRINK_DAYS` days' worth of the mean hourly energy; and, for each month with at
  least :data:`MIN_MONTH_DAYS` fitted days, the same by month and hour of day (the sun's
  path, hence shading, moves with the season); other months use the hour profile;
* an output ceiling: the highest measured output (an inverter limited below its rating).

Calibrated output: :math:`\hat P_t = \min(k\, f_{m(t),h(t)} P^{mod}_t,\ P_{max})`.

Fault detector: the daily ratio of measured to calibrated energy (days with full data and at
least half the median modelled energy) is smoothed by a centred :data:`FAULT_WINDOW_DAYS`-day
median; runs of at least :data:`FAULT_MIN_DAYS` days below :data:`FAULT_RATIO` are reported
as faults with their dates (soiling, a tripped string, shading): flagged, never fitted.

Scores (:func:`calibration_scores`), over complete days of a window: the daily energy error
(mean absolute error of daily energy) over the mean daily energy, and the hourly RMSE over
daylight hours normalised two ways: by the mean measured daylight output and by the kWp.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError

FORMAT = "munigrid-pv-calibration"
VERSION = 1
#: Prior weight of the hour profile, in days of mean hourly energy [day].
SHRINK_DAYS = 3.0
#: Least fitted days of a month for a month-by-hour profile [day].
MIN_MONTH_DAYS = 14
#: Least complete days in a fit window [day].
MIN_FIT_DAYS = 7
#: Profile factors are kept within these bounds [-].
FACTOR_BOUNDS = (0.2, 1.5)
#: Fault detector: smoothing window [day], ratio threshold [-], least days of a fault [day].
FAULT_WINDOW_DAYS, FAULT_RATIO, FAULT_MIN_DAYS = 7, 0.8, 5


def _complete_days(*series: pd.Series) -> pd.DatetimeIndex:
    """Local days on which every series has every step."""
    ok = pd.concat([s.notna() for s in series], axis=1).all(axis=1)
    per_day = ok.groupby(ok.index.normalize()).agg(["all", "size"])
    full = per_day["size"] == per_day["size"].max()
    return pd.DatetimeIndex(per_day.index[per_day["all"] & full])


def _on_days(series: pd.Series, days: pd.DatetimeIndex) -> pd.Series:
    return series[series.index.normalize().isin(days)]


@dataclass
class PVCalibration:
    """A PV array's calibration to its meter (module docstring); saved as a small JSON file.

    Attributes
    ----------
    capacity_factor : float
        :math:`k`, measured over modelled energy on the fit window [-].
    hour_factors : list of float
        :math:`f_h` for hours 0-23 [-].
    month_hour_factors : dict of str to list of float
        :math:`f_{m,h}` for months (``"1"``-``"12"``) with enough fitted days [-].
    max_output_kw : float
        Output ceiling [kW].
    nominal_kwp : float
        Array size the model was run with [kWp].
    fit_start, fit_end : str
        The fit window (dates, end inclusive).
    fit_days : int
        Complete days fitted.
    checks : dict
        Scores of the model before and after calibration on the fit and check windows.
    faults : list of dict
        Periods flagged by the fault detector (``start``, ``end``, ``ratio``).
    model : dict
        The PV model settings calibrated (tilt, azimuth, losses, inverter): a scenario array
        referring to the file should use the same.
    """

    capacity_factor: float
    hour_factors: list[float]
    month_hour_factors: dict[str, list[float]]
    max_output_kw: float
    nominal_kwp: float
    fit_start: str
    fit_end: str
    fit_days: int
    checks: dict = field(default_factory=dict)
    faults: list[dict] = field(default_factory=list)
    model: dict = field(default_factory=dict)

    @property
    def effective_kwp(self) -> float:
        """Effective array size :math:`k \\cdot` kWp [kWp]."""
        return self.capacity_factor * self.nominal_kwp

    def factors(self, index: pd.DatetimeIndex) -> np.ndarray:
        """:math:`k f_{m,h}` of every step [-]."""
        table = np.tile(np.asarray(self.hour_factors, dtype=float), (13, 1))
        for month, values in self.month_hour_factors.items():
            table[int(month)] = values
        return self.capacity_factor * table[index.month, index.hour]

    def apply(self, modelled_kw: pd.Series, per_kwp: bool = False) -> pd.Series:
        """Calibrated output :math:`\\min(k f P^{mod}, P_{max})` [kW], or per kWp [kW/kWp] with ``per_kwp``
        (the ceiling then per kWp of the calibrated array: :math:`P_{max} / \\mathrm{kWp}`)."""
        ceiling = self.max_output_kw / self.nominal_kwp if per_kwp else self.max_output_kw
        values = np.minimum(modelled_kw.to_numpy(dtype=float) * self.factors(modelled_kw.index), ceiling)
        return pd.Series(values, index=modelled_kw.index, name=modelled_kw.name)

    def save(self, path: str | Path) -> Path:
        """Write the calibration as JSON (written to a temporary name, then renamed: never half-written)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"format": FORMAT, "version": VERSION, **asdict(self)}, indent=1) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path, where: str = "calibration") -> "PVCalibration":
        """Read a calibration file written by :meth:`save`.

        Raises
        ------
        InputError
            Not found, not JSON, not a calibration, or factors that are not 24 finite numbers > 0.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise InputError(f"file not found: {path}; make one with munigrid pv calibrate", where) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InputError(f"{path.name} is not a calibration file ({type(err).__name__}); make one with "
                             "munigrid pv calibrate", where) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"{path.name} is not a {FORMAT} file; make one with munigrid pv calibrate", where)
        data = {k: v for k, v in data.items() if k not in ("format", "version")}
        try:
            calib = cls(**data)
        except TypeError as err:
            raise InputError(f"{path.name}: {err}", where) from None
        profiles = [calib.hour_factors, *calib.month_hour_factors.values()]
        numbers = [calib.capacity_factor, calib.max_output_kw, calib.nominal_kwp]
        if not all(isinstance(p, list) and len(p) == 24 for p in profiles) or not all(
                isinstance(v, (int, float)) and math.isfinite(v) and v > 0 for v in numbers + sum(profiles, [])):
            raise InputError(f"{path.name}: factors must be 24 finite numbers > 0 per profile and the capacity "
                             "factor, ceiling and kWp finite and > 0", where)
        return calib


def _profile(measured: pd.Series, modelled: pd.Series, k: float, keys) -> np.ndarray:
    """Shrunk hour-of-day factors :math:`f_h` from steps grouped by hour (module docstring)."""
    meas_h = measured.groupby(keys).sum().reindex(range(24), fill_value=0.0)
    model_h = (k * modelled).groupby(keys).sum().reindex(range(24), fill_value=0.0)
    n_days = len(measured.index.normalize().unique())
    e0 = SHRINK_DAYS * model_h.sum() / max(n_days, 1) / max((model_h > 0).sum(), 1)
    weight = model_h / (model_h + e0)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(model_h > 0, meas_h / model_h, 1.0)
    return np.clip(weight * raw + (1.0 - weight), *FACTOR_BOUNDS).to_numpy()


def fit_calibration(measured_kw: pd.Series, modelled_kw: pd.Series, nominal_kwp: float,
                    start: pd.Timestamp, end: pd.Timestamp) -> PVCalibration:
    """Fit :class:`PVCalibration` on the complete days from ``start`` to ``end`` (inclusive).

    ``measured_kw`` and ``modelled_kw`` [kW] share one regular index (NaN where not measured
    or no weather).

    Raises
    ------
    InputError
        Fewer than :data:`MIN_FIT_DAYS` complete days, or no measured energy, in the window.
    """
    window = (measured_kw.index >= start) & (measured_kw.index < end + pd.Timedelta(days=1))
    days = _complete_days(measured_kw[window], modelled_kw[window])
    if len(days) < MIN_FIT_DAYS:
        raise InputError(f"{len(days)} complete days of measured output and weather from {start.date()} to "
                         f"{end.date()}; a calibration needs at least {MIN_FIT_DAYS}", "fit window")
    meas, model = _on_days(measured_kw, days), _on_days(modelled_kw, days)
    if not (meas.sum() > 0 and model.sum() > 0):
        raise InputError(f"no measured output from {start.date()} to {end.date()}", "fit window")
    k = float(meas.sum() / model.sum())
    hours = _profile(meas, model, k, meas.index.hour)
    by_month = {}
    for month, group in meas.groupby(meas.index.month):
        if len(group.index.normalize().unique()) >= MIN_MONTH_DAYS:
            by_month[str(month)] = [float(v) for v in _profile(group, model.reindex(group.index), k, group.index.hour)]
    return PVCalibration(capacity_factor=k, hour_factors=[float(v) for v in hours], month_hour_factors=by_month,
                         max_output_kw=float(measured_kw.max()), nominal_kwp=float(nominal_kwp),
                         fit_start=str(days[0].date()), fit_end=str(days[-1].date()), fit_days=len(days))


def calibration_scores(measured_kw: pd.Series, modelled_kw: pd.Series, capacity_kwp: float) -> dict[str, float]:
    """Daily energy and hourly errors over the complete days of the series (module docstring).

    Returns
    -------
    dict
        ``days``; ``daily_mae_frac`` and ``daily_bias_frac`` (of the mean daily energy);
        ``mean_daily_kwh``; ``hourly_nrmse_daylight_frac`` (of the mean measured daylight
        hourly output), ``hourly_nrmse_kwp_frac`` (of the kWp); ``hourly_rmse_kw``.
    """
    days = _complete_days(measured_kw, modelled_kw)
    if not len(days):
        return {"days": 0}
    meas, model = _on_days(measured_kw, days), _on_days(modelled_kw, days)
    step_h = (meas.index[1] - meas.index[0]) / pd.Timedelta(hours=1)
    daily_meas = meas.groupby(meas.index.normalize()).sum() * step_h
    daily_model = model.groupby(model.index.normalize()).sum() * step_h
    hourly_meas, hourly_model = meas.resample("1h").mean().dropna(), model.resample("1h").mean().dropna()
    hourly_model = hourly_model.reindex(hourly_meas.index)
    daylight = (hourly_meas > 0.01 * hourly_meas.max()) | (hourly_model > 0.01 * hourly_meas.max())
    rmse = float(np.sqrt(((hourly_model - hourly_meas)[daylight] ** 2).mean()))
    mean_daily = float(daily_meas.mean())
    return {"days": len(days), "mean_daily_kwh": mean_daily,
            "daily_mae_frac": float((daily_model - daily_meas).abs().mean() / mean_daily),
            "daily_bias_frac": float((daily_model - daily_meas).mean() / mean_daily),
            "hourly_rmse_kw": rmse,
            "hourly_nrmse_daylight_frac": rmse / float(hourly_meas[daylight].mean()),
            "hourly_nrmse_kwp_frac": rmse / capacity_kwp}


@dataclass(frozen=True)
class FaultPeriod:
    """Days on which measured output fell below the calibrated model (a fault, soiling, shading)."""

    start: pd.Timestamp
    end: pd.Timestamp
    ratio: float

    def to_dict(self) -> dict:
        return {"start": str(self.start.date()), "end": str(self.end.date()), "ratio": round(self.ratio, 3)}

    def __str__(self) -> str:
        return (f"{self.start.date()} to {self.end.date()}: measured output {self.ratio:.0%} of the calibrated model "
                "(a fault, soiling or shading; flagged, not fitted)")


def daily_ratio(measured_kw: pd.Series, calibrated_kw: pd.Series) -> pd.Series:
    """Daily measured over calibrated energy [-] on complete days with at least half the median modelled energy."""
    days = _complete_days(measured_kw, calibrated_kw)
    meas, model = _on_days(measured_kw, days), _on_days(calibrated_kw, days)
    e_meas = meas.groupby(meas.index.normalize()).sum()
    e_model = model.groupby(model.index.normalize()).sum()
    sunny = e_model >= 0.5 * e_model.median()
    return (e_meas / e_model)[sunny]


def detect_faults(measured_kw: pd.Series, calibrated_kw: pd.Series, threshold: float = FAULT_RATIO,
                  window_days: int = FAULT_WINDOW_DAYS, min_days: int = FAULT_MIN_DAYS) -> list[FaultPeriod]:
    """Runs of days whose smoothed measured/calibrated ratio is below ``threshold`` (module docstring)."""
    ratio = daily_ratio(measured_kw, calibrated_kw)
    if ratio.empty:
        return []
    smooth = ratio.rolling(window_days, center=True, min_periods=max(1, window_days // 2)).median()
    low = (smooth < threshold).to_numpy()
    runs, start = [], None
    for i, flag in enumerate(np.append(low, False)):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start >= min_days:
                runs.append(FaultPeriod(ratio.index[start], ratio.index[i - 1], float(ratio.iloc[start:i].median())))
            start = None
    return runs


def calibrate_to_meter(measured_kw: pd.Series, modelled_kw: pd.Series, nominal_kwp: float,
                       fit_start: pd.Timestamp | None = None, fit_days: int = 28,
                       check_days: int | None = None) -> PVCalibration:
    """Fit on ``fit_days`` from ``fit_start`` (default the first measured day), check on the days after.

    The check window runs from the day after the fit window for ``check_days`` (default: to
    the end of the data), leaving out the days of every fault found over the whole series
    (:func:`detect_faults`, reported in :attr:`PVCalibration.faults`). :attr:`PVCalibration.checks`
    holds :func:`calibration_scores` of the model before (``nominal``) and after
    (``calibrated``) calibration on both windows, and on the fault days.
    """
    tz = measured_kw.index.tz
    first = measured_kw.first_valid_index()
    if first is None:
        raise InputError("no measured value", "measured")
    start = (pd.Timestamp(fit_start).tz_localize(tz) if fit_start is not None and pd.Timestamp(fit_start).tzinfo is None
             else pd.Timestamp(fit_start) if fit_start is not None else first).normalize()
    end = start + pd.Timedelta(days=fit_days - 1)
    calib = fit_calibration(measured_kw, modelled_kw, nominal_kwp, start, end)
    calibrated = calib.apply(modelled_kw)
    faults = detect_faults(measured_kw, calibrated)
    day = measured_kw.index.normalize()
    faulty = np.zeros(len(day), dtype=bool)
    for fault in faults:
        faulty |= (day >= fault.start) & (day <= fault.end)
    fit = (day >= start) & (day <= end)
    check = (day > end) & ~faulty
    if check_days is not None:
        check &= day <= end + pd.Timedelta(days=check_days)
    windows = {"fit": fit, "check": check, "fault_days": faulty}
    calib.checks = {name: {"nominal": calibration_scores(measured_kw[mask], modelled_kw[mask], nominal_kwp),
                           "calibrated": calibration_scores(measured_kw[mask], calibrated[mask], nominal_kwp)}
                    for name, mask in windows.items() if mask.any()}
    calib.faults = [f.to_dict() for f in faults]
    return calib
