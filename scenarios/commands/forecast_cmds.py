"""``munigrid forecast pv|load``: PV output and load forecasts, with their measured skill."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from munigrid.forecasting.load_models import MODELS
from munigrid.scenarios.commands.finite_float import FINITE_FLOAT
from munigrid.scenarios.commands.meter_options import meter_options

MOUNTINGS = ("open_rack_glass_polymer", "open_rack_glass_glass", "close_mount_glass_glass",
             "insulated_back_glass_polymer")  # pvlib SAPM mountings (munigrid.forecasting.pv.TemperatureModel)
FORECAST_STEPS_MIN = (15, 30, 60)
MAX_SUSPECT_FRAC = 0.5  # more suspect steps than this: refused rather than fitted on the few left  # load forecasts run at the file's step; finer files are averaged to 15 min


def _table(frame: pd.DataFrame, title: str) -> None:
    click.echo(f"\n{title}")
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:,.3f}".format):
        click.echo(frame.to_string())


def csv_frame(frame: pd.DataFrame, variable: str) -> pd.DataFrame:
    """A forecast as written to CSV: the index named ``time``; a single column named ``variable``
    (e.g. ``pv_ac_kw``), else quantile columns named with the variable's unit (``p10_kw``, ...)
    and ``actual`` as ``actual_kw`` (backtests); other columns (``model``, ``origin``) as they are."""
    unit = variable.rsplit("_", 1)[-1]
    if len(frame.columns) == 1:
        named = frame.set_axis([variable], axis=1)
    else:
        named = frame.rename(columns=lambda c: f"p{round(c * 100)}_{unit}" if isinstance(c, float)
                             else f"actual_{unit}" if c == "actual" else c)
    return named.rename_axis("time")


def _write(frame: pd.DataFrame, out: Path | None, variable: str, building: str) -> None:
    if out is None:
        return
    if out.suffix == ".nc":
        from munigrid.forecasting.results import forecast_dataset
        forecast_dataset({building: frame}, variable=variable).to_netcdf(out, engine="h5netcdf")
    else:
        csv_frame(frame, variable).to_csv(out)
    click.echo(f"wrote {out}", err=True)


def _forecast_summary(pred: pd.DataFrame, step_h: float) -> list[str]:
    """Two lines on a quantile load forecast [kW]: its span, then the P50 energy and peak with the
    P10-P90 band at the peak step (quantiles of single steps: they do not add up over time)."""
    p50 = pred[0.5]
    at = p50.idxmax()
    band = f"; P10-P90 at that step {pred.loc[at, 0.1]:,.1f}-{pred.loc[at, 0.9]:,.1f} kW" \
        if {0.1, 0.9} <= set(pred.columns) else ""
    return [f"from {pred.index[0]} to {pred.index[-1] + pd.Timedelta(hours=step_h)}",
            f"P50: energy {p50.sum() * step_h:,.0f} kWh, peak {p50.max():,.1f} kW at {at}{band}"]


@click.group()
def forecast():
    """PV and load forecasts and backtests."""


@forecast.command()
@click.option("--lat", "latitude_deg", type=FINITE_FLOAT, required=True, help="Site latitude [deg north].")
@click.option("--lon", "longitude_deg", type=FINITE_FLOAT, required=True, help="Site longitude [deg east].")
@click.option("--kwp", "capacity_kwp", type=FINITE_FLOAT, required=True, help="DC capacity [kWp].")
@click.option("--tilt", "tilt_deg", type=FINITE_FLOAT, default=10.0, show_default=True, help="Tilt [deg].")
@click.option("--azimuth", "azimuth_deg", type=FINITE_FLOAT, default=180.0, show_default=True, help="Azimuth [deg], 180 = south.")
@click.option("--losses", "losses_frac", type=FINITE_FLOAT, default=0.14, show_default=True, help="DC system losses [-].")
@click.option("--dc-ac", "dc_ac_ratio", type=FINITE_FLOAT, default=1.2, show_default=True, help="DC/AC ratio [-].")
@click.option("--inverter-kw", "inverter_ac_kw", type=FINITE_FLOAT, default=None, help="Inverter AC rating [kW] (overrides --dc-ac).")
@click.option("--weather", "weather_path", type=click.Path(path_type=Path), default=None,
              help="Weather file (EPW, TMY2/3, PVGIS, or CSV with GHI; a weather forecast for day-ahead). "
                   "Default: offline synthetic typical year.")
@click.option("--measured", "measured_path", type=click.Path(path_type=Path), default=None,
              help="Measured PV AC output CSV (kW, W or kWh per interval; night standby draw set to 0 and "
                   "reported): scores the forecast against clear-sky-index persistence.")
@click.option("--pv-column", default=None, help="Production column of --measured (default: found by name).")
@click.option("--pv-unit", type=click.Choice(["kw", "w", "mw", "kwh", "wh", "mwh"], case_sensitive=False), default=None,
              help="Unit of --measured's column (default: from its name; an unnamed W column is detected).")
@click.option("--tz", default=None,
              help="Site zone: naive CSV stamps are read in it and times are shown and written in it "
                   "(default: the weather file's zone (EPW/TMY), else Asia/Bangkok).")
@click.option("--altitude", "altitude_m", type=FINITE_FLOAT, default=None,
              help="Site altitude [m] (default: the weather file's, else 0).")
@click.option("--temp-coeff", "gamma_per_c", type=FINITE_FLOAT, default=-0.0037, show_default=True,
              help="Power temperature coefficient [1/K]: about -0.0037 crystalline Si, -0.0029 thin film.")
@click.option("--mounting", "temperature_model", type=click.Choice(MOUNTINGS), default="open_rack_glass_polymer",
              show_default=True, help="Mounting for the cell temperature (pvlib SAPM): open rack on rails, "
                                      "close mount flush on the roof, insulated back.")
@click.option("--year", type=int, default=2025, show_default=True, help="Year of the synthetic weather.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the synthetic weather.")
@click.option("--step", "step_min", type=click.Choice(["15", "60"]), default="60", show_default=True, help="Synthetic step [min].")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write the series (.csv or .nc).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def pv(latitude_deg, longitude_deg, capacity_kwp, tilt_deg, azimuth_deg, losses_frac, dc_ac_ratio, inverter_ac_kw,
       weather_path, measured_path, pv_column, pv_unit, tz, altitude_m, gamma_per_c, temperature_model, year,
       seed, step_min, out, as_json):
    """PV AC output of one array from a weather file or the synthetic year; optionally scored."""
    from munigrid.forecasting.pv import PVArraySpec, pv_ac_kw
    from munigrid.forecasting.pv_measured import read_measured_pv
    from munigrid.forecasting.pv_forecast import (
        clear_sky_pv_kw,
        detect_performance_drop,
        persistence_forecast_kw,
        score_pv_forecasts,
    )
    from munigrid.forecasting.weather import read_weather, synthetic_year
    from munigrid.models.errors import InputError

    from munigrid.forecasting.meter_time import check_zone
    from munigrid.scenarios.commands.pv_cli import check_array, site_zone, write_pv

    spec = PVArraySpec(capacity_kwp=capacity_kwp, tilt_deg=tilt_deg, azimuth_deg=azimuth_deg, losses_frac=losses_frac,
                       dc_ac_ratio=dc_ac_ratio, inverter_ac_kw=inverter_ac_kw, gamma_per_c=gamma_per_c,
                       temperature_model=temperature_model)
    check_array(spec, 0.0 if altitude_m is None else altitude_m)
    if tz is not None:
        check_zone(tz)
    if weather_path is None:
        weather = synthetic_year(latitude_deg, longitude_deg, year=year, step_min=int(step_min), seed=seed,
                                 altitude_m=altitude_m or 0.0)
        source = f"synthetic year {year} (seed {seed})"
    else:
        weather = read_weather(weather_path, latitude_deg, longitude_deg, tz=tz)
        source = str(weather_path)
    if altitude_m is None:
        altitude_m = float(weather.attrs.get("altitude_m") or 0.0)
    zone, zone_note = site_zone(tz, weather)
    ac = pv_ac_kw(weather, spec, latitude_deg, longitude_deg, altitude_m)["pv"].tz_convert(zone)
    step_h = (ac.index[1] - ac.index[0]).total_seconds() / 3600
    summary = {"weather": source, "steps": len(ac), "start": ac.index[0].isoformat(), "energy_kwh": float(ac.sum() * step_h),
               "specific_yield_kwh_per_kwp": float(ac.sum() * step_h / capacity_kwp), "peak_kw": float(ac.max()),
               "peak_at": ac.idxmax().isoformat(), "altitude_m": altitude_m,
               "notes": [*weather.attrs.get("notes", []), zone_note]}
    if measured_path is not None:
        read = read_measured_pv(measured_path, tz=tz, column=pv_column, unit=pv_unit, capacity_kwp=capacity_kwp)
        measured = read.pv_kw.reindex(ac.index)
        if measured.notna().sum() == 0:
            raise InputError(f"covers {read.pv_kw.index[0].date()} to {read.pv_kw.index[-1].date()}, no step of the "
                             f"weather ({ac.index[0].date()} to {ac.index[-1].date()}, {source}); give --weather for "
                             "the measured period or --year", f"--measured {measured_path.name}")
        summary["notes"] = summary["notes"] + [f"measured: {n}" for n in read.notes]
        cs = clear_sky_pv_kw(ac.index, spec, latitude_deg, longitude_deg)
        table = score_pv_forecasts(measured, {"persistence": persistence_forecast_kw(measured, cs), "forecast": ac},
                                   cs, capacity_kwp)
        drop = detect_performance_drop(measured, ac)
        summary["scores"] = json.loads(table.to_json(orient="index"))
        summary["data_quality"] = str(drop) if drop else "no lasting performance drop found"
    write_pv(ac, out)
    if out is not None:
        click.echo(f"wrote {out}", err=True)
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(f"PV {capacity_kwp:g} kWp at ({latitude_deg}, {longitude_deg}), weather: {source}")
    click.echo(f"energy {summary['energy_kwh']:,.0f} kWh, specific yield {summary['specific_yield_kwh_per_kwp']:,.0f} "
               f"kWh/kWp, peak {summary['peak_kw']:,.2f} kW at {ac.idxmax():%Y-%m-%d %H:%M%z}")
    for note in summary["notes"]:
        click.echo(f"note: {note}")
    if measured_path is not None:
        _table(table, "scores over daylight steps (skill = 1 - MAE / MAE of clear-sky-index persistence)")
        click.echo(f"data quality: {summary['data_quality']}")


@forecast.command()
@click.option("--history", "history_path", type=click.Path(path_type=Path), required=True,
              help="Meter CSV: time, load [kW, W or kWh per interval], optional temperature [degC]; see docs/inputs.md.")
@click.option("--horizon", default="24h", show_default=True, help="Forecast horizon, e.g. 24h (day-ahead) or 7d.")
@click.option("--model", type=click.Choice(list(MODELS)), default="ensemble", show_default=True,
              help="Model for the forecast (the backtest runs all).")
@click.option("--backtest", is_flag=True, help="Rolling-origin backtest of every model; prints the skill table.")
@click.option("--refit-days", type=int, default=28, show_default=True, help="Backtest refit interval [day].")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Backtest: processes fitting the refits (default: one per CPU for 4 or more refits).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Write forecasts (.csv or .nc; a backtest writes every forecast as CSV).")
@click.option("--keep-suspect", is_flag=True,
              help="Fit and score on repeated days, zero runs and flat runs too (default: left out, listed).")
@click.option("--weather-forecast", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Temperature forecast for the forecast period (CSV: time, temp_air_c [degC]), used instead of "
                   "the temperature one lead earlier.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@meter_options
def load(history_path, horizon, model, backtest, refit_days, workers, weather_forecast, out, keep_suspect, as_json,
         meter_fmt):
    """Load forecast P10/P50/P90 after the end of a metered history, or its backtest."""
    from munigrid.forecasting.backtest import (
        rolling_origin_backtest,
        temperature_forecast,
    )
    from munigrid.forecasting.meter import read_meter
    from munigrid.models.errors import InputError
    from munigrid.models.timegrid import duration

    try:
        horizon_td = duration(horizon)
    except ValueError:
        raise InputError(f"cannot read {horizon!r}; use e.g. 24h, 48h or 7d", "--horizon") from None
    if not horizon_td.total_seconds() > 0:
        raise InputError(f"must be a positive duration, got {horizon!r}; use e.g. 24h, 48h or 7d", "--horizon")
    history = read_meter(history_path, meter_fmt, steps_min=FORECAST_STEPS_MIN)
    load_kw = history.load_for_fitting(keep_suspect)
    n_suspect = int(history.suspect.sum())
    if not keep_suspect and n_suspect > MAX_SUSPECT_FRAC * len(load_kw):
        raise InputError(f"{n_suspect} of {len(load_kw)} steps ({n_suspect / len(load_kw):.0%}) look filled at the "
                         f"source ({'; '.join(n for n in history.notes if n.startswith('suspect readings'))}): too few metered readings to fit a forecast on; "
                         "export the meter's own readings, or give --keep-suspect to use them anyway", "--history")
    if n_suspect:
        history.notes.append(f"{n_suspect} suspect steps {'kept' if keep_suspect else 'left out of fitting and scoring'}"
                             f" ({'default: left out' if keep_suspect else '--keep-suspect keeps them'})")
    info = {"history": str(history_path), "step_min": history.step_min, "fills": [str(f) for f in history.fills],
            "notes": history.notes, "horizon": str(horizon_td), "suspect_steps": n_suspect}
    if backtest:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        with Progress(TextColumn("backtest origins"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True, disable=as_json or not console.is_terminal) as bar:
            task = bar.add_task("origins", total=None)
            result = rolling_origin_backtest(load_kw, history.temp_air_c, horizon=horizon_td,
                                             refit_every_days=refit_days, workers=workers,
                                             progress=lambda done, total: bar.update(task, completed=done, total=total))
        table = result.table()
        if table.empty:
            raise InputError(f"no forecast step could be scored: the {n_suspect} suspect steps left out (and the "
                             "forecasts that needed them) cover every origin; give a longer history or "
                             "--keep-suspect", "--history")
        by_kind, by_hour = result.by_day_kind(), result.by_hour()
        if out is not None:
            csv_frame(result.forecasts, "load_kw").to_csv(out)
            click.echo(f"wrote {out}", err=True)
        if as_json:
            info.update(skill=json.loads(table.to_json(orient="index")),
                        by_day_kind=json.loads(by_kind.reset_index().to_json(orient="records")),
                        by_hour=json.loads(by_hour.to_json(orient="index")))
            click.echo(json.dumps(info))
            return
        for line in info["fills"] + info["notes"]:
            click.echo(f"note: {line}")
        _table(table, f"rolling-origin backtest, horizon {horizon_td}, {result.forecasts['origin'].nunique()} origins "
                      "(MAE/RMSE/pinball in kW; skill = 1 - MAE / MAE of seasonal naive)")
        _table(by_kind[["n", "mae", "mape", "skill_vs_naive"]], "by day kind")
        _table(by_hour, "MAE by hour of day [kW]")
        return
    step = load_kw.index[1] - load_kw.index[0]
    target = pd.date_range(load_kw.index[-1] + step, periods=int(horizon_td / step), freq=step)
    if weather_forecast is not None:
        if history.temp_air_c is None:
            raise InputError("the history has no temperature column to learn the load's response from; add one "
                             "(temp_air_c) or leave out --weather-forecast", "--weather-forecast")
        from munigrid.forecasting.weather_forecast import forecast_temperature

        # a forecast good enough to use is trained with the observed temperature (the perfect-forecast rule)
        fitted = MODELS[model](horizon=horizon_td).fit(load_kw, history.temp_air_c)
        future_temp = forecast_temperature(weather_forecast, target)
        info["notes"].append(f"temperature from the weather forecast {weather_forecast.name}")
    else:
        temp_fc = temperature_forecast(history.temp_air_c, horizon_td, "persistence")
        fitted = MODELS[model](horizon=horizon_td).fit(load_kw, temp_fc)
        future_temp = None
        if history.temp_air_c is not None:
            lead = pd.Timedelta(days=max(1, -(-horizon_td // pd.Timedelta(days=1))))
            future_temp = pd.Series(history.temp_air_c.reindex(target - lead).to_numpy(), index=target)
    pred = fitted.predict(target, load_kw, future_temp)
    _write(pred, out, "load_kw", "site")
    if as_json:
        info.update(model=model, forecast=[{"time": t.isoformat(), **{f"p{int(q * 100)}": float(v) for q, v in row.items()}}
                                           for t, row in pred.iterrows()])
        click.echo(json.dumps(info))
        return
    for line in info["fills"] + info["notes"]:
        click.echo(f"note: {line}")
    if out is not None:  # the rows are in the file: a summary, not a screenful of rows
        click.echo(f"{model} forecast, {len(pred)} steps written to {out}")
        for line in _forecast_summary(pred, step / pd.Timedelta(hours=1)):
            click.echo(line)
        return
    _table(pred.rename(columns=lambda q: f"P{int(q * 100)} kW"), f"{model} forecast, {len(pred)} steps")
