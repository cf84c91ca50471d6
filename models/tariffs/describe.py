"""Every rate of a tariff, as JSON-ready data and as printable lines (``munigrid tariffs --show``)."""

from __future__ import annotations

from munigrid.models.tariffs.tariff import Tariff


def tariff_rates(tariff: Tariff) -> dict:
    """Every number of ``tariff`` that prices a bill (THB before Ft and VAT), JSON-ready."""
    spec = tariff.spec
    return {
        "id": tariff.id, "name": tariff.name, "category": spec.category, "calendar": spec.calendar,
        "periods": tariff.calendar.periods,
        "energy_thb_per_kwh": dict(spec.energy.rates_thb_per_kwh),
        "energy_blocks": (None if spec.energy.blocks is None else
                          {"upper_kwh": spec.energy.blocks.upper_kwh,
                           "price_thb_per_kwh": spec.energy.blocks.price_thb_per_kwh}),
        "energy_tiers": [tier.model_dump(include={"periods", "months", "upper_kwh", "price_thb_per_kwh"})
                         for tier in spec.energy.tiers],
        "demand": [family.model_dump(exclude={"source", "as_of", "note"}, exclude_defaults=False)
                   for family in spec.demand],
        "service_thb_per_month": spec.service_thb_per_month, "ft_applies": spec.ft_applies,
        "vat_frac": spec.vat_frac,
        "power_factor": (None if spec.power_factor is None else
                         {"rate_thb_per_kvar": spec.power_factor.rate_thb_per_kvar,
                          "threshold_frac": spec.power_factor.threshold_frac}),
        "export": ({"kind": "none"} if spec.export is None else
                   spec.export.model_dump(exclude={"source", "as_of", "note"})),
        "extra_offpeak_dates": [d.isoformat() for d in tariff.extra_offpeak_dates],
        "version": tariff.version,
    }


def _demand_line(family: dict) -> str:
    if family["mode"] == "blocks":
        blocks = family["blocks"]
        price = ", ".join(f"up to {u if u is not None else 'any'} kW at {r:g}"
                          for u, r in zip(blocks["upper_kw"], blocks["rate_thb_per_kw"]))
    else:
        windows = ([" + ".join(w) for w in family["windows"]] or
                   [f"{w['start']} to {w['end']}" for w in family["coincident_windows"]])
        rates = family["rate_thb_per_kw"] * (len(windows) if family["coincident_windows"] else 1)
        price = "; ".join(f"{w}: {r:g} THB/kW" for w, r in zip(windows, rates))
    line = f"demand '{family['name']}' ({family['mode']}): {price}; rounded to the kW: {family['round_to_kw']}"
    if family["lookback_frac"] > 0:
        months = (f"the previous {family['lookback_range_months']} months" if family["lookback_range_months"]
                  else f"calendar months {family['lookback_months']} of the previous 12")
        line += f"; billed demand at least {family['lookback_frac']:.0%} of the highest demand of {months}"
    if family["coincident_groups"]:
        line += f"; coincident groups charged once each: {[g['name'] for g in family['coincident_groups']]}"
    if family["ratchet_frac"] > 0:
        line += (f"; minimum charge {family['ratchet_frac']:.0%} of the highest demand charge of the previous "
                 f"{family['ratchet_lookback_months']} months, floors the {family['ratchet_floors'].replace('_', ' ')}")
    return line


def rate_lines(tariff: Tariff) -> list[str]:
    """Human-readable lines with every rate of ``tariff``."""
    rates = tariff_rates(tariff)
    lines = [f"{rates['id']}: {rates['name']} (category {rates['category']}, data {rates['version']})",
             f"calendar '{rates['calendar']}', periods: {', '.join(rates['periods'])}"]
    lines += [f"energy {period}: {rate:g} THB/kWh" for period, rate in rates["energy_thb_per_kwh"].items()]
    blocks = rates["energy_blocks"]
    if blocks is not None:
        lines += [f"energy block up to {u if u is not None else 'any'} kWh/month: {p:g} THB/kWh"
                  for u, p in zip(blocks["upper_kwh"], blocks["price_thb_per_kwh"])]
    for tier in rates["energy_tiers"]:
        lines.append(f"energy tiers of periods {', '.join(tier['periods']) or 'all'} in months {tier['months']}: "
                     + "; ".join(f"up to {u if u is not None else 'any'} kWh/month +{p:g} THB/kWh"
                                 for u, p in zip(tier["upper_kwh"], tier["price_thb_per_kwh"])))
    lines += [_demand_line(family) for family in rates["demand"]]
    lines.append(f"service: {rates['service_thb_per_month']:g} THB/month")
    if rates["power_factor"] is not None:
        pf = rates["power_factor"]
        lines.append(f"power factor: {pf['rate_thb_per_kvar']:g} THB per kvar above {pf['threshold_frac']:.2%} "
                     "of the kW peak")
    lines.append(f"Ft: {'added per kWh' if rates['ft_applies'] else 'not applied'}; VAT {rates['vat_frac']:.0%}")
    export = rates["export"]
    lines.append("export: not allowed" if export["kind"] == "none" else
                 f"export: {export['kind']} at {export['price_thb_per_kwh']:g} THB/kWh"
                 + (f", {export['netting']} netting, systems up to {export['system_cap_kw']} kW"
                    if export["kind"] == "net_metering" else ""))
    if rates["extra_offpeak_dates"]:
        lines.append(f"extra off-peak dates: {', '.join(rates['extra_offpeak_dates'])}")
    return lines
