"""Time stamps of a meter file: which columns hold them and what instant each row is.

Handled, each reported in the reader's notes: one column or separate ``Date`` and ``Time``
columns; ISO 8601, ``dd/mm/yyyy`` (tried before ``mm/dd/yyyy``; the format that reads every
row in increasing order wins), ``yyyy/mm/dd``, 2- or 4-digit years; Buddhist-era years
(2568 = 2025, the Thai calendar's offset of 543); stamps with one UTC offset, or without one
in the zone given (``--tz``, default Asia/Bangkok). Refused with the line and the fix: cells
that no format reads, offsets that change inside the file (a zone with daylight saving),
some stamps with an offset and some without.
"""

from __future__ import annotations

import re
import warnings
import zoneinfo

import numpy as np
import pandas as pd

from munigrid.forecasting.meter_text import excerpt
from munigrid.models.errors import InputError
from munigrid.models.timegrid import TZ

TIME_ALIASES = ("time", "datetime", "timestamp", "date_time", "time(utc)", "วันเวลา", "เวลา")
DATE_ALIASES = ("date", "day", "วันที่")
BUDDHIST_ERA_OFFSET_Y = 543
YEARS = (1900, 2200)  # plausible Gregorian years of a meter reading
BE_YEAR = re.compile(r"(?<![\d:])(?:2[45]\d\d|26\d\d)(?!\d)")
OFFSET = re.compile(r":\d{2}(?::\d{2})?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})$")  # after a clock time
END_OF_DAY = re.compile(r"[ T]24:00(?::00)?(?=$|[+\-Z])")
CLOCK_ONLY = re.compile(r"^\d{1,2}[:.]\d{2}([:.]\d{2})?$")
HAS_DATE = re.compile(r"\d{1,4}[/\-.]\d{1,2}[/\-.]\d{1,4}")
DATE_PARTS = (("%d/%m/%Y", "dd/mm/yyyy"), ("%m/%d/%Y", "mm/dd/yyyy"), ("%d/%m/%y", "dd/mm/yy"),
              ("%m/%d/%y", "mm/dd/yy"), ("%d-%m-%Y", "dd-mm-yyyy"), ("%d.%m.%Y", "dd.mm.yyyy"),
              ("%Y/%m/%d", "yyyy/mm/dd"))
CLOCK_PARTS = ("%H:%M", "%H:%M:%S")
EXAMPLE = "e.g. 2025-01-31 13:00, 31/01/2025 13:00 or separate Date and Time columns"


def _normal(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_")


def _matches(name: str, aliases: tuple[str, ...]) -> bool:
    return any(name == a or name.startswith(a + "_") or name.startswith(a + "(") for a in aliases)


def time_columns(frame: pd.DataFrame, spec: str | None, where: str) -> list[str]:
    """The column(s) holding the time: ``spec`` (``"Date+Time"`` for two), else found by name.

    A ``date`` column and a ``time`` column whose cells are clock times only are combined.
    """
    columns = [str(c) for c in frame.columns]
    if spec is not None:
        wanted = [part.strip() for part in spec.split("+")]
        missing = [w for w in wanted if w not in columns]
        if missing:
            raise InputError(f"time column {excerpt(missing[0])} not found; columns are {column_list(columns)}",
                             f"{where}: --time-column")
        return wanted
    by_name = {_normal(c): c for c in columns}
    time_col = next((c for n, c in by_name.items() if _matches(n, TIME_ALIASES)), None)
    date_col = next((c for n, c in by_name.items() if _matches(n, DATE_ALIASES)), None)
    if time_col is not None and date_col is not None:
        first = str(frame[time_col].dropna().iloc[0]).strip() if frame[time_col].notna().any() else ""
        if CLOCK_ONLY.match(first):
            return [date_col, time_col]
    if time_col is not None:
        return [time_col]
    if date_col is not None:
        return [date_col]
    raise InputError(f"no time column; name it time, datetime or timestamp (or Date and Time), or give "
                     f"--time-column NAME (scenario: load_csv.time_column); columns are {column_list(columns)}", where)


def column_list(columns: list[str], limit: int = 8) -> str:
    """Column names for a message, escaped and shortened."""
    shown = ", ".join(excerpt(c) for c in columns[:limit])
    return shown + (f" … ({len(columns)} columns)" if len(columns) > limit else "")


def lines_of(mask: np.ndarray, first_line: int, limit: int = 5) -> str:
    """File lines of the True entries of ``mask`` (row 0 is ``first_line``), shortened."""
    lines = np.flatnonzero(mask) + first_line
    text = ", ".join(map(str, lines[:limit]))
    return text + (f" … ({len(lines)} lines)" if len(lines) > limit else "")


def _per_unique(series: pd.Series, transform) -> pd.Series:
    """``transform`` (Series -> Series) applied once per distinct value (dates repeat 96 times a day)."""
    codes, uniques = pd.factorize(series)
    done = transform(pd.Series(uniques, dtype=object)).to_numpy(dtype=object)
    return pd.Series(done[codes], index=series.index, dtype=object)


def _buddhist_era(text: pd.Series) -> pd.Series:
    return text.str.replace(BE_YEAR, lambda m: str(int(m.group()) - BUDDHIST_ERA_OFFSET_Y), regex=True)


def _text_stamps(frame: pd.DataFrame, columns: list[str], notes: list[str]) -> pd.Series:
    """The stamps as one text per row: columns joined, stripped, Buddhist-era years converted."""
    parts = [frame[c].fillna("").astype(str) for c in columns]
    edges = pd.concat([piece for part in parts for piece in (part.head(50), part.tail(50))])
    convert_be = bool(edges.str.contains(BE_YEAR).any())
    cleaned = []
    for n, part in enumerate(parts):
        def clean(values: pd.Series, clock: bool = n > 0) -> pd.Series:
            values = values.str.strip()
            values = values.str.replace(".", ":", regex=False) if clock else values
            return _buddhist_era(values) if convert_be else values
        cleaned.append(_per_unique(part, clean))
    text = cleaned[0]
    for part in cleaned[1:]:
        text = text + " " + part
    if convert_be:
        notes.append(f"years after 2400 read as Buddhist era (minus {BUDDHIST_ERA_OFFSET_Y})")
    return text.str.strip() if len(cleaned) > 1 else text


def _check_offsets(text: pd.Series, where: str, first_line: int) -> None:
    offsets = text.str.extract(OFFSET, expand=False).str.replace(":", "", regex=False)
    has = offsets.notna().to_numpy()
    without = ~has & text.str.contains(HAS_DATE).to_numpy()  # cells that are no date at all are reported later
    if has.any() and without.any():
        raise InputError(f"some time stamps have a UTC offset and some do not (lines {lines_of(without, first_line)}, "
                         f"e.g. {excerpt(text[without].iloc[0])}); write every stamp the same way", where)
    rows = np.flatnonzero(has)
    present = offsets.iloc[rows]
    change = present.ne(present.shift()).to_numpy(copy=True)
    if len(change):
        change[0] = False
    if change.any():
        at_, before = rows[int(np.argmax(change))], rows[int(np.argmax(change)) - 1]
        raise InputError(f"the UTC offset changes at line {at_ + first_line} ({excerpt(text.iloc[before])} then "
                         f"{excerpt(text.iloc[at_])}): a zone with daylight saving. munigrid needs one offset; "
                         "convert the stamps to UTC (+00:00) or to one fixed offset such as +07:00", where)


def _iso(text: pd.Series) -> pd.Series | None:
    """Every row read as ISO 8601 with one offset (or none), else None (the careful path)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stamps = pd.to_datetime(text, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        return None
    return stamps if pd.api.types.is_datetime64_any_dtype(stamps) and stamps.notna().all() else None


def _candidates() -> list[tuple[str, str]]:
    out = [("ISO8601", "ISO 8601")]
    for date_fmt, label in DATE_PARTS:
        out += [(f"{date_fmt} {clock}", f"{label} hh:mm{':ss' if clock.endswith('S') else ''}") for clock in CLOCK_PARTS]
    return out


def _best_parse(text: pd.Series) -> tuple[pd.Series, str]:
    """The candidate format that reads most rows, with fewest backward steps, most regularly.

    Regularity (rows at the most common spacing) settles files that both ``dd/mm`` and
    ``mm/dd`` read in increasing order (a few days early in a month).
    """
    best, best_score, best_label = None, None, ""
    for fmt, label in _candidates():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stamps = pd.to_datetime(text, format=fmt, errors="coerce")
        valid = stamps.notna()
        deltas = stamps[valid].diff().dropna()
        regular = int(deltas.eq(deltas.mode().iloc[0]).sum()) if len(deltas) else 0
        score = (int(valid.sum()), -int((deltas < pd.Timedelta(0)).sum()), regular)
        if best_score is None or score > best_score:
            best, best_score, best_label = stamps, score, label
        if score == (len(text), 0, len(text) - 1):
            break
    return best, best_label


def check_zone(tz: str) -> None:
    """Refuse a zone name that is not in the IANA database, naming ``--tz``."""
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise InputError(f"unknown zone {excerpt(tz)}; give an IANA zone such as Asia/Bangkok", "--tz") from None


def parse_times(frame: pd.DataFrame, columns: list[str], tz: str | None, where: str,
                first_line: int = 2) -> tuple[pd.DatetimeIndex, list[str]]:
    """Read the time column(s) of ``frame`` as an Asia/Bangkok index (not yet sorted or checked).

    Parameters
    ----------
    frame : DataFrame
        The file as text cells.
    columns : list of str
        One column, or a date and a time column.
    tz : str or None
        Zone of stamps without an offset; None refuses such stamps.
    where : str
        File name for messages.
    first_line : int
        File line of the first data row.

    Returns
    -------
    index : DatetimeIndex
        One stamp per row, Asia/Bangkok.
    notes : list of str
        How the stamps were read.
    """
    where_col = f"{where}: column {' + '.join(excerpt(c) for c in columns)}"
    if tz is not None:
        check_zone(tz)
    notes: list[str] = []
    text = _text_stamps(frame, columns, notes)
    empty = (text == "").to_numpy()
    if empty.any():
        raise InputError(f"time is empty in lines {lines_of(empty, first_line)}; give a time on every row or delete "
                         "the row", where_col)
    midnight = text.str.contains(END_OF_DAY).to_numpy()
    if midnight.any():
        text = text.str.replace(END_OF_DAY, " 00:00", regex=True)
        notes.append(f"{int(midnight.sum())} stamps at 24:00 read as 00:00 of the next day")
    stamps, label = _iso(text), "ISO 8601"
    if stamps is None:
        _check_offsets(text, where_col, first_line)
        stamps, label = _best_parse(text)
    stamps = stamps + pd.to_timedelta(midnight.astype(int), unit="D")
    bad = stamps.isna().to_numpy()
    if bad.any():
        raise InputError(f"time could not be read in lines {lines_of(bad, first_line)} (first "
                         f"{excerpt(text[bad].iloc[0])}); write dates and times one way, {EXAMPLE}", where_col)
    years = stamps.dt.year.to_numpy()
    odd = (years < YEARS[0]) | (years > YEARS[1])
    if odd.any():
        raise InputError(f"years outside {YEARS[0]}-{YEARS[1]} in lines {lines_of(odd, first_line)} (first "
                         f"{excerpt(text[odd].iloc[0])}); write Gregorian years, or Buddhist-era years 2400-2699 on "
                         "every row", where_col)
    if label != "ISO 8601":
        notes.append(f"time read as {label}")
    index = pd.DatetimeIndex(stamps, name="time").as_unit("ns")
    if index.tz is None and tz is None:
        raise InputError("time stamps have no time zone; add an offset such as +07:00 or state the zone "
                         "(tz='Asia/Bangkok', CLI --tz Asia/Bangkok)", where_col)
    if index.tz is None:
        try:
            index = index.tz_localize(tz, ambiguous="raise", nonexistent="raise")
        except ValueError:
            raise InputError(f"local times that do not exist or repeat in {excerpt(tz)} (a daylight-saving change); "
                             "write the stamps with a UTC offset", where_col) from None
        if tz != TZ:
            notes.append(f"times without an offset read in {tz}")
    return index.tz_convert(TZ), notes
