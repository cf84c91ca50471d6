"""``munigrid schedule`` (tomorrow's battery plan), ``munigrid review`` (how yesterday went) and
``munigrid operations`` (a period of daily operations evaluated on history).

For the bundled scenarios there is no meter data: the "metered" load is the building's archetype
load with its seeded noise; give ``--history FILE`` (or the building's ``load_csv``) for real data.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import click

from munigrid.scenarios.cli import solver_output_to_stderr
from munigrid.scenarios.commands.finite_float import FINITE_FLOAT
from munigrid.scenarios.commands.meter_options import meter_options

LOAD_MODEL_HELP = ("Load forecasting model (seasonal_naive, calendar_regression, profile_scaling, gradient_boosting, "
                   "ensemble; default ensemble, the best measured).")
HISTORY_HELP = ("Meter CSV (time, load, optional temperature; docs/inputs.md) used as history and actuals instead of the "
                "scenario's load (bundled scenarios have no meter data: their archetype load stands in).")


def _site(scenario: str, history: Path | None, meter_fmt=None, meter: str | None = None):
    from munigrid.scenarios import api
    from munigrid.scenarios.operations.site import operations_site

    parsed = api.load(scenario)
    return operations_site(parsed, parsed._base_dir, history=history, meter_fmt=meter_fmt, meter=meter)


def _folder(out: Path | None, site) -> Path:
    from munigrid.solver_runs.containment import child_path

    return out if out is not None else child_path(Path("operations"), site.scenario_name, "name")


@contextmanager
def _spinner(as_json: bool):
    """A transient spinner on stderr (off for --json and when stderr is not a terminal); yields ``say(text)``.

    ``say(text, echo=True)`` also prints the text to stderr when no spinner is shown (not with --json).
    """
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True, disable=as_json or not console.is_terminal) as bar:
        task = bar.add_task("reading the scenario", total=None)

        def say(text: str, echo: bool = False) -> None:
            bar.update(task, description=text)
            if echo and bar.disable and not as_json:
                click.echo(text, err=True)

        yield say


def _weather(path: Path | None, scenario: str):
    if path is None:
        return None
    from munigrid.forecasting.weather_forecast import read_weather_forecast
    from munigrid.scenarios import api

    parsed = api.load(scenario)
    return read_weather_forecast(path, parsed.site.latitude_deg, parsed.site.longitude_deg)


class SocReading(click.ParamType):
    """A SoC reading [-]: one finite number, or ``NAME=FRAC`` pairs separated by commas (one per battery)."""

    name = "soc"

    def convert(self, value, param, ctx):
        """A float, or a dict of battery name to float; fails (exit 2, option named) on anything else."""
        if isinstance(value, float | dict):
            return value
        if "=" not in str(value):
            return FINITE_FLOAT.convert(value, param, ctx)
        readings = {}
        for pair in str(value).split(","):
            name, _, number = pair.partition("=")
            readings[name.strip()] = FINITE_FLOAT.convert(number, param, ctx)
        return readings


common_options = [
    click.option("--day", required=True, help="The day, YYYY-MM-DD (local time)."),
    click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Operations folder with the schedule and review files (default ./operations/SCENARIO)."),
    click.option("--history", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
                 help=HISTORY_HELP),
    click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
    click.option("--meter", default=None,
                 help="The meter to plan: a building on its own meter or a shared connection's name (default: the "
                      "one the batteries are behind, else the one with flexible loads)."),
]


def _with_common(func):
    for option in reversed(common_options):
        func = option(func)
    return meter_options(func)


@click.command()
@click.argument("scenario")
@_with_common
@click.option("--soc-frac", type=SocReading(), default=None,
              help="Battery SoC reading [0-1] taken as the SoC at the start of the day, one for every battery or "
                   "NAME=FRAC,NAME=FRAC per battery (default: the previous day's review or schedule, else the "
                   "scenario's initial SoC).")
@click.option("--peak-kw", type=FINITE_FLOAT, default=None,
              help="Demand already registered this billing month [kW] (default: from the previous day's files).")
@click.option("--issue-time", default=None, help="When the plan is made, ISO 8601 (default 15:00 the day before); "
                                                  "only history before it is used.")
@click.option("--robust/--p50", default=True, show_default=True,
              help="Plan against the P90 load so the month's peak holds when the forecast is low (the EMS's first "
                   "re-plan of the day does the same), or against the P50.")
@click.option("--load-model", default=None, help=LOAD_MODEL_HELP)
@click.option("--pv-forecast", type=click.Choice(["weather", "recent-days"]), default="weather", show_default=True,
              help="PV median from the weather forecast, or from the PV of the last 14 days.")
@click.option("--weather-forecast", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Weather forecast covering the day: CSV with time, temp_air_c [degC], ghi [W/m2] (or EPW/TMY/PVGIS); "
                   "used by the load forecast (temperature) and the PV forecast (default: the scenario's weather).")
@click.option("--lookahead-h", type=FINITE_FLOAT, default=48.0, show_default=True, help="Optimised horizon [h].")
def schedule(scenario, day, out, history, as_json, meter, soc_frac, peak_kw, issue_time, robust, load_model,
             pv_forecast, weather_forecast, lookahead_h, meter_fmt):
    """Tomorrow's schedule for SCENARIO's battery meter: CSV and JSON for the EMS.

    Plans every battery behind the meter (one column set each), the buildings behind a shared
    connection (billed on its net import) and the meter's flexible loads (pumping, pre-cooling,
    EV charging), carrying each one's state from the previous day's files.

    Forecasts load and PV (P10/P50/P90) from the history before the issue time, optimises a
    rolling horizon (48 h, 24 h committed) from the current SoC and the month's demand so far,
    and writes schedule_BUILDING_DAY.csv/.json into the operations folder. Fallbacks taken (no
    SoC reading, weather forecast too short, ...) are listed in the files' header.
    """
    from munigrid.scenarios.operations.daily import make_schedule, parse_day
    from munigrid.scenarios.operations.forecast import DEFAULT_LOAD_MODEL
    from munigrid.scenarios.operations.forecaster_cache import ForecasterCache

    with solver_output_to_stderr(), _spinner(as_json) as say:
        site = _site(scenario, history, meter_fmt, meter)
        folder = _folder(out, site)
        say("forecasting load and PV, optimising the day")
        cache = ForecasterCache(on_fit=lambda message: say(message, echo=True))
        outcome = make_schedule(site, parse_day(day, site), folder=folder, soc_frac=soc_frac, peak_kw=peak_kw,
                                issue_time=issue_time, robust=robust, load_model=load_model or DEFAULT_LOAD_MODEL,
                                pv_method=pv_forecast.replace("-", "_"), weather=_weather(weather_forecast, scenario),
                                lookahead_h=lookahead_h, cache=cache)
    fit = cache.events[-1] if cache.events else None
    forecaster = None if fit is None else {"source": fit.source, "file": str(fit.path), "fit_s": round(fit.fit_s, 3),
                                           "note": fit.note}
    if as_json:
        click.echo(json.dumps({"header": outcome.header, "files": {k: str(v) for k, v in outcome.paths.items()},
                               "forecaster": forecaster, "elapsed_s": round(outcome.elapsed_s, 3)},
                              indent=2, ensure_ascii=False))
        return
    header, rows = outcome.header, outcome.rows
    click.echo(f"schedule {header['building']} {header['day']} (issued {header['issued_at']}, "
               f"{'robust P90' if robust else 'P50'} load, {header['horizon_h']:g} h optimised)")
    click.echo(f"  start SoC {header['start_state']['soc_kwh']:.1f} kWh ({header['start_state']['sources']['soc']}); "
               f"end SoC {header['end_state']['soc_kwh']:.1f} kWh")
    for line in _asset_lines(header, rows, site.step_h):
        click.echo(f"  {line}")
    limit = rows["demand_limit_kw"].max()
    click.echo(f"  charge {rows['battery_setpoint_kw'].clip(lower=0).sum() * site.step_h:.1f} kWh, discharge "
               f"{abs(rows['battery_setpoint_kw'].clip(upper=0).sum()) * site.step_h:.1f} kWh, demand limit "
               f"{'-' if limit != limit else f'{limit:.1f} kW'}, expected cost {header['expected_cost_thb']:,.2f} THB")
    for note in header["fallbacks"]:
        click.echo(f"  fallback: {note}")
    if fit is not None:
        click.echo(f"  load forecaster: {'fitted in %.1f s and cached' % fit.fit_s if fit.source == 'fitted' else 'cached fit'}"
                   f" ({fit.path}){'; ' + fit.note if fit.note else ''}")
    click.echo(f"  solved in {header['solver']['total_s']:.3f} s; whole job {outcome.elapsed_s:.2f} s")
    for path in outcome.paths.values():
        click.echo(f"  wrote {path}")


def _asset_lines(header: dict, rows, step_h: float) -> list[str]:
    """Table lines for each battery (several), each building behind a connection and the flexible loads."""
    lines = []
    for name, soc in header["end_state"].get("battery_soc_kwh", {}).items():
        setpoint = rows[f"{name}:battery_setpoint_kw"]
        lines.append(f"battery {name}: start {header['start_state']['battery_soc_kwh'][name]:.1f} kWh, end {soc:.1f} "
                     f"kWh; charge {setpoint.clip(lower=0).sum() * step_h:.1f} kWh, discharge "
                     f"{abs(setpoint.clip(upper=0).sum()) * step_h:.1f} kWh")
    for member in header.get("members", []):
        lines.append(f"{member}: load {rows[f'{member}:load_forecast_kw'].sum() * step_h:.1f} kWh, PV "
                     f"{rows[f'{member}:pv_forecast_kw'].sum() * step_h:.1f} kWh (forecast, its share of the meter's)")
    flex = header["end_state"].get("flex", {})
    if "flex_kw" in rows:
        lines.append(f"flexible loads {rows['flex_kw'].sum() * step_h:.1f} kWh planned")
    if "reservoir_frac" in flex:
        lines.append(f"reservoir ends at {flex['reservoir_frac']:.1%} of its volume")
    if "zone_temp_c" in flex:
        lines.append(f"cooled zone ends at {flex['zone_temp_c']:.1f} degC")
    if "store_frac" in flex:
        lines.append(f"thermal store ends at {flex['store_frac']:.1%} of its capacity")
    for fleet, kwh in flex.get("ev_kwh", {}).items():
        lines.append(f"EV {fleet}: {rows[f'{fleet}:ev_kw'].sum() * step_h:.1f} kWh charged"
                     + (f", {kwh:.1f} kWh in the session carried past midnight" if kwh > 0 else ""))
    return lines


CONTROL_HELP = ("How the building's EMS runs the day: 'replan' (re-optimise every --replan-steps steps from the "
                "measured SoC and month's demand on the schedule's forecast corrected to the day's level, holding "
                "the demand limit in real time; docs/operations.md), or follow the committed set points: 'setpoint' "
                "(battery kW as planned), 'import' (hold the expected import where a demand limit applies), 'hold_limit' (set "
                "points, lowered to hold the limit).")
CONTROLS = ("replan", "setpoint", "import", "hold_limit")


def _ems_options(func):
    """--control, --reserve-frac, --replan-steps, --cap-charging, --hold-expected (the EMS of review and operations)."""
    options = [
        click.option("--control", type=click.Choice(CONTROLS), default="replan", show_default=True, help=CONTROL_HELP),
        click.option("--reserve-frac", type=FINITE_FLOAT, default=None,
                     help="With --control replan: share of the load forecast's P50-P90 spread the re-plans keep "
                          "battery energy for (default: the best measured; docs/operations.md)."),
        click.option("--replan-steps", type=int, default=None,
                     help="With --control replan: re-optimise every N steps (default: every step)."),
        click.option("--cap-charging/--no-cap-charging", default=None,
                     help="With --control replan: grid charging never lifts the import above the month's registered "
                          "demand in a demand window (default on, the best measured; docs/operations.md)."),
        click.option("--hold-expected/--no-hold-expected", default=None,
                     help="With --control replan: hold the demand limit a re-plan on the expected load sets, not the "
                          "reserve plan's (default on, the best measured; docs/operations.md)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _ems(control: str, reserve_frac: float | None, replan_steps: int | None, cap_charging: bool | None = None,
         hold_expected: bool | None = None):
    """(control of committed set points, intraday policy or None) from the CLI options."""
    from munigrid.scenarios.operations.intraday import IntradayPolicy

    if control != "replan":
        return control, None
    given = {"reserve_frac": reserve_frac, "replan_steps": replan_steps, "cap_charging": cap_charging,
             "hold_expected": hold_expected}
    return "setpoint", IntradayPolicy(**{k: v for k, v in given.items() if v is not None})


@click.command()
@click.argument("scenario")
@_with_common
@click.option("--schedule", "schedule_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="Schedule JSON file (default: the one for the day in the operations folder).")
@click.option("--ems-log", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="A `munigrid ems` log (ems_SITE_DAY.jsonl): its measurements are the actuals, and the "
                   "operations folder defaults to the log's.")
@_ems_options
def review(scenario, day, out, history, as_json, meter, schedule_file, ems_log, control, reserve_frac, replan_steps,
           cap_charging, hold_expected, meter_fmt):
    """How DAY went: replay it against the metered actuals as the EMS ran it.

    Reports energy and cost actually incurred, set points that could not be followed, new
    peaks, forecast error and the cost of perfect foresight for the day; writes
    review_BUILDING_DAY.json, whose end state (SoC, the month's demand) the next schedule reads.
    """
    from munigrid.scenarios.operations.daily import parse_day
    from munigrid.scenarios.operations.review import review_day, write_review

    with solver_output_to_stderr(), _spinner(as_json) as say:
        site = _site(scenario, history, meter_fmt, meter)
        folder = out if out is not None or ems_log is None else ems_log.parent
        folder = _folder(folder, site)
        the_day = parse_day(day, site)
        actual, logged = _logged_day(ems_log, site, the_day) if ems_log is not None else (None, None)
        say("replaying the day as the EMS ran it")
        ems_control, intraday = _ems(control, reserve_frac, replan_steps, cap_charging, hold_expected)
        outcome = review_day(site, the_day, folder, schedule_file, ems_control, intraday, actual=actual)
    if logged is not None:
        outcome.summary["ems_log"] = logged
    path = write_review(outcome, folder, site.building)
    s = outcome.summary
    if as_json:
        click.echo(json.dumps({**outcome.to_json(), "file": str(path)}, indent=2, ensure_ascii=False))
        return
    click.echo(f"review {site.building} {day} (start from {s['start_state_source']}; EMS: {s['ems']})")
    click.echo(f"  import {s['import_kwh']:.1f} kWh (planned {s['planned_import_kwh']:.1f}); cost "
               f"{s['cost_thb']:,.2f} THB (expected {s['expected_cost_thb']:,.2f}, perfect foresight "
               f"{s['perfect_foresight_cost_thb']:,.2f}, gap {s['gap_to_perfect_foresight_frac']:.1%})")
    click.echo(f"  set points not followed: {s['unmet_setpoint_steps']} steps, {s['unmet_setpoint_kwh']:.1f} kWh")
    for family, values in s["new_peak_kw"].items():
        click.echo(f"  {family}: registered {max(s['registered_after_kw'][family]):.1f} kW, new peak above plan "
                   f"{max(values):.1f} kW")
    for what in ("load", "pv"):
        err = s[f"{what}_forecast"]
        click.echo(f"  {what} forecast: MAE {err['mae_kw']:.2f} kW, bias {err['bias_kw']:+.2f} kW, "
                   f"P10-P90 coverage {err['p10_p90_coverage_frac']:.0%}")
    if logged is not None:
        peak = logged["measured_import_peak_kw"]
        click.echo(f"  EMS log: {logged['steps']} steps, {logged['safe_mode_steps']} in safe mode, "
                   f"{len(logged['alarms'])} alarms, {logged['setpoints_written']} set points written"
                   f"{' (dry run)' if logged['dry_run'] else ''}; measured import peak "
                   f"{'-' if peak is None else f'{peak:.1f} kW'}; {logged['filled_steps']} steps interpolated")
    each = ", ".join(f"{name} {kwh:.1f} kWh" for name, kwh in s.get("end_battery_soc_kwh", {}).items())
    click.echo(f"  end SoC {s['end_soc_kwh']:.1f} kWh{f' ({each})' if each else ''}; wrote {path}")


def _logged_day(path: Path, site, day):
    """Actuals [kW] and the controller's summary of ``day`` from a ``munigrid ems`` log."""
    import pandas as pd

    from munigrid.scenarios.operations.link.log import read_log
    from munigrid.scenarios.operations.link.review import logged_actuals, logged_summary

    records, notes = read_log(path)
    step = pd.Timedelta(hours=site.step_h)
    index = pd.date_range(day, periods=int(round(24 / site.step_h)), freq=step)
    actual, filled = logged_actuals(records, index)
    return actual, {**logged_summary(records), "filled_steps": filled, "notes": notes, "file": str(path)}


@click.command()
@click.argument("scenario")
@click.option("--start", default=None, help="First day YYYY-MM-DD (default: the first day with 28 days of history).")
@click.option("--days", type=int, default=None, help="Number of days (default: every metered day from --start).")
@click.option("--history", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help=HISTORY_HELP)
@click.option("--robust/--p50", default=True, show_default=True,
              help="Plan each day ahead against the P90 load, or the P50 (the committed schedules).")
@click.option("--load-model", default=None, help=LOAD_MODEL_HELP)
@click.option("--pv-forecast", type=click.Choice(["weather", "recent-days"]), default="weather", show_default=True,
              help="PV median from the scenario's weather, or from the PV of the last 14 days.")
@_ems_options
@click.option("--refit-days", type=int, default=7, show_default=True, help="Refit the load model every N days.")
@click.option("--daily-csv", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the per-day table (costs, forecast error, new peaks, solve times) to this CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@meter_options
def operations(scenario, start, days, history, robust, load_model, pv_forecast, control, reserve_frac, replan_steps,
               cap_charging, hold_expected, refit_days, daily_csv, as_json, meter_fmt):
    """A period of day-ahead operations rolled day by day over SCENARIO's history.

    Each day is forecast from the history before 15:00 the day before, planned (48 h, 24 h
    committed) and replayed against the actuals; the period's cost is compared with perfect
    foresight, the rule-based strategies of the simulation core and no battery (% gap).
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from munigrid.scenarios.operations.daily import parse_day
    from munigrid.scenarios.operations.evaluate import evaluate_operations
    from munigrid.scenarios.operations.forecast import DEFAULT_LOAD_MODEL

    site = _site(scenario, history, meter_fmt)
    console = Console(stderr=True)
    with solver_output_to_stderr(), Progress(TextColumn("day {task.completed}/{task.total}"), BarColumn(),
                                             TimeElapsedColumn(), console=console, transient=True,
                                             disable=as_json or not console.is_terminal) as bar:
        task = bar.add_task("days", total=days)
        ems_control, intraday = _ems(control, reserve_frac, replan_steps, cap_charging, hold_expected)
        result = evaluate_operations(site, None if start is None else parse_day(start, site), days, robust=robust,
                                     load_model=load_model or DEFAULT_LOAD_MODEL,
                                     pv_method=pv_forecast.replace("-", "_"),
                                     refit_days=refit_days, control=ems_control, intraday=intraday,
                                     progress=lambda done, total: bar.update(task, completed=done, total=total))
    if daily_csv is not None:
        result.daily.to_csv(daily_csv, float_format="%.4f")
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return
    summary = result.to_json()
    click.echo(f"operations {site.building}: {result.days} days from {result.start.date()} "
               f"({'robust P90' if robust else 'P50'} day-ahead load, {result.settings['load_model']}; EMS: "
               f"{result.settings['ems']})")
    click.echo(f"  {'strategy':24s} {'cost THB':>12s} {'gap to PF':>10s} {'share of PF saving':>19s}")
    for name, row in result.costs.iterrows():
        click.echo(f"  {name:24s} {row['cost_thb']:12,.0f} {row['gap_to_perfect_foresight_frac']:10.2%} "
                   f"{row['share_of_perfect_saving_frac']:19.1%}")
    t = result.timings
    click.echo(f"  load forecast MAE {summary['load_forecast_mae_kw']:.2f} kW; days with a new peak above plan: "
               f"{summary['days_with_new_peak']}")
    click.echo(f"  day-ahead solve mean {t['solve_mean_s']:.3f} s, max {t['solve_max_s']:.3f} s; intraday re-plans "
               f"{t['replans']} (solve mean {t['replan_solve_mean_s']:.3f} s); whole day (forecast + plans + replay) "
               f"mean {t['day_mean_s']:.3f} s; total {t['total_s']:.1f} s")
