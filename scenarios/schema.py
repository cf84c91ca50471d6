"""The scenario file schema (YAML), strict and with units in every field name.

Unknown keys are rejected, choices are literals, and every problem is reported at once with
its path (``buildings[2].pv_arrays[0].tilt_deg: must be <= 90, got 120``) through
:func:`parse_scenario`, which turns pydantic's errors into :class:`InputError`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from munigrid.forecasting.meter_format import DEFAULT_TZ, TEMPERATURE_UNITS
from munigrid.forecasting.meter_format import UNITS as METER_UNITS
from munigrid.models import asset_defaults
from munigrid.models.errors import InputError, Problem, quote
from munigrid.models.tariffs.library import unknown_tariff_message
from munigrid.scenarios.schema_base import Eff, Frac, NonNeg, Strict
from munigrid.scenarios.schema_flex import FlexibleLoads
from munigrid.scenarios.sweep.spec import NAME_PATTERN, SweepSpec


# where every scenario field is documented (generated from this schema)
FIELD_REFERENCE = "docs/inputs.md#scenario-fields"

BUILDING_KINDS = ("office", "school", "health_centre", "water_pumping", "street_lighting", "market")


class Site(Strict):
    """Where the scenario is."""

    name: str = Field(min_length=1, max_length=200)
    latitude_deg: float = Field(ge=-90, le=90)
    longitude_deg: float = Field(ge=-180, le=180)
    altitude_m: float = Field(default=0.0, ge=-100, le=6000)


class TimeGrid(Strict):
    """Horizon: from ``start`` for ``days`` days at ``step_min`` minutes (Asia/Bangkok)."""

    start: dt.date = Field(strict=False)
    days: int = Field(ge=1, le=366)
    step_min: Literal[15, 60] = 60


class Weather(Strict):
    """Weather source: the offline synthetic typical year, or a file the user has (EPW, TMY, PVGIS or
    a measured CSV read at the site's latitude and longitude; a path relative to the scenario
    file's folder, or an absolute path)."""

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
    ``capacity_kwp``) or ``pv_kw_per_kwp`` (``pv_csv_unit: kw_per_kwp``). ``calibration``
    (a file written by ``munigrid pv calibrate``) scales the modelled output to what the
    array's meter showed (:mod:`munigrid.forecasting.pv_calibration`).
    """

    name: str = Field(default="roof", pattern=NAME_PATTERN, max_length=64)
    capacity_kwp: NonNeg = 0.0
    max_kwp: NonNeg | None = None
    tilt_deg: float = Field(default=15.0, ge=0, le=90)
    azimuth_deg: float = Field(default=180.0, ge=0, lt=360)
    losses_frac: Frac = 0.14
    dc_ac_ratio: float = Field(default=1.2, ge=0.8, le=2.0)
    degradation_frac_per_year: Frac = 0.005
    pv_csv: str | None = None
    pv_csv_unit: Literal["kw", "kw_per_kwp"] = "kw"
    calibration: str | None = Field(default=None, max_length=4096)

    @model_validator(mode="after")
    def _profile(self):
        if self.pv_csv is not None and self.pv_csv_unit == "kw" and self.capacity_kwp <= 0:
            raise ValueError("a pv_csv in kW needs the array's capacity_kwp > 0 (to scale it per kWp); "
                             "or give the profile in kW per kWp (pv_csv_unit: kw_per_kwp)")
        if self.pv_csv is not None and self.calibration is not None:
            raise ValueError("calibration scales the modelled output; a pv_csv profile is measured already: "
                             "give one of pv_csv or calibration")
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


class LoadCsv(Strict):
    """A meter file and how to read it (the same options as the CLI's meter flags).

    Acts as the path of its file (``os.PathLike``), so ``base_dir / building.load_csv`` works
    for both spellings of ``load_csv``.
    """

    file: str
    time_column: str | None = None
    load_column: str | None = None
    unit: Literal[METER_UNITS] | None = None  # type: ignore[valid-type]
    tz: str = DEFAULT_TZ
    encoding: str | None = None
    label: Literal["begin", "end"] = "begin"
    temperature_column: str | None = None
    temperature_unit: Literal[TEMPERATURE_UNITS] | None = None  # type: ignore[valid-type]

    def __fspath__(self) -> str:
        return self.file

    def __str__(self) -> str:
        return self.file


class Building(Strict):
    """A municipal building on its own meter.

    Its load is an archetype scaled by ``annual_kwh`` or ``floor_area_m2``, or a meter export
    ``load_csv`` (a path relative to the scenario file's folder or an absolute path, system and
    special files refused; or a :class:`LoadCsv` mapping with the columns, unit and zone; read
    by the one meter reader, see docs/inputs.md). Gaps in the meter file are an error unless
    ``load_gap_fill`` allows the stated fill policy (short gaps interpolated, longer ones from
    the same time a week apart; every fill reported in the run's notes).
    """

    name: str = Field(pattern=r"^[a-z0-9_\-]+$", max_length=64)
    kind: Literal[BUILDING_KINDS]  # type: ignore[valid-type]
    annual_kwh: float | None = Field(default=None, gt=0)
    floor_area_m2: float | None = Field(default=None, gt=0)
    load_csv: str | LoadCsv | None = None
    load_gap_fill: bool = False
    tariff: str | TariffChoice | None = None
    tariff_file: str | None = None
    roof_area_m2: NonNeg = 0.0
    pv_arrays: list[PVArray] = Field(default_factory=list)
    critical_frac: Frac | None = None
    notes: str = ""

    @field_validator("tariff")
    @classmethod
    def _library_tariff(cls, value: str | TariffChoice | None) -> str | TariffChoice | None:
        tariff_id = value if isinstance(value, str) else None
        if isinstance(value, TariffChoice) and value.file is None:
            tariff_id = value.id  # an id inside a tariff file is checked when the file is read
        unknown = unknown_tariff_message(tariff_id) if tariff_id is not None else None
        if unknown is not None:
            raise ValueError(unknown)
        return value

    @model_validator(mode="after")
    def _load_source(self):
        if self.load_csv is None and self.annual_kwh is None and self.floor_area_m2 is None:
            raise ValueError("give the load: `annual_kwh` or `floor_area_m2` (archetype), or `load_csv`")
        if (self.tariff is None) == (self.tariff_file is None):
            raise ValueError("give the tariff once: `tariff` (a library id or {id|file, overrides}) or `tariff_file`")
        names = [a.name for a in self.pv_arrays]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"pv_arrays names must be unique within a building; repeated: {', '.join(repeated)}")
        return self


class Battery(Strict):
    """A battery behind one building's meter (behind a shared connection: shared by its buildings).

    ``name`` tells several batteries apart in results (unique within the scenario).
    """

    building: str
    name: str = Field(default="battery", pattern=r"^[a-z0-9_\-]+$", max_length=64)
    energy_kwh: NonNeg
    power_kw: NonNeg
    charge_eff_frac: Eff = asset_defaults.BATTERY_CHARGE_EFF_FRAC
    discharge_eff_frac: Eff = asset_defaults.BATTERY_DISCHARGE_EFF_FRAC
    soc_min_frac: Frac = asset_defaults.BATTERY_SOC_MIN_FRAC
    soc_max_frac: Frac = asset_defaults.BATTERY_SOC_MAX_FRAC
    soc_initial_frac: Frac = asset_defaults.BATTERY_SOC_INITIAL_FRAC
    # state of charge at the end: at least the start, equal to it, free, or at least a share
    soc_final: Literal["at_least_initial", "equal_initial", "free"] | Frac = "at_least_initial"
    degradation_thb_per_kwh: NonNeg = 0.0
    max_energy_kwh: NonNeg | None = None
    max_power_kw: NonNeg | None = None
    c_rate_per_h: float | None = Field(default=None, gt=0, le=4)

    @model_validator(mode="after")
    def _soc_order(self):
        if not self.soc_min_frac <= self.soc_initial_frac <= self.soc_max_frac:
            raise ValueError("need soc_min_frac <= soc_initial_frac <= soc_max_frac, got "
                             f"{self.soc_min_frac} / {self.soc_initial_frac} / {self.soc_max_frac}")
        if not isinstance(self.soc_final, str) and not self.soc_min_frac <= self.soc_final <= self.soc_max_frac:
            raise ValueError(f"soc_final {self.soc_final} must lie between soc_min_frac {self.soc_min_frac} and "
                             f"soc_max_frac {self.soc_max_frac}, or be at_least_initial, equal_initial or free")
        return self


class Generator(Strict):
    """A diesel generator behind one building's meter (fuel curve: slope and no-load intercept)."""

    building: str
    rating_kw: NonNeg = 0.0
    max_rating_kw: NonNeg | None = None
    min_load_frac: Frac = asset_defaults.GENERATOR_MIN_LOAD_FRAC
    startup_thb: NonNeg = 0.0
    fuel_slope_l_per_kwh: NonNeg = asset_defaults.GENERATOR_FUEL_SLOPE_L_PER_KWH
    fuel_intercept_l_per_kwh: NonNeg = asset_defaults.GENERATOR_FUEL_INTERCEPT_L_PER_KWH
    fuel_thb_per_l: NonNeg = asset_defaults.GENERATOR_FUEL_THB_PER_L
    co2_kg_per_l: NonNeg = asset_defaults.GENERATOR_CO2_KG_PER_L
    # runs only in grid outages (behind a transfer switch); false: may run in parallel with the
    # grid to shave peaks (needs synchronising switchgear and the utility's approval)
    standby_only: bool = True
    # fuel on site when an outage starts; none: no limit (fuel is brought in as the outage lasts)
    tank_l: NonNeg | None = None


class Connection(Strict):
    """Buildings behind one utility meter (a point of common coupling, e.g. a campus on one PEA
    connection): they share PV, batteries and a generator, the tariff applies to their net import
    at the connection, and each building's own load and PV stay reported. Buildings in no
    connection stay on their own meters.

    ``tariff`` (a library id or ``{id|file, overrides}``, as on a building) or ``tariff_file``
    bills the connection; absent, its buildings must all have the same tariff, which is used.
    ``import_limit_kw`` limits the connection (absent: ``grid.import_limit_kw``).
    """

    name: str = Field(pattern=r"^[a-z0-9_\-]+$", max_length=64)
    buildings: list[str] = Field(min_length=2)
    tariff: str | TariffChoice | None = None
    tariff_file: str | None = None
    import_limit_kw: float | None = Field(default=None, gt=0)

    _library_tariff = field_validator("tariff")(Building._library_tariff.__func__)

    @model_validator(mode="after")
    def _one_tariff(self):
        if self.tariff is not None and self.tariff_file is not None:
            raise ValueError("give the connection's tariff once: `tariff` or `tariff_file`")
        return self


class Outage(Strict):
    """A grid outage window: no import or export from ``start`` for ``hours``."""

    start: dt.datetime = Field(strict=False)
    hours: float = Field(gt=0, le=24 * 366)


class OutageDuration(Strict):
    """One outage length of the outage risk and its probability."""

    hours: float = Field(gt=0, le=24 * 31)
    probability_frac: Frac


class OutageRisk(Strict):
    """Outages as a distribution: lengths with probabilities, optionally weighted start hours."""

    durations: list[OutageDuration] = Field(min_length=1, max_length=48)
    start_hour_weights: list[NonNeg] | None = Field(default=None, min_length=24, max_length=24)
    events_per_year: NonNeg = 1.0
    in_objective: bool = False
    objective_starts: int = Field(default=12, ge=1, le=366)

    @model_validator(mode="after")
    def _distribution(self):
        total = sum(d.probability_frac for d in self.durations)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"durations[].probability_frac must add up to 1, they add up to {total:g}")
        if self.start_hour_weights is not None and not sum(self.start_hour_weights) > 0:
            raise ValueError("start_hour_weights need at least one weight > 0 (24 values, hour 0 first)")
        return self


class Grid(Strict):
    """Grid connection limits, outages and the value of lost load."""

    import_limit_kw: float | None = Field(default=None, gt=0)
    outages: list[Outage] = Field(default_factory=list)
    voll_thb_per_kwh: NonNeg | None = None
    critical_frac: Frac = 1.0
    survival_max_h: float = Field(default=168.0, ge=24, le=24 * 366)
    outage_risk: OutageRisk | None = None

    @model_validator(mode="after")
    def _priced_risk(self):
        if self.outage_risk is not None and self.outage_risk.in_objective and self.voll_thb_per_kwh is None:
            raise ValueError("outage_risk.in_objective needs a value of lost load: set voll_thb_per_kwh "
                             "(or in_objective: false to report the risk only)")
        return self


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
    ``ft_schedule`` sets values by period over the built-in ones. ``export_allowed`` /
    ``export_thb_per_kwh``, when given, replace every building's tariff export rule (no export, or
    net billing at that price); a tariff with net metering refuses them. ``overrides`` change a library
    tariff for every building on it; ``extra_offpeak_dates`` are billed off-peak all day (none
    by default: cabinet bridge days stay on-peak unless listed). See ``docs/tariffs.md``.
    """

    ft_thb_per_kwh: float | None = Field(default=None, ge=-5, le=5)
    ft_fallback: Literal["error", "last_known"] = "last_known"
    export_allowed: bool | None = None
    export_thb_per_kwh: NonNeg | None = None
    ft_schedule: dict[Annotated[str, Field(pattern=r"^\d{4}-(01|05|09)$")], float] = Field(
        default_factory=dict, description="Ft [THB/kWh] by period (first month YYYY-01/05/09), over the built-in")
    overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per library tariff id: dotted paths into its data and new values")
    extra_offpeak_dates: list[Annotated[dt.date, Field(strict=False)]] = Field(
        default_factory=list, description="dates billed off-peak all day (cabinet bridge days); default none")


class Optimisation(Strict):
    """Solver settings."""

    mode: Literal["dispatch", "sizing"] = "dispatch"
    time_limit_s: float = Field(default=60.0, gt=0)
    mip_rel_gap: float = Field(default=1e-4, ge=0, le=1)


class Uncertainty(Strict):
    """Sampled years: who operates them in ``run`` and ``simulate``, and two-stage sizing over them
    (``munigrid size``): one size for all samples, minimising the expected cost plus a weighted CVaR.
    ``ft_paths: sampled`` bills every sampled year with its own Ft path around the run's schedule
    (``models/tariffs/ft_paths.py``); unset process parameters are estimated from the billed Ft."""

    operator: Literal["rule", "optimiser"] = "rule"
    sizing_samples: int = Field(default=3, ge=1, le=100)
    cvar_weight: NonNeg = 0.0
    cvar_alpha_frac: float = Field(default=0.9, gt=0, lt=1)
    cvar_limit_thb: NonNeg | None = None
    ft_paths: Literal["fixed", "sampled"] = "sampled"
    ft_volatility_thb_per_kwh: float | None = Field(default=None, ge=0, le=5)
    ft_persistence_frac: float | None = Field(default=None, ge=0, le=1)
    ft_min_thb_per_kwh: float | None = Field(default=None, ge=-5, le=5)
    ft_max_thb_per_kwh: float | None = Field(default=None, ge=-5, le=5)

    @model_validator(mode="after")
    def _ft_bounds(self):
        low, high = self.ft_min_thb_per_kwh, self.ft_max_thb_per_kwh
        if low is not None and high is not None and low >= high:
            raise ValueError(f"ft_min_thb_per_kwh ({low}) must be below ft_max_thb_per_kwh ({high})")
        return self


class Emissions(Strict):
    """Emission factors (TGO; see models/data/defaults.yaml)."""

    grid_kg_per_kwh: NonNeg = 0.4750


class Scenario(Strict):
    """A whole munigrid scenario."""

    name: str = Field(pattern=NAME_PATTERN, max_length=64)
    description: str = ""
    site: Site
    time: TimeGrid
    weather: Weather = Weather()
    buildings: list[Building] = Field(min_length=1)
    battery: Battery | None = None
    batteries: list[Battery] = Field(default_factory=list)
    generator: Generator | None = None
    connections: list[Connection] = Field(default_factory=list)
    grid: Grid = Grid()
    sizing: Sizing = Sizing()
    tariffs: Tariffs = Tariffs()
    optimisation: Optimisation = Optimisation()
    emissions: Emissions = Emissions()
    uncertainty: Uncertainty = Uncertainty()
    sweep: SweepSpec | None = None
    flexible_loads: FlexibleLoads | None = None

    @model_validator(mode="after")
    def _references(self):
        names = [b.name for b in self.buildings]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"building names must be unique; repeated: {', '.join(dupes)}")
        assets = [("generator", self.generator), ("battery", self.battery)]
        assets += [(f"batteries[{n}]", spec) for n, spec in enumerate(self.batteries)]
        for where, spec in assets:
            if spec is not None and spec.building not in names:
                raise ValueError(f"{where}.building '{spec.building}' is not a building; "
                                 f"use one of: {', '.join(names)}")
        if self.battery is not None and self.batteries:
            raise ValueError("give `battery` (one battery) or `batteries` (a list), not both; "
                             "move the single battery into the list")
        bank_names = [b.name for b in self.batteries]
        repeated = sorted({n for n in bank_names if bank_names.count(n) > 1})
        if repeated:
            raise ValueError(f"batteries[].name must be unique; repeated: {', '.join(repeated)} "
                             "(give each battery its own `name`)")
        unknown = sorted(self.flexible_loads.buildings() - set(names)) if self.flexible_loads else []
        if unknown:
            raise ValueError(f"flexible_loads: building '{unknown[0]}' is not a building; use one of: {', '.join(names)}")
        self._check_connections(names)
        shared = sorted(self.flexible_loads.buildings() & {b for c in self.connections for b in c.buildings}) \
            if self.flexible_loads else []
        if shared:
            raise ValueError(f"flexible_loads: building '{shared[0]}' is behind a shared connection; flexible loads "
                             "are modelled on separately metered buildings only: move them to another building or "
                             "leave the building out of `connections`")
        return self

    def _check_connections(self, names: list[str]) -> None:
        """Connections name existing buildings, each building behind at most one, and no name is taken."""
        seen: dict[str, str] = {}
        for k, conn in enumerate(self.connections):
            unknown = [b for b in conn.buildings if b not in names]
            if unknown:
                raise ValueError(f"connections[{k}].buildings: {', '.join(unknown)} not a building; "
                                 f"use some of: {', '.join(names)}")
            if conn.name in names or conn.name in [c.name for c in self.connections[:k]]:
                raise ValueError(f"connections[{k}].name '{conn.name}' is already a building or connection name; "
                                 "choose another")
            for b in conn.buildings:
                if b in seen:
                    raise ValueError(f"building '{b}' is behind two connections ({seen[b]}, {conn.name}); "
                                     "a building has one meter")
                seen[b] = conn.name


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
        return f"unknown key; remove it or check its spelling against {FIELD_REFERENCE}"
    if kind == "missing":
        return "required field is missing"
    if kind == "finite_number":
        return f"must be a finite number, got {quote(got)}; remove .inf/.nan"
    if kind == "string_pattern_mismatch" and err.get("ctx", {}).get("pattern") == NAME_PATTERN:
        return (f"must be a plain name (letters, digits, '-' and '_', Thai letters allowed; no '/' "
                f"or spaces), got {quote(got)}")
    if kind.endswith("_type") and isinstance(got, bool):
        return f"{msg}, got {got}; a yes/no value is not a number: write the number"
    if kind.endswith(("_type", "_parsing")) or kind.startswith(("greater", "less", "too_", "string_too")) \
            or kind in ("literal_error", "string_pattern_mismatch"):
        return f"{msg}, got {quote(got)}"
    return msg


def validation_problems(err: ValidationError, source: str = "", joiner: str = ".", skip: tuple = (),
                        unknown_key: str | None = None) -> list[Problem]:
    """Every error of a pydantic validation as a :class:`Problem` naming its field.

    Parameters
    ----------
    err : ValidationError
        The error.
    source : str
        Prefix of every path (a file or section name); empty: the field path alone.
    joiner : str
        Between ``source`` and the field path (``.`` or ``: ``).
    skip : tuple
        Location parts that are no fields (e.g. discriminator tags).
    unknown_key : str or None
        Message for unknown keys, instead of the scenario field reference's.
    """
    problems = []
    for e in err.errors():
        where = _path(tuple(part for part in e["loc"] if part not in skip))
        message = unknown_key if unknown_key is not None and e["type"] == "extra_forbidden" else _message(e)
        problems.append(Problem(joiner.join(part for part in (source, where) if part), message))
    return problems


def parse_scenario(data: dict, source: str = "scenario") -> Scenario:
    """Validate raw scenario data; raise :class:`InputError` listing every problem with its path."""
    if data is None:
        raise InputError("the file is empty; start from a bundled scenario (`munigrid scenarios`)", source)
    if not isinstance(data, dict):
        raise InputError(f"must be a mapping of keys to values (YAML), got a {type(data).__name__}", source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise InputError(validation_problems(err)) from None
