"""The one meter reader: every command and scenario ``load_csv`` read meter files through
:func:`read_meter`.

Reads what utilities and loggers export (see ``docs/inputs.md``): text in UTF-8, UTF-16 or
Thai Windows cp874 (:mod:`~munigrid.forecasting.meter_text`); lines of preamble before the
header; comma, semicolon or tab separators; one time column or ``Date`` + ``Time``,
``dd/mm/yyyy``, Buddhist-era years, naive times in a given zone
(:mod:`~munigrid.forecasting.meter_time`); a load column in kW, W or MW (mean power) or in
kWh, Wh or MWh per interval (converted by the file's step), chosen by name, by
``load_column`` (also the one column of a wide file) and ``unit``; steps of 1-60 min
(:mod:`~munigrid.forecasting.meter_quality`).

Policy: loads must be >= 0 kW (unless the caller bills export); a value above 10 times the
99th percentile is refused as a spike; a kW column peaking above 20,000 kW gives a
:class:`UnitWarning`. Missing intervals are refused with their dates unless filling is asked
for (``fill_gaps``): then gaps up to 2 h are interpolated, longer ones take the value from the
same time one week apart, and at most 20 % may be filled. Temperature is read in the unit
stated or named (:mod:`~munigrid.forecasting.temperature`: °C, °F, K); single values outside
-10..55 °C (e.g. the -17.78 °C = 0 °F "missing" code) count as missing and are always filled,
a column mostly outside is refused. Every change and every column not used is listed in
:attr:`MeterHistory.notes`.
"""

from __future__ import annotations

import dataclasses
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from munigrid.forecasting.meter_format import ENERGY_UNITS, UNITS, MeterFormat
from munigrid.forecasting.meter_suspect import find_suspect
from munigrid.forecasting.meter_quality import describe_gaps, drop_duplicates, file_step_min, regular, sort_rows
from munigrid.forecasting.meter_text import excerpt, read_text
from munigrid.forecasting.meter_time import column_list, lines_of, parse_times, time_columns
from munigrid.forecasting.tables import FillReport, fill_gaps, match_column, normal_name
from munigrid.forecasting.temperature import NOT_TEMP, TEMP_ALIASES, temperature_c
from munigrid.models.errors import InputError, Problem

LOAD_ALIASES = ("import_kw", "load", "import", "kw", "power", "demand", "consumption", "ptot", "p", "energy", "kwh",
                "active_power", "โหลด", "กำลังไฟฟ้า", "พลังงาน")
KVAR_ALIASES = ("kvar", "reactive")
EXPORT_ALIASES = ("export_kw", "export")
NOT_LOAD = ("export", "kvar", "reactive", "factor", "pf", "temp", "voltage", "current", "line")
UNIT_FACTOR_KW = {"kw": 1.0, "w": 1e-3, "mw": 1e3, "kwh": 1.0, "wh": 1e-3, "mwh": 1e3}
UNIT_LABELS = {"kw": "kW", "w": "W", "mw": "MW", "kwh": "kWh", "wh": "Wh", "mwh": "MWh"}
MISSING_MARKS = ("-", "--", "n/a", "N/A", "#N/A", "null", "NULL", "NaN", "nan", "")
MAX_PLAUSIBLE_KW = 20_000.0
SPIKE_FACTOR = 10.0
MAX_MISSING_FRAC = 0.2
MAX_INTERP_H = 2.0
PREAMBLE_SCAN_LINES = 50
EXAMPLES_DIR = Path(__file__).parent / "meter_examples"  # one load in every shape read (docs/inputs.md)
FILL_FIX = "fill them in the file, or ask for filling (CLI --fill-gaps; scenario buildings[].load_gap_fill: true)"


class UnitWarning(UserWarning):
    """Values look like they are in a different unit than the column says (W versus kW)."""


@dataclass
class MeterHistory:
    """A validated meter series.

    Attributes
    ----------
    load_kw : pandas.Series
        Mean load (import) over each interval [kW], Asia/Bangkok interval-beginning index.
    temp_air_c : pandas.Series or None
        Outdoor air temperature [degC] on the same index, when the file has it.
    step_min : int
        Step [min].
    fills : list of FillReport
        What was missing and how it was filled, per column.
    notes : list of str
        How the file was read and every change made (encoding, formats, units, duplicates).
    source : str
        File name.
    kvar : pandas.Series or None
        Mean reactive power [kvar], when the file has it.
    export_kw : pandas.Series or None
        Mean export power [kW], when the file has it.
    suspect : pandas.Series of bool or None
        Steps of ``load_kw`` holding readings that were probably not metered (repeated days,
        zero and flat runs, :mod:`~munigrid.forecasting.meter_suspect`), listed in ``notes``.
    """

    load_kw: pd.Series
    temp_air_c: pd.Series | None
    step_min: int
    fills: list[FillReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str = ""
    kvar: pd.Series | None = None
    export_kw: pd.Series | None = None
    suspect: pd.Series | None = None

    def load_for_fitting(self, keep_suspect: bool = False) -> pd.Series:
        """``load_kw`` [kW] with the suspect steps as missing, unless kept: what forecasts fit and score on."""
        if keep_suspect or self.suspect is None:
            return self.load_kw
        return self.load_kw.mask(self.suspect.reindex(self.load_kw.index, fill_value=False))

    def frame(self) -> pd.DataFrame:
        """``load_kw`` and, when present, ``temp_air_c`` as one frame."""
        cols = {"load_kw": self.load_kw}
        if self.temp_air_c is not None:
            cols["temp_air_c"] = self.temp_air_c
        return pd.DataFrame(cols)


def unit_of(name: str) -> str | None:
    """The unit a column name states (``load_kw`` -> kw, ``Energy (kWh)`` -> kwh), or None."""
    tokens = set(re.split(r"[^a-z]+", str(name).lower()))
    return next((unit for unit in ("mwh", "kwh", "wh", "mw", "kw", "w") if unit in tokens), None)


def _separator(text: str) -> str:
    head = text[:4000]
    return max((",", ";", "\t", "|"), key=head.count)


def _header_line(text: str, sep: str) -> int:
    """Index of the header line: the first line that, with the next few, has the usual field count
    (skips a logger's preamble; quoted separators such as ``"1,234.5"`` are not counted)."""
    lines = text.splitlines()[:PREAMBLE_SCAN_LINES]
    counts = [re.sub(r'"[^"]*"', "", line).count(sep) if line.strip() else None for line in lines]
    seen = [c for c in counts if c is not None]
    if not seen:
        return 0
    usual = max(set(seen), key=seen.count)
    filled = [i for i, c in enumerate(counts) if c is not None]
    for n, i in enumerate(filled):
        if all(counts[j] == usual for j in filled[n:n + 4]):
            return i
    return filled[0]


def _table(path: Path, fmt: MeterFormat) -> tuple[pd.DataFrame, int, list[str]]:
    """The file as text cells, the file line of its first data row, and notes."""
    where = path.name
    text, encoding = read_text(path, where, fmt.encoding)
    notes = [] if encoding in ("utf-8", "utf-8-sig") else [f"file read as {encoding}"]
    sep = _separator(text)
    skip = _header_line(text, sep)
    if skip:
        notes.append(f"{skip} lines before the header skipped")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, skiprows=skip, dtype=str, keep_default_na=False,
                            skipinitialspace=True, index_col=False)
    except pd.errors.EmptyDataError:
        raise InputError("the file has no header and no data; export the meter readings again", where) from None
    except pd.errors.ParserError as err:
        raise InputError(f"not a readable CSV table ({excerpt(err, 120)}); every row needs as many fields as "
                         "the header", where) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputError(f"the file has a header ({column_list(list(frame.columns))}) but no data rows", where)
    return frame, skip + 2, notes


def file_columns(path: str | Path, fmt: MeterFormat | None = None) -> list[str]:
    """Column names of a meter file's header (after any preamble), for readers that pick columns by role."""
    return list(_table(Path(path), fmt or MeterFormat())[0].columns)


def _numbers(cells: pd.Series, where: str, first_line: int) -> pd.Series:
    """Numbers of a text column; missing marks become NaN, anything else unreadable is refused."""
    values = pd.to_numeric(cells, errors="coerce")
    unread = values.isna().to_numpy()
    if unread.any():
        text = cells[unread].fillna("").astype(str).str.strip()
        missing = text.isin(MISSING_MARKS)
        again = pd.to_numeric(text.str.replace(r"(?<=\d),(?=\d{3}(\D|$))", "", regex=True).mask(missing),
                              errors="coerce")
        bad = np.zeros(len(cells), dtype=bool)
        bad[unread] = (again.isna() & ~missing).to_numpy()
        if bad.any():
            raise InputError(f"not a number in lines {lines_of(bad, first_line)} (first "
                             f"{excerpt(cells[bad].iloc[0])}); use plain numbers with a dot for decimals, or leave "
                             "the cell empty when missing", where)
        values = values.copy()
        values[unread] = again.to_numpy()
    return values.astype(float)


def _load_column(frame: pd.DataFrame, fmt: MeterFormat, used: list[str], where: str) -> tuple[str, list[str]]:
    columns = [c for c in frame.columns if c not in used]
    if fmt.load_column is not None:
        match = next((c for c in columns if c == fmt.load_column), None) or \
            next((c for c in columns if normal_name(c) == normal_name(fmt.load_column)), None)
        if match is None:
            raise InputError(f"load column {excerpt(fmt.load_column)} not found; columns are {column_list(columns)}",
                             f"{where}: --load-column")
        return match, []
    found = match_column(columns, LOAD_ALIASES, skip=NOT_LOAD)
    if found is not None:
        return found, []
    candidates = [c for c in columns if not any(s in normal_name(c) for s in NOT_LOAD)
                  and match_column([c], TEMP_ALIASES, skip=NOT_TEMP) is None]
    if len(candidates) == 1:
        return candidates[0], [f"column {excerpt(candidates[0])} read as the load (the only other column)"]
    if not candidates:
        raise InputError(f"no load column; columns are {column_list(columns)}; name it load_kw (or power_w, "
                         "energy_kwh) or give --load-column NAME", where)
    raise InputError(f"{len(candidates)} possible load columns ({column_list(candidates)}): a wide file; choose one "
                     "with --column NAME (scenario: load_csv.load_column)", where)


def load_problems(load: pd.Series, where: str, first_line: int = 2, allow_negative: bool = False) -> list[Problem]:
    """Negative values and spikes in a load column, naming the file lines."""
    problems = []
    values = load.to_numpy(dtype=float)
    neg = values < 0
    if neg.any() and not allow_negative:
        problems.append(Problem(where, f"{int(neg.sum())} negative loads in lines {lines_of(neg, first_line)}; a "
                                "meter of consumption must be >= 0 (export belongs in a separate column)"))
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size:
        p99 = float(np.percentile(finite, 99))
        spike = values > SPIKE_FACTOR * p99
        if spike.any():
            problems.append(Problem(where, f"{int(spike.sum())} absurd values above {SPIKE_FACTOR:g} x the 99th "
                                    f"percentile ({p99:.4g}) in lines {lines_of(spike, first_line)}; remove or "
                                    "correct them"))
    return problems


def _unit(col: str, fmt: MeterFormat, where: str) -> tuple[str, list[str]]:
    if fmt.unit is not None:
        unit = fmt.unit.strip().lower()
        if unit not in UNITS:
            raise InputError(f"unknown unit {excerpt(fmt.unit)}; use one of {', '.join(UNITS)}", f"{where}: --unit")
        return unit, []
    named = unit_of(col)
    if named is None:
        return "kw", [f"column {excerpt(col)} names no unit: read as kW (give --unit kw|w|kwh|wh to say)"]
    return named, []


def _to_kw(values: pd.Series, unit: str, step_min: int, col: str) -> tuple[pd.Series, list[str]]:
    r"""Mean power [kW] from a column in ``unit``: :math:`P = E / \Delta t` for energy per interval."""
    factor = UNIT_FACTOR_KW[unit] * (60.0 / step_min if unit in ENERGY_UNITS else 1.0)
    if unit == "kw":
        return values, []
    what = f"{UNIT_LABELS[unit]} per {step_min}-min interval: converted to mean kW" if unit in ENERGY_UNITS else \
        f"in {UNIT_LABELS[unit]}: converted to kW"
    return values * factor, [f"column {excerpt(col)} is {what} (x {factor:g})"]


def _fill(series: pd.Series, step_min: int, where: str, fill: bool) -> tuple[pd.Series, FillReport]:
    missing = series.isna()
    if not missing.any():
        return series, FillReport(str(series.name), len(series), 0, 0, 0, 0)
    gaps = describe_gaps(missing, step_min)
    if not fill:
        raise InputError(f"{gaps}; {FILL_FIX}", where)
    filled, report = fill_gaps(series, int(MAX_INTERP_H * 60 / step_min), seasonal_steps=7 * 24 * 60 // step_min)
    if report.n_missing / max(report.n_total, 1) > MAX_MISSING_FRAC or report.n_left_missing:
        raise InputError(f"{gaps}: {report.n_missing / report.n_total:.0%} missing, at most {MAX_MISSING_FRAC:.0%} "
                         "can be filled; give a longer or more complete file", where)
    return filled, report


def _temperature(table: pd.DataFrame, fmt: MeterFormat, name: str, step_min: int, where: str,
                 notes: list[str]) -> tuple[pd.Series, FillReport]:
    """Outdoor temperature [degC] (:func:`~munigrid.forecasting.temperature.temperature_c`), gaps filled."""
    celsius, temp_notes = temperature_c(table["temp"], name, fmt.temperature_unit, where)
    notes += temp_notes
    temp, report = fill_gaps(celsius.rename("temp_air_c"), int(MAX_INTERP_H * 60 / step_min),
                             seasonal_steps=7 * 24 * 60 // step_min)
    return temp.ffill().bfill(), report


def _coarsen(series: pd.Series | None, step_min: int, target_min: int) -> pd.Series | None:
    if series is None or target_min == step_min:
        return series
    return series.resample(f"{target_min}min").mean()


def _target_step(step_min: int, steps_min: tuple[int, ...], where: str) -> int:
    if step_min in steps_min:
        return step_min
    coarser = [s for s in sorted(steps_min) if s > step_min and s % step_min == 0]
    if not coarser:
        raise InputError(f"{step_min}-min steps cannot be used here; give {', '.join(map(str, steps_min))}-min data",
                         where)
    return coarser[0]


def _roles(frame: pd.DataFrame, fmt: MeterFormat, time_cols: list[str], where: str) -> tuple[dict[str, str], list[str]]:
    """Column of each role: ``load`` always; ``temp``, ``kvar``, ``export`` when the file has them.
    Columns left over are noted (never silently ignored)."""
    col, notes = _load_column(frame, fmt, time_cols, where)
    others = [c for c in frame.columns if c not in time_cols and c != col]
    if fmt.temperature_column is not None and fmt.temperature_column not in others:
        raise InputError(f"temperature column {excerpt(fmt.temperature_column)} not found; columns are "
                         f"{column_list(others)}", f"{where}: --temperature-column")
    found = {"load": col, "temp": fmt.temperature_column or match_column(others, TEMP_ALIASES, skip=NOT_TEMP),
             "kvar": match_column(others, KVAR_ALIASES), "export": match_column(others, EXPORT_ALIASES)}
    roles = {role: name for role, name in found.items() if name is not None}
    unused = [c for c in others if c not in roles.values()]
    if unused:
        notes.append(f"column{'s' if len(unused) > 1 else ''} {column_list(unused)} not used")
    return roles, notes


def _extras(table: pd.DataFrame, roles: dict[str, str], step_min: int, where: str,
            fill: bool) -> dict[str, pd.Series]:
    """Reactive power [kvar] and export [kW] for billing, on the load's grid."""
    out = {}
    if "kvar" in roles:
        name = roles["kvar"]
        kvar = table["kvar"] * (60.0 / step_min if "kvarh" in normal_name(name) else 1.0)
        out["kvar"] = _fill(kvar.rename("kvar"), step_min, f"{where}: column {excerpt(name)}", fill)[0]
    if "export" in roles:
        name = roles["export"]
        export = _to_kw(table["export"], unit_of(name) or "kw", step_min, name)[0]
        out["export"] = _fill(export.rename("export_kw"), step_min, f"{where}: column {excerpt(name)}", fill)[0]
    return out


def read_meter(path: str | Path, fmt: MeterFormat | None = None, *, tz: str | None = None,
               load_column: str | None = None, temperature_column: str | None = None,
               steps_min: tuple[int, ...] = (15, 60), allow_negative: bool = False,
               keep_gaps: bool = False) -> MeterHistory:
    """Read and validate a meter file.

    Parameters
    ----------
    path : str or Path
        CSV (or text table) with time, a load column and optionally temperature [degC],
        reactive power ``kvar`` and ``export_kw``.
    fmt : MeterFormat, optional
        How to read it; every field found automatically when omitted.
    tz, load_column, temperature_column : str, optional
        Shortcuts overriding the same fields of ``fmt``.
    steps_min : tuple of int
        Steps the caller can use [min]; a finer file step is averaged to the next one that is
        a multiple of it (30 min to 60 min for the default), and noted.
    allow_negative : bool
        Keep negative load (export on the same column, for billing); refused otherwise.
    keep_gaps : bool
        Leave missing intervals as NaN (noted with their dates) for callers that score only
        measured steps (measured PV); otherwise they are refused or, with ``fill_gaps``, filled.

    Raises
    ------
    InputError
        Naming the file, column and lines with the fix: unreadable or binary files, unknown
        encodings, empty files, missing or ambiguous columns, unreadable or changing time
        offsets, differing duplicates, gaps (unless ``fill_gaps``), negative or absurd loads.
    """
    fmt = fmt or MeterFormat()
    overrides = {k: v for k, v in (("tz", tz), ("load_column", load_column),
                                   ("temperature_column", temperature_column)) if v is not None}
    fmt = dataclasses.replace(fmt, **overrides)
    path = Path(path)
    where = path.name
    frame, first_line, notes = _table(path, fmt)
    time_cols = time_columns(frame, fmt.time_column, where)
    index, time_notes = parse_times(frame, time_cols, fmt.tz, where, first_line)
    roles, role_notes = _roles(frame, fmt, time_cols, where)
    notes += time_notes + role_notes
    col = roles["load"]
    where_col = f"{where}: column {excerpt(col)}"
    table = pd.DataFrame({role: _numbers(frame[name], f"{where}: column {excerpt(name)}", first_line)
                          for role, name in roles.items()}).set_index(index)
    table["line"] = np.arange(len(table)) + first_line
    problems = load_problems(table["load"], where_col, first_line, allow_negative)
    if problems:
        raise InputError(problems)
    table, dup_notes = drop_duplicates(table, where, first_line)
    table, sort_notes = sort_rows(table)
    step_min = file_step_min(table.index, where)
    if fmt.label == "end":
        table.index = table.index - pd.Timedelta(minutes=step_min)
        notes.append(f"interval-ending labels moved back one step ({step_min} min) to interval beginnings")
    elif fmt.label != "begin":
        raise InputError(f"unknown label {excerpt(fmt.label)}; use begin or end", f"{where}: --interval-label")
    table = regular(table, step_min, where, first_line)
    unit, unit_notes = _unit(col, fmt, where)
    load, kw_notes = _to_kw(table["load"], unit, step_min, col)
    notes += dup_notes + sort_notes + unit_notes + kw_notes
    if unit == "kw" and load.max() > MAX_PLAUSIBLE_KW:
        warnings.warn(f"{where}: column {col!r} peaks at {load.max():,.0f} kW, more than any municipal building; "
                      "is it in W? give --unit w or name the column '..._w'", UnitWarning, stacklevel=2)
    suspect = find_suspect(load, step_min)
    notes += suspect.notes()
    missing = load.isna()
    load = load.rename("load_kw")
    if keep_gaps:
        load_fill = FillReport("load_kw", len(load), int(missing.sum()), 0, 0, int(missing.sum()))
    else:
        load, load_fill = _fill(load, step_min, where_col, fmt.fill_gaps)
    if missing.any():
        notes.append(f"{'left missing' if keep_gaps else 'filled as asked'}: {describe_gaps(missing, step_min)}")
    fills = [load_fill]
    extras = _extras(table, roles, step_min, where, fmt.fill_gaps)
    temp = None
    if "temp" in roles:
        temp, temp_fill = _temperature(table, fmt, roles["temp"], step_min, where, notes)
        fills.append(temp_fill)
    target = _target_step(step_min, steps_min, where)
    if target != step_min:
        notes.append(f"{step_min}-min readings averaged to {target}-min steps")
    return MeterHistory(load_kw=_coarsen(load, step_min, target), temp_air_c=_coarsen(temp, step_min, target),
                        step_min=target, fills=fills, notes=notes, source=where,
                        kvar=_coarsen(extras.get("kvar"), step_min, target),
                        export_kw=_coarsen(extras.get("export"), step_min, target), suspect=suspect.on_step(target))
