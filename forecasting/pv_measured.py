"""Measured PV production files: their own reading rules, on top of the meter reader.

A PV logger or inverter export is not a consumption meter (:mod:`munigrid.forecasting.meter`
refuses negative values, which PV meters write at night from the inverter's standby draw):

* Columns: the production column is found by PV names (``pv_kw``, ``ac_power``, ``p_ac``,
  ``pac``, ``generation``, ``production``, ``yield``, then the meter names ``power``,
  ``ptot``, ``kw``, ``energy``; NREL PVDAQ's ``ac_power__NNNN`` included), or given;
  the time column also by ``measured_on`` (PVDAQ).
* Units: kW, W, MW (mean power) or kWh, Wh, MWh per interval, from the name or given. A column
  naming no unit whose peak exceeds :data:`MAX_PEAK_PER_KWP` x the array's kWp (when known)
  but fits in W is read as W and noted; a stated kW column peaking that high is refused.
* Night standby: negative values down to :math:`-\\max(` :data:`STANDBY_MIN_KW`,
  :data:`STANDBY_FRAC_OF_PEAK` x peak :math:`)` are set to 0 and reported with their count and
  dates; anything more negative is refused (it is consumption: a net-load column).
* Gaps stay missing (scored and fitted only where measured), noted with their dates.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from munigrid.forecasting.meter import file_columns, read_meter, unit_of
from munigrid.forecasting.meter_format import MeterFormat
from munigrid.forecasting.meter_text import excerpt
from munigrid.forecasting.meter_time import column_list
from munigrid.models.errors import InputError

#: Production column names, most specific first (matched on the lower-case name).
PV_ALIASES = ("pv_ac_kw", "pv_kw", "pv", "ac_power", "p_ac", "pac", "ac_kw", "ac_output", "generation", "production",
              "yield", "output", "power", "ptot", "p", "kw", "energy", "kwh")
#: Names that are never the production column.
NOT_PV = ("time", "date", "measured_on", "irradi", "ghi", "poa", "temp", "wind", "dc_", "voltage", "current", "kvar",
          "status", "id")
#: Time column names beyond the meter reader's own.
PV_TIME_ALIASES = ("measured_on",)
#: Highest plausible AC output per kWp of array [kW/kWp].
MAX_PEAK_PER_KWP = 1.5
#: Least standby draw tolerated as zero [kW], and as a share of the peak [-].
STANDBY_MIN_KW, STANDBY_FRAC_OF_PEAK = 0.05, 0.02


@dataclass
class MeasuredPV:
    """A validated measured PV production series.

    Attributes
    ----------
    pv_kw : pandas.Series
        Mean AC output over each interval [kW], >= 0, NaN where not measured; interval-beginning.
    step_min : int
        Step [min].
    column : str
        The file column read.
    notes : list of str
        How the file was read and every change made (units, clipped standby, gaps).
    source : str
        File name.
    """

    pv_kw: pd.Series
    step_min: int
    column: str
    notes: list[str] = field(default_factory=list)
    source: str = ""


def _normal(name: str) -> str:
    return re.sub(r"\s*\(.*\)\s*$", "", str(name)).strip().lower().replace(" ", "_")


def pv_column(columns: list[str], where: str) -> str:
    """The production column among ``columns`` by :data:`PV_ALIASES` (module docstring)."""
    usable = [c for c in columns if not any(bad in _normal(c) for bad in NOT_PV)]
    for alias in PV_ALIASES:
        for col in usable:
            name = _normal(col)
            if name == alias or name.startswith(alias + "_"):
                return col
    if len(usable) == 1:
        return usable[0]
    raise InputError(f"no PV production column among {column_list(columns)}; name it pv_kw (or ac_power_w, "
                     "energy_kwh) or give --pv-column NAME", where)


def _time_column(columns: list[str]) -> str | None:
    return next((c for c in columns if _normal(c) in PV_TIME_ALIASES), None)


def _dates(stamps: pd.DatetimeIndex, limit: int = 4) -> str:
    days = pd.DatetimeIndex(stamps.normalize().unique())
    shown = ", ".join(str(d.date()) for d in days[:limit])
    return shown + (f" and {len(days) - limit} more days" if len(days) > limit else "")


def _check_peak(pv_kw: pd.Series, unit_stated: bool, capacity_kwp: float | None, where: str) -> tuple[pd.Series, list[str]]:
    """Read an unlabelled W column as W (module docstring); refuse a kW peak no array of this size gives."""
    peak = float(pv_kw.max()) if pv_kw.notna().any() else 0.0
    if capacity_kwp is None or peak <= MAX_PEAK_PER_KWP * capacity_kwp:
        return pv_kw, []
    if not unit_stated and peak / 1000.0 <= MAX_PEAK_PER_KWP * capacity_kwp:
        return pv_kw / 1000.0, [f"values peak at {peak:,.0f}, {peak / capacity_kwp:,.0f} x the {capacity_kwp:g} kWp: "
                                "read as W (give --pv-unit kw to refuse this)"]
    raise InputError(f"output peaks at {peak:,.4g} kW, more than {MAX_PEAK_PER_KWP:g} x the array's {capacity_kwp:g} kWp; "
                     "give the unit (--pv-unit w|kw|kwh) or the right --kwp", where)


def _clip_standby(pv_kw: pd.Series, where: str) -> tuple[pd.Series, list[str]]:
    """Set night standby draw (small negatives) to 0 and report it; refuse larger negative values."""
    peak = float(pv_kw.max()) if pv_kw.notna().any() else 0.0
    tolerance_kw = max(STANDBY_MIN_KW, STANDBY_FRAC_OF_PEAK * peak)
    negative = (pv_kw < 0).to_numpy()
    if not negative.any():
        return pv_kw, []
    large = (pv_kw < -tolerance_kw).to_numpy()
    if large.any():
        worst = float(pv_kw.min())
        raise InputError(f"{int(large.sum())} values below -{tolerance_kw:.3g} kW (lowest {worst:.4g} kW, on "
                         f"{_dates(pv_kw.index[large])}): PV production cannot be that negative; is it a net-load "
                         "column? give the production column with --pv-column", where)
    return pv_kw.clip(lower=0.0), [f"{int(negative.sum())} small negative values (standby draw down to "
                                   f"{float(pv_kw.min()):.3g} kW, on {_dates(pv_kw.index[negative])}) set to 0 kW"]


def read_measured_pv(path: str | Path, *, tz: str | None = None, column: str | None = None, unit: str | None = None,
                     capacity_kwp: float | None = None, fmt: MeterFormat | None = None) -> MeasuredPV:
    """Read and validate a measured PV production file (module docstring).

    Parameters
    ----------
    path : str or Path
        CSV or text table with a time column and one production column.
    tz : str, optional
        Zone of time stamps written without a UTC offset (default Asia/Bangkok).
    column : str, optional
        Production column (default: found by :data:`PV_ALIASES`).
    unit : str, optional
        ``kw``, ``w``, ``mw``, ``kwh``, ``wh`` or ``mwh`` (default: from the column name).
    capacity_kwp : float, optional
        Array size [kWp], for the unit check.
    fmt : MeterFormat, optional
        Further reading options (time column, encoding, interval label).

    Raises
    ------
    InputError
        Naming the file and column: no production column, large negative values, a peak no
        array of ``capacity_kwp`` gives, and every refusal of the meter reader except negatives.
    """
    path = Path(path)
    fmt = fmt or MeterFormat()
    columns = file_columns(path, fmt)
    col = column or pv_column(columns, path.name)
    overrides = {"load_column": col, "unit": unit, "tz": tz,
                 "time_column": fmt.time_column or _time_column(columns)}
    fmt = dataclasses.replace(fmt, **{k: v for k, v in overrides.items() if v is not None})
    history = read_meter(path, fmt, allow_negative=True, keep_gaps=True)
    where = f"{path.name}: column {excerpt(col)}"
    stated = (fmt.unit or unit_of(col)) is not None
    notes = [n for n in history.notes if "names no unit" not in n]
    pv_kw, peak_notes = _check_peak(history.load_kw, stated, capacity_kwp, where)
    if not stated and not peak_notes:
        peak_notes = [f"column {excerpt(col)} names no unit: read as kW (give --pv-unit kw|w|kwh to say)"]
    pv_kw, clip_notes = _clip_standby(pv_kw, where)
    return MeasuredPV(pv_kw.rename("pv_kw"), history.step_min, col, notes + peak_notes + clip_notes, path.name)

