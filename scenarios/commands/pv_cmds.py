"""``munigrid pv calibrate``: fit the PV model to a meter's measured production, check it, flag faults."""

from __future__ import annotations

import json
from pathlib import Path

import click

UNITS = ("kw", "w", "mw", "kwh", "wh", "mwh")


def _percent(scores: dict, key: str) -> str:
    return f"{scores[key]:.1%}" if key in scores else "-"


def _on_common_step(pv_kw, weather):
    """Measured output [kW] and weather on the coarser of their two steps (means of complete intervals only)."""
    def coarsen(frame, step):
        if frame.index[1] - frame.index[0] >= step:
            return frame
        complete = frame.notna().resample(step).min().astype(bool)
        return frame.resample(step).mean().where(complete)

    step = max(pv_kw.index[1] - pv_kw.index[0], weather.index[1] - weather.index[0])
    return coarsen(pv_kw, step), coarsen(weather, step)


@click.group()
def pv():
    """PV calibrated to its meter."""


@pv.command()
@click.option("--measured", "measured_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True,
              help="Measured AC output CSV of the array (kW, W or kWh per interval; a few weeks or more).")
@click.option("--weather", "weather_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True,
              help="Site weather CSV with GHI [W/m2] (and temperature [degC]) over the same period; gaps allowed.")
@click.option("--temperature", "temperature_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="Separate temperature CSV [degC] when --weather has none.")
@click.option("--lat", "latitude_deg", type=click.FloatRange(-90, 90), required=True, help="Latitude [deg north].")
@click.option("--lon", "longitude_deg", type=click.FloatRange(-180, 180), required=True, help="Longitude [deg east].")
@click.option("--kwp", "capacity_kwp", type=click.FloatRange(min=0, min_open=True), required=True,
              help="Nameplate DC size [kWp].")
@click.option("--tilt", "tilt_deg", type=click.FloatRange(0, 90), default=10.0, show_default=True, help="Tilt [deg].")
@click.option("--azimuth", "azimuth_deg", type=click.FloatRange(0, 360), default=180.0, show_default=True,
              help="Azimuth [deg], 180 = south.")
@click.option("--losses", "losses_frac", type=click.FloatRange(0, 1), default=0.14, show_default=True,
              help="DC system losses [-] of the model before calibration.")
@click.option("--inverter-kw", "inverter_ac_kw", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Inverter AC rating [kW] (default kWp / 1.2).")
@click.option("--fit-start", default=None, help="First day of the fit window, YYYY-MM-DD (default: first measured day).")
@click.option("--fit-days", type=click.IntRange(min=7), default=28, show_default=True, help="Fit window [day].")
@click.option("--check-days", type=click.IntRange(min=1), default=None,
              help="Check window after the fit window [day] (default: the rest of the data).")
@click.option("--tz", default="Asia/Bangkok", show_default=True, help="Zone of time stamps without a UTC offset.")
@click.option("--pv-column", default=None, help="Production column of --measured (default: found by name).")
@click.option("--pv-unit", type=click.Choice(UNITS, case_sensitive=False), default=None,
              help="Unit of the production column (default: from its name).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("pv_calibration.json"),
              show_default=True, help="Calibration file to write (a scenario array refers to it: calibration: FILE).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def calibrate(measured_path, weather_path, temperature_path, latitude_deg, longitude_deg, capacity_kwp, tilt_deg,
              azimuth_deg, losses_frac, inverter_ac_kw, fit_start, fit_days, check_days, tz, pv_column, pv_unit, out,
              as_json):
    """Fit effective capacity and a shading/soiling profile on a window, check it on a later one, flag faults."""
    import pandas as pd

    from munigrid.forecasting.measured_weather import read_measured_weather
    from munigrid.forecasting.pv import PVArraySpec, pv_ac_kw
    from munigrid.forecasting.pv_calibration import calibrate_to_meter
    from munigrid.forecasting.pv_measured import read_measured_pv
    from munigrid.models.errors import InputError

    spec = PVArraySpec(capacity_kwp=capacity_kwp, tilt_deg=tilt_deg, azimuth_deg=azimuth_deg, losses_frac=losses_frac,
                       inverter_ac_kw=inverter_ac_kw)
    measured = read_measured_pv(measured_path, tz=tz, column=pv_column, unit=pv_unit, capacity_kwp=capacity_kwp)
    weather, weather_notes = read_measured_weather(weather_path, latitude_deg, longitude_deg, tz=tz,
                                                   temperature_path=temperature_path)
    pv_kw, weather = _on_common_step(measured.pv_kw, weather)
    index = pv_kw.index.intersection(weather.index)
    if index.empty:
        raise InputError(f"no common step: measured {measured.pv_kw.index[0].date()} to "
                         f"{measured.pv_kw.index[-1].date()}, weather {weather.index[0].date()} to "
                         f"{weather.index[-1].date()}; give weather at the measured output's step and period",
                         f"--weather {weather_path.name}")
    sky = weather.reindex(index)
    has_sky = sky["ghi_w_per_m2"].notna()
    modelled = pv_ac_kw(sky.fillna(0.0), spec, latitude_deg, longitude_deg)["pv"].where(has_sky)
    try:
        start = None if fit_start is None else pd.Timestamp(fit_start)
    except ValueError:
        raise InputError(f"cannot read {fit_start!r}; use YYYY-MM-DD", "--fit-start") from None
    calib = calibrate_to_meter(pv_kw.reindex(index), modelled, capacity_kwp, start, fit_days, check_days)
    calib.model = {"tilt_deg": tilt_deg, "azimuth_deg": azimuth_deg, "losses_frac": losses_frac,
                   "inverter_ac_kw": spec.ac_rating_kw, "latitude_deg": latitude_deg, "longitude_deg": longitude_deg}
    calib.save(out)
    notes = [f"measured: {n}" for n in measured.notes] + [f"weather: {n}" for n in weather_notes]
    if as_json:
        click.echo(json.dumps({"file": str(out), "effective_kwp": calib.effective_kwp, "notes": notes,
                               **json.loads(out.read_text())}))
        return
    for note in notes:
        click.echo(f"note: {note}")
    click.echo(f"fit {calib.fit_start} to {calib.fit_end} ({calib.fit_days} complete days): capacity factor "
               f"{calib.capacity_factor:.3f} (effective {calib.effective_kwp:.2f} of {capacity_kwp:g} kWp), ceiling "
               f"{calib.max_output_kw:.2f} kW, hour profile {min(calib.hour_factors):.2f}-{max(calib.hour_factors):.2f}"
               + (f", month profiles {', '.join(calib.month_hour_factors)}" if calib.month_hour_factors else ""))
    click.echo("window       days  daily energy error (of mean)  hourly nRMSE (of daylight mean / of kWp)")
    for name, pair in calib.checks.items():
        for stage in ("nominal", "calibrated"):
            s = pair[stage]
            click.echo(f"{name:<10} {stage[:5]:>5} {s.get('days', 0):>4}  {_percent(s, 'daily_mae_frac'):>8} "
                       f"(bias {_percent(s, 'daily_bias_frac')})   {_percent(s, 'hourly_nrmse_daylight_frac'):>8} / "
                       f"{_percent(s, 'hourly_nrmse_kwp_frac')}")
    for fault in calib.faults:
        click.echo(f"fault: {fault['start']} to {fault['end']}: measured output {fault['ratio']:.0%} of the calibrated "
                   "model (a fault, soiling or shading; flagged, not fitted, left out of the check)")
    if not calib.faults:
        click.echo("faults: none found")
    click.echo(f"wrote {out}")
