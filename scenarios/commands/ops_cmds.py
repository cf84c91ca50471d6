"""``munigrid schedule`` (tomorrow's battery plan), ``munigrid review`` (how yesterday went) and
``munigrid operations`` (a period of daily operations evaluated on history).

For the bundled scenarios there is no meter data: the "metered" load is the building's archetype
load with its seeded noise; give ``--history FILE`` (or the building's ``load_csv``) for real data.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from munigrid.scenarios.cli import solver_output_to_stderr

HISTORY_HELP = ("Meter CSV (time, load kW, optional temperature) used as history and actuals instead of the "
                "scenario's load (bundled scenarios have no meter data: their archetype load stands in).")


def _site(scenario: str, history: Path | None):
    from munigrid.scenarios import api
    from munigrid.scenarios.operations.site import operations_site

    parsed = api.load(scenario)
    return operations_site(parsed, parsed._base_dir, history=history)


def _folder(out: Path | None, site) -> Path:
    return out if out is not None else Path("operations") / site.scenario_name


def _weather(path: Path | None, scenario: str):
    if path is None:
        return None
    from munigrid.forecasting.weather import read_weather
    from munigrid.scenarios import api

    parsed = api.load(scenario)
    return read_weather(path, parsed.site.latitude_deg, parsed.site.longitude_deg, tz="Asia/Bangkok")


common_options = [
    click.option("--day", required=True, help="The day, YYYY-MM-DD (local time)."),
    click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Operations folder with the schedule and review files (default ./operations/SCENARIO)."),
    click.option("--history", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
                 help=HISTORY_HELP),
    click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
]


def _with_common(func):
    for option in reversed(common_options):
        func = option(func)
    return func


@click.command()
@click.argument("scenario")
@_with_common
@click.option("--soc-frac", type=float, default=None,
              help="Battery SoC reading [0-1] taken as the SoC at the start of the day (default: the previous "
                   "day's review or schedule, else the scenario's initial SoC).")
@click.option("--peak-kw", type=float, default=None,
              help="Demand already registered this billing month [kW] (default: from the previous day's files).")
@click.option("--issue-time", default=None, help="When the plan is made, ISO 8601 (default 15:00 the day before); "
                                                  "only history before it is used.")
@click.option("--robust", is_flag=True, help="Plan against the P90 load so the month's peak holds when the "
                                              "forecast is low.")
@click.option("--load-model", default="calendar_regression", show_default=True,
              help="Load forecasting model (seasonal_naive, calendar_regression, gradient_boosting).")
@click.option("--pv-forecast", type=click.Choice(["weather", "recent-days"]), default="weather", show_default=True,
              help="PV median from the weather forecast, or from the PV of the last 14 days.")
@click.option("--weather-forecast", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Weather forecast file (EPW/TMY/PVGIS/CSV) covering the day (default: the scenario's weather).")
@click.option("--lookahead-h", type=float, default=48.0, show_default=True, help="Optimised horizon [h].")
def schedule(scenario, day, out, history, as_json, soc_frac, peak_kw, issue_time, robust, load_model, pv_forecast,
             weather_forecast, lookahead_h):
    """Tomorrow's battery schedule for SCENARIO's battery building: CSV and JSON for the EMS.

    Forecasts load and PV (P10/P50/P90) from the history before the issue time, optimises a
    rolling horizon (48 h, 24 h committed) from the current SoC and the month's demand so far,
    and writes schedule_BUILDING_DAY.csv/.json into the operations folder. Fallbacks taken (no
    SoC reading, weather forecast too short, ...) are listed in the files' header.
    """
    from munigrid.scenarios.operations.daily import make_schedule, parse_day

    site = _site(scenario, history)
    folder = _folder(out, site)
    with solver_output_to_stderr():
        outcome = make_schedule(site, parse_day(day, site), folder=folder, soc_frac=soc_frac, peak_kw=peak_kw,
                                issue_time=issue_time, robust=robust, load_model=load_model,
                                pv_method=pv_forecast.replace("-", "_"), weather=_weather(weather_forecast, scenario),
                                lookahead_h=lookahead_h)
    if as_json:
        click.echo(json.dumps({"header": outcome.header, "files": {k: str(v) for k, v in outcome.paths.items()},
                               "elapsed_s": round(outcome.elapsed_s, 3)}, indent=2, ensure_ascii=False))
        return
    header, rows = outcome.header, outcome.rows
    click.echo(f"schedule {header['building']} {header['day']} (issued {header['issued_at']}, "
               f"{'robust P90' if robust else 'P50'} load, {header['horizon_h']:g} h optimised)")
    click.echo(f"  start SoC {header['start_state']['soc_kwh']:.1f} kWh ({header['start_state']['sources']['soc']}); "
               f"end SoC {header['end_state']['soc_kwh']:.1f} kWh")
    limit = rows["demand_limit_kw"].max()
    click.echo(f"  charge {rows['battery_setpoint_kw'].clip(lower=0).sum() * site.step_h:.1f} kWh, discharge "
               f"{-rows['battery_setpoint_kw'].clip(upper=0).sum() * site.step_h:.1f} kWh, demand limit "
               f"{'-' if limit != limit else f'{limit:.1f} kW'}, expected cost {header['expected_cost_thb']:,.2f} THB")
    for note in header["fallbacks"]:
        click.echo(f"  fallback: {note}")
    click.echo(f"  solved in {header['solver']['total_s']:.3f} s; whole job {outcome.elapsed_s:.2f} s")
    for path in outcome.paths.values():
        click.echo(f"  wrote {path}")
