r"""URDB rate JSON (OpenEI Utility Rate Database) to and from munigrid tariffs.

Import (:func:`tariff_from_urdb`) reads one URDB rate (a JSON object, or ``{"items": [rate]}``):

* ``energyratestructure`` with ``energyweekdayschedule`` / ``energyweekendschedule`` (12 x 24
  period indices, months x hours): TOU energy rates; tiers with ``max`` [kWh per month] become
  monthly energy blocks when every period has the same tier edges and the same step from one
  tier to the next (the munigrid block is added to the period rate); ``rate`` + ``adj``;
* ``demandratestructure`` with ``demandweekdayschedule`` / ``demandweekendschedule``: one
  demand window per demand period (one tier, ``unit`` kW);
* ``flatdemandstructure`` / ``flatdemandmonths``: a monthly demand charge whose rate may
  change by month (one window per distinct rate), with ``lookbackPercent`` and
  ``lookbackRange`` or ``lookbackMonths`` (12 booleans) as a kW lookback when the rate is the
  same in every month;
* ``coincidentratestructure`` with ``coincidentrateschedule``: a monthly demand charge on
  the coincident hours;
* ``fixedchargefirstmeter`` (``fixedchargeunits`` ``$/month``): the monthly fixed charge.

Every other field that carries a price or a rule (``sell`` rates, ``minmonthlycharge``,
``demandrateunit`` other than kW, tier ``unit`` other than kWh/kW, demand tiers...) is refused
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


def _energy(rate: dict) -> tuple[list[float], dict | None]:
    """Rate of every energy period and the shared monthly blocks (or None)."""
    periods = rate["energyratestructure"]
    tiers = [[(_rate(t, "kWh", f"energyratestructure[{p}][{k}]"), t.get("max")) for k, t in enumerate(period)]
             for p, period in enumerate(periods)]
    if all(len(t) == 1 for t in tiers):
        return [t[0][0] for t in tiers], None
    edges = [[m for _, m in t] for t in tiers]
    steps = [[r - t[0][0] for r, _ in t] for t in tiers]
    if any(e != edges[0] for e in edges) or any(not np.allclose(s, steps[0]) for s in steps):
        raise InputError("tiers that differ between periods are not supported: munigrid adds one set of monthly "
                         "blocks to the period rates (give every period the same tier edges and the same step "
                         "from tier to tier)", "energyratestructure")
    upper = [None if m is None else float(m) for m in edges[0]]
    if upper[-1] is not None:
        upper.append(None)
        steps[0].append(steps[0][-1])
    return [t[0][0] for t in tiers], {"upper_kwh": upper, "price_thb_per_kwh": [float(s) for s in steps[0]],
                                      "source": "URDB energyratestructure tiers", "as_of": "URDB"}


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


def urdb_to_spec(rate: dict) -> dict:
    """A munigrid tariff file (as data) from one URDB rate; see the module docstring."""
    if "items" in rate:
        if len(rate["items"]) != 1:
            raise InputError(f"holds {len(rate['items'])} rates; give one", "items")
        rate = rate["items"][0]
    if "energyratestructure" not in rate:
        raise InputError("a rate without energyratestructure is not supported", "energyratestructure")
    _check_fields(rate)
    energy_rates, blocks = _energy(rate)
    flat = _flat_demand(rate)
    keys, names = _period_table(rate, flat)
    labels = [f"p{n + 1}" for n in range(len(names))]  # by first appearance: the same hours give the same names
    codes = np.array([names.index(tuple(k)) for k in keys.reshape(-1, keys.shape[-1]).tolist()]).reshape(2, 12, 24)
    source = {"source": f"URDB rate {rate.get('label', '')}".strip(), "as_of": str(rate.get("startdate", "URDB"))[:10]}
    energy = {"rates_thb_per_kwh": {lab: energy_rates[k[0]] for lab, k in zip(labels, names)}, **source}
    if blocks is not None:
        energy["blocks"] = blocks
    demand = []
    layer = 1
    if "demandratestructure" in rate:
        for d, period in enumerate(rate["demandratestructure"]):
            if len(period) != 1:
                raise InputError("demand tiers are not supported", f"demandratestructure[{d}]")
        rates = [_rate(p[0], "kW", f"demandratestructure[{d}][0]") for d, p in enumerate(rate["demandratestructure"])]
        demand += _window_family("tou demand", rates, labels, [k[layer] for k in names], source)
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
    blocks = spec.energy.blocks
    energy = []
    for period in periods:
        base = spec.energy.rates_thb_per_kwh.get(period, 0.0)
        if blocks is None:
            energy.append([{"rate": base, "unit": "kWh"}])
        else:
            energy.append([{"rate": base + p, "unit": "kWh", **({"max": u} if u is not None else {})}
                           for u, p in zip(blocks.upper_kwh, blocks.price_thb_per_kwh)])
    rate: dict[str, Any] = {"label": tariff.id.removeprefix("urdb-"), "name": spec.name, "utility": tariff.variant.utility,
                            "energyratestructure": energy, "energyweekdayschedule": codes[0].tolist(),
                            "energyweekendschedule": codes[1].tolist(),
                            "fixedchargefirstmeter": spec.service_thb_per_month, "fixedchargeunits": "$/month"}
    for family in spec.demand:
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
        # index 0: hours in no window (no charge); window k: index k + 1
        window_of = [next((k + 1 for k, w in enumerate(windows) if p in w), 0) for p in periods]
        rate[f"{key}structure" if key == "coincidentrate" else "demandratestructure"] = [
            [{"rate": r, "unit": "kW"}] for r in [0.0, *family.rate_thb_per_kw]]
        table = np.asarray(window_of)[codes]
        if key == "demand":
            rate["demandweekdayschedule"], rate["demandweekendschedule"] = table[0].tolist(), table[1].tolist()
        elif (table[0] != table[1]).any():
            raise InputError("a coincident charge must be the same on weekdays and weekends (URDB has one "
                             "coincident schedule)", "demand")
        else:
            rate["coincidentrateschedule"] = table[0].tolist()
    return rate


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
