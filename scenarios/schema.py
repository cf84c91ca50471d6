"""The scenario file schema (YAML), strict and with units in every field name.

Unknown keys are rejected, choices are literals, and every problem is reported at once with
its path (``buildings[2].pv_arrays[0].tilt_deg: must be <= 90, got 120``) through
:func:`parse_scenario`, which turns pydantic's errors into :class:`InputError`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from munigrid.models.errors import InputError, Problem
from munigrid.scenarios.sweep.spec import SweepSpec

NonNeg = Annotated[float, Field(ge=0)]
Frac = Annotated[float, Field(ge=0, le=1)]
Eff = Annotated[float, Field(gt=0, le=1)]

BUILDING_KINDS = ("office", "school", "health_centre", "water_pumping", "street_lighting", "market")


class Strict(BaseModel):
    """Base of every schema block: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Site(Strict):
    """Where the scenario is."""

    name: str
    latitude_deg: float = Field(ge=-90, le=90)
    longitude_deg: float = Field(ge=-180, le=180)
    altitude_m: float = Field(default=0.0, ge=-100, le=6000)


class TimeGrid(Strict):
    """Horizon: from ``start`` for ``days`` days at ``step_min`` minutes (Asia/Bangkok)."""

    start: dt.date
    days: int = Field(ge=1, le=366)
    step_min: Literal[15, 60] = 60


class Weather(Strict):
    """Weather source: the offline synthetic typical year, or a file the user has."""

    source: Literal["synthetic", "file"] = "synthetic"
    seed: int = 0
    file: str | None = None

    @model_validator(mode="after")
    def _file_given(self):
        if self.source == "file" and not self.file:
            raise ValueError("source 'file' needs `file`: the path of an EPW, TMY or CSV weather file")
        return self


class PVArray(Strict):
    """One PV array on a building (AC output modelled with pvlib, or read from ``pv_csv``).

    In sizing mode the array's capacity is a decision between ``capacity_kwp`` (installed)
    and ``max_kwp`` (default: the building's roof area times the usable density, shared
    equally by its arrays). ``pv_csv`` (path relative to the scenario, read like meter files:
    time stamps with their UTC offset) gives the array's measured or externally modelled AC
    output instead of the weather model: column ``pv_kw`` (``pv_csv_unit: kw``, scaled by
    ``capacity_kwp``) or ``pv_kw_per_kwp`` (``pv_csv_unit: kw_per_kwp``).
    """

    name: str = "roof"
    capacity_kwp: NonNeg = 0.0
    max_kwp: NonNeg | None = None
    tilt_deg: float = Field(default=15.0, ge=0, le=90)
    azimuth_deg: float = Field(default=180.0, ge=0, lt=360)
    losses_frac: Frac = 0.14
    dc_ac_ratio: float = Field(default=1.2, ge=0.8, le=2.0)
    degradation_frac_per_year: Frac = 0.005
    pv_csv: str | None = None
    pv_csv_unit: Literal["kw", "kw_per_kwp"] = "kw"

    @model_validator(mode="after")
    def _profile(self):
        if self.pv_csv is not None and self.pv_csv_unit == "kw" and self.capacity_kwp <= 0:
            raise ValueError("a pv_csv in kW needs the array's capacity_kwp > 0 (to scale it per kWp); "
                             "or give the profile in kW per kWp (pv_csv_unit: kw_per_kwp)")
        return self


class TariffChoice(Strict):
    """A building's tariff as a mapping: a library ``id`` or a tariff ``file`` (format:
    ``docs/tariffs.md``; ``id`` picks one tariff of a file holding several), with ``overrides``
    (dotted paths into the tariff's data, e.g. ``{vat_frac: 0.07, service_thb_per_month: 0}``)."""

    id: str | None = None
    file: str | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _id_or_file(self):
        if self.id is None and self.file is None:
            raise ValueError("give `id` (a library tariff, see `munigrid tariffs`) or `file` (a tariff file)")
        return self


class Building(Strict):
    """A municipal building on its own meter.

    Its load is an archetype scaled by ``annual_kwh`` or ``floor_area_m2``, or a meter export
    ``load_csv`` (time stamps with their UTC offset, interval beginning; a path relative to the
    scenario file). Gaps in the meter file are an error unless ``load_gap_fill`` allows the
    stated fill policy (short gaps interpolated, longer ones from the same time a week apart;
    every fill reported in the run's notes).
    """

    name: str = Field(pattern=r"^[a-z0-9_\-]+$")
    kind: Literal[BUILDING_KINDS]  # type: ignore[valid-type]
    annual_kwh: NonNeg | None = None
    floor_area_m2: NonNeg | None = None
    load_csv: str | None = None
    load_gap_fill: bool = False
    tariff: str | TariffChoice | None = None
    tariff_file: str | None = None
    roof_area_m2: NonNeg = 0.0
    pv_arrays: list[PVArray] = Field(default_factory=list)
    notes: str = ""

    @model_validator(mode="after")
    def _load_source(self):
        if self.load_csv is None and self.annual_kwh is None and self.floor_area_m2 is None:
            raise ValueError("give the load: `annual_kwh` or `floor_area_m2` (archetype), or `load_csv`")
        if (self.tariff is None) == (self.tariff_file is None):
            raise ValueError("give the tariff once: `tariff` (a library id or {id|file, overrides}) or `tariff_file`")
        return self


class Battery(Strict):
    """A battery behind one building's meter."""

    building: str
    energy_kwh: NonNeg
    power_kw: NonNeg
    charge_eff_frac: Eff = 0.95
    discharge_eff_frac: Eff = 0.95
    soc_min_frac: Frac = 0.1
    soc_max_frac: Frac = 0.9
    soc_initial_frac: Frac = 0.5
    degradation_thb_per_kwh: NonNeg = 0.0
    max_energy_kwh: NonNeg | None = None
    max_power_kw: NonNeg | None = None
    c_rate_per_h: float | None = Field(default=None, gt=0, le=4)

    @model_validator(mode="after")
    def _soc_order(self):
        if not self.soc_min_frac <= self.soc_initial_frac <= self.soc_max_frac:
            raise ValueError("need soc_min_frac <= soc_initial_frac <= soc_max_frac, got "
                             f"{self.soc_min_frac} / {self.soc_initial_frac} / {self.soc_max_frac}")
        return self


class Generator(Strict):
    """A diesel generator behind one building's meter (fuel curve: slope and no-load intercept)."""

    building: str
    rating_kw: NonNeg = 0.0
    max_rating_kw: NonNeg | None = None
    min_load_frac: Frac = 0.3
    startup_thb: NonNeg = 0.0
    fuel_slope_l_per_kwh: NonNeg = 0.246
    fuel_intercept_l_per_kwh: NonNeg = 0.08
    fuel_thb_per_l: NonNeg = 32.5
    co2_kg_per_l: NonNeg = 2.7078
    # runs only in grid outages (behind a transfer switch); false: may run in parallel with the
    # grid to shave peaks (needs synchronising switchgear and the utility's approval)
    standby_only: bool = True


class Outage(Strict):
    """A grid outage window: no import or export from ``start`` for ``hours``."""

    start: dt.datetime
    hours: float = Field(gt=0, le=24 * 366)


class Grid(Strict):
    """Grid connection limits, outages and the value of lost load."""

    import_limit_kw: float | None = Field(default=None, gt=0)
    outages: list[Outage] = Field(default_factory=list)
    voll_thb_per_kwh: NonNeg | None = None
    critical_frac: Frac = 1.0


class Sizing(Strict):
    """Economics and targets of sizing mode (costs default to models/finance/data/finance_defaults.yaml)."""

    discount_rate_frac: float = Field(default=0.06, ge=0, le=0.5)
    pv_capex_thb_per_kwp: NonNeg | None = None
    battery_capex_thb_per_kwh: NonNeg | None = None
    battery_capex_thb_per_kw: NonNeg = 0.0
    generator_capex_thb_per_kw: NonNeg = 0.0
    budget_thb: NonNeg | None = None
    min_self_sufficiency_frac: Frac | None = None
    min_renewable_frac: Frac | None = None
    max_co2_kg: NonNeg | None = None
    pv_block_kwp: float | None = Field(default=None, gt=0)
    battery_block_kwh: float | None = Field(default=None, gt=0)


class Tariffs(Strict):
    """Tariff settings shared by every meter.

    ``ft_thb_per_kwh`` sets one Ft for the whole horizon; when it is absent the built-in
    schedule is used and months after its last known period take the last known value
    (``ft_fallback: last_known``, reported in the run's notes) or are an error (``error``);
    ``ft_schedule`` sets values by period over the built-in ones. ``overrides`` change a library
    tariff for every building on it; ``extra_offpeak_dates`` are billed off-peak all day (none
    by default: cabinet bridge days stay on-peak unless listed). See ``docs/tariffs.md``.
    """

    ft_thb_per_kwh: float | None = None
    ft_fallback: Literal["error", "last_known"] = "last_known"
    export_allowed: bool = False
    export_thb_per_kwh: NonNeg = 0.0
    ft_schedule: dict[Annotated[str, Field(pattern=r"^\d{4}-(01|05|09)$")], float] = Field(
        default_factory=dict, description="Ft [THB/kWh] by period (first month YYYY-01/05/09), over the built-in")
    overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per library tariff id: dotted paths into its data and new values")
    extra_offpeak_dates: list[dt.date] = Field(
        default_factory=list, description="dates billed off-peak all day (cabinet bridge days); default none")


class Optimisation(Strict):
    """Solver settings."""

    mode: Literal["dispatch", "sizing"] = "dispatch"
    time_limit_s: float = Field(default=60.0, gt=0)
    mip_rel_gap: float = Field(default=1e-4, ge=0, le=1)


class Emissions(Strict):
    """Emission factors (TGO; see models/data/defaults.yaml)."""

    grid_kg_per_kwh: NonNeg = 0.4750


class Scenario(Strict):
    """A whole munigrid scenario."""

    name: str
    description: str = ""
    site: Site
    time: TimeGrid
    weather: Weather = Weather()
    buildings: list[Building] = Field(min_length=1)
    battery: Battery | None = None
    generator: Generator | None = None
    grid: Grid = Grid()
    sizing: Sizing = Sizing()
    tariffs: Tariffs = Tariffs()
    optimisation: Optimisation = Optimisation()
    emissions: Emissions = Emissions()
    sweep: SweepSpec | None = None

    @model_validator(mode="after")
    def _references(self):
        names = [b.name for b in self.buildings]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"building names must be unique; repeated: {', '.join(dupes)}")
        for asset in ("battery", "generator"):
            spec = getattr(self, asset)
            if spec is not None and spec.building not in names:
                raise ValueError(f"{asset}.building '{spec.building}' is not a building; "
                                 f"use one of: {', '.join(names)}")
        return self


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "literal_error") or str(part).startswith(("function-", "constrained-")):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(err: dict) -> str:
    kind = err["type"]
    got = err.get("input")
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind == "extra_forbidden":
        return "unknown key; remove it or check its spelling against `munigrid validate --help`"
    if kind == "missing":
        return "required field is missing"
    if kind.startswith(("greater", "less")) or kind == "literal_error" or kind == "string_pattern_mismatch":
        return f"{msg}, got {got!r}"
    return msg


def parse_scenario(data: dict, source: str = "scenario") -> Scenario:
    """Validate raw scenario data; raise :class:`InputError` listing every problem with its path."""
    if not isinstance(data, dict):
        raise InputError(f"{source} must be a mapping of keys to values (YAML), got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        problems = [Problem(_path(e["loc"]), _message(e)) for e in err.errors()]
        raise InputError(problems) from None
