r"""PV AC power per building with pvlib: one model chain, several arrays.

For each array and interval (sun at the interval midpoint):

1. Plane of array, Perez transposition: :math:`G_{poa} = B_n \cos\theta + D_{sky} + \rho G_h (1-\cos\beta)/2`.
2. Reflection loss on the beam (physical IAM, glass n = 1.526):
   :math:`G_{eff} = B_n \cos\theta \, \mathrm{IAM}(\theta) + D_{sky} + D_{ground}`.
3. Cell temperature, SAPM: :math:`T_c = G_{poa} e^{a + b v} + T_a + G_{poa}\Delta T/1000`.
4. DC power, PVWatts (or a CEC module by the single-diode model):
   :math:`P_{dc} = P_{dc0}\,\tfrac{G_{eff}}{1000}\,[1 + \gamma (T_c - 25)]\,(1 - L)\,(1 - d)^{n-1}`
   with system losses :math:`L` and yearly degradation :math:`d` in operating year :math:`n`.
5. AC power, PVWatts inverter with part-load efficiency, clipped at :math:`P_{ac0}`
   (:math:`P_{ac0} = P_{dc0} / r_{dc/ac}` unless given).

A per-kWp profile (:func:`pv_ac_kw_per_kwp`) scales linearly with capacity only when the
inverter grows with the array at a fixed DC/AC ratio, which is how the optimiser sizes PV;
with a fixed inverter, clipping makes output concave in kWp.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal, Sequence

import numpy as np
import pandas as pd
import pvlib

from munigrid.forecasting.solar import solar_geometry
from munigrid.forecasting.weather.synthetic import WEATHER_COLUMNS
from munigrid.models.errors import InputError, Problem

TemperatureModel = Literal["open_rack_glass_glass", "close_mount_glass_glass", "open_rack_glass_polymer",
                           "insulated_back_glass_polymer"]
IAM_GLASS_N = 1.526  # refractive index of PVWatts' glass cover [-]


@dataclass(frozen=True)
class PVArraySpec:
    """One PV array (a roof face) of a building.

    Parameters
    ----------
    capacity_kwp : float
        DC nameplate at STC [kWp].
    tilt_deg, azimuth_deg : float
        Surface tilt from horizontal [deg] and azimuth clockwise from north [deg] (180 = south).
    losses_frac : float
        DC system losses (soiling, wiring, mismatch, availability) [-]; PVWatts default 0.14.
    dc_ac_ratio : float
        DC nameplate over inverter AC rating [-]; used when ``inverter_ac_kw`` is not given.
    inverter_ac_kw : float, optional
        Inverter AC rating [kW]; overrides ``dc_ac_ratio``.
    inverter_eff_frac : float
        Nominal inverter efficiency [-].
    gamma_per_c : float
        Power temperature coefficient [1/K] (PVWatts model only).
    temperature_model : str
        SAPM mounting: ``open_rack_glass_polymer`` (rails with an air gap, the default),
        ``close_mount_glass_glass`` (flush on the roof), ...
    degradation_frac_per_year : float
        Yearly loss of output [-/year]; 0.005 per reference/thai-energy.md.
    albedo_frac : float
        Ground reflectance [-].
    cec_module : str, optional
        Name of a module in pvlib's bundled CEC database; then DC power comes from the
        single-diode model with that module's parameters instead of PVWatts.
    name : str
        Label of the array in results.
    """

    capacity_kwp: float
    tilt_deg: float = 10.0
    azimuth_deg: float = 180.0
    losses_frac: float = 0.14
    dc_ac_ratio: float = 1.2
    inverter_ac_kw: float | None = None
    inverter_eff_frac: float = 0.96
    gamma_per_c: float = -0.0037
    temperature_model: TemperatureModel = "open_rack_glass_polymer"
    degradation_frac_per_year: float = 0.005
    albedo_frac: float = 0.2
    cec_module: str | None = None
    name: str = "pv"

    def problems(self, where: str = "pv") -> list[Problem]:
        """Every invalid field, each with what would be valid."""
        checks = [
            ("capacity_kwp", self.capacity_kwp >= 0, "must be >= 0 kWp"),
            ("tilt_deg", 0 <= self.tilt_deg <= 90, "must be between 0 and 90"),
            ("azimuth_deg", 0 <= self.azimuth_deg <= 360, "must be between 0 and 360 (180 = south)"),
            ("losses_frac", 0 <= self.losses_frac < 1, "must be a fraction in [0, 1), e.g. 0.14"),
            ("dc_ac_ratio", 0.5 <= self.dc_ac_ratio <= 3, "must be between 0.5 and 3"),
            ("inverter_ac_kw", self.inverter_ac_kw is None or self.inverter_ac_kw > 0, "must be > 0 kW"),
            ("inverter_eff_frac", 0.5 < self.inverter_eff_frac <= 1, "must be a fraction in (0.5, 1]"),
            ("gamma_per_c", -0.01 <= self.gamma_per_c <= 0, "must be in [-0.01, 0] per K, e.g. -0.0037"),
            ("temperature_model", self.temperature_model in TemperatureModel.__args__,
             f"must be one of {', '.join(TemperatureModel.__args__)}"),
            ("degradation_frac_per_year", 0 <= self.degradation_frac_per_year < 0.05, "must be in [0, 0.05), e.g. 0.005"),
            ("albedo_frac", 0 <= self.albedo_frac <= 1, "must be a fraction in [0, 1]"),
        ]
        found = [Problem(f"{where}.{field}", f"{msg}, got {getattr(self, field)!r}") for field, ok, msg in checks if not ok]
        if self.cec_module is not None and self.cec_module not in cec_modules().columns:
            found.append(Problem(f"{where}.cec_module", f"{self.cec_module!r} is not in pvlib's CEC database; "
                                 "see munigrid.forecasting.pv.cec_modules().columns"))
        return found

    @property
    def ac_rating_kw(self) -> float:
        """Inverter AC rating [kW]."""
        return self.inverter_ac_kw if self.inverter_ac_kw is not None else self.capacity_kwp / self.dc_ac_ratio


@lru_cache(maxsize=1)
def cec_modules() -> pd.DataFrame:
    """pvlib's bundled CEC module database (offline), one column per module."""
    return pvlib.pvsystem.retrieve_sam("CECMod")


def check_weather(weather: pd.DataFrame, where: str = "weather") -> None:
    """Raise :class:`InputError` unless ``weather`` has the munigrid weather columns on a tz-aware index."""
    problems = [Problem(where, f"missing column {c!r}") for c in WEATHER_COLUMNS if c not in weather.columns]
    if not isinstance(weather.index, pd.DatetimeIndex) or weather.index.tz is None:
        problems.append(Problem(f"{where}.index", "needs tz-aware time stamps (Asia/Bangkok)"))
    if problems:
        raise InputError(problems)


def plane_of_array(weather: pd.DataFrame, geometry: pd.DataFrame, tilt_deg: float, azimuth_deg: float,
                   albedo_frac: float) -> pd.DataFrame:
    r"""Plane-of-array irradiance (Perez) and its reflection-corrected effective part [W/m2].

    Returns ``poa_global`` and ``effective`` where
    :math:`G_{eff} = G_{beam}\,\mathrm{IAM}_{phys}(\theta) + G_{sky} + G_{ground}`.
    """
    airmass = pvlib.atmosphere.get_relative_airmass(geometry["apparent_zenith"].to_numpy())
    poa = pvlib.irradiance.get_total_irradiance(
        tilt_deg, azimuth_deg, geometry["apparent_zenith"].to_numpy(), geometry["azimuth"].to_numpy(),
        weather["dni_w_per_m2"].to_numpy(), weather["ghi_w_per_m2"].to_numpy(), weather["dhi_w_per_m2"].to_numpy(),
        dni_extra=geometry["dni_extra_w_per_m2"].to_numpy(), airmass=airmass, albedo=albedo_frac, model="perez")
    aoi = pvlib.irradiance.aoi(tilt_deg, azimuth_deg, geometry["apparent_zenith"].to_numpy(), geometry["azimuth"].to_numpy())
    iam = pvlib.iam.physical(aoi, n=IAM_GLASS_N)
    beam = np.nan_to_num(np.asarray(poa["poa_direct"], dtype=float))
    diffuse = np.nan_to_num(np.asarray(poa["poa_diffuse"], dtype=float))
    return pd.DataFrame({"poa_global": beam + diffuse, "effective": beam * np.nan_to_num(iam) + diffuse},
                        index=weather.index)


def cell_temperature_c(poa_global_w_per_m2: np.ndarray, temp_air_c: np.ndarray, wind_speed_m_per_s: np.ndarray,
                       mounting: TemperatureModel) -> np.ndarray:
    r"""SAPM cell temperature :math:`T_c = G e^{a + b v} + T_a + G \Delta T / 1000` [degC]."""
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][mounting]
    return np.asarray(pvlib.temperature.sapm_cell(poa_global_w_per_m2, temp_air_c, wind_speed_m_per_s, **params))


def dc_power_kw(effective_w_per_m2: np.ndarray, temp_cell_c: np.ndarray, spec: PVArraySpec) -> np.ndarray:
    r"""DC power before system losses [kW]: PVWatts, or the CEC single-diode model.

    PVWatts: :math:`P = P_{dc0} \, G_{eff}/1000 \, (1 + \gamma (T_c - 25))`. CEC: the maximum
    power point of one module times :math:`P_{dc0} / P_{STC}` modules.
    """
    if spec.cec_module is None:
        return np.asarray(pvlib.pvsystem.pvwatts_dc(effective_w_per_m2, temp_cell_c, spec.capacity_kwp, spec.gamma_per_c))
    module = cec_modules()[spec.cec_module]
    params = pvlib.pvsystem.calcparams_cec(
        effective_w_per_m2, temp_cell_c, module["alpha_sc"], module["a_ref"], module["I_L_ref"],
        module["I_o_ref"], module["R_sh_ref"], module["R_s"], module["Adjust"])
    with np.errstate(divide="ignore", invalid="ignore"):
        mpp = pvlib.pvsystem.max_power_point(*params, method="newton")
    p_module_w = np.nan_to_num(np.asarray(mpp["p_mp"], dtype=float)).clip(min=0.0)
    return p_module_w * spec.capacity_kwp / float(module["STC"])


def ac_power_kw(dc_kw: np.ndarray, spec: PVArraySpec) -> np.ndarray:
    r"""PVWatts inverter: part-load efficiency, clipped at the AC rating [kW].

    :math:`\eta = \tfrac{\eta_{nom}}{\eta_{ref}}(-0.0162\zeta - 0.0059/\zeta + 0.9858)`,
    :math:`\zeta = P_{dc}/P_{dc0,inv}`, :math:`P_{ac} = \min(\eta P_{dc}, P_{ac0})`.
    """
    pdc0_inverter = spec.ac_rating_kw / spec.inverter_eff_frac
    ac = pvlib.inverter.pvwatts(dc_kw, pdc0_inverter, eta_inv_nom=spec.inverter_eff_frac)
    return np.clip(np.nan_to_num(np.asarray(ac, dtype=float)), 0.0, spec.ac_rating_kw)


def array_ac_kw(weather: pd.DataFrame, geometry: pd.DataFrame, spec: PVArraySpec, year_of_operation: int = 1) -> np.ndarray:
    """AC power of one array [kW], steps 1-5 of the module docstring."""
    poa = plane_of_array(weather, geometry, spec.tilt_deg, spec.azimuth_deg, spec.albedo_frac)
    temp_cell = cell_temperature_c(poa["poa_global"].to_numpy(), weather["temp_air_c"].to_numpy(),
                                   weather["wind_speed_m_per_s"].to_numpy(), spec.temperature_model)
    derate = (1.0 - spec.losses_frac) * (1.0 - spec.degradation_frac_per_year) ** (year_of_operation - 1)
    dc = dc_power_kw(poa["effective"].to_numpy(), temp_cell, spec) * derate
    return ac_power_kw(dc, spec)


def pv_ac_kw(weather: pd.DataFrame, arrays: Sequence[PVArraySpec] | PVArraySpec, latitude_deg: float,
             longitude_deg: float, altitude_m: float = 0.0, year_of_operation: int = 1) -> pd.DataFrame:
    """AC power of each array of a building [kW].

    Parameters
    ----------
    weather : pandas.DataFrame
        Weather columns (see :data:`~munigrid.forecasting.weather.WEATHER_COLUMNS`), interval means
        on a tz-aware interval-beginning index.
    arrays : PVArraySpec or sequence of them
        The building's arrays; names must be unique.
    latitude_deg, longitude_deg, altitude_m : float
        Site [deg north, deg east, m].
    year_of_operation : int
        1 for the first year; degradation applies :math:`(1-d)^{n-1}`.

    Returns
    -------
    pandas.DataFrame
        One column per array name (AC power, mean over each interval [kW]) and ``total``;
        ``attrs["units"] = "kW"``.
    """
    arrays = [arrays] if isinstance(arrays, PVArraySpec) else list(arrays)
    check_weather(weather)
    problems = [p for i, spec in enumerate(arrays) for p in spec.problems(f"arrays[{i}]")]
    names = [a.name for a in arrays]
    if len(set(names)) != len(names):
        problems.append(Problem("arrays", f"array names must be unique, got {names}"))
    if year_of_operation < 1:
        problems.append(Problem("year_of_operation", f"must be >= 1, got {year_of_operation}"))
    if problems:
        raise InputError(problems)
    geometry = solar_geometry(weather.index, latitude_deg, longitude_deg, altitude_m)
    out = pd.DataFrame({spec.name: array_ac_kw(weather, geometry, spec, year_of_operation) for spec in arrays},
                       index=weather.index)
    out["total"] = out[names].sum(axis=1)
    out.attrs["units"] = "kW"
    return out


def pv_ac_kw_per_kwp(weather: pd.DataFrame, latitude_deg: float, longitude_deg: float,
                     template: PVArraySpec | None = None, altitude_m: float = 0.0,
                     year_of_operation: int = 1) -> pd.Series:
    """AC output of 1 kWp with the inverter at the template's fixed DC/AC ratio [kW/kWp].

    Multiplying by a capacity is exact only because the inverter scales with the array
    (fixed ``dc_ac_ratio``; any ``inverter_ac_kw`` of the template is dropped). With a fixed
    inverter size, clipping would make output a concave, non-linear function of kWp.
    """
    spec = replace(template or PVArraySpec(capacity_kwp=1.0), capacity_kwp=1.0, inverter_ac_kw=None, name="per_kwp")
    series = pv_ac_kw(weather, spec, latitude_deg, longitude_deg, altitude_m, year_of_operation)["per_kwp"]
    series.attrs["units"] = "kW/kWp"
    return series.rename("pv_ac_kw_per_kwp")
