"""The tariff data format: what a tariff file may say, checked strictly.

A tariff is data, not code: a time-of-use calendar, energy rates by period (optionally
monthly blocks), demand-charge families, fixed charges, Ft, VAT, a power-factor charge and
the default export rule. Any tariff written in this format (Thai, future or foreign) is
billed and optimised without new code. Files live in ``munigrid/models/tariffs/data/``.

Every number in a bundled file carries ``source`` and ``as_of`` beside it (on the same
mapping), so a reader can trace it.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import numpy as np

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday"]
_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class _Strict(BaseModel):
    # strict types (a yes/no is not a rate) and finite numbers (.nan would make a bill of 0 THB)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


Price = Annotated[float, Field(ge=0.0)]


def clock_minutes(text: str) -> int:
    """Minutes after midnight of an ``"HH:MM"`` clock time (``"24:00"`` allowed)."""
    match = _CLOCK.match(text)
    if match is None:
        raise ValueError(f"'{text}' is not a clock time HH:MM")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > 24 * 60:
        raise ValueError(f"'{text}' is after 24:00")
    return minutes


def calendar_months(value: list[int]) -> list[int]:
    """``value`` when every entry is a calendar month 1..12 (raises otherwise)."""
    bad = [m for m in value if not 1 <= m <= 12]
    if bad:
        raise ValueError(f"months must be 1..12, got {bad}")
    return value


class Sourced(_Strict):
    """Where the numbers on this mapping come from."""

    source: str = Field(min_length=1)
    as_of: str = Field(min_length=4, description="date or billing month the source states, e.g. 2015-11")
    note: str = ""


class PeriodRule(_Strict):
    """Clock hours on given days (and months) that belong to one TOU period.

    A day that is a holiday has the day type ``holiday`` only, not its weekday.
    """

    period: str
    days: list[DayName] = Field(min_length=1)
    start: str = "00:00"
    end: str = "24:00"
    months: list[int] = Field(default_factory=lambda: list(range(1, 13)))

    @field_validator("start", "end")
    @classmethod
    def _quarter_hours(cls, value: str) -> str:
        if clock_minutes(value) % 15:
            raise ValueError(f"'{value}' is not on a quarter hour; periods change on 15-min marks")
        return value

    @field_validator("months")
    @classmethod
    def _months(cls, value: list[int]) -> list[int]:
        return calendar_months(value)

    @model_validator(mode="after")
    def _ordered(self) -> PeriodRule:
        if clock_minutes(self.start) >= clock_minutes(self.end):
            raise ValueError(f"start {self.start} must be before end {self.end} "
                             "(split a period that crosses midnight into two rules)")
        return self


class HolidaySpec(Sourced):
    """Which public holidays count as the ``holiday`` day type (python ``holidays`` package)."""

    country: str = "TH"
    categories: list[str] = Field(default_factory=lambda: ["public"])
    observed: bool = False
    exclude_names_containing: list[str] = Field(
        default_factory=list, description="holiday names (English) left out, e.g. cabinet bridge days")
    reliable_until_year: int | None = Field(
        None, description="last year whose dates the holidays package states as accurate")


class CalendarSpec(_Strict):
    """Time-of-use periods: the first matching rule wins, otherwise ``default_period``."""

    default_period: str
    rules: list[PeriodRule] = Field(default_factory=list)
    holidays: HolidaySpec | None = None
    source: Sourced | None = None

    @property
    def periods(self) -> list[str]:
        """Period names in order of first appearance, the default first."""
        names = [self.default_period]
        for rule in self.rules:
            if rule.period not in names:
                names.append(rule.period)
        return names


class BlocksSpec(Sourced):
    """Monthly energy blocks: block ``b`` up to ``upper_kwh[b]`` (``null`` = no limit)."""

    upper_kwh: list[float | None]
    price_thb_per_kwh: list[Price]

    @model_validator(mode="after")
    def _shape(self) -> BlocksSpec:
        if len(self.upper_kwh) != len(self.price_thb_per_kwh) or not self.upper_kwh:
            raise ValueError("upper_kwh and price_thb_per_kwh need the same, non-zero length")
        if self.upper_kwh[-1] is not None:
            raise ValueError("the last block must be open (upper_kwh: null)")
        edges = [u for u in self.upper_kwh[:-1]]
        if any(u is None for u in edges) or any(b <= a for a, b in zip([0.0, *edges], edges)):
            raise ValueError("upper_kwh must increase from a value above 0, only the last null")
        return self


class EnergyTiersSpec(BlocksSpec):
    r"""Energy tiers of some TOU periods in some calendar months (URDB ``energyratestructure`` tiers).

    In a billing month whose calendar month is in ``months``, the energy of the steps in
    ``periods`` (all periods when empty) is tiered on its own: tier ``b`` covers that energy from
    ``upper_kwh[b-1]`` to ``upper_kwh[b]`` at ``price_thb_per_kwh[b]`` on top of the period rate.
    Tiers whose prices fall are billed exactly and optimised with binaries.
    """

    periods: list[str] = Field(default_factory=list)
    months: list[int] = Field(default_factory=lambda: list(range(1, 13)), min_length=1)

    @field_validator("months")
    @classmethod
    def _months(cls, value: list[int]) -> list[int]:
        return calendar_months(value)


class EnergySpec(Sourced):
    """Energy charge: a rate per TOU period [THB/kWh], plus optional monthly blocks (on the month's whole
    energy) and tiers by period and month (``tiers``, each on the energy of its periods)."""

    rates_thb_per_kwh: dict[str, Price] = Field(default_factory=dict)
    blocks: BlocksSpec | None = None
    tiers: list[EnergyTiersSpec] = Field(default_factory=list)


class DemandBlocksSpec(Sourced):
    """Increasing demand blocks on one window: block ``b`` up to ``upper_kw[b]`` (``null`` open)."""

    upper_kw: list[float | None]
    rate_thb_per_kw: list[float]

    @model_validator(mode="after")
    def _shape(self) -> DemandBlocksSpec:
        if len(self.upper_kw) != len(self.rate_thb_per_kw) or not self.upper_kw:
            raise ValueError("upper_kw and rate_thb_per_kw need the same, non-zero length")
        if self.upper_kw[-1] is not None or any(u is None for u in self.upper_kw[:-1]):
            raise ValueError("only the last block is open (upper_kw: null)")
        if any(b < a for a, b in zip(self.rate_thb_per_kw, self.rate_thb_per_kw[1:])):
            raise ValueError("demand-block rates must not decrease: a declining demand charge is not convex, "
                             "and demand charges are billed and optimised as the largest of affine pieces, "
                             "which cannot express it (declining energy blocks are supported)")
        return self


class CoincidentWindow(_Strict):
    """One coincident-peak window in local time, ``[start, end)``."""

    start: str
    end: str


class CoincidentGroup(_Strict):
    """Hours that share one coincident peak: any local-time intervals, possibly in several months.

    Charged once, on the highest import over all its intervals, in the billing month of its
    last metered step (REopt ``coincident_peak_load_active_time_steps``).
    """

    name: str
    intervals: list[CoincidentWindow] = Field(min_length=1)


class DemandSpec(Sourced):
    r"""One family of demand charges, billed every month.

    ``mode`` says how the window demands :math:`D_k` make the charge:

    * ``sum``: :math:`\sum_k r_k D_k` (monthly, per-period or coincident-peak charges);
    * ``incremental`` (two windows): :math:`r_1 D_1 + r_2 \max(0, D_2 - D_1)` with
      :math:`r_1 \ge r_2 \ge 0` (Thai 4.1 TOD: peak, then partial peak above the peak);
    * ``blocks`` (one window): increasing demand blocks from ``blocks``.

    A window is a list of TOU periods (``windows``) or, for coincident peaks, explicit
    local-time intervals (``coincident_windows``, one window each, all at ``rate_thb_per_kw[0]``),
    or groups of intervals charged once per group (``coincident_groups``, one rate per group,
    see :class:`CoincidentGroup`).

    Minimum charge (``ratchet_frac`` :math:`\rho`, ``ratchet_lookback_months`` :math:`L`), with
    :math:`C_q` this family's demand charge of month :math:`q` and :math:`H` the highest one
    before the data:

    * ``ratchet_floors: bill`` (default; the PEA/MEA wording "a monthly minimum charge ... not
      less than 70 % of the maximum billing demand charge for the preceding 12 months"): the
      month's energy + demand charges :math:`X_p` are billed at least
      :math:`F_p = \rho \max(H, \max_{p-L \le q < p} C_q)`; the shortfall
      :math:`\max(0, F_p - X_p)` is the minimum-charge adjustment. Service, power-factor, Ft
      and VAT come on top.
    * ``ratchet_floors: demand_charge`` (the older reading, kept as an option): the family's
      demand charge itself is at least :math:`\rho` times its highest billed charge of the
      look-back months.

    kW-based demand lookback (URDB ``lookbackPercent``, REopt ``lookback_percent``; one window
    only): the billed demand is :math:`\max(D_p, P \max_{q \in Q(p)} D_q)`, priced at the
    current month's rate, with :math:`P` = ``lookback_frac`` and :math:`Q(p)` the previous
    ``lookback_range_months`` months, or the months of the 12 before :math:`p` whose calendar
    month is in ``lookback_months`` (months of the data only).
    """

    name: str
    mode: Literal["sum", "incremental", "blocks"] = "sum"
    windows: list[list[str]] = Field(default_factory=list)
    coincident_windows: list[CoincidentWindow] = Field(default_factory=list)
    coincident_groups: list[CoincidentGroup] = Field(default_factory=list)
    rate_thb_per_kw: list[float] = Field(default_factory=list)
    blocks: DemandBlocksSpec | None = None
    round_to_kw: bool = True
    ratchet_frac: float = Field(0.0, ge=0.0, le=1.0)
    ratchet_lookback_months: int = Field(0, ge=0)
    lookback_frac: float = Field(0.0, ge=0.0, le=1.0)
    lookback_months: list[int] = Field(default_factory=list)
    lookback_range_months: int = Field(0, ge=0)
    ratchet_floors: Literal["bill", "demand_charge"] = Field(
        "bill", description="what the minimum charge floors: the month's energy + demand charges "
        "(published PEA/MEA wording) or this family's demand charge alone (the older reading)")

    @model_validator(mode="after")
    def _consistent(self) -> DemandSpec:
        n_windows = len(self.windows) + len(self.coincident_windows) + len(self.coincident_groups)
        if n_windows == 0:
            raise ValueError("give windows (TOU periods), coincident_windows or coincident_groups")
        if sum(map(bool, (self.windows, self.coincident_windows, self.coincident_groups))) > 1:
            raise ValueError("give one of windows, coincident_windows or coincident_groups")
        if self.coincident_groups and (self.mode != "sum" or self.ratchet_frac > 0 or self.lookback_frac > 0):
            raise ValueError("coincident_groups use mode 'sum' without ratchet or lookback")
        if any(r < 0 for r in self.rate_thb_per_kw):
            raise ValueError("demand rates must be >= 0")
        if self.mode == "blocks":
            if self.blocks is None or n_windows != 1:
                raise ValueError("mode 'blocks' needs blocks and exactly one window")
        elif self.coincident_windows:
            if self.mode != "sum" or len(self.rate_thb_per_kw) != 1:
                raise ValueError("coincident windows use mode 'sum' and one rate_thb_per_kw")
        elif len(self.rate_thb_per_kw) != len(self.windows) + len(self.coincident_groups):
            raise ValueError(f"{len(self.windows) + len(self.coincident_groups)} windows or groups need as many "
                             "rate_thb_per_kw values")
        if self.mode == "incremental":
            if len(self.windows) != 2:
                raise ValueError("mode 'incremental' needs exactly two windows")
            if self.rate_thb_per_kw[0] < self.rate_thb_per_kw[1]:
                raise ValueError("mode 'incremental' needs the first rate >= the second (convexity)")
        if (self.ratchet_frac > 0) != (self.ratchet_lookback_months > 0):
            raise ValueError("ratchet_frac and ratchet_lookback_months go together")
        if any(not 1 <= m <= 12 for m in self.lookback_months):
            raise ValueError(f"lookback_months must be calendar months 1..12, got {self.lookback_months}")
        if self.lookback_frac > 0:
            if bool(self.lookback_months) == (self.lookback_range_months > 0):
                raise ValueError("lookback_frac needs either lookback_months (calendar months) or "
                                 "lookback_range_months (the previous N months), not both")
            if n_windows != 1:
                raise ValueError("a kW lookback applies to a family with exactly one window")
        elif self.lookback_months or self.lookback_range_months:
            raise ValueError("lookback_months / lookback_range_months need lookback_frac > 0")
        return self

    def lookback_mask(self, months) -> np.ndarray:
        """(P, P) bool: month ``q`` counts in the lookback of month ``p`` (``months``: PeriodIndex)."""
        ordinal = np.array([m.ordinal for m in months])
        earlier = ordinal[None, :] < ordinal[:, None]
        if self.lookback_range_months > 0:
            return earlier & (ordinal[None, :] >= ordinal[:, None] - self.lookback_range_months)
        in_list = np.isin([m.month for m in months], self.lookback_months)
        return earlier & (ordinal[None, :] >= ordinal[:, None] - 12) & in_list[None, :]

    @property
    def floors_bill(self) -> bool:
        """True when this family's minimum charge floors the month's energy + demand charges."""
        return self.ratchet_frac > 0 and self.ratchet_floors == "bill"


class PowerFactorSpec(Sourced):
    """Charge on the month's kvar peak above ``threshold_frac`` of its kW peak."""

    rate_thb_per_kvar: float = Field(ge=0.0)
    threshold_frac: float = Field(ge=0.0)


class ExportSpec(Sourced):
    """Default export rule of the tariff (see :class:`munigrid.models.tariffs.ExportRule`)."""

    kind: Literal["none", "fixed", "net_billing", "net_metering"] = "none"
    price_thb_per_kwh: float = Field(0.0, ge=0.0)
    netting: Literal["monthly", "annual"] = "monthly"
    system_cap_kw: float | None = Field(None, gt=0.0)


class TariffVariant(_Strict):
    """One library id of a tariff: the same rates under one utility's voltage label."""

    id: str
    utility: str
    voltage: str

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]*", value):
            raise ValueError(f"ids use lower-case letters, digits, '.' and '-', got '{value}'")
        return value


class TariffSpec(_Strict):
    """One tariff; ``variants`` name it under each utility's id and voltage label."""

    variants: list[TariffVariant] = Field(min_length=1)
    name: str
    category: str
    calendar: str
    energy: EnergySpec
    demand: list[DemandSpec] = Field(default_factory=list)
    service_thb_per_month: float = Field(0.0, ge=0.0)
    service_source: Sourced | None = None
    ft_applies: bool = True
    vat_frac: float = Field(0.07, ge=0.0)
    vat_source: Sourced | None = None
    power_factor: PowerFactorSpec | None = None
    export: ExportSpec | None = None
    notes: list[str] = Field(default_factory=list)


def spec_problems(spec: TariffSpec, calendar: CalendarSpec) -> list[str]:
    """Inconsistencies between a tariff and its calendar (empty when consistent)."""
    problems = []
    periods = set(calendar.periods)
    rates = set(spec.energy.rates_thb_per_kwh)
    if rates and rates != periods:
        problems.append(f"energy.rates_thb_per_kwh must give a rate for every period of the calendar "
                        f"{sorted(periods)}, got {sorted(rates)}")
    if not rates and spec.energy.blocks is None and not spec.energy.tiers:
        problems.append("energy needs rates_thb_per_kwh, blocks or tiers")
    problems += _tier_problems(spec.energy.tiers, calendar.periods)
    if sum(family.floors_bill for family in spec.demand) > 1:
        problems.append("only one demand family may set a minimum charge on the bill (ratchet_floors: bill)")
    for i, family in enumerate(spec.demand):
        unknown = sorted({p for window in family.windows for p in window} - periods)
        if unknown:
            problems.append(f"demand[{i}].windows: periods {unknown} are not in the calendar {sorted(periods)}")
    return problems


def _tier_problems(tiers: list[EnergyTiersSpec], periods: list[str]) -> list[str]:
    """Tier sets name calendar periods and cover each (month, period) at most once."""
    problems, owner = [], {}
    for s, tier in enumerate(tiers):
        unknown = sorted(set(tier.periods) - set(periods))
        if unknown:
            problems.append(f"energy.tiers[{s}].periods: {unknown} are not in the calendar {sorted(periods)}")
        for month in tier.months:
            for period in tier.periods or periods:
                if (month, period) in owner:
                    problems.append(f"energy.tiers[{s}] and energy.tiers[{owner[month, period]}] both tier "
                                    f"period '{period}' in month {month}; give each (month, period) one tier set")
                    return problems
                owner[month, period] = s
    return problems


class TariffFile(_Strict):
    """A tariff data file: named calendars and the tariffs that use them."""

    version: str
    description: str = ""
    sources: dict[str, dict] = Field(default_factory=dict, description="shared source entries (YAML anchors)")
    calendars: dict[str, CalendarSpec]
    tariffs: list[TariffSpec]

    @model_validator(mode="after")
    def _references(self) -> TariffFile:
        problems = []
        for spec in self.tariffs:
            calendar = self.calendars.get(spec.calendar)
            if calendar is None:
                problems.append(f"{spec.variants[0].id}: calendar '{spec.calendar}' is not defined "
                                f"(defined: {sorted(self.calendars)})")
            else:
                problems += [f"{spec.variants[0].id}: {p}" for p in spec_problems(spec, calendar)]
        ids = [v.id for spec in self.tariffs for v in spec.variants]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            problems.append(f"duplicate tariff ids {duplicates}")
        if problems:
            raise ValueError("; ".join(problems))
        return self
