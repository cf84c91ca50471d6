r"""Year by year over the project life: every project year dispatched again, not year 1 scaled.

Year :math:`y = 1..N` of a run has PV output :math:`d_y = (1-\delta)^{y-1}` of year 1, load
:math:`L_y = (1+g)^{y-1}` of year 1, and the battery's capacity :math:`c_y` at the start of the
year (relative to new). Year 1 is the run's own dispatch. The battery ages by each year's own
cycling (rainflow on the year's state of charge, :mod:`munigrid.models.simulation.degradation`)
plus calendar fade, and is replaced (or, with ``augment``, topped up with new modules) at the
end of the year its capacity falls below the end-of-life capacity, or replaced when it reaches
its calendar life
(:func:`munigrid.models.simulation.multi_year.age_one_year`; both from the finance defaults).
Every year is priced at year-1 prices (base tariff and Ft of year 1, the utility's bill
calculator); the finance projection applies the escalation paths to it.

Each meter's year is a surrogate plus a correction. The surrogate is the dispatch without
storage, in closed form: PV used :math:`u_t = \min(d_y\,pv_t, L_y\,load_t)`, import
:math:`L_y\,load_t - u_t` and its bill. A meter with no battery, generator, outage, import
limit or export gets exactly that dispatch, so it needs no solve. Any other meter is solved:

- ``full``: its dispatch LP is solved for every year at that year's :math:`(c_y, d_y, L_y)`;
- ``fast``: its LP is solved at anchor states besides year 1: :math:`(c_{EoL}, d_1, L_1)`,
  :math:`(1, d_N, L_N)` and, when the load grows, the middle year :math:`(1, d_M, L_M)`; each
  quantity's correction over the surrogate (:math:`q - q^{sur}`: import, PV used, bill, battery
  discharge, cycle fade) is interpolated, linearly in :math:`(1-c)/(1-c_{EoL})` plus piecewise
  linearly in :math:`\tau = (y-1)/(N-1)` through the anchors. Its error against ``full`` is
  measured in ``benchmarks/bench_lifetime.py``.

The weather, calendar and holidays of year 1 are used in every year (weather uncertainty is
the Monte Carlo's job); a dispatch is optimised at year-1 prices, then priced exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError, NoSolutionError, Problem
from munigrid.models.finance.inputs import EnergyYear1, LifetimeEnergy

#: how the years of a project life are made (``scaled``: year 1 scaled, no simulation)
METHODS = ("fast", "full", "scaled")
QUANTITIES = ("import_kwh", "pv_used_kwh", "bill_thb", "throughput_kwh", "cycle_fade_frac")


@dataclass(frozen=True)
class YearState:
    """What changes from year to year: PV and load factors and the battery's capacity [-].

    ``capacity_frac`` is the capacity of a meter's one battery; with several, ``bank_capacity_frac``
    gives each one's (in the meter's order; None: all at ``capacity_frac``).
    """

    pv_factor: float
    load_factor: float
    capacity_frac: float
    bank_capacity_frac: tuple[float, ...] | None = None

    def bank(self, j: int) -> float:
        """Capacity of the meter's battery ``j`` relative to new [-]."""
        return self.capacity_frac if self.bank_capacity_frac is None else self.bank_capacity_frac[j]


@dataclass
class MeterSeries:
    """One meter's inputs at the run's sizes: load, available PV, its tariff and dispatch model."""

    name: str
    load_kw: np.ndarray
    pv_kw: np.ndarray
    bill: object  # (import_kw ndarray) -> THB at year-1 prices
    meter: object  # munigrid.models.dispatch.problem.Meter
    battery_kwh: float
    banks_kwh: tuple[float, ...] = ()  # nominal energy of each battery when the meter has several

    @property
    def quantities(self) -> tuple[str, ...]:
        """:data:`QUANTITIES`, plus each battery's cycle fade (``bank_fade_frac[j]``) with several."""
        return QUANTITIES + tuple(f"bank_fade_frac[{j}]" for j in range(len(self.banks_kwh)))

    @property
    def needs_solve(self) -> bool:
        """False when the dispatch without storage is this meter's optimum (closed form)."""
        m = self.meter
        return (m.battery is not None or m.generator is not None or (m.outage is not None and bool(np.any(m.outage)))
                or np.isfinite(m.import_limit_kw) or bool(m.terms.export_allowed))


def surrogate(series: MeterSeries, state: YearState, bill: bool = True) -> dict[str, float]:
    """The meter's year without storage (closed form), per step summed [kWh, THB]."""
    load = series.load_kw * state.load_factor
    used = np.minimum(series.pv_kw * state.pv_factor, load)
    imported = load - used
    return {"import_kwh": float(imported.sum()), "pv_used_kwh": float(used.sum()),
            "bill_thb": series.bill(imported) if bill else 0.0, "throughput_kwh": 0.0, "cycle_fade_frac": 0.0,
            **{f"bank_fade_frac[{j}]": 0.0 for j in range(len(series.banks_kwh))}}


def solved_year(series: MeterSeries, state: YearState, step_h: float, warm=None) -> dict[str, float]:
    """The meter's year from its dispatch LP/MILP at ``state`` [kWh, THB, -]; ``warm``
    (:class:`~munigrid.models.dispatch.strategy.WarmStart`) starts its LP from the basis of the
    meter's previous solve: the years differ in bounds only (load, PV, capacity), not in costs."""
    from munigrid.models.dispatch import solve
    from munigrid.models.dispatch.problem import DispatchProblem, SizingEconomics, SolveOptions
    from munigrid.models.simulation.degradation import battery_fade

    m = series.meter
    if series.banks_kwh:
        battery, batteries = None, [replace(b, energy_kwh=kwh * state.bank(j))
                                    for j, (b, kwh) in enumerate(zip(m.batteries, series.banks_kwh))]
    else:
        battery = None if m.battery is None else replace(m.battery, energy_kwh=series.battery_kwh * state.capacity_frac)
        batteries = [] if battery is None else [battery]
    aged = replace(m, load_kw=series.load_kw * state.load_factor, battery=battery, batteries=batteries,
                   pv=[replace(a, ac_kw_per_kwp=a.ac_kw_per_kwp * state.pv_factor) for a in m.pv])
    result = solve(DispatchProblem(step_h=step_h, meters=[aged], options=SolveOptions(threads=1),
                                   economics=SizingEconomics()), warm=warm)
    if not result.status.has_solution:
        reason = (f"{series.name}: no dispatch for a later project year (PV x{state.pv_factor:.3f}, "
                  f"load x{state.load_factor:.3f}, battery {state.capacity_frac:.1%} of new)")
        raise NoSolutionError(result.status.value, [reason])
    s = result.schedules[series.name]
    used = (s.pv_ac_kw.sum(axis=0) if s.pv_ac_kw.size else np.zeros_like(series.load_kw)) - s.export_kw
    fade = (battery_fade(s.soc_kwh, series.battery_kwh, step_h=step_h).cycle_fade_frac
            if battery is not None else 0.0)
    banks = {f"bank_fade_frac[{j}]": battery_fade(s.batteries[b.name].soc_kwh, kwh, step_h=step_h).cycle_fade_frac
             for j, (b, kwh) in enumerate(zip(m.batteries, series.banks_kwh))}
    return {"import_kwh": float(s.import_kw.sum()), "pv_used_kwh": float(used.sum()),
            "bill_thb": series.bill(np.clip(s.import_kw, 0.0, None)), "throughput_kwh": float(s.discharge_kw.sum()),
            "cycle_fade_frac": fade, **banks}


class MeterYears:
    """A meter's quantities for any year state: closed form, solved, or anchored (module text)."""

    def __init__(self, series: MeterSeries, year1: dict[str, float], step_h: float, method: str,
                 eol_frac: float, age_states: list[tuple[float, YearState]]):
        from munigrid.models.dispatch.strategy import WarmStart

        self.series, self.step_h, self.method, self.year1 = series, step_h, method, year1
        self.warm = WarmStart()  # the basis of this meter's last solve, for the next year's
        self.capacity_slope: dict[str, float] | None = None
        self.bank_slopes: list[dict[str, float]] = []
        self.age_points: list[tuple[float, dict[str, float]]] = []
        if not series.needs_solve or method != "fast":
            return
        base = YearState(1.0, 1.0, 1.0)
        self.age_points = [(0.0, self._correction(base, year1))]
        if series.banks_kwh and eol_frac < 1.0:  # several batteries: one slope per battery at its EoL
            for j in range(len(series.banks_kwh)):
                state = YearState(1.0, 1.0, 1.0, tuple(eol_frac if k == j else 1.0 for k in range(len(series.banks_kwh))))
                low = self._correction(state, self._solved(state))
                self.bank_slopes.append({q: low[q] - self.age_points[0][1][q] for q in series.quantities})
        elif series.battery_kwh > 0 and eol_frac < 1.0:
            low = self._correction(YearState(1.0, 1.0, eol_frac), self._solved(YearState(1.0, 1.0, eol_frac)))
            self.capacity_slope = {q: low[q] - self.age_points[0][1][q] for q in QUANTITIES}
        self.age_points += [(tau, self._correction(state, self._solved(state))) for tau, state in age_states]

    def _solved(self, state: YearState) -> dict[str, float]:
        return solved_year(self.series, state, self.step_h, self.warm)

    def _correction(self, state: YearState, values: dict[str, float]) -> dict[str, float]:
        base = surrogate(self.series, state)
        return {q: values[q] - base[q] for q in self.series.quantities}

    def year(self, state: YearState, age_frac: float, eol_frac: float) -> dict[str, float]:
        """Quantities of the year at ``state``; ``age_frac`` is :math:`\\tau` [-]."""
        if state.pv_factor == state.load_factor == 1.0 and all(
                state.bank(j) == 1.0 for j in range(max(1, len(self.series.banks_kwh)))):
            return dict(self.year1)
        if not self.series.needs_solve:
            return surrogate(self.series, state)
        if self.method == "full":
            return self._solved(state)
        base = surrogate(self.series, state)
        taus = [tau for tau, _ in self.age_points]
        weight = (1.0 - state.capacity_frac) / (1.0 - eol_frac) if self.capacity_slope else 0.0
        out = {}
        for q in self.series.quantities:
            correction = float(np.interp(age_frac, taus, [c[q] for _, c in self.age_points]))
            out[q] = base[q] + correction + (weight * self.capacity_slope[q] if self.capacity_slope else 0.0)
            for j, slope in enumerate(self.bank_slopes):  # several batteries: each by its own capacity
                out[q] += (1.0 - state.bank(j)) / (1.0 - eol_frac) * slope[q]
        for q in ("cycle_fade_frac", "throughput_kwh", *self.series.quantities[len(QUANTITIES):]):
            out[q] = max(0.0, out[q])
        return out


@dataclass
class Lifetime:
    """The project life year by year.

    Attributes
    ----------
    energy : LifetimeEnergy
        Site totals of every year at year-1 prices, capacities and replacements (finance input).
    table : pandas.DataFrame
        One row per year: PV and load factors, battery capacity at the start and end of the
        year, equivalent full cycles, replacement, site energy and bills at year-1 prices.
    notes : list of str
    """

    energy: LifetimeEnergy
    table: pd.DataFrame
    notes: list[str]


def meter_series(results, scenario, prepared) -> list[MeterSeries]:
    """Every building's meter at the run's sizes (sized ones too), PV as one array of the run's
    available PV, in dispatch mode; bills by the utility's bill calculator at year-1 prices."""
    from munigrid.models.dispatch.problem import PVArray

    out = []
    index = prepared.inputs.index
    for building, meter in zip(prepared.inputs.buildings, prepared.meters):
        name = building.name

        def size(key: str, name: str = name) -> float:
            return float(results[key].sel(building=name)) if key in results else 0.0

        pv_kw = results["pv_ac_kw"].sel(building=name).to_numpy()
        kwp = size("pv_kwp")
        pv = [PVArray(name="pv", ac_kw_per_kwp=pv_kw / kwp, capacity_kwp=kwp)] if kwp > 0 else []
        banks = _sized_banks(results, meter) if len(meter.batteries) > 1 else []
        if len(banks) == 1:  # several listed, one with energy: the one-battery path
            battery, banks = banks[0], []
            battery_kwh = battery.energy_kwh
        else:
            battery_kwh = size("battery_kwh") if meter.battery is not None or banks else 0.0
            battery = None if battery_kwh <= 0 or banks else replace(
                meter.battery, energy_kwh=battery_kwh, power_kw=size("battery_kw"), c_rate_per_h=None,
                max_energy_kwh=None, max_power_kw=None)
        rating_kw = size("generator_kw") if meter.generator is not None else 0.0
        generator = None if rating_kw <= 0 else replace(meter.generator, rating_kw=rating_kw, max_rating_kw=None)
        tariff, ft = building.tariff, prepared.ft

        def bill(import_kw, tariff=tariff, ft=ft) -> float:
            return float(tariff.bill(pd.Series(import_kw, index=index), ft=ft).monthly["total_thb"].sum())

        out.append(MeterSeries(name, meter.load_kw.astype(float), pv_kw, bill,
                               replace(meter, pv=pv, battery=battery,
                                       batteries=banks if banks else [] if battery is None else [battery],
                                       generator=generator), battery_kwh,
                               tuple(b.energy_kwh for b in banks)))
    return out


def _sized_banks(results, meter) -> list:
    """The batteries of a meter with several at the run's sizes (each from the results'
    ``battery`` dimension), those with energy only; fixed sizes, so the years are dispatches."""
    banks = []
    for bank in meter.batteries:
        kwh = float(results["battery_energy_kwh"].sel(battery=bank.name))
        if kwh > 0:
            banks.append(replace(bank, energy_kwh=kwh, power_kw=float(results["battery_power_kw"].sel(battery=bank.name)),
                                 c_rate_per_h=None, max_energy_kwh=None, max_power_kw=None))
    return banks


def year1_values(series: MeterSeries, results, step_h: float) -> dict[str, float]:
    """A meter's year 1 from the run's dispatch [kWh per step summed, THB, -]."""
    from munigrid.models.simulation.degradation import battery_fade

    pick = lambda name: results[name].sel(building=series.name).to_numpy()  # noqa: E731
    fade = (battery_fade(pick("soc_kwh"), series.battery_kwh, step_h=step_h).cycle_fade_frac
            if series.battery_kwh > 0 else 0.0)
    banks = {f"bank_fade_frac[{j}]": battery_fade(results["battery_soc_kwh"].sel(battery=b.name).to_numpy(), kwh,
                                                  step_h=step_h).cycle_fade_frac
             for j, (b, kwh) in enumerate(zip(series.meter.batteries, series.banks_kwh))}
    return {"import_kwh": float(pick("import_kw").sum()), "pv_used_kwh": float(pick("pv_used_kw").sum()),
            "bill_thb": series.bill(np.clip(pick("import_kw"), 0.0, None)),
            "throughput_kwh": float(pick("discharge_kw").sum()), "cycle_fade_frac": fade, **banks}


@dataclass(frozen=True)
class Bank:
    """One battery of the site in the project life: its meter (index into the series), its slot on
    that meter (None: the meter's one battery), name and nominal energy [kWh]."""

    meter: int
    slot: int | None
    name: str
    energy_kwh: float


def battery_banks(series: list[MeterSeries]) -> list[Bank]:
    """Every battery of the site, meter by meter, each aged on its own."""
    banks = []
    for k, s in enumerate(series):
        if s.banks_kwh:
            banks += [Bank(k, j, b.name, kwh) for j, (b, kwh) in enumerate(zip(s.meter.batteries, s.banks_kwh))]
        elif s.battery_kwh > 0:
            banks.append(Bank(k, None, s.meter.battery.name, s.battery_kwh))
    return banks


def bank_capacities(meter: int, banks: list[Bank], ages: list) -> tuple[float, tuple[float, ...] | None]:
    """:attr:`YearState.capacity_frac` and :attr:`YearState.bank_capacity_frac` of series ``meter``:
    its one battery's capacity (a meter without one: the site's first battery's, unused) and,
    when it has several, each one's."""
    own = [age.capacity_frac for bank, age in zip(banks, ages) if bank.meter == meter]
    several = tuple(own) if any(b.meter == meter and b.slot is not None for b in banks) else None
    return (own[0] if len(own) == 1 else ages[0].capacity_frac if ages else 1.0), several


def age_bank(bank: Bank, ages: list, k: int, values: list[dict], scale: float, **rule) -> tuple:
    """Battery ``k`` one year on by its own cycle fade (:func:`~munigrid.models.simulation.multi_year.age_one_year`);
    ``ages[k]`` is updated. Returns (capacity at the start, at the end, cycle fade, event)."""
    from munigrid.models.simulation.multi_year import age_one_year

    key = "cycle_fade_frac" if bank.slot is None else f"bank_fade_frac[{bank.slot}]"
    fade = values[bank.meter][key] * scale if len(ages) > 1 else sum(v["cycle_fade_frac"] for v in values) * scale
    start = ages[k].capacity_frac
    ages[k], end, event = age_one_year(ages[k], fade, **rule)
    return start, end, fade, event


def site_bank_year(banks: list[Bank], year: list[tuple], y: int, augmented: list, rows_of: dict) -> tuple:
    r"""The year of several batteries for finance: capacities weighted by nominal energy
    :math:`E_j`; battery :math:`j` replaced is bought as its share :math:`E_j/\sum E` of the
    battery (an augmentation entry of that share), augmented as that share times the modules
    added. Each battery's own figures go to ``rows_of`` (``battery_<name>_*`` columns)."""
    total_kwh = sum(b.energy_kwh for b in banks)
    share = [b.energy_kwh / total_kwh for b in banks]
    for bank, w, (start, end, fade, event) in zip(banks, share, year):
        rows_of.update({f"battery_{bank.name}_capacity_start_frac": start, f"battery_{bank.name}_capacity_end_frac": end,
                        f"battery_{bank.name}_cycle_fade_frac": fade, f"battery_{bank.name}_event": event})
        if event == "replace":
            augmented.append((y, w))
        elif event == "augment":
            augmented.append((y, w * (1.0 - end)))
    events = {event for *_, event in year} - {""}
    weighted = [sum(w * v[i] for w, v in zip(share, year)) for i in range(3)]
    return (*weighted, "replace" if "replace" in events else "augment" if events else "")


#: what is bought when the battery's capacity falls below its end-of-life capacity
UPKEEP = ("replace", "augment")


def check_options(method: str, years: int, load_growth_frac_per_year: float, battery_upkeep: str = "replace") -> None:
    """InputError naming the option when the method, life, growth or battery upkeep is not valid."""
    problems = []
    if battery_upkeep not in UPKEEP:
        problems.append(Problem("battery_upkeep", f"must be one of {', '.join(UPKEEP)}, got {battery_upkeep!r}"))
    if method not in METHODS:
        problems.append(Problem("lifetime", f"must be one of {', '.join(METHODS)}, got {method!r}"))
    if not (isinstance(years, (int, np.integer)) and 1 <= years <= 40):
        problems.append(Problem("years", f"must be a whole number of years between 1 and 40, got {years!r}"))
    if not (np.isfinite(load_growth_frac_per_year) and -0.2 <= load_growth_frac_per_year <= 0.2):
        problems.append(Problem("load_growth", "must be a yearly fraction between -0.2 and 0.2 (e.g. 0.02 for "
                                               f"2 %/year), got {load_growth_frac_per_year!r}"))
    if problems:
        raise InputError(problems)


def simulate_lifetime(results, scenario, prepared, energy1: EnergyYear1, *, years: int, method: str = "fast",
                      load_growth_frac_per_year: float = 0.0, pv_degradation_frac_per_year: float = 0.005,
                      scale: float = 1.0, augment: bool = False) -> Lifetime:
    """Every project year of a run (module text).

    Parameters
    ----------
    results : xarray.Dataset
        The run's dispatch (year 1).
    scenario : Scenario
        The scenario of the run.
    prepared : munigrid.scenarios.runner.Prepared
        Its meters and inputs.
    energy1 : EnergyYear1
        Site totals of year 1 (:func:`munigrid.scenarios.finance.energy_year1`); the lifetime's
        year 1 is exactly this record.
    years : int
        Project life N [years].
    method : {"fast", "full"}
        Anchored or every year solved.
    load_growth_frac_per_year, pv_degradation_frac_per_year : float
        :math:`g` and :math:`\\delta` [-/year].
    scale : float
        Factor from the run's horizon to a year (1 for a whole-year run) [-].
    augment : bool
        Add battery modules back to the nominal capacity when it falls below the end-of-life
        capacity, instead of replacing the pack (the calendar life still replaces it).

    Returns
    -------
    Lifetime
    """
    from munigrid.models.finance.defaults import default_value
    from munigrid.models.simulation.multi_year import BatteryAge

    check_options(method, years, load_growth_frac_per_year, "augment" if augment else "replace")
    step_h = prepared.inputs.step_h
    eol = float(default_value("lives", "battery_end_of_life_capacity_frac"))
    life = float(default_value("lives", "battery_years"))
    n = int(years)

    def state_of(y: int, capacity: float, bank_capacity: tuple[float, ...] | None = None) -> YearState:
        return YearState((1.0 - pv_degradation_frac_per_year) ** (y - 1),
                         (1.0 + load_growth_frac_per_year) ** (y - 1), capacity, bank_capacity)

    series = meter_series(results, scenario, prepared)
    anchor_years = [] if n == 1 else [n] if load_growth_frac_per_year == 0 or n < 3 else [(n + 2) // 2, n]
    age_states = [((y - 1) / (n - 1), state_of(y, 1.0)) for y in anchor_years]
    models = [MeterYears(s, year1_values(s, results, step_h), step_h, method, eol, age_states) for s in series]
    before_cache: dict[float, float] = {}

    def bill_before(load_factor: float) -> float:
        if load_factor not in before_cache:
            before_cache[load_factor] = sum(s.bill(s.load_kw * load_factor) for s in series)
        return before_cache[load_factor]

    banks = battery_banks(series)
    has_battery = bool(banks)
    ages = [BatteryAge() for _ in banks]
    records, rows, replaced_years, augmented = [], [], [], []
    for y in range(1, n + 1):
        tau = (y - 1) / (n - 1) if n > 1 else 0.0
        values = [m.year(state_of(y, *bank_capacities(k, banks, ages)), tau, eol) for k, m in enumerate(models)]
        state = state_of(y, ages[0].capacity_frac if has_battery else 1.0)
        total = {q: sum(v[q] for v in values) for q in QUANTITIES}
        if y == 1:
            record = energy1
        else:
            load_kwh = energy1.load_kwh * state.load_factor
            record = EnergyYear1(
                load_kwh=load_kwh, pv_available_kwh=energy1.pv_available_kwh * state.pv_factor,
                pv_used_kwh=total["pv_used_kwh"] * step_h * scale, import_before_kwh=load_kwh,
                import_after_kwh=total["import_kwh"] * step_h * scale,
                bill_before_thb=bill_before(state.load_factor) * scale, bill_after_thb=total["bill_thb"] * scale,
                battery_throughput_kwh=total["throughput_kwh"] * step_h * scale,
                ft_thb_per_kwh=energy1.ft_thb_per_kwh, vat_frac=energy1.vat_frac)
        records.append(record)
        year = [age_bank(bank, ages, k, values, scale, eol_frac=eol, life_years=life, replace_allowed=y < n,
                         augment=augment) for k, bank in enumerate(banks)]
        row = {"year": y, "pv_factor": state.pv_factor, "load_factor": state.load_factor}
        if len(banks) <= 1:
            start, end, fade, event = year[0] if banks else (1.0, 1.0, 0.0, "")
            if event == "replace":
                replaced_years.append(y)
            elif event == "augment":
                augmented.append((y, 1.0 - end))
        else:  # several batteries: their capacities weighted by nominal energy; each bought as its share
            start, end, fade, event = site_bank_year(banks, year, y, augmented, rows_of=row)
        row.update({"battery_capacity_start_frac": start if has_battery else np.nan,
                    "battery_capacity_end_frac": end if has_battery else np.nan,
                    "battery_cycle_fade_frac": fade if has_battery else np.nan,
                    "battery_replaced": event == "replace",
                    "battery_augmented_frac": 1.0 - end if event == "augment" else 0.0,
                    "load_kwh": record.load_kwh, "pv_used_kwh": record.pv_used_kwh,
                    "import_after_kwh": record.import_after_kwh,
                    "battery_throughput_kwh": record.battery_throughput_kwh,
                    "bill_before_year1_prices_thb": record.bill_before_thb,
                    "bill_after_year1_prices_thb": record.bill_after_thb})
        rows.append(row)
    capacities = tuple(r["battery_capacity_start_frac"] for r in rows) if has_battery else ()
    energy = LifetimeEnergy(tuple(records), capacities, tuple(replaced_years), tuple(augmented),
                            battery_end_capacity_frac=rows[-1]["battery_capacity_end_frac"] if has_battery else 1.0,
                            load_growth_frac_per_year=load_growth_frac_per_year,
                            pv_degradation_frac_per_year=pv_degradation_frac_per_year, method=method)
    solved = [s.name for s in series if s.needs_solve]
    notes = [f"project life year by year ({method}): "
             + (f"{', '.join(solved)} re-dispatched {'every year' if method == 'full' else 'at anchor years'}; "
                if solved else "")
             + "meters without storage in closed form; each year priced at year-1 prices, then escalated"]
    return Lifetime(energy, pd.DataFrame(rows).set_index("year"), notes)
