r"""Outdoor air temperature columns of meter and weather files: found by name, read in °C.

Unit, in order: the one the caller states (CLI ``--temperature-unit c|f|k``, scenario
``load_csv.temperature_unit``), else the one the column's name states (``temp_f``,
``Temperature (°F)``, ``temperature_k``, ``t_air_degc``, ``fahrenheit``, ``kelvin``), else °C.
Conversion: :math:`T_C = (T_F - 32) \cdot 5/9`, :math:`T_C = T_K - 273.15`.

Plausibility: after conversion, single values outside :data:`VALID_C` are missing (the
-17.78 °C = 0 °F "missing" code of some loggers), noted; a column whose readings are mostly
outside it is in another unit than the one read, and refused with the column, the unit read,
the unit its values fit, and the fix.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from munigrid.forecasting.meter_format import TEMPERATURE_UNITS
from munigrid.forecasting.meter_text import excerpt
from munigrid.models.errors import InputError

UNIT_NAMES = {"c": "°C", "f": "°F", "k": "K"}
NAME_TOKENS = {"c": "c", "degc": "c", "celsius": "c", "f": "f", "degf": "f", "fahrenheit": "f",
               "k": "k", "kelvin": "k"}
#: Plausible outdoor air temperature in Thailand's climate and beyond [degC]; outside is missing.
VALID_C = (-10.0, 55.0)
#: Largest share of readings outside :data:`VALID_C` treated as missing codes, not a wrong unit [-].
MAX_INVALID_FRAC = 0.5
#: Names of a temperature column (case-insensitive; exact, or followed by ``_``/``(`` and a unit).
TEMP_ALIASES = ("temp_air_c", "temp_air", "temperature", "temp", "t_air", "t2m", "outdoor", "oat",
                "ambient", "dry_bulb", "drybulb", "อุณหภูมิ")
#: Words that make an alias match something else (``outdoor_lighting_kw``, ``ambient_humidity``).
NOT_TEMP = ("kw", "wh", "humid", "dew", "light", "lux", "wind", "rain", "irrad", "ghi", "module", "cell", "panel")
UNIT_FIX = ("give the unit (CLI --temperature-unit c|f|k; scenario load_csv.temperature_unit) or name the column "
            "with it (temp_c, temp_f, temperature_k)")


def unit_in_name(name: object) -> str | None:
    """The temperature unit a column name states (``temp_f`` -> ``f``, ``Temp (°C)`` -> ``c``), or None."""
    text = str(name).lower().replace("°", " deg")
    tokens = [t for t in re.split(r"[^a-z]+", text) if t]
    for first, second in zip(tokens, tokens[1:] + [""]):
        if first == "deg" and second in ("c", "f"):
            return second
    return next((NAME_TOKENS[t] for t in tokens[1:] if t in NAME_TOKENS), None)


def to_celsius(values: pd.Series, unit: str) -> pd.Series:
    """Temperature in ``unit`` (``c``, ``f`` or ``k``) as degC."""
    if unit == "f":
        return (values - 32.0) * 5.0 / 9.0
    if unit == "k":
        return values - 273.15
    return values


def _fitting_unit(values: pd.Series) -> str | None:
    """The unit in which most readings are plausible, if one is."""
    for unit in TEMPERATURE_UNITS:
        c = to_celsius(values, unit)
        if ((c >= VALID_C[0]) & (c <= VALID_C[1])).mean() > 1 - MAX_INVALID_FRAC:
            return unit
    return None


def temperature_c(values: pd.Series, name: str, unit: str | None, where: str) -> tuple[pd.Series, list[str]]:
    """A temperature column as degC, implausible single values as NaN.

    Parameters
    ----------
    values : pandas.Series
        The column's numbers (NaN where missing).
    name : str
        Column name (for its unit and for messages).
    unit : {"c", "f", "k"} or None
        Unit stated by the caller; from the name, else degC, when None.
    where : str
        File (and option) for messages.

    Returns
    -------
    (pandas.Series, list of str)
        Temperature [degC] and notes: the unit read and the values treated as missing.

    Raises
    ------
    InputError
        Unknown unit, or a column mostly outside :data:`VALID_C` in the unit read.
    """
    stated = unit.strip().lower() if unit is not None else None
    if stated is not None and stated not in TEMPERATURE_UNITS:
        raise InputError(f"unknown temperature unit {excerpt(unit)}; use c, f or k", f"{where}: --temperature-unit")
    chosen = stated or unit_in_name(name) or "c"
    how = "as stated" if stated else "from its name" if unit_in_name(name) else "no unit in its name"
    celsius = to_celsius(values.astype(float), chosen)
    known = celsius.dropna()
    invalid = (celsius < VALID_C[0]) | (celsius > VALID_C[1])
    if len(known) and invalid.sum() > MAX_INVALID_FRAC * len(known):
        fits = _fitting_unit(known)
        hint = f"; its values fit {UNIT_NAMES[fits]}" if fits and fits != chosen else ""
        raise InputError(f"temperature column {excerpt(name)} read in {UNIT_NAMES[chosen]} ({how}) has "
                         f"{int(invalid.sum())} of {len(known)} values outside {VALID_C[0]:g}..{VALID_C[1]:g} °C "
                         f"(median {float(np.median(known)):.4g}){hint}; {UNIT_FIX}", where)
    notes = [f"column {excerpt(name)} read as outdoor temperature in {UNIT_NAMES[chosen]} ({how})"]
    if invalid.any():
        notes.append(f"column {excerpt(name)}: {int(invalid.sum())} values outside {VALID_C[0]:g}..{VALID_C[1]:g} °C "
                     "treated as missing (e.g. -17.78 °C = 0 °F code)")
    return celsius.mask(invalid), notes
