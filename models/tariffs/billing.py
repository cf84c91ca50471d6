r"""The bill calculator: a metered series to a month-by-month bill.

For each calendar month :math:`m` (Asia/Bangkok) with metered energy :math:`E_m` [kWh]:

.. math::

    \text{base}_m &= \text{energy}_m + \text{demand}_m + \text{adj}_m + \text{pf}_m + \text{service}_m \\
    \text{VAT}_m &= [\,v\,(\text{base}_m + Ft_m E_m)\,] \\
    \text{total}_m &= \text{base}_m + [Ft_m E_m] + \text{VAT}_m - \text{export credit}_m

Rounding (matches the PEA/MEA published examples in ``../shared/data/thai_bills``):

1. energy [kWh] is not rounded;
2. each window's demand (the month's largest step-average power in the window) is rounded
   half-up to the whole kW, when the tariff says so (Thai tariffs do);
3. the kvar excess of the power-factor charge is rounded half-up to the whole kvar;
4. every charge (energy, demand, minimum-charge adjustment, power factor, service, Ft,
   export credit) is rounded half-up to the satang (0.01 THB) on its own;
5. VAT is computed on the rounded base plus rounded Ft and rounded half-up to the satang;
6. the total is the sum of the rounded parts.

Minimum charge (PEA/MEA categories 3-5, ``ratchet_floors: bill``): the month's energy +
demand charges are billed at least ``ratchet_frac`` times the highest demand charge of the
previous ``ratchet_lookback_months`` months (months of the meter data, and
``ratchet_history_thb`` for the months before it), the floor rounded to the satang; the
shortfall is billed as ``min_charge_adjustment_thb``. Service, power-factor charge, Ft and VAT
come on top. With the older reading (``ratchet_floors: demand_charge``) the family's demand
charge alone is floored at that share of its highest *billed* charge (earlier adjustments
included, as :class:`~munigrid.models.tariffs.terms.DemandCharge` and the optimiser do).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError
from munigrid.models.tariffs.export import ExportRule
from munigrid.models.tariffs.ft import FtSchedule
from munigrid.models.tariffs.grid import TariffGrid, demand_pieces
from munigrid.models.tariffs.meter import MeterData, check_meter
from munigrid.models.tariffs.terms import lookback_billed_kw, netted_export_kwh


def round_half_up(value, decimals: int = 2):
    """Round half away from zero to ``decimals`` places, robust to binary float noise.

    ``round_half_up(2.3555) == 2.36`` although ``2.3555`` is stored as 2.35549999...
    """
    scale = 10.0 ** decimals
    scaled = np.round(np.abs(np.asarray(value, dtype=float)) * scale, 6)
    result = np.sign(value) * np.floor(scaled + 0.5) / scale
    return float(result) if np.ndim(result) == 0 else result


@dataclass(frozen=True)
class Bill:
    """A month-by-month bill.

    Parameters
    ----------
    tariff_id : str
        Library id of the tariff.
    monthly : DataFrame
        One row per billing month (index ``month``, ``YYYY-MM``); columns with units:
        ``energy_kwh``, ``energy_<period>_kwh`` per TOU period, ``energy_thb``, ``demand_kw``
        (the month's maximum demand, all hours), ``demand_<window>_kw`` per billed window,
        ``demand_thb``, ``min_charge_adjustment_thb``, ``power_factor_thb``, ``service_thb``,
        ``ft_thb_per_kwh``, ``ft_thb``, ``vat_thb``, ``export_kwh``, ``export_credit_thb``,
        ``total_thb``. Charges are THB before VAT except ``vat_thb`` and ``total_thb``.
    notes : list of str
        Every assumption or handling applied (fallback Ft, hourly data, partial months...).
    """

    tariff_id: str
    monthly: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def total_thb(self) -> float:
        """Sum of the monthly totals [THB], VAT included."""
        return round_half_up(float(self.monthly["total_thb"].sum()))

    def to_dict(self) -> dict:
        """JSON-ready form: tariff, months (records), total and notes."""
        months = [{"month": month, **{k: float(v) for k, v in row.items()}}
                  for month, row in self.monthly.iterrows()]
        return {"tariff": self.tariff_id, "months": months, "total_thb": self.total_thb, "notes": self.notes}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _by_month(grid: TariffGrid, values: np.ndarray) -> np.ndarray:
    return np.bincount(grid.period_of_step, weights=values, minlength=grid.n_months)


def _max_by_month(grid: TariffGrid, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    out = np.zeros(grid.n_months)
    steps = np.ones(len(values), dtype=bool) if mask is None else mask
    np.maximum.at(out, grid.period_of_step[steps], values[steps])
    return out


def _ratchet(raw_thb: np.ndarray, frac: float, lookback: int, history_thb: float,
             chained: bool) -> np.ndarray:
    """Minimum charge of each month [THB]: ``frac`` times the highest earlier charge.

    ``chained``: earlier charges count as billed (raised to their own floor), the older
    demand-charge reading; otherwise the demand charges as metered (the bill-floor reading).
    """
    billed = raw_thb.copy()
    floors = np.zeros_like(raw_thb)
    for p in range(len(raw_thb)):
        earlier = billed[max(0, p - lookback):p]
        floors[p] = round_half_up(frac * max([history_thb, *earlier]))
        if chained:
            billed[p] = max(raw_thb[p], floors[p])
    return floors


def _demand_columns(grid: TariffGrid, meter: MeterData, ratchet_history_thb: float | Mapping[str, float]
                    ) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """Demand columns, demand charge, demand-charge floor adjustment and bill floor per month [THB]."""
    columns: dict[str, np.ndarray] = {}
    demand_thb = np.zeros(grid.n_months)
    adjustment_thb = np.zeros(grid.n_months)
    bill_floor_thb = np.zeros(grid.n_months)
    prefix_family = len(grid.demand) > 1
    for windows in grid.demand:
        spec = windows.spec
        demand_kw = np.zeros((grid.n_months, windows.mask.shape[0]))
        for k, (mask, period) in enumerate(zip(windows.mask, windows.period)):
            np.maximum.at(demand_kw[:, k], period[mask], meter.import_kw[mask])
        if spec.round_to_kw:
            demand_kw = round_half_up(demand_kw, 0)
        for k, label in enumerate(windows.labels):
            name = f"{_slug(spec.name)}_{label}" if prefix_family else label
            columns[f"demand_{name}_kw"] = demand_kw[:, k]
        if spec.lookback_frac > 0:
            demand_kw = lookback_billed_kw(demand_kw, spec.lookback_frac, spec.lookback_mask(grid.months))
            columns[f"demand_{_slug(spec.name)}_billed_kw"] = demand_kw[:, 0]
        slopes, intercepts = demand_pieces(spec)
        raw = round_half_up((intercepts[None, :] + demand_kw @ slopes.T).max(axis=1))
        demand_thb += raw
        if spec.ratchet_frac > 0:
            history = (ratchet_history_thb.get(spec.name, 0.0) if isinstance(ratchet_history_thb, Mapping)
                       else float(ratchet_history_thb))
            floors = _ratchet(raw, spec.ratchet_frac, spec.ratchet_lookback_months, history,
                              chained=not spec.floors_bill)
            if spec.floors_bill:
                bill_floor_thb = floors
            else:
                adjustment_thb += np.maximum(0.0, floors - raw)
    return columns, demand_thb, adjustment_thb, bill_floor_thb


def _power_factor_thb(tariff, grid: TariffGrid, meter: MeterData, max_demand_kw: np.ndarray,
                      notes: list[str]) -> np.ndarray:
    pf = tariff.spec.power_factor
    if pf is None:
        if meter.kvar is not None:
            notes.append("kvar given, but this tariff has no power-factor charge")
        return np.zeros(grid.n_months)
    if meter.kvar is None:
        notes.append("no kvar given: the power-factor charge is not computed (0)")
        return np.zeros(grid.n_months)
    kvar_peak = _max_by_month(grid, meter.kvar)
    excess_kvar = round_half_up(np.maximum(0.0, kvar_peak - pf.threshold_frac * max_demand_kw), 0)
    return round_half_up(excess_kvar * pf.rate_thb_per_kvar)


def _partial_month_notes(grid: TariffGrid) -> list[str]:
    notes = []
    steps_per_day = 24 / grid.step_h
    counts = np.bincount(grid.period_of_step, minlength=grid.n_months)
    for month, count in zip(grid.months, counts):
        days = count / steps_per_day
        if days < month.days_in_month:
            notes.append(f"{month} covers {days:g} of {month.days_in_month} days: the service charge is billed "
                         "in full and the demand is the maximum seen in the metered days")
    return notes


def compute_bill(tariff, import_kw: pd.Series, ft: FtSchedule | float | None = None,
                 kvar: pd.Series | None = None, export_kw: pd.Series | None = None,
                 export: ExportRule | None = None, ratchet_history_thb: float | Mapping[str, float] = 0.0,
                 extra_offpeak_dates: Iterable[dt.date | str] = ()) -> Bill:
    """Bill a metered series under ``tariff``, month by month (rounding: see the module docstring).

    Parameters
    ----------
    tariff : Tariff
        The tariff.
    import_kw : Series
        Mean import power of each step [kW], tz-aware regular 15-min or 1-h index.
        Negative values are export: an error when export is not allowed, otherwise moved to
        ``export_kw`` (reported) when ``export_kw`` is not given.
    ft : FtSchedule, float or None
        Ft [THB/kWh]; None uses the built-in schedule (error for months it does not cover).
    kvar : Series or None
        Mean reactive power of each step [kvar], same index; needed for the power-factor charge.
    export_kw : Series or None
        Mean export power of each step [kW], same index.
    export : ExportRule or None
        Export compensation; None uses the tariff's default (Thai: export not allowed).
    ratchet_history_thb : float or mapping
        Highest demand charge (before VAT) of the look-back months before the data [THB].
    extra_offpeak_dates : iterable of date or str
        Extra off-peak (holiday) dates.

    Returns
    -------
    Bill
    """
    rule = tariff.export_rule(export)
    meter = check_meter(import_kw, kvar=kvar, export_kw=export_kw, export_allowed=rule.allowed)
    grid = tariff.grid(meter.index, extra_offpeak_dates)
    notes = [*meter.notes, *grid.notes, *_partial_month_notes(grid)]
    energy_step_kwh = meter.import_kw * grid.step_h
    energy_kwh = _by_month(grid, energy_step_kwh)
    columns: dict[str, np.ndarray] = {"energy_kwh": energy_kwh}
    if len(grid.periods) > 1:
        for n, period in enumerate(grid.periods):
            columns[f"energy_{period}_kwh"] = _by_month(grid, energy_step_kwh * grid.period_frac[:, n])
    energy_thb = _by_month(grid, energy_step_kwh * tariff.energy_rate_thb_per_kwh(grid))
    tier_sets = [s for s in tariff.energy_tier_sets(grid) if s is not None]
    for tier_set in tier_sets:
        energy_thb = energy_thb + tier_set.charges_thb(meter.import_kw, grid.period_of_step, grid.step_h, grid.n_months)
    columns["energy_thb"] = round_half_up(energy_thb)
    max_demand_kw = _max_by_month(grid, meter.import_kw)
    rounds_kw = tariff.spec.power_factor is not None or any(w.spec.round_to_kw for w in grid.demand)
    columns["demand_kw"] = round_half_up(max_demand_kw, 0) if rounds_kw else max_demand_kw
    demand_cols, demand_thb, adjustment_thb, bill_floor_thb = _demand_columns(grid, meter, ratchet_history_thb)
    adjustment_thb = adjustment_thb + round_half_up(np.maximum(0.0, bill_floor_thb - columns["energy_thb"] - demand_thb))
    columns.update(demand_cols)
    columns["demand_thb"] = demand_thb
    columns["min_charge_adjustment_thb"] = adjustment_thb
    columns["power_factor_thb"] = _power_factor_thb(tariff, grid, meter, columns["demand_kw"], notes)
    columns["service_thb"] = np.full(grid.n_months, round_half_up(tariff.spec.service_thb_per_month))
    ft_month, ft_notes = tariff.ft_thb_per_kwh(grid, ft)
    notes += ft_notes
    columns["ft_thb_per_kwh"] = ft_month
    columns["ft_thb"] = round_half_up(ft_month * energy_kwh)
    base_thb = (columns["energy_thb"] + demand_thb + adjustment_thb + columns["power_factor_thb"]
                + columns["service_thb"])
    columns["vat_thb"] = round_half_up(tariff.spec.vat_frac * (base_thb + columns["ft_thb"]))
    export_step_kwh = meter.export_kw * grid.step_h
    columns["export_kwh"] = _by_month(grid, export_step_kwh)
    export_price = rule.prices_thb_per_kwh(grid.index)
    credit_thb = export_step_kwh * export_price
    if rule.kind == "net_metering":
        retail = tariff.vat_factor * (tariff.energy_rate_thb_per_kwh(grid) + ft_month[grid.period_of_step])
        bonus = np.maximum(0.0, retail - export_price)
        netted = netted_export_kwh(export_step_kwh, energy_step_kwh, bonus, rule.netting_period(grid.period_of_step))
        credit_thb = credit_thb + netted * bonus
        columns["export_netted_kwh"] = _by_month(grid, netted)
    columns["export_credit_thb"] = round_half_up(_by_month(grid, credit_thb))
    if rule.kind == "net_metering" and tier_sets:
        raise InputError("net metering with energy blocks or tiers is not supported", "export.kind")
    if rule.kind in ("fixed", "series") and columns["export_kwh"].any():
        notes.append(f"export is paid separately ({rule.kind} price); total_thb is the net cost after it")
    columns["total_thb"] = round_half_up(base_thb + columns["ft_thb"] + columns["vat_thb"]
                                         - columns["export_credit_thb"])
    monthly = pd.DataFrame(columns, index=pd.Index([str(m) for m in grid.months], name="month"))
    return Bill(tariff.id, monthly, list(dict.fromkeys(notes)))
