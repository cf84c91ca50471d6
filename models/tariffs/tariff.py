r"""A tariff: its data plus the two things done with it, a bill and optimiser cost terms.

Cost terms (:meth:`Tariff.cost_terms`) price a schedule exactly as the bill does, except
that the optimiser cannot round: the bill rounds demand to the whole kW and each charge to
the satang (see :mod:`munigrid.models.tariffs.billing`), the cost terms do not. All cost-term
money includes VAT (and Ft, which is per kWh), so minimising them minimises the bill.

Import price at step :math:`t` of month :math:`m` [THB/kWh]:

.. math:: \pi^{in}_t = (1 + v)\Big(\sum_n f_{t,n} r_n + Ft_m + s_t\Big)

with VAT share :math:`v`, TOU shares :math:`f_{t,n}`, period rates :math:`r_n` and an
optional price series :math:`s_t`; blocks, demand and fixed charges are scaled by
:math:`(1 + v)` the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError
from munigrid.models.tariffs.export import ExportRule
from munigrid.models.tariffs.ft import FtSchedule, as_schedule
from munigrid.models.tariffs.grid import TariffGrid, aligned_values, demand_pieces, tariff_grid
from munigrid.models.tariffs.spec import CalendarSpec, EnergySpec, EnergyTiersSpec, TariffSpec, TariffVariant
from munigrid.models.tariffs.terms import DemandCharge, EnergyBlocks, TariffCostTerms
from munigrid.models.tariffs.meter import BILL_STEPS_MIN, nanosecond_index
from munigrid.models.timegrid import check_index


@dataclass(frozen=True)
class Tariff:
    """One tariff of the library (or built from a spec), ready to bill and optimise.

    Parameters
    ----------
    variant : TariffVariant
        Library id, utility and voltage label.
    spec : TariffSpec
        Rates and rules.
    calendar : CalendarSpec
        The TOU calendar the spec refers to.
    version : str
        Version of the data file it came from.
    price_series_thb_per_kwh : Series or None
        Optional import price series added to the energy rate [THB/kWh, before VAT].
    extra_offpeak_dates : tuple of date
        Dates billed with the ``holiday`` day type on top of the calendar's holidays (e.g.
        cabinet bridge days, which change each year); none by default.
    """

    variant: TariffVariant
    spec: TariffSpec
    calendar: CalendarSpec
    version: str = ""
    price_series_thb_per_kwh: pd.Series | None = None
    extra_offpeak_dates: tuple[dt.date, ...] = ()

    @property
    def id(self) -> str:
        """Library id, e.g. ``pea-3.2-lt22kv``."""
        return self.variant.id

    @property
    def name(self) -> str:
        """Human-readable name."""
        return f"{self.variant.utility} {self.spec.name}, {self.variant.voltage}"

    @property
    def vat_factor(self) -> float:
        """:math:`1 + v` [-]."""
        return 1.0 + self.spec.vat_frac

    @classmethod
    def from_price_series(cls, price_thb_per_kwh: pd.Series, tariff_id: str = "price-series",
                          vat_frac: float = 0.0, ft_applies: bool = False) -> Tariff:
        """A plain price-series tariff: every kWh at the series price, nothing else.

        Parameters
        ----------
        price_thb_per_kwh : Series
            Import price [THB/kWh, before VAT] on a tz-aware index covering the horizon.
        tariff_id : str
            Id shown on bills.
        vat_frac : float
            VAT share added on top [-].
        ft_applies : bool
            Whether Ft is added per kWh.
        """
        spec = TariffSpec(
            variants=[TariffVariant(id=tariff_id, utility="-", voltage="-")], name="price series",
            category="series", calendar="flat",
            energy=EnergySpec(rates_thb_per_kwh={"all": 0.0}, source="user price series", as_of="user"),
            ft_applies=ft_applies, vat_frac=vat_frac)
        return cls(spec.variants[0], spec, CalendarSpec(default_period="all"), "user",
                   price_series_thb_per_kwh=price_thb_per_kwh)

    def grid(self, index: pd.DatetimeIndex, extra_offpeak_dates: Iterable[dt.date | str] = ()) -> TariffGrid:
        """The tariff's calendar and demand windows on ``index`` (checked first)."""
        index = check_index(nanosecond_index(index), "index", BILL_STEPS_MIN)
        return tariff_grid(self.calendar, self.spec.demand, index, [*self.extra_offpeak_dates, *extra_offpeak_dates])

    def energy_rate_thb_per_kwh(self, grid: TariffGrid) -> np.ndarray:
        """Energy rate of every step, before Ft and VAT, blocks excluded [THB/kWh]."""
        rates = np.array([self.spec.energy.rates_thb_per_kwh.get(p, 0.0) for p in grid.periods])
        rate = grid.period_frac @ rates
        if self.price_series_thb_per_kwh is not None:
            rate = rate + aligned_values(self.price_series_thb_per_kwh, grid.index, "price_series_thb_per_kwh")
        return rate

    def energy_tier_sets(self, grid: TariffGrid, factor: float = 1.0) -> list[EnergyBlocks | None]:
        r"""The monthly blocks (or None) followed by one :class:`EnergyBlocks` per tier set, prices times ``factor``.

        A tier set's step weight is the step's share in its periods, 0 outside its months:
        :math:`\omega_t = [\mathrm{month}(t) \in \mathcal M] \sum_{n \in \mathcal N} f_{t,n}`.
        """
        energy = self.spec.energy
        sets: list[EnergyBlocks | None] = [None]
        month_of_step = np.asarray(grid.months.month)[grid.period_of_step]
        for spec_blocks in [energy.blocks, *energy.tiers]:
            if spec_blocks is None:
                continue
            weight = None
            if isinstance(spec_blocks, EnergyTiersSpec):
                columns = [grid.periods.index(p) for p in spec_blocks.periods or grid.periods]
                weight = grid.period_frac[:, columns].sum(axis=1) * np.isin(month_of_step, spec_blocks.months)
            block = EnergyBlocks(np.array([np.inf if u is None else float(u) for u in spec_blocks.upper_kwh]),
                                 factor * np.asarray(spec_blocks.price_thb_per_kwh, dtype=float), weight)
            if weight is None:
                sets[0] = block
            else:
                sets.append(block)
        return sets

    def ft_thb_per_kwh(self, grid: TariffGrid, ft: FtSchedule | float | None) -> tuple[np.ndarray, list[str]]:
        """Ft of every billing month [THB/kWh] (zeros when Ft does not apply) and notes."""
        if not self.spec.ft_applies:
            return np.zeros(grid.n_months), []
        resolved = as_schedule(ft).resolve(grid.months)
        return resolved.ft_thb_per_kwh, resolved.notes

    def export_rule(self, export: ExportRule | None) -> ExportRule:
        """``export`` or, when None, the tariff's default rule."""
        if export is not None:
            return export
        default = self.spec.export
        if default is None or default.kind == "none":
            return ExportRule.none()
        return ExportRule(default.kind, default.price_thb_per_kwh, netting=default.netting,
                          system_cap_kw=default.system_cap_kw)

    def cost_terms(self, index: pd.DatetimeIndex, ft: FtSchedule | float | None = None,
                   export: ExportRule | None = None,
                   registered_kw: float | Mapping[str, np.ndarray] | None = None,
                   ratchet_history_thb: float | Mapping[str, float] = 0.0,
                   extra_offpeak_dates: Iterable[dt.date | str] = ()) -> TariffCostTerms:
        """Optimiser-ready cost terms of this tariff on ``index`` (VAT included).

        Parameters
        ----------
        index : DatetimeIndex
            tz-aware, regular 15-min or 1-h steps; billing periods are its calendar months.
        ft : FtSchedule, float or None
            Ft [THB/kWh]: a schedule, a constant, or None for the built-in schedule.
        export : ExportRule or None
            Export compensation; None uses the tariff's default (Thai: no export).
        registered_kw : float, mapping or None
            Demand already registered before the horizon [kW]. A number applies to every
            window of the first billing month (a month in progress); a mapping from demand
            family name to a (P, K) array sets it per month and window.
        ratchet_history_thb : float or mapping
            Highest demand charge of the look-back months before the horizon, as on the bill
            (before VAT) [THB]; it floors every month of the horizon. A mapping sets it per family.
        extra_offpeak_dates : iterable of date or str
            Extra off-peak (holiday) dates, e.g. cabinet bridge days.

        Notes
        -----
        The optimiser cannot round demand or see 15-minute peaks inside an hourly step:
        hourly steps understate the billed demand (see ``notes`` of the result).
        """
        grid = self.grid(index, extra_offpeak_dates)
        vat = self.vat_factor
        ft_month, ft_notes = self.ft_thb_per_kwh(grid, ft)
        rule = self.export_rule(export)
        import_price = vat * (self.energy_rate_thb_per_kwh(grid) + ft_month[grid.period_of_step])
        blocks, *tiers = self.energy_tier_sets(grid, vat)
        charges = [self._demand_charge(w, grid, registered_kw, ratchet_history_thb) for w in grid.demand]
        export_price = rule.prices_thb_per_kwh(grid.index)
        net_metering = None
        if rule.kind == "net_metering":
            if blocks is not None or tiers:
                raise InputError("net metering with energy blocks or tiers is not supported (the credit of a kWh "
                                 "depends on the block); use a flat or TOU energy rate", "export.kind")
            net_metering = np.maximum(0.0, import_price - export_price)
        return TariffCostTerms(
            step_h=grid.step_h,
            period_of_step=grid.period_of_step,
            import_thb_per_kwh=import_price,
            export_thb_per_kwh=export_price,
            net_metering_thb_per_kwh=net_metering,
            netting_period_of_step=rule.netting_period(grid.period_of_step) if net_metering is not None else None,
            export_allowed=rule.allowed,
            energy_blocks=blocks,
            energy_tiers=tuple(tiers),
            demand_charges=charges,
            fixed_thb_per_period=np.full(grid.n_months, vat * self.spec.service_thb_per_month),
            base_energy_thb_per_kwh=vat * self.energy_rate_thb_per_kwh(grid),
            notes=[*grid.notes, *ft_notes],
        )

    def _demand_charge(self, windows, grid: TariffGrid, registered_kw, ratchet_history_thb) -> DemandCharge:
        spec = windows.spec
        slopes, intercepts = demand_pieces(spec)
        shape = (grid.n_months, windows.mask.shape[0])
        registered = np.zeros(shape)
        if isinstance(registered_kw, Mapping):
            if spec.name in registered_kw:
                given = np.asarray(registered_kw[spec.name], dtype=float)
                if given.shape != shape:
                    raise InputError(f"must have shape (months, windows) = {shape}, got {given.shape}",
                                     f"registered_kw[{spec.name}]")
                registered = given
        elif registered_kw is not None:
            registered[0, :] = float(registered_kw)
        history = (ratchet_history_thb.get(spec.name, 0.0) if isinstance(ratchet_history_thb, Mapping)
                   else float(ratchet_history_thb))
        return DemandCharge(
            name=spec.name, window_mask=windows.mask, window_period=windows.period,
            slope_thb_per_kw=self.vat_factor * slopes, intercept_thb=self.vat_factor * intercepts,
            registered_kw=registered, ratchet_frac=spec.ratchet_frac,
            ratchet_lookback_periods=spec.ratchet_lookback_months,
            ratchet_history_thb=self.vat_factor * history if spec.ratchet_frac > 0 else 0.0,
            ratchet_floors_bill=spec.floors_bill, lookback_frac=spec.lookback_frac,
            lookback_mask=spec.lookback_mask(grid.months) if spec.lookback_frac > 0 else None)

    def bill(self, import_kw: pd.Series, ft: FtSchedule | float | None = None, kvar: pd.Series | None = None,
             export_kw: pd.Series | None = None, export: ExportRule | None = None,
             ratchet_history_thb: float | Mapping[str, float] = 0.0,
             extra_offpeak_dates: Iterable[dt.date | str] = ()):
        """Month-by-month bill of a metered series; see :func:`munigrid.models.tariffs.billing.compute_bill`."""
        from munigrid.models.tariffs.billing import compute_bill

        return compute_bill(self, import_kw, ft=ft, kvar=kvar, export_kw=export_kw, export=export,
                            ratchet_history_thb=ratchet_history_thb, extra_offpeak_dates=extra_offpeak_dates)

    def with_variant(self, variant: TariffVariant) -> Tariff:
        """The same tariff under another id."""
        return replace(self, variant=variant)

