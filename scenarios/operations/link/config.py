"""The EMS link's configuration file (``ems.yaml``): a strict schema, every error named by its field.

Example (Modbus TCP; ``docs/operations.md`` has the MQTT and HTTP variants)::

    site: office                 # name in logs, topics and HTTP paths
    step_min: 15                 # control step, the scenario's step [min]
    adapter:
      kind: modbus
      host: 192.168.10.20
      port: 502
      unit_id: 1
      registers:
        soc_pct:     {address: 100, type: uint16, scale: 0.1}
        import_kw:   {address: 102, type: int32, scale: 0.1}
        pv_kw:       {address: 104, type: int32, scale: 0.1}
        battery_kw:  {address: 106, type: int32, scale: 0.1}
        setpoint_kw: {address: 200, type: int32, scale: 0.1, access: write}
    safety:
      max_age_s: 120
      hold_max_min: 30

A meter with several batteries lists each battery's own device under ``batteries:`` (by the
scenario's battery name: a Modbus ``unit_id`` and register block, or MQTT ``topics``); the
adapter's device is then the meter (import and PV only; :class:`BatteryDevice`).

Unknown keys are errors (a misspelt key never silently falls back to a default).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from munigrid.models.errors import InputError

#: Measured values an adapter delivers (``battery_kw`` optional), with their units.
MEASURED = ("soc_pct", "import_kw", "pv_kw", "battery_kw")


class Strict(BaseModel):
    """Base of every section: unknown keys are errors, values are not coerced from strings."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Register(Strict):
    """One value in the device's register map.

    The engineering value is ``raw * scale`` (``raw`` decoded as ``type`` from one or two
    16-bit registers, ``word_order`` for the order of the two registers of 32-bit types,
    ``byte_order`` for the two bytes inside each register).
    """

    address: int = Field(ge=0, le=65535)
    type: Literal["int16", "uint16", "int32", "float32"]
    scale: float = Field(default=1.0, gt=0)
    byte_order: Literal["big", "little"] = "big"
    word_order: Literal["big", "little"] = "big"
    access: Literal["read", "write"] = "read"
    table: Literal["holding", "input"] = "holding"

    @property
    def count(self) -> int:
        """Number of 16-bit registers the value occupies."""
        return 1 if self.type in ("int16", "uint16") else 2


class RegisterMap(Strict):
    """A register map: the values read each step and the one written set point (checked together)."""

    @model_validator(mode="after")
    def _access(self):
        """Read values must be readable, the set point writable, and no two values may overlap."""
        problems = []
        for name, reg in self.read_values().items():
            if reg.access != "read":
                problems.append(f"{name}: a measured value must have access: read")
        if self.setpoint_kw is not None and self.setpoint_kw.access != "write":
            problems.append("setpoint_kw: the set point register must have access: write")
        if self.setpoint_kw is not None and self.setpoint_kw.table != "holding":
            problems.append("setpoint_kw: only holding registers can be written (table: holding)")
        spans = sorted((r.table, r.address, r.address + r.count, n) for n, r in self.all_values().items())
        for (ta, _, end_a, name_a), (tb, start_b, _, name_b) in zip(spans, spans[1:]):
            if ta == tb and start_b < end_a:
                problems.append(f"{name_b}: overlaps {name_a} (address {start_b})")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def read_values(self) -> dict[str, Register]:
        """Every register read each step, by value name."""
        raise NotImplementedError

    def all_values(self) -> dict[str, Register]:
        """Every configured register, by value name."""
        written = {} if self.setpoint_kw is None else {"setpoint_kw": self.setpoint_kw}
        return self.read_values() | written


class ModbusRegisters(RegisterMap):
    """Register map of the site's device: the measured values, the optional timestamp and the one
    written set point. With ``batteries:`` (several batteries) ``soc_pct`` and ``setpoint_kw`` are
    each battery's own (``batteries.NAME.registers``) and left out here."""

    soc_pct: Register | None = None
    import_kw: Register
    pv_kw: Register
    battery_kw: Register | None = None
    timestamp_s: Register | None = Field(default=None, description="Unix time of the device's last update [s].")
    setpoint_kw: Register | None = None
    buildings: dict[str, Register] = Field(default_factory=dict, description="Import of each building [kW].")

    def read_values(self) -> dict[str, Register]:
        """Every register read each step, by value name (buildings as ``buildings.NAME``)."""
        values = {n: getattr(self, n) for n in (*MEASURED, "timestamp_s") if getattr(self, n) is not None}
        return values | {f"buildings.{n}": r for n, r in self.buildings.items()}


class BatteryRegisters(RegisterMap):
    """Register map of one battery's device (several batteries): its SoC, power, timestamp and set point."""

    soc_pct: Register
    battery_kw: Register | None = None
    timestamp_s: Register | None = Field(default=None, description="Unix time of the device's last update [s].")
    setpoint_kw: Register

    def read_values(self) -> dict[str, Register]:
        """Every register read each step, by value name."""
        return {n: getattr(self, n) for n in ("soc_pct", "battery_kw", "timestamp_s") if getattr(self, n) is not None}


class ModbusAdapter(Strict):
    """Modbus TCP device (one unit id)."""

    kind: Literal["modbus"]
    host: str
    port: int = Field(default=502, ge=1, le=65535)
    unit_id: int = Field(default=1, ge=0, le=255)
    timeout_s: float = Field(default=2.0, gt=0, le=30)
    sign: Literal["charge_positive", "discharge_positive"] = Field(
        default="charge_positive", description="The device's sign of setpoint_kw and battery_kw.")
    registers: ModbusRegisters


class MqttTopics(Strict):
    """Topics: measurements in, set point and plan out, alarms out."""

    measurements: str
    setpoint: str | None = Field(default=None, description="Required with one battery; several: each battery's own.")
    plan: str
    alarm: str | None = None


class MqttAdapter(Strict):
    """MQTT broker: JSON payloads with timestamps (``docs/operations.md``)."""

    kind: Literal["mqtt"]
    host: str
    port: int = Field(default=1883, ge=1, le=65535)
    client_id: str = "munigrid-ems"
    qos: Literal[0, 1, 2] = 1
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    wait_s: float = Field(default=5.0, ge=0, le=120, description="Time a step waits for a fresh measurement [s].")
    topics: MqttTopics

    @model_validator(mode="after")
    def _topics(self):
        """Published topics must be plain (no wildcards) and differ from the measurement topic."""
        out = {"setpoint": self.topics.setpoint, "plan": self.topics.plan, "alarm": self.topics.alarm}
        for name, topic in out.items():
            if topic is not None and ("+" in topic or "#" in topic):
                raise ValueError(f"topics.{name}: a published topic cannot contain wildcards, got {topic!r}")
            if topic == self.topics.measurements:
                raise ValueError(f"topics.{name}: must differ from topics.measurements")
        return self


class BatteryTopics(Strict):
    """One battery's topics (several batteries): its measurements (``soc_pct``, ``battery_kw``) in, its set point out."""

    measurements: str
    setpoint: str

    @model_validator(mode="after")
    def _plain(self):
        """The set point topic is plain and differs from the measurement topic."""
        if "+" in self.setpoint or "#" in self.setpoint:
            raise ValueError(f"setpoint: a published topic cannot contain wildcards, got {self.setpoint!r}")
        if self.setpoint == self.measurements:
            raise ValueError("setpoint: must differ from measurements")
        return self


class BatteryDevice(Strict):
    """One battery's device when the meter has several (``batteries.NAME``; ``docs/operations.md``).

    Modbus: ``unit_id`` and ``registers`` (SoC, power, set point of this battery), on the
    adapter's host and port unless ``host``/``port`` say otherwise. MQTT: ``topics``.
    """

    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    unit_id: int | None = Field(default=None, ge=0, le=255)
    sign: Literal["charge_positive", "discharge_positive"] = "charge_positive"
    registers: BatteryRegisters | None = None
    topics: BatteryTopics | None = None

    def problems(self, kind: str) -> list[str]:
        """What the device lacks (or has too much of) for an adapter of ``kind``, as ``field: why``."""
        modbus = {"unit_id": self.unit_id, "registers": self.registers}
        if kind == "modbus":
            return ([f"{n}: required for a Modbus battery device" for n, v in modbus.items() if v is None]
                    + (["topics: only for an MQTT adapter"] if self.topics is not None else []))
        return ((["topics: required for an MQTT battery device"] if self.topics is None else [])
                + [f"{n}: only for a Modbus adapter" for n, v in {**modbus, "host": self.host, "port": self.port}.items()
                   if v is not None])


class HttpAdapter(Strict):
    """HTTP: the building's EMS posts measurements and polls the set point (``/api/v1/ems/{site}/...``)."""

    kind: Literal["http"]
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    wait_s: float = Field(default=5.0, ge=0, le=120, description="Time a step waits for a fresh measurement [s].")


class Safety(Strict):
    """Safe-mode and plausibility settings (``docs/operations.md``, "Safe mode")."""

    max_age_s: float = Field(default=120.0, gt=0, description="Older measurements are stale [s].")
    hold_max_min: float = Field(default=30.0, ge=0, description="Safe mode holds the plan's set point this long [min].")
    import_limit_kw: float | None = Field(default=None, gt=0,
                                          description="Site import the battery never pushes past [kW].")
    import_range_kw: list[float] = Field(default=[-5000.0, 5000.0], min_length=2, max_length=2,
                                         description="Plausible import [kW].")
    pv_range_kw: list[float] = Field(default=[-5.0, 5000.0], min_length=2, max_length=2,
                                     description="Plausible PV output [kW].")
    reconnect_min_s: float = Field(default=1.0, gt=0)
    reconnect_max_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _ranges(self):
        """Ranges ordered, back-off bounds ordered."""
        for name in ("import_range_kw", "pv_range_kw"):
            low, high = getattr(self, name)
            if not low < high:
                raise ValueError(f"{name}: must be [low, high] with low < high, got [{low}, {high}]")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s: must be >= reconnect_min_s")
        return self


class Planning(Strict):
    """How the controller plans (the intraday EMS of ``munigrid.scenarios.operations``)."""

    load_model: str = "ensemble"
    replan_steps: int = Field(default=1, ge=1, le=96)
    peak_kw: float | None = Field(default=None, ge=0, description="Demand registered this month before the start [kW].")
    weather_forecast: str | None = Field(default=None, max_length=4096, description=(
        "Weather forecast CSV (time, temp_air_c, ghi) re-read before each day-ahead plan, for the load and PV "
        "forecasts; relative to ems.yaml."))


Adapter = Annotated[ModbusAdapter | MqttAdapter | HttpAdapter, Field(discriminator="kind")]


class EmsConfig(Strict):
    """The whole ``ems.yaml``."""

    site: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    step_min: Literal[15, 30, 60]
    adapter: Adapter
    safety: Safety = Safety()
    planning: Planning = Planning()
    log_dir: str | None = Field(default=None, description="Folder of the log (default RUNS/ems/SITE).")
    batteries: dict[str, BatteryDevice] | None = Field(default=None, description=(
        "Several batteries behind the meter: each battery's own device, by the scenario's battery name."))

    @model_validator(mode="after")
    def _devices(self):
        """One battery: its SoC and set point on the adapter; several: on each battery's device."""
        problems = []
        kind = self.adapter.kind
        if self.batteries is None:
            if kind == "modbus":
                problems += [f"adapter.registers.{n}: required (the battery's), or list each battery's device "
                             "under batteries:" for n in ("soc_pct", "setpoint_kw")
                             if getattr(self.adapter.registers, n) is None]
            if kind == "mqtt" and self.adapter.topics.setpoint is None:
                problems.append("adapter.topics.setpoint: required (the battery's), or list each battery's "
                                "topics under batteries:")
        elif kind == "http":
            problems.append("batteries: several batteries are linked over modbus or mqtt, not http")
        else:
            if not self.batteries:
                problems.append("batteries: list at least one battery's device (or leave batteries: out)")
            own = {"modbus": ("registers", ("soc_pct", "setpoint_kw")), "mqtt": ("topics", ("setpoint",))}[kind]
            problems += [f"adapter.{own[0]}.{n}: with batteries: each battery's own (batteries.NAME.{own[0]})"
                         for n in own[1] if getattr(getattr(self.adapter, own[0]), n) is not None]
            problems += [f"batteries.{name}.{p}" for name, device in self.batteries.items()
                         for p in device.problems(kind)]
            if kind == "mqtt":
                topics = [self.adapter.topics.measurements] + [t for d in self.batteries.values() if d.topics
                                                               for t in (d.topics.measurements, d.topics.setpoint)]
                if len(set(topics)) < len(topics):
                    problems.append("batteries: each battery needs its own measurements and setpoint topics, "
                                    "other than adapter.topics.measurements")
        if problems:
            raise ValueError("; ".join(problems))
        return self


#: Discriminator tags of the adapter union: they appear in error locations but are no fields.
ADAPTER_KINDS = ("modbus", "mqtt", "http")


def parse_config(data: object, source: str = "ems.yaml") -> EmsConfig:
    """Validate a mapping as :class:`EmsConfig`.

    Raises
    ------
    InputError
        Every problem, each naming ``source: field.path``.
    """
    if not isinstance(data, dict):
        raise InputError(f"must be a YAML mapping with site, step_min and adapter, got {type(data).__name__}", source)
    try:
        return EmsConfig.model_validate(data)
    except ValidationError as err:
        from munigrid.scenarios.schema import validation_problems  # only on errors: it imports numpy

        raise InputError(validation_problems(err, source, ": ", skip=ADAPTER_KINDS,
                                             unknown_key="unknown key (see docs/operations.md, commissioning)")) from None


def load_config(path: Path) -> EmsConfig:
    """Read and validate ``ems.yaml``; raises :class:`InputError` naming the file and field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", str(path)) from None
    except yaml.YAMLError as err:
        raise InputError(f"not valid YAML: {err}", str(path)) from None
    config = parse_config(data, str(path))
    forecast = config.planning.weather_forecast
    if forecast is not None and not Path(forecast).is_absolute():  # relative to ems.yaml
        planning = config.planning.model_copy(update={"weather_forecast": str(path.parent / forecast)})
        config = config.model_copy(update={"planning": planning})
    return config
