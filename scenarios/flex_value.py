r"""What each flexible load is worth: the bill with it optimised against the bill with it run the baseline way.

For every building with flexible loads (:mod:`munigrid.scenarios.flex_inputs`) and every kind
:math:`k` it has (pumping, cooling, EV), the building is solved once more with that kind fixed
to its baseline behaviour (pump when the level drops, follow the thermostat with a zone's
chilled-water or ice store unused, charge on arrival: :mod:`munigrid.models.dispatch.flex`),
its power added to the fixed load, and everything else (PV, battery, the other kinds) still
optimised. The value of :math:`k` is

.. math:: V_k = B(m^{k\,\mathrm{baseline}}) - B(m^{\mathrm{optimised}})

with :math:`B` the tariff's bill of an import series over the horizon [THB]. A building with
one kind needs one extra solve; with several, one per kind plus one with all of them at their
baseline (the import series ``import_flex_baseline_kw`` in results). A cooled zone with a
thermal store beside air conditioners is also solved without the store (pre-cooling still
optimised): the store's share of the cooling value,
:math:`V_{\mathrm{store}} = B(m^{\mathrm{no\ store}}) - B(m^{\mathrm{optimised}})`, reported as
flexibility ``store`` and ``flex_store_value_thb``, not added again to the total (a zone cooled
only through its store has no such solve: without the store it would not be cooled). A
value solve without an answer in the time limit leaves that value NaN with a note; the run's
schedule stands.

In sizing runs every case is sized again (PV, batteries, generator, the thermal store: each
value solve is a sizing solve of the building), and :math:`B` is the bill plus the annualised
capital of what that case builds over the horizon (the ``*_capital`` cost families; a building
the run sized together with others is sized alone for the optimised figure too):
:math:`V_k = (B + K)(\mathrm{baseline}\ k,\ \mathrm{sized}) - (B + K)(\mathrm{optimised},\ \mathrm{sized})`,
so a store that is not worth its price has value 0, not its dispatch saving.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import xarray as xr

from munigrid.models.dispatch.flex import baseline_kw
from munigrid.models.dispatch.problem import DispatchResult, Meter
from munigrid.models.errors import NoSolutionError
from munigrid.scenarios.flex_inputs import kind_baseline_kw, kinds, without

FLEX_UNITS = {"flex_kw": "kW", "flex_baseline_kw": "kW", "pump_kw": "kW", "water_m3": "m3", "cool_kw": "kW",
              "zone_temp_c": "degC", "ev_kw": "kW", "import_flex_baseline_kw": "kW", "store_charge_kw": "kW",
              "store_discharge_kw_th": "kW thermal", "store_kwh_th": "kWh thermal"}
FLEX_LABELS = {"flex_kw": "flexible load as optimised (pumps + air conditioning + thermal store chiller + EV chargers)",
               "flex_baseline_kw": "flexible load run the baseline way (pump when needed, thermostat, charge on arrival)",
               "pump_kw": "pump power", "water_m3": "water in the reservoir at the beginning of each step",
               "cool_kw": "air-conditioning electric power",
               "zone_temp_c": "zone temperature at the beginning of each step", "ev_kw": "EV charging power",
               "import_flex_baseline_kw": "grid import with the flexible loads run the baseline way",
               "store_charge_kw": "chiller power charging the chilled-water or ice store",
               "store_discharge_kw_th": "cooling from the store into the zone",
               "store_kwh_th": "cooling stored at the beginning of each step"}
KINDS = ("pumping", "cooling", "ev")
PARTS = ("store",)  # values that are a share of a kind's value (the thermal store's of cooling), not added to the total
STATES = ("water_m3", "zone_temp_c", "store_kwh_th")  # NaN where a building has no reservoir / zone / store


@dataclass
class FlexValue:
    """Bills with each flexibility at its baseline, per building and kind [THB over the horizon]."""

    bill_optimised_thb: dict[str, float] = field(default_factory=dict)
    bill_baseline_thb: dict[tuple[str, str], float] = field(default_factory=dict)
    import_baseline_kw: dict[str, np.ndarray] = field(default_factory=dict)
    solve_s: float = 0.0
    failed: dict[tuple[str, str], str] = field(default_factory=dict)  # (building, kind or "all") -> why

    def value_thb(self, building: str, kind: str) -> float:
        """What optimising ``kind`` in ``building`` saves on the bill [THB] (NaN when absent)."""
        key = (building, kind)
        return self.bill_baseline_thb[key] - self.bill_optimised_thb[building] if key in self.bill_baseline_thb \
            else float("nan")

    def notes(self) -> list[str]:
        """One line per value that could not be computed, with the reason."""
        return [f"flexible loads: the value of {kind} at {building} was not computed ({why})"
                for (building, kind), why in self.failed.items()]

    def table(self) -> pd.DataFrame:
        """One row per building and kind: bill at baseline, bill optimised, value [THB]."""
        rows = [{"building": b, "flexibility": k, "bill_baseline_thb": v, "bill_optimised_thb": self.bill_optimised_thb[b],
                 "value_thb": v - self.bill_optimised_thb[b]} for (b, k), v in self.bill_baseline_thb.items()]
        return pd.DataFrame(rows, columns=["building", "flexibility", "bill_baseline_thb", "bill_optimised_thb",
                                           "value_thb"])

    def summary_columns(self, names: list[str]) -> dict[str, list[float]]:
        """Summary columns ``flex_<kind>_value_thb`` (``store`` too when a zone has one) and
        ``flex_value_thb`` (the kinds' sum) per building plus the total (0 where absent)."""
        out = {}
        solved = {kind for _, kind in [*self.bill_baseline_thb, *self.failed]}
        for kind in KINDS + tuple(part for part in PARTS if part in solved):
            values = [np.nan if (n, kind) in self.failed else np.nan_to_num(self.value_thb(n, kind)) for n in names]
            out[f"flex_{kind}_value_thb"] = values + [float(sum(values))]
        per_building = [sum(out[f"flex_{k}_value_thb"][i] for k in KINDS) for i in range(len(names))]
        out["flex_value_thb"] = per_building + [float(sum(per_building))]
        return out


def _bill_thb(building, import_kw: np.ndarray, index: pd.DatetimeIndex, ft) -> float:
    series = pd.Series(np.clip(import_kw, 0.0, None), index=index)
    return float(building.tariff.bill(series, ft=ft).monthly["total_thb"].sum())


def _at_baseline(meter: Meter, present: list[str], step_h: float) -> Meter:
    """The meter with the kinds in ``present`` run the baseline way (added to its fixed load)."""
    flex, load = meter.flex, np.asarray(meter.load_kw, float).copy()
    for kind in present:
        load += kind_baseline_kw(meter.flex, kind, step_h)
        flex = None if flex is None else without(flex, kind)
    return replace(meter, load_kw=load, flex=flex)


def _without_store(meter: Meter) -> Meter:
    """The meter with its zone's thermal store taken away; pre-cooling and everything else still optimised."""
    return replace(meter, flex=replace(meter.flex, cooling=replace(meter.flex.cooling, store=None)))


def _capital_thb(result: DispatchResult) -> float:
    """Annualised capital of what a sizing solve built, over the horizon [THB] (0 in dispatch runs)."""
    return float(sum(v for k, v in result.costs_thb.items() if k.endswith("_capital")))


def _solved(value: FlexValue, key: tuple[str, str], solve_one, meter: Meter) -> DispatchResult | None:
    """``meter`` solved alone; None with a note in ``value.failed[key]`` without an answer
    (the run's own schedule stands; only this value is missing)."""
    try:
        return solve_one(meter)
    except NoSolutionError as err:
        value.failed[key] = str(err)
        return None


def flex_values(meters: list[Meter], solved: dict[str, DispatchResult], inputs, ft, solve_one,
                sizing: bool = False) -> FlexValue | None:
    """Solve each building with flexible loads again with each kind at its baseline (module docstring).

    ``solve_one(meter)`` returns the :class:`DispatchResult` of one meter solved alone. With ``sizing``,
    a building the run sized together with others (one result for several meters, whose capital
    cannot be split by building) is also sized alone for the optimised figure.
    """
    flexible = [m for m in meters if m.flex is not None]
    if not flexible:
        return None
    tic = time.perf_counter()
    value, step_h = FlexValue(), inputs.step_h
    for meter in flexible:
        building = inputs.building(meter.name)
        present = kinds(meter.flex)

        def cost_thb(result: DispatchResult) -> float:  # bill (plus annualised capital when sized)
            return _bill_thb(building, result.schedules[meter.name].import_kw, inputs.index, ft) + _capital_thb(result)

        reference = solved[meter.name]
        if sizing and len(reference.schedules) > 1:
            reference = _solved(value, (meter.name, "optimised"), solve_one, meter)
            if reference is None:
                continue
        value.bill_optimised_thb[meter.name] = cost_thb(reference)
        cases = [[k] for k in present] + ([present] if len(present) > 1 else [])
        for case in cases:
            result = _solved(value, (meter.name, case[0] if len(case) == 1 else "all"), solve_one,
                             _at_baseline(meter, case, step_h))
            if result is not None and len(case) == len(present):
                value.import_baseline_kw[meter.name] = result.schedules[meter.name].import_kw
            if result is not None and len(case) == 1:
                value.bill_baseline_thb[(meter.name, case[0])] = cost_thb(result)
        zone = meter.flex.cooling
        if zone is not None and zone.store is not None and zone.cooling_kw > 0:
            result = _solved(value, (meter.name, "store"), solve_one, _without_store(meter))
            if result is not None:
                value.bill_baseline_thb[(meter.name, "store")] = cost_thb(result)
    value.solve_s = time.perf_counter() - tic
    return value


def with_flex_results(results: xr.Dataset, meters: list[Meter], solved: dict[str, DispatchResult],
                      value: FlexValue | None, step_h: float) -> xr.Dataset:
    """``results`` with the flexible loads' series (zeros for buildings without); ``load_kw`` and
    ``baseline_import_kw`` then hold the fixed load plus the optimised and the baseline flexible load."""
    if all(m.flex is None for m in meters):
        return results
    n_t = results.sizes["time"]
    series = {name: np.full((n_t, len(meters)), np.nan if name in STATES else 0.0) for name in FLEX_UNITS}
    for j, meter in enumerate(meters):
        schedule = solved[meter.name].schedules[meter.name]
        series["import_flex_baseline_kw"][:, j] = schedule.import_kw
        if meter.flex is None:
            continue
        flex = schedule.flex
        series["flex_kw"][:, j], series["pump_kw"][:, j], series["cool_kw"][:, j] = flex.flex_kw, flex.pump_kw, \
            flex.cool_kw
        if meter.flex.pumping is not None:
            series["water_m3"][:, j] = flex.water_m3[:-1]
        if meter.flex.cooling is not None:
            series["zone_temp_c"][:, j] = flex.temp_c[:-1]
        zone = meter.flex.cooling
        if zone is not None and zone.store is not None and zone.cooling_kw > 0:
            series["store_kwh_th"][:, j] = flex.store_kwh_th[:-1]
        series["store_charge_kw"][:, j], series["store_discharge_kw_th"][:, j] = flex.store_charge_kw, \
            flex.store_discharge_kw_th
        series["ev_kw"][:, j] = flex.ev_kw.sum(axis=0)
        series["flex_baseline_kw"][:, j] = baseline_kw(meter.flex, step_h)
        if value is not None and meter.name in value.import_baseline_kw:
            series["import_flex_baseline_kw"][:, j] = value.import_baseline_kw[meter.name]
    out = results.copy()
    for name, values in series.items():
        out[name] = (("time", "building"), values, {"units": FLEX_UNITS[name], "label": FLEX_LABELS[name]})
    out = _with_store_sizes(out, meters, solved)
    out["load_kw"] = results["load_kw"] + out["flex_kw"]
    out["baseline_import_kw"] = results["baseline_import_kw"] + out["flex_baseline_kw"]
    for name in ("load_kw", "baseline_import_kw"):
        out[name].attrs = dict(results[name].attrs)
    return out


def _with_store_sizes(results: xr.Dataset, meters: list[Meter], solved: dict[str, DispatchResult]) -> xr.Dataset:
    """``results`` with each building's thermal store tank [kWh thermal] (the sized one in sizing runs) and its
    price with the chiller [THB] (0 without a store); unchanged when no building has a store."""
    stores = [None if m.flex is None or m.flex.cooling is None else m.flex.cooling.store for m in meters]
    if all(s is None for s in stores):
        return results
    tank = np.array([solved[m.name].sizes[m.name].store_capacity_kwh_th for m in meters])
    price = np.array([0.0 if s is None else s.capex_thb_per_kwh_th_total() for s in stores])
    out = results.copy()
    out["store_capacity_kwh_th"] = (("building",), tank, {"units": "kWh thermal",
                                                         "label": "thermal store tank used by the run"})
    out["store_capex_thb"] = (("building",), tank * price, {"units": "THB",
                                                           "label": "thermal store price: tank and chiller"})
    return out
