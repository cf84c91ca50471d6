"""How to read a meter file: the options a user gives (CLI flags, scenario ``load_csv`` fields).

Light on purpose (no pandas): the command line builds a :class:`MeterFormat` before any
heavy import.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TZ = "Asia/Bangkok"
POWER_UNITS = ("kw", "w", "mw")
ENERGY_UNITS = ("kwh", "wh", "mwh")
UNITS = POWER_UNITS + ENERGY_UNITS
LABELS = ("begin", "end")
TEMPERATURE_UNITS = ("c", "f", "k")


@dataclass(frozen=True)
class MeterFormat:
    """Options for reading a meter CSV; every one is found automatically when left ``None``.

    Parameters
    ----------
    time_column : str, optional
        Column with date and time, or two columns joined by ``+`` (``"Date+Time"``).
    load_column : str, optional
        Column of the load; in a wide file (one column per building or floor) the one to read.
    unit : str, optional
        Unit of the load column: ``kw``, ``w``, ``mw`` (mean power over each interval) or
        ``kwh``, ``wh``, ``mwh`` (energy per interval, converted to kW by the file's step).
        Default: from the column name (``load_kw``, ``power_w``, ``energy_kwh``), else kW.
    tz : str
        Zone of time stamps written without an offset [IANA name].
    encoding : str, optional
        Text encoding; detected when omitted (UTF-8, UTF-16/32 with BOM, Thai Windows cp874).
    fill_gaps : bool
        Fill missing intervals (short gaps linearly, longer ones from the same time a week
        apart); without it gaps are refused with their dates.
    temperature_column : str, optional
        Column of outdoor air temperature (default: found by name).
    temperature_unit : {"c", "f", "k"}, optional
        Unit of the temperature column (default: from its name, ``temp_f``, else °C).
    label : {"begin", "end"}
        Whether a stamp labels the beginning of its interval (munigrid's convention) or its
        end (many utility exports: ``00:15`` for 00:00-00:15, ``24:00`` for the day's last);
        end labels are moved back one step.
    """

    time_column: str | None = None
    load_column: str | None = None
    unit: str | None = None
    tz: str = DEFAULT_TZ
    encoding: str | None = None
    fill_gaps: bool = False
    temperature_column: str | None = None
    label: str = "begin"
    temperature_unit: str | None = None
