"""Numbers as people read them: Thai baht, energy, percentages.

Thai and English both group thousands with commas. Amounts of a million baht or more are
shortened: ``THB 1.23 M`` / ``1.23 ล้านบาท`` (ล้าน = million).
"""

from __future__ import annotations

import math

MILLION = 1_000_000.0


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def thb(value: float | None, lang: str = "en", compact: bool = True) -> str:
    """An amount in baht [THB] as text, e.g. ``THB 1,234,567``, ``THB 1.23 M`` or ``1.23 ล้านบาท``."""
    if _missing(value):
        return "–"
    value = float(value)
    if compact and abs(value) >= MILLION:
        number = f"{value / MILLION:,.2f}"
        return f"{number} ล้านบาท" if lang == "th" else f"THB {number} M"
    number = f"{value:,.0f}"
    return f"{number} บาท" if lang == "th" else f"THB {number}"


def number(value: float | None, digits: int = 0, unit: str = "") -> str:
    """A number with thousands separators and ``digits`` decimals, and its unit if given."""
    if _missing(value):
        return "–"
    text = f"{float(value):,.{digits}f}"
    return f"{text} {unit}" if unit else text


def percent(value_pct: float | None, digits: int = 1) -> str:
    """A percentage [%] as text (``42.0 %``)."""
    return number(value_pct, digits, "%")


#: unit suffix of a column name -> unit shown in a header
UNITS = {"_thb_per_kwh": "THB/kWh", "_thb": "THB", "_frac": "%", "_pct": "%", "_mwh": "MWh", "_kwh": "kWh",
         "_kwp": "kWp", "_kw": "kW", "_m2": "m²", "_years": "years", "_t": "t", "_s": "s"}


def header(column: str) -> str:
    """A column name as a header: ``npv_thb`` -> ``npv [THB]``, ``irr_frac`` -> ``irr [%]``; an
    unnamed index column written by pandas (``Unnamed: 0``) has none."""
    if column.startswith("Unnamed:"):
        return ""
    for suffix, unit in UNITS.items():
        if column.endswith(suffix) and len(column) > len(suffix):
            return f"{column[:-len(suffix)].replace('_', ' ')} [{unit}]"
    return column.replace("_", " ").strip()


#: decimals by unit suffix of a column name
DIGITS = {"_mwh": 1, "_kwh": 0, "_pct": 1, "_kw": 1, "_kwp": 1, "_m2": 0, "_t": 1, "_s": 2, "_years": 1}


def cell(value, column: str, lang: str = "en") -> str:
    """A table cell by its column's unit suffix: ``_thb`` as baht, ``_frac`` as percent, others
    with the decimals of :data:`DIGITS`; text as it is."""
    if _missing(value):
        return "–"
    if isinstance(value, (str, bool)):
        return str(value)
    if column.endswith("_thb"):
        return thb(value, lang, compact=False)
    if column.endswith("_frac"):
        return percent(100.0 * float(value), 1)
    digits = next((d for suffix, d in DIGITS.items() if column.endswith(suffix)), None)
    if digits is not None:
        return number(value, digits)
    return f"{float(value):,.4g}"
