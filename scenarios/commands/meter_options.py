"""The meter-file options every command that reads a meter file shares (``bill``,
``forecast load``, ``schedule``, ``review``, ``operations``).

:func:`meter_options` adds the flags to a click command and hands the command one
:class:`~munigrid.forecasting.meter_format.MeterFormat` as ``meter_fmt``; the file itself is
read by :func:`munigrid.forecasting.meter.read_meter`. Light: imports neither pandas nor the reader.
"""

from __future__ import annotations

import functools

import click

from munigrid.forecasting.meter_format import DEFAULT_TZ, LABELS, TEMPERATURE_UNITS, UNITS, MeterFormat

OPTIONS = (
    click.option("--tz", default=DEFAULT_TZ, show_default=True,
                 help="Zone of meter time stamps written without a UTC offset."),
    click.option("--time-column", default=None,
                 help="Meter time column, or DATE+TIME for two columns (default: found by name)."),
    click.option("--load-column", "--column", "load_column", default=None,
                 help="Meter load column; in a wide file (one column per building or floor) the one to read."),
    click.option("--unit", type=click.Choice(UNITS, case_sensitive=False), default=None,
                 help="Unit of the load column: kW/W/MW mean power or kWh/Wh/MWh per interval "
                      "(default: from the column name, else kW)."),
    click.option("--encoding", default=None,
                 help="Text encoding of the meter file (default: detected; UTF-8, UTF-16, Thai cp874)."),
    click.option("--interval-label", "label", type=click.Choice(LABELS), default="begin", show_default=True,
                 help="Whether meter stamps label the beginning or the end of their interval (end: moved back one step)."),
    click.option("--temperature-column", default=None,
                 help="Meter outdoor temperature column (default: found by name: temp, temperature, Outdoor, ...)."),
    click.option("--temperature-unit", type=click.Choice(TEMPERATURE_UNITS, case_sensitive=False), default=None,
                 help="Unit of the temperature column: c, f or k (default: from its name, temp_f, else c)."),
    click.option("--fill-gaps", is_flag=True,
                 help="Fill missing meter intervals (short gaps linearly, longer ones from a week apart); "
                      "without it gaps are refused with their dates."),
)
FIELDS = ("tz", "time_column", "load_column", "unit", "encoding", "label", "temperature_column", "temperature_unit",
          "fill_gaps")


def meter_options(func):
    """Add the meter flags to a click command; it receives them as ``meter_fmt`` (a MeterFormat)."""

    @functools.wraps(func)
    def command(*args, **kwargs):
        fmt = MeterFormat(**{name: kwargs.pop(name) for name in FIELDS})
        return func(*args, meter_fmt=fmt, **kwargs)

    for option in reversed(OPTIONS):
        command = option(command)
    return command
