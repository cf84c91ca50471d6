"""Scenario schema of flexible loads: water pumping with a reservoir, pre-cooling, EV charging.

Each load is *added* to its building's load: the building's ``annual_kwh`` (or meter file) is
then the rest of the building (lights, plugs, the pumps' controls), and the run models these
loads itself, both as they run today (baseline) and as the optimiser would move them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from munigrid.scenarios.schema_base import Eff, Frac, NonNeg, Strict

Positive = Annotated[float, Field(gt=0)]
Hour = Annotated[float, Field(ge=0, lt=24)]
TempC = Annotated[float, Field(ge=5, le=45)]

TempBandC = Annotated[list[TempC], Field(min_length=2, max_length=2)]  # [low, high]
HourSpan = Annotated[list[Hour], Field(min_length=2, max_length=2)]  # [start, end)

COOLING_ARCHETYPES = ("office", "school")


def _window_ordered(block, prefix: str, what: str):
    """``block`` when ``<prefix>_min_frac <= <prefix>_initial_frac <= <prefix>_max_frac``; else ValueError."""
    low, start, high = (getattr(block, f"{prefix}_{end}_frac") for end in ("min", "initial", "max"))
    if not low <= start <= high:
        raise ValueError(f"{what} must satisfy {prefix}_min_frac <= {prefix}_initial_frac <= {prefix}_max_frac, "
                         f"got {low}, {start}, {high}")
    return block


class Pumping(Strict):
    """Pumps filling a reservoir (elevated tank or ground tank) that supplies the water demand."""

    building: str
    pump_kw: Positive
    pumps: int = Field(default=0, ge=0, le=20)
    min_load_frac: Frac = 0.0
    kwh_per_m3: float = Field(gt=0, le=5)
    reservoir_m3: Positive
    level_min_frac: Frac = 0.2
    level_max_frac: Frac = 1.0
    level_initial_frac: Frac = 0.6
    demand_m3_per_day: Positive
    demand_profile: Literal["village", "flat"] = "village"
    inflow_m3_per_h: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _levels(self):
        return _window_ordered(self, "level", "levels")


STORE_KINDS = ("chilled_water", "ice")


class ThermalStore(Strict):
    """A chilled-water or ice tank with its own chiller whose cooling serves the zone beside its air conditioners.

    Unset values come from the kind's defaults (``forecasting/flex_defaults.yaml``, assumptions
    stated there); the run ends at least as charged as it starts.
    """

    kind: Literal[STORE_KINDS] = "chilled_water"  # type: ignore[valid-type]
    capacity_kwh_th: Positive | None = None
    max_capacity_kwh_th: Positive | None = None
    capex_thb_per_kwh_th: NonNeg | None = None
    chiller_capex_thb_per_kw: NonNeg | None = None
    life_years: float | None = Field(default=None, gt=0, le=60)
    charge_kw: Positive | None = None
    cop_at_35c: float | None = Field(default=None, gt=1, le=8)
    discharge_kw_th: Positive | None = None
    loss_frac_per_h: float | None = Field(default=None, ge=0, le=0.2)
    soc_min_frac: Frac = 0.0
    soc_max_frac: Frac = 1.0
    soc_initial_frac: Frac = 0.0

    @model_validator(mode="after")
    def _window(self):
        return _window_ordered(self, "soc", "charge shares")

    @model_validator(mode="after")
    def _one_tank(self):
        if (self.capacity_kwh_th is None) == (self.max_capacity_kwh_th is None):
            raise ValueError("give capacity_kwh_th (a fixed tank) or max_capacity_kwh_th (the largest tank sizing "
                             "mode may choose, from 0), exactly one of them")
        return self

    @property
    def tank_kwh_th(self) -> float:
        """The fixed tank, else the largest (the tank a dispatch run uses) [kWh thermal]."""
        return self.capacity_kwh_th if self.capacity_kwh_th is not None else self.max_capacity_kwh_th


class Cooling(Strict):
    """Air conditioning of a building as one thermal zone (RC model) that may be pre-cooled.

    Unset values come from the archetype's defaults (``forecasting/flex_defaults.yaml``,
    assumptions stated there) scaled by ``cooled_area_m2``.
    """

    building: str
    archetype: Literal[COOLING_ARCHETYPES] = "office"  # type: ignore[valid-type]
    cooled_area_m2: Positive
    cooling_kw: NonNeg | None = None
    capacity_kwh_per_k: Positive | None = None
    loss_kw_per_k: Positive | None = None
    cop_at_35c: float | None = Field(default=None, gt=1, le=8)
    comfort_occupied_c: TempBandC | None = None
    comfort_unoccupied_c: TempBandC | None = None
    occupied_hours: HourSpan | None = None
    store: ThermalStore | None = None

    @model_validator(mode="after")
    def _cooled_somehow(self):
        if self.cooling_kw == 0 and self.store is None:
            raise ValueError("cooling_kw 0 (no air conditioners) needs a store that cools the zone; add `store` or "
                             "give cooling_kw")
        return self

    @field_validator("comfort_occupied_c", "comfort_unoccupied_c", "occupied_hours")
    @classmethod
    def _low_high(cls, pair):
        if pair is not None and not pair[0] < pair[1]:
            raise ValueError(f"must be [low, high] with low < high, got {list(pair)}")
        return pair


class EVFleet(Strict):
    """Electric vehicles charged at a building: ``count`` vehicles with the same daily session."""

    building: str
    name: str = Field(pattern=r"^[a-z0-9_\-]+$", max_length=64)
    count: int = Field(default=1, ge=1, le=500)
    charger_kw: Positive
    energy_kwh: Positive
    arrival_h: Hour
    departure_h: Hour
    days: Literal["working", "all"] = "working"
    charge_eff_frac: Eff = 0.92

    @model_validator(mode="after")
    def _session(self):
        if self.arrival_h == self.departure_h:
            raise ValueError("arrival_h and departure_h must differ")
        return self


class FlexibleLoads(Strict):
    """Loads the optimiser may move in time; at most one pumping station and one cooled zone per building."""

    pumping: list[Pumping] = Field(default_factory=list)
    cooling: list[Cooling] = Field(default_factory=list)
    ev: list[EVFleet] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_per_building(self):
        for kind in ("pumping", "cooling"):
            names = [item.building for item in getattr(self, kind)]
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"{kind}: one entry per building; repeated: {', '.join(repeated)}")
        return self

    def buildings(self) -> set[str]:
        """Names of the buildings with a flexible load."""
        return {item.building for kind in (self.pumping, self.cooling, self.ev) for item in kind}
