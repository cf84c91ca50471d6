r"""URDB rate JSON (OpenEI Utility Rate Database) to and from munigrid tariffs.

Import (:func:`tariff_from_urdb`) reads one URDB rate (a JSON object, or ``{"items": [rate]}``):

* ``energyratestructure`` with ``energyweekdayschedule`` / ``energyweekendschedule`` (12 x 24
  period indices, months x hours): TOU energy rates (``rate`` + ``adj``); a URDB period with
  tiers (``max`` [kWh per month]) becomes one ``energy.tiers`` set over the munigrid periods of
  its hours: the tiers count that period's energy in the month, so they may differ by period
  and (through the schedules) by month;
* ``demandratestructure`` with ``demandweekdayschedule`` / ``demandweekendschedule``: one
  demand window per one-tier demand period, and one ``blocks`` family per tiered period (``max``
  [kW], rates that do not fall);
* ``flatdemandstructure`` / ``flatdemandmonths``: a monthly demand charge whose rate may
  change by month (one window per distinct rate), with ``lookbackPercent`` and
  ``lookbackRange`` or ``lookbackMonths`` (12 booleans) as a kW lookback when the rate is the
  same in every month;
* ``coincidentratestructure`` with ``coincidentrateschedule``: a monthly demand charge on
  the coincident hours;
* ``fixedchargefirstmeter`` (``fixedchargeunits`` ``$/month``): the monthly fixed charge.

Every other field that carries a price or a rule (``sell`` rates, ``minmonthlycharge``,
``demandrateunit`` other than kW, tier ``unit`` other than kWh/kW, flat or coincident demand
tiers...) is refused
with a message naming it. Amounts stay in the rate's currency (URDB: USD) in the fields named
``thb``: the bill is then in that currency. URDB has no holidays: weekends are Saturday and
Sunday. Demand is not rounded to the kW (``round_to_kw: false``), no VAT, no Ft.

Export (:func:`tariff_to_urdb`) writes the same fields for tariffs whose calendar is the same
on every weekday and on both weekend days, changes on whole hours and has no holidays.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError, Problem
from munigrid.models.tariffs.library import parse_tariff_file
from munigrid.models.tariffs.tariff import Tariff

# fields that only describe the rate (kept as notes or ignored)
DESCRIPTIVE = {"label", "uri", "name", "utility", "eiaid", "sector", "description", "source", "sourceparent",
               "startdate", "enddate", "approved", "is_default", "country", "supersedes", "revisions",
               "servicetype", "dgrules", "voltagecategory", "phasewiring", "peakkwcapacitymin",
               "peakkwcapacitymax", "peakkwcapacityhistory", "basicinformationcomments", "energycomments",
               "demandcomments", "fixedchargeunits", "demandrateunit", "flatdemandunit", "demandunits",
               "lookbackPercent", "lookbackRange", "lookbackMonths", "coincidentrateunit", "energyattrs",
               "demandattrs", "fixedattrs", "latest_update", "_id", "id"}
SUPPORTED = {"energyratestructure", "energyweekdayschedule", "energyweekendschedule", "demandratestructure",
             "demandweekdayschedule", "demandweekendschedule", "flatdemandstructure", "flatdemandmonths",
             "coincidentratestructure", "coincidentrateschedule", "fixedchargefirstmeter"}
WEEKDAYS, WEEKEND = ["mon", "tue", "wed", "thu", "fri"], ["sat", "sun"]


def _rate(tier: dict, unit: str, where: str) -> float:
    unknown = sorted(set(tier) - {"rate", "adj", "max", "unit"})
    if unknown:
        raise InputError(f"tier fields {unknown} are not supported (only rate, adj, max, unit)", where)
    if tier.get("unit", unit) != unit:
        raise InputError(f"tier unit '{tier['unit']}' is not supported, only '{unit}'", where)
    return float(tier.get("rate", 0.0)) + float(tier.get("adj", 0.0))


def _schedule(rate: dict, key: str, n_periods: int) -> np.ndarray:
    table = np.asarray(rate.get(key), dtype=int) if key in rate else None
    if table is None or table.shape != (12, 24):
        raise InputError("needs a 12 x 24 table of period indices (months x hours)", key)
    if table.min() < 0 or table.max() >= n_periods:
        raise InputError(f"period indices must be 0..{n_periods - 1}", key)
    return table


def _tiers(period: list[dict], unit: str, where: str) -> tuple[list[float], list[float | None]]:
    """Rates and upper edges (``None`` open) of one URDB period's tiers; a closed last tier is followed by
    an open one at its rate (URDB bills use beyond the last ``max`` at the last rate)."""
    rates = [_rate(t, unit, f"{where}[{k}]") for k, t in enumerate(period)]
    upper = [None if t.get("max") is None else float(t["max"]) for t in period]
    if any(u is None for u in upper[:-1]):
        raise InputError("only the last tier may leave out max", where)
    if upper[-1] is not None:
        rates, upper = [*rates, rates[-1]], [*upper, None]
    return rates, upper


def _energy(rate: dict) -> list[tuple[list[float], list[float | None]]]:
    """Tier rates and edges of every URDB energy period (one open tier when the period has no tiers)."""
    return [_tiers(period, "kWh", f"energyratestructure[{p}]") for p, period in enumerate(rate["energyratestructure"])]


def _flat_demand(rate: dict) -> list[float] | None:
    if "flatdemandstructure" not in rate:
        return None
    rates = [_rate(period[0], "kW", f"flatdemandstructure[{p}][0]") for p, period in enumerate(rate["flatdemandstructure"])]
    if any(len(period) != 1 for period in rate["flatdemandstructure"]):
        raise InputError("demand tiers are not supported", "flatdemandstructure")
    months = rate.get("flatdemandmonths", [0] * 12)
    if len(months) != 12 or any(not 0 <= m < len(rates) for m in months):
        raise InputError(f"needs 12 indices into flatdemandstructure (0..{len(rates) - 1})", "flatdemandmonths")
    return [rates[m] for m in months]


def _check_fields(rate: dict) -> None:
    problems = [Problem(key, "not supported by the munigrid import (see docs/tariffs.md, URDB mapping)")
                for key in sorted(rate) if key not in SUPPORTED | DESCRIPTIVE]
    if rate.get("fixedchargeunits", "$/month") != "$/month":
        problems.append(Problem("fixedchargeunits", "only '$/month' is supported"))
    for key in ("demandrateunit", "flatdemandunit", "coincidentrateunit"):
        if rate.get(key, "kW") != "kW":
            problems.append(Problem(key, "only 'kW' is supported"))
    if problems:
        raise InputError(problems)


def _period_table(rate: dict, flat: list[float] | None) -> tuple[np.ndarray, list[tuple]]:
    """Combined period key (energy, demand, flat-rate group, coincident) of every (day type, month, hour)."""
    n_energy = len(rate["energyratestructure"])
    layers = [[_schedule(rate, "energyweekdayschedule", n_energy), _schedule(rate, "energyweekendschedule", n_energy)]]
    if "demandratestructure" in rate:
        n = len(rate["demandratestructure"])
        layers.append([_schedule(rate, "demandweekdayschedule", n), _schedule(rate, "demandweekendschedule", n)])
    if flat is not None:
        groups = np.array([sorted(set(flat)).index(r) for r in flat])
        layers.append([np.repeat(groups[:, None], 24, axis=1)] * 2)
    if "coincidentratestructure" in rate:
        n = len(rate["coincidentratestructure"])
        layers.append([_schedule(rate, "coincidentrateschedule", n)] * 2)
    keys = np.stack([np.stack(layer) for layer in layers], axis=-1)  # (2, 12, 24, L)
    names = list(dict.fromkeys(tuple(k) for k in keys.reshape(-1, keys.shape[-1]).tolist()))
    return keys, names


def _rules(codes: np.ndarray, labels: list[str]) -> list[dict]:
    """Calendar rules from (2, 12, 24) period codes: runs of hours, months with the same day grouped."""
    rules = []
    for day_type, days in enumerate((WEEKDAYS, WEEKEND)):
        patterns: dict[tuple, list[int]] = {}
        for month in range(12):
            patterns.setdefault(tuple(codes[day_type, month]), []).append(month + 1)
        for pattern, months in patterns.items():
            start = 0
            for hour in range(1, 25):
                if hour == 24 or pattern[hour] != pattern[start]:
                    rules.append({"period": labels[pattern[start]], "days": days, "start": f"{start:02d}:00",
                                  "end": f"{hour:02d}:00", "months": months})
                    start = hour
    return rules


def _window_family(name: str, rates: list[float], labels: list[str], index: list[int], source: dict) -> list[dict]:
    """A demand family with one window per demand period that has a non-zero rate (none if all are zero)."""
    used = [d for d in dict.fromkeys(index) if rates[d] > 0]
    if not used:
        return []
    return [{"name": name, "windows": [[lab for lab, d in zip(labels, index) if d == u] for u in used],
             "rate_thb_per_kw": [rates[u] for u in used], "round_to_kw": False, **source}]


def _energy_spec(tiers: list[tuple], labels: list[str], index: list[int], source: dict) -> dict:
    """Energy rates by label; a URDB period with tiers becomes a tier set over its labels (rate 0 beside it)."""
    energy: dict[str, Any] = {"rates_thb_per_kwh": {lab: (tiers[e][0][0] if len(tiers[e][0]) == 1 else 0.0)
                                                     for lab, e in zip(labels, index)}, **source}
    sets = [{"periods": [lab for lab, e2 in zip(labels, index) if e2 == e], "upper_kwh": tiers[e][1],
             "price_thb_per_kwh": tiers[e][0], **source} for e in dict.fromkeys(index) if len(tiers[e][0]) > 1]
    if sets:
        energy["tiers"] = sets
    return energy


def _demand_families(structure: list, labels: list[str], index: list[int], source: dict) -> list[dict]:
    """One ``sum`` family over the one-tier demand periods, one ``blocks`` family per tiered demand period."""
    tiers = [_tiers(period, "kW", f"demandratestructure[{d}]") for d, period in enumerate(structure)]
    flat = [t[0][0] if len(t[0]) == 1 else 0.0 for t in tiers]
    families = _window_family("tou demand", flat, labels, index, source)
    for d in dict.fromkeys(index):
        rates, upper = tiers[d]
        if len(rates) == 1:
            continue
        if any(b < a for a, b in zip(rates, rates[1:])):
            raise InputError("demand tier rates that fall are not supported (a declining demand charge is not "
                             "convex)", f"demandratestructure[{d}]")
        window = [lab for lab, d2 in zip(labels, index) if d2 == d]
        families.append({"name": f"tou demand {'+'.join(window)}", "mode": "blocks", "windows": [window],
                         "blocks": {"upper_kw": upper, "rate_thb_per_kw": rates, **source},
                         "round_to_kw": False, **source})
    return families


def urdb_to_spec(rate: dict) -> dict:
    """A munigrid tariff file (as data) from one URDB rate; see the module docstring."""
    if "items" in rate:
        if len(rate["items"]) != 1:
            raise InputError(f"holds {len(rate['items'])} rates; give one", "items")
        rate = rate["items"][0]
    if "energyratestructure" not in rate:
        raise InputError("a rate without energyratestructure is not supported", "energyratestructure")
    _check_fields(rate)
    energy_tiers = _energy(rate)
    flat = _flat_demand(rate)
    keys, names = _period_table(rate, flat)
    labels = [f"p{n + 1}" for n in range(len(names))]  # by first appearance: the same hours give the same names
    codes = np.array([names.index(tuple(k)) for k in keys.reshape(-1, keys.shape[-1]).tolist()]).reshape(2, 12, 24)
    source = {"source": f"URDB rate {rate.get('label', '')}".strip(), "as_of": str(rate.get("startdate", "URDB"))[:10]}
    energy = _energy_spec(energy_tiers, labels, [k[0] for k in names], source)
    demand = []
    layer = 1
    if "demandratestructure" in rate:
        demand += _demand_families(rate["demandratestructure"], labels, [k[layer] for k in names], source)
        layer += 1
    if flat is not None:
        distinct = sorted(set(flat))
        family = {"name": "flat demand", "windows": [[lab for lab, k in zip(labels, names) if k[layer] == g]
                                                     for g in range(len(distinct))],
                  "rate_thb_per_kw": distinct, "round_to_kw": False, **source}
        if rate.get("lookbackPercent"):
            if len(distinct) != 1:
                raise InputError("a lookback with a flat demand rate that changes by month is not supported",
                                 "lookbackPercent")
            family["lookback_frac"] = float(rate["lookbackPercent"]) / 100.0
            if rate.get("lookbackRange"):
                family["lookback_range_months"] = int(rate["lookbackRange"])
            else:
                flags = rate.get("lookbackMonths") or []
                family["lookback_months"] = [m + 1 for m, on in enumerate(flags) if on]
        demand.append(family)
        layer += 1
    if "coincidentratestructure" in rate:
        if any(len(period) != 1 for period in rate["coincidentratestructure"]):
            raise InputError("coincident demand tiers are not supported", "coincidentratestructure")
        rates = [_rate(p[0], "kW", f"coincidentratestructure[{c}][0]")
                 for c, p in enumerate(rate["coincidentratestructure"])]
        demand += _window_family("coincident demand", rates, labels, [k[layer] for k in names], source)
    label = str(rate.get("label", "rate"))
    tariff_id = "urdb-" + "".join(ch for ch in label.lower() if ch.isalnum() or ch == "-").removeprefix("urdb-")
    return {"version": f"urdb-{rate.get('label', 'rate')}", "description": str(rate.get("name", "")),
            "calendars": {"urdb": {"default_period": labels[codes[0, 0, 0]], "rules": _rules(codes, labels)}},
            "tariffs": [{"variants": [{"id": tariff_id, "utility": str(rate.get("utility", "URDB")),
                                       "voltage": "-"}],
                         "name": str(rate.get("name", tariff_id)), "category": "urdb", "calendar": "urdb",
                         "energy": energy, "demand": demand,
                         "service_thb_per_month": float(rate.get("fixedchargefirstmeter", 0.0)),
                         "ft_applies": False, "vat_frac": 0.0}]}


def tariff_from_urdb(rate: dict | str | Path) -> Tariff:
    """The munigrid tariff of one URDB rate (a dict, or a path to its JSON file)."""
    where = "URDB rate"
    if not isinstance(rate, dict):
        path = Path(rate)
        where = str(path)
        if not path.is_file():
            raise InputError(f"file not found: {path}", "URDB file")
        try:
            rate = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise InputError(f"not valid JSON: {err}", str(path)) from err
    try:
        spec = urdb_to_spec(rate)
    except InputError as err:
        raise InputError([Problem(f"{where}.{p.path}", p.message) for p in err.problems]) from err
    return next(iter(parse_tariff_file(spec, where).values()))


def _hour_codes(tariff: Tariff) -> np.ndarray:
    """(2, 12, 24) index into the calendar's periods: weekday and weekend hours of each month."""
    calendar = tariff.calendar
    if calendar.holidays is not None:
        raise InputError("a calendar with holidays cannot be written as URDB (it has no holidays)", "calendar")
    from munigrid.models.tariffs.calendar import period_codes

    out = np.zeros((2, 12, 24), dtype=int)
    for month in range(1, 13):
        # 2029 starts on a Monday: the first week of each month has every weekday
        days = pd.date_range(f"2029-{month:02d}-01", periods=7, freq="D")
        times = pd.DatetimeIndex([d + pd.Timedelta(minutes=15 * q) for d in days for q in range(96)])
        codes = period_codes(calendar, times).reshape(7, 24, 4)
        if (codes != codes[..., :1]).any():
            raise InputError("periods change inside an hour: URDB schedules are hourly", "calendar.rules")
        by_day = codes[..., 0]
        weekday = [by_day[i] for i, d in enumerate(days) if d.day_of_week < 5]
        weekend = [by_day[i] for i, d in enumerate(days) if d.day_of_week >= 5]
        if any((w != weekday[0]).any() for w in weekday) or any((w != weekend[0]).any() for w in weekend):
            raise InputError("periods differ between weekdays (or between Saturday and Sunday): URDB has one "
                             "weekday and one weekend schedule", "calendar.rules")
        out[0, month - 1], out[1, month - 1] = weekday[0], weekend[0]
    return out


def tariff_to_urdb(tariff: Tariff) -> dict:
    """URDB rate JSON of ``tariff`` (see the module docstring for what can be written)."""
    spec = tariff.spec
    if spec.vat_frac or spec.power_factor is not None or (spec.export is not None and spec.export.kind != "none"):
        raise InputError("VAT, a power-factor charge and export rules have no URDB field; set them to 0/none "
                         "(or keep the tariff in the munigrid format)", tariff.id)
    codes = _hour_codes(tariff)
    periods = tariff.calendar.periods
    energy, energy_of = _energy_to_urdb(spec.energy, periods)
    rate: dict[str, Any] = {"label": tariff.id.removeprefix("urdb-"), "name": spec.name, "utility": tariff.variant.utility,
                            "energyratestructure": energy, "energyweekdayschedule": energy_of[codes[0]].tolist(),
                            "energyweekendschedule": energy_of[codes[1]].tolist(),
                            "fixedchargefirstmeter": spec.service_thb_per_month, "fixedchargeunits": "$/month"}
    tiered = [f for f in spec.demand if f.mode == "blocks"]
    for family in tiered:
        if family.ratchet_frac or family.lookback_frac or not family.windows:
            raise InputError(f"demand family '{family.name}' (blocks with a ratchet, lookback or coincident "
                             "intervals) has no URDB field", "demand")
    for family in [f for f in spec.demand if f.mode != "blocks"]:
        if family.mode != "sum" or family.coincident_windows or family.coincident_groups or family.ratchet_frac:
            raise InputError(f"demand family '{family.name}' ({family.mode}, coincident intervals or a ratchet) "
                             "has no URDB field", "demand")
        windows = [set(w) for w in family.windows]
        if len(windows) == 1 and windows[0] == set(periods) or family.name == "flat demand":
            _flat_to_urdb(rate, family, codes, periods)
            continue
        key = "coincidentrate" if family.name == "coincident demand" or "demandratestructure" in rate else "demand"
        if key == "coincidentrate" and "coincidentratestructure" in rate:
            raise InputError("more than two time-of-use demand families have no URDB field", "demand")
        if key == "demand":
            _demand_to_urdb(rate, family, tiered, periods, codes)
            continue
        # index 0: hours in no window (no charge); window k: index k + 1
        window_of = [next((k + 1 for k, w in enumerate(windows) if p in w), 0) for p in periods]
        rate["coincidentratestructure"] = [[{"rate": r, "unit": "kW"}] for r in [0.0, *family.rate_thb_per_kw]]
        table = np.asarray(window_of)[codes]
        if (table[0] != table[1]).any():
            raise InputError("a coincident charge must be the same on weekdays and weekends (URDB has one "
                             "coincident schedule)", "demand")
        rate["coincidentrateschedule"] = table[0].tolist()
    if tiered and "demandratestructure" not in rate:
        _demand_to_urdb(rate, None, tiered, periods, codes)
    return rate


def _energy_to_urdb(energy, periods: list[str]) -> tuple[list[list[dict]], np.ndarray]:
    """URDB energy periods and the one of each calendar period: calendar periods with the same rate and the
    same tier set share a URDB period (a URDB period's tiers count its own energy)."""
    if energy.blocks is not None and len(periods) > 1:
        raise InputError("monthly blocks on the whole energy of several periods have no URDB field (URDB tiers "
                         "count each period's energy); write them as energy.tiers with periods: all of them",
                         "energy.blocks")
    owner = {}
    for s, tier in enumerate(energy.tiers):
        if set(tier.months) != set(range(1, 13)):
            raise InputError("tiers for some months only have no URDB field; split the period by months in the "
                             "calendar and give each its tier set", f"energy.tiers[{s}].months")
        owner.update({p: s for p in tier.periods or periods})
    keys = [(energy.rates_thb_per_kwh.get(p, 0.0), owner.get(p)) for p in periods]
    for s in set(owner.values()):
        if len({k for k in keys if k[1] == s}) > 1:
            raise InputError("a tier set over periods with different rates has no URDB field", f"energy.tiers[{s}]")
    distinct = list(dict.fromkeys(keys))
    out = []
    for base, s in distinct:
        blocks = energy.blocks if s is None else energy.tiers[s]
        if blocks is None:
            out.append([{"rate": base, "unit": "kWh"}])
        else:
            out.append([{"rate": base + p, "unit": "kWh", **({"max": u} if u is not None else {})}
                        for u, p in zip(blocks.upper_kwh, blocks.price_thb_per_kwh)])
    return out, np.array([distinct.index(k) for k in keys])


def _demand_to_urdb(rate: dict, family, tiered: list, periods: list[str], codes: np.ndarray) -> None:
    """``demandratestructure``: index 0 no charge, then the windows of ``family`` (one tier each), then one
    period per tiered family (its blocks as tiers)."""
    windows = [(set(w), [{"rate": r, "unit": "kW"}]) for w, r in zip(family.windows, family.rate_thb_per_kw)] \
        if family is not None else []
    windows += [(set(f.windows[0]), [{"rate": r, "unit": "kW", **({"max": u} if u is not None else {})}
                                     for u, r in zip(f.blocks.upper_kw, f.blocks.rate_thb_per_kw)]) for f in tiered]
    window_of = [[k + 1 for k, (w, _) in enumerate(windows) if p in w] for p in periods]
    if any(len(w) > 1 for w in window_of):
        raise InputError("demand windows that overlap have no URDB field (one demand period per hour)", "demand")
    rate["demandratestructure"] = [[{"rate": 0.0, "unit": "kW"}], *[tiers for _, tiers in windows]]
    table = np.asarray([w[0] if w else 0 for w in window_of])[codes]
    rate["demandweekdayschedule"], rate["demandweekendschedule"] = table[0].tolist(), table[1].tolist()


def _flat_to_urdb(rate: dict, family, codes: np.ndarray, periods: list[str]) -> None:
    """A monthly demand charge (one rate, or one window per month group) as flatdemandstructure."""
    month_rate = []
    for month in range(12):
        used = {periods[c] for c in codes[:, month].ravel()}
        hits = [r for w, r in zip(family.windows, family.rate_thb_per_kw) if used <= set(w)]
        if len(hits) != 1:
            raise InputError(f"demand family '{family.name}' is not one monthly rate per month", "demand")
        month_rate.append(hits[0])
    distinct = sorted(set(month_rate))
    rate["flatdemandstructure"] = [[{"rate": r, "unit": "kW"}] for r in distinct]
    rate["flatdemandmonths"] = [distinct.index(r) for r in month_rate]
    if family.lookback_frac > 0:
        rate["lookbackPercent"] = family.lookback_frac * 100.0
        rate["lookbackRange"] = family.lookback_range_months
        rate["lookbackMonths"] = [m + 1 in family.lookback_months for m in range(12)]
