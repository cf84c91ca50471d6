"""``munigrid tariffs`` (the tariff library) and ``munigrid bill`` (a bill for a metered series)."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from munigrid.models.errors import InputError
from munigrid.scenarios.commands.finite_float import FINITE_FLOAT
from munigrid.scenarios.commands.meter_options import meter_options
from munigrid.scenarios.tables import wide_console


def _parse_override(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise InputError(f"'{text}' is not PATH=VALUE, e.g. energy.rates_thb_per_kwh.on_peak=4.5297", "--override")
    from munigrid.scenarios.yaml_input import option_value

    path, value = text.split("=", 1)
    return path.strip(), option_value(value, f"--override {path.strip()}")


@click.command()
@click.option("--utility", type=click.Choice(["PEA", "MEA"], case_sensitive=False), default=None,
              help="Only this utility's tariffs.")
@click.option("--show", "show", default=None, metavar="ID|FILE",
              help="Every rate of one tariff: a library id or a tariff file (docs/tariffs.md).")
@click.option("--urdb", "urdb", default=None, metavar="ID|FILE",
              help="Print one tariff as URDB rate JSON (to cross-check bills with other tools).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (with every rate).")
def tariffs(utility, show, urdb, as_json):
    """List the tariff library (ids for --tariff and scenario files), or show one tariff's rates."""
    from munigrid.models.tariffs import list_tariffs  # the listing alone loads no numerical stack

    if urdb is not None:
        from munigrid.models.tariffs.library import resolve_tariff
        from munigrid.models.tariffs.urdb import tariff_to_urdb

        click.echo(json.dumps(tariff_to_urdb(resolve_tariff(urdb, where="--urdb")), indent=1))
        return
    if show is not None:
        from munigrid.models.tariffs.describe import rate_lines, tariff_rates
        from munigrid.models.tariffs.library import resolve_tariff

        tariff = resolve_tariff(show, where="--show")
        if as_json:
            click.echo(json.dumps(tariff_rates(tariff), indent=2, ensure_ascii=False))
        else:
            click.echo("\n".join(rate_lines(tariff)))
            click.echo("rates before Ft and VAT")
        return
    rows = [t for t in list_tariffs() if utility is None or t.utility.upper() == utility.upper()]
    if as_json:
        from munigrid.models.tariffs import get_tariff
        from munigrid.models.tariffs.describe import tariff_rates

        click.echo(json.dumps({"tariffs": [{**asdict(t), "rates": tariff_rates(get_tariff(t.id))} for t in rows]},
                              indent=2, ensure_ascii=False))
        return
    click.echo(f"{'id':18s} {'voltage':9s} {'demand':6s} name")
    for t in rows:
        click.echo(f"{t.id:18s} {t.voltage:9s} {'yes' if t.has_demand_charge else 'no':6s} {t.name}")
    click.echo(f"{len(rows)} tariffs; rates before Ft and VAT; data version {rows[0].version if rows else '-'}")


@click.command()
@click.option("--tariff", "tariff_id", default=None,
              help="Tariff id (see `munigrid tariffs`); with --tariff-file, the id inside the file.")
@click.option("--tariff-file", "tariff_file", type=click.Path(dir_okay=False), default=None,
              help="A tariff file (YAML/JSON, format in docs/tariffs.md) instead of a library tariff.")
@click.option("--meter", "meter_path", required=True, type=click.Path(dir_okay=False),
              help="Meter CSV: time, import [kW, W or kWh per interval] [, kvar, export_kw]; see docs/inputs.md.")
@click.option("--ft", "ft_value", type=FINITE_FLOAT, default=None, help="One Ft for every month [THB/kWh].")
@click.option("--ft-schedule", "ft_schedule", type=click.Path(dir_okay=False), default=None,
              help="Ft by period (CSV period,ft_thb_per_kwh or YAML), over the built-in values.")
@click.option("--ft-fallback", type=click.Choice(["error", "last_known"]), default="error", show_default=True,
              help="For months without a known Ft: stop, or use the last known value (reported).")
@click.option("--offpeak-date", "offpeak_dates", multiple=True, help="Extra off-peak date YYYY-MM-DD (repeat).")
@click.option("--ratchet-history", type=FINITE_FLOAT, default=0.0, show_default=True,
              help="Highest demand charge of the 12 months before the data, before VAT [THB].")
@click.option("--override", "overrides", multiple=True,
              help="Tariff override PATH=VALUE, e.g. energy.rates_thb_per_kwh.on_peak=4.5297 (repeat).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@meter_options
def bill(tariff_id, tariff_file, meter_path, ft_value, ft_schedule, ft_fallback, offpeak_dates,
         ratchet_history, overrides, as_json, meter_fmt):
    """Month-by-month bill of a metered series under a tariff."""
    from munigrid.forecasting.meter import read_meter
    from munigrid.models.tariffs import BILL_STEPS_MIN, FtSchedule, apply_overrides, get_tariff
    from munigrid.models.tariffs.library import tariff_from_file

    if ft_value is not None and ft_schedule is not None:
        raise InputError("give --ft or --ft-schedule, not both", "--ft")
    changes = dict(_parse_override(o) for o in overrides)
    if tariff_file is not None:
        tariff = tariff_from_file(tariff_file, tariff_id, "--tariff-file")
        tariff = apply_overrides(tariff, changes) if changes else tariff
    elif tariff_id is not None:
        tariff = get_tariff(tariff_id, changes or None)
    else:
        raise InputError("give a library tariff (--tariff ID, see `munigrid tariffs`) or --tariff-file FILE",
                         "--tariff")
    if ft_value is not None:
        ft = FtSchedule.constant(ft_value)
    elif ft_schedule is not None:
        ft = FtSchedule.from_file(ft_schedule, fallback=ft_fallback)
    else:
        ft = FtSchedule.builtin(fallback=ft_fallback)
    meter = read_meter(meter_path, meter_fmt, steps_min=BILL_STEPS_MIN, allow_negative=True)
    result = tariff.bill(meter.load_kw.rename("import_kw"), ft=ft, kvar=meter.kvar, export_kw=meter.export_kw,
                         ratchet_history_thb=ratchet_history, extra_offpeak_dates=offpeak_dates)
    result.notes[:0] = [f"meter: {note}" for note in meter.notes]
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    _print_bill(tariff.name, result)


def _print_bill(title: str, result) -> None:
    from rich.table import Table

    table = Table(title=f"{result.tariff_id}: {title}")
    table.add_column("item")
    for month in result.monthly.index:
        table.add_column(month, justify="right")
    for column in result.monthly.columns:
        if column.endswith("_thb_per_kwh"):
            fmt = "{:.4f}"
        elif column.endswith("_kw"):
            fmt = "{:,.0f}"
        else:
            fmt = "{:,.2f}"
        table.add_row(column, *(fmt.format(v) for v in result.monthly[column]))
    console = wide_console()
    console.print(table)
    console.print(f"total {result.total_thb:,.2f} THB (VAT included)")
    for note in result.notes:
        console.print(f"note: {note}")
