r"""One PV and battery size for the whole project life: anchor years sized together.

The project years :math:`y = 1..N` are represented by anchor years :math:`a_1 = 1 < \dots < a_K = N`.
Year :math:`y` between anchors :math:`a_k \le y \le a_{k+1}` is the linear interpolation of the two
(:math:`\lambda_{k,y} = (a_{k+1} - y)/(a_{k+1} - a_k)`, :math:`\lambda_{k+1,y} = 1 - \lambda_{k,y}`), as
``finance --lifetime fast`` interpolates its anchors. With discount factors :math:`D_y = (1+r)^{-y}`
and the annuity :math:`A = \sum_y D_y`, anchor :math:`k` carries the weight

.. math::

    w_k = \frac{1}{A} \sum_y \lambda_{k,y} D_y, \qquad \sum_k w_k = 1.

Anchor :math:`k` is a copy of the site's meters in year :math:`a_k`: load :math:`\times (1+g)^{a_k-1}`,
PV output :math:`\times (1-\delta)^{a_k-1}`, the battery's usable window :math:`\times \bar c_k` (the
weighted mean, :math:`\lambda_{k,y} D_y`, of the mid-year capacity of the years it represents, from
the simulated life of a design), and prices at the weighted mean of their paths: base tariff
:math:`\bar T_k`, Ft :math:`f_1 + \bar{\Delta f}_k` (:math:`T_y = (1+\tau)^{y-1}`,
:math:`f_y = \max(f_{min}, f_1 + \Delta f\,(y-1))`). Every operating cost of copy :math:`k` is
multiplied by :math:`K w_k`, so the mean over copies that
:func:`~munigrid.models.dispatch.two_stage.two_stage_sizing` minimises is

.. math::

    \frac{1}{A}\Big[\sum_j \kappa_j z_j + \sum_y D_y\,\mathrm{Op}_y(x)\Big]
    = \frac{\text{present value of the life's costs}}{A},

with one size :math:`z` for every copy. The capital :math:`\kappa_j` per unit of size :math:`j` is
what finance charges (:mod:`munigrid.models.finance.project`): the price :math:`k_j`, the
replacements at the end of the years they happen (share :math:`\rho` of the price), minus the
residual value at the end of year :math:`N`, plus O&M inflated at :math:`\iota`:

.. math::

    \kappa_j = k_j\Big(1 + \sum_{p} D_{y_p} \rho_p s_p - D_N v_j\Big) + o_j \sum_y D_y (1+\iota)^{y-1},

purchases :math:`p` at the end of year :math:`y_p` of share :math:`s_p` (1 for a replacement, the
capacity added for an augmentation). PV: modules at the array's life, the inverter share at the
inverter life (finance defaults), straight-line residual value; battery: the purchases and the
residual value of its simulated life (or its calendar life before any simulation). The dispatch
model annualises capital as :math:`\mathrm{CRF}(r, \ell)\,k`; with the discount rate set to 0 there,
:math:`\mathrm{CRF} = 1/\ell`, so each asset's life is set to :math:`\ell' = A\,k / (\kappa - O)` and
its O&M to :math:`o \sum_y D_y (1+\iota)^{y-1} / A`. The budget row still sees the prices :math:`k_j`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from munigrid.models.dispatch.problem import Meter, SizingEconomics, SolveOptions
from munigrid.models.errors import InputError, Problem


@dataclass(frozen=True)
class LifePlan:
    """What the project life does to the site, and the prices of its capital (module equations).

    Parameters
    ----------
    years : int
        Project life :math:`N` [years].
    discount_rate_frac : float
        :math:`r` [1/year].
    anchor_years : tuple of int
        :math:`a_1 = 1 < \\dots < a_K = N`.
    pv_degradation_frac_per_year, load_growth_frac_per_year : float
        :math:`\\delta`, :math:`g` [1/year].
    tariff_escalation_frac_per_year : float
        :math:`\\tau` [1/year].
    ft_change_thb_per_kwh_per_year, ft_floor_thb_per_kwh, ft_year1_thb_per_kwh : float
        :math:`\\Delta f`, :math:`f_{min}`, :math:`f_1` [THB/kWh].
    vat_frac : float
        VAT on energy charges [-].
    om_escalation_frac_per_year : float
        :math:`\\iota` [1/year].
    battery_capacity_frac : tuple of float
        Mid-year usable capacity relative to new of years 1..N [-]; empty: new every year.
    battery_purchases : tuple of (int, float)
        (year, share of the pack) bought at the end of that year; None: replaced at its calendar life.
    battery_residual_frac : float or None
        Value left at the end of year :math:`N` as a share of the last price paid [-]; None: straight line.
    battery_replacement_cost_frac : float
        :math:`\\rho` of the battery [-].
    inverter_share_frac, inverter_life_years, inverter_replacement_cost_frac : float
        Share of the PV price that is the inverter [-], its life [years] and :math:`\\rho` [-].
    """

    years: int
    discount_rate_frac: float
    anchor_years: tuple[int, ...]
    pv_degradation_frac_per_year: float = 0.0
    load_growth_frac_per_year: float = 0.0
    tariff_escalation_frac_per_year: float = 0.0
    ft_change_thb_per_kwh_per_year: float = 0.0
    ft_floor_thb_per_kwh: float = -1.0
    ft_year1_thb_per_kwh: float = 0.0
    vat_frac: float = 0.07
    om_escalation_frac_per_year: float = 0.0
    battery_capacity_frac: tuple[float, ...] = ()
    battery_purchases: tuple[tuple[int, float], ...] | None = None
    battery_residual_frac: float | None = None
    battery_replacement_cost_frac: float = 1.0
    inverter_share_frac: float = 0.0
    inverter_life_years: float = 10.0
    inverter_replacement_cost_frac: float = 1.0

    def problems(self) -> list[Problem]:
        """Every problem, named by the option a user sets."""
        found = []
        n = self.years
        if not (isinstance(n, (int, np.integer)) and 1 <= n <= 40):
            return [Problem("years", f"must be a whole number of years between 1 and 40, got {n!r}")]
        anchors = list(self.anchor_years)
        if not anchors or anchors[0] != 1 or anchors[-1] != n or any(b <= a for a, b in zip(anchors, anchors[1:])):
            found.append(Problem("anchors", f"anchor years must rise from 1 to {n}, got {anchors}"))
        if not (np.isfinite(self.discount_rate_frac) and 0.0 <= self.discount_rate_frac <= 0.5):
            found.append(Problem("discount_rate_frac", f"must be within 0..0.5, got {self.discount_rate_frac!r}"))
        for name in ("pv_degradation_frac_per_year", "load_growth_frac_per_year", "tariff_escalation_frac_per_year",
                     "om_escalation_frac_per_year"):
            value = getattr(self, name)
            if not (np.isfinite(value) and -0.2 <= value <= 0.2):
                found.append(Problem(name, f"must be a yearly fraction within -0.2..0.2, got {value!r}"))
        if self.battery_capacity_frac and len(self.battery_capacity_frac) != n:
            found.append(Problem("battery_capacity_frac", f"needs one value per year ({n}), "
                                                          f"got {len(self.battery_capacity_frac)}"))
        if any(not 0.0 < c <= 1.0 for c in self.battery_capacity_frac):
            found.append(Problem("battery_capacity_frac", "every capacity must be within (0, 1]"))
        return found

    @property
    def discount_factors(self) -> np.ndarray:
        """:math:`D_y` of years 1..N [-]."""
        return (1.0 + self.discount_rate_frac) ** -np.arange(1, self.years + 1, dtype=float)

    @property
    def annuity(self) -> float:
        """:math:`A = \\sum_y D_y` [year]."""
        return float(self.discount_factors.sum())


def interpolation_weights(anchor_years: tuple[int, ...], years: int) -> np.ndarray:
    """:math:`\\lambda_{k,y}`, shape (K, N): year y as the linear interpolation of its two anchors."""
    out = np.zeros((len(anchor_years), years))
    if len(anchor_years) == 1:
        out[0] = 1.0
        return out
    for y in range(1, years + 1):
        k = int(np.clip(np.searchsorted(anchor_years, y, side="right") - 1, 0, len(anchor_years) - 2))
        lo, hi = anchor_years[k], anchor_years[k + 1]
        out[k, y - 1] = (hi - y) / (hi - lo)
        out[k + 1, y - 1] = (y - lo) / (hi - lo)
    return out


@dataclass(frozen=True)
class Anchor:
    """One anchor year and what its copy of the meters gets (module equations).

    Attributes
    ----------
    year : int
        :math:`a_k`.
    weight_frac : float
        :math:`w_k` [-].
    pv_factor, load_factor : float
        :math:`(1-\\delta)^{a_k-1}`, :math:`(1+g)^{a_k-1}` [-].
    capacity_frac : float
        :math:`\\bar c_k` [-].
    tariff_factor : float
        :math:`\\bar T_k` [-].
    ft_change_thb_per_kwh : float
        :math:`\\bar{\\Delta f}_k` [THB/kWh], before VAT.
    """

    year: int
    weight_frac: float
    pv_factor: float
    load_factor: float
    capacity_frac: float
    tariff_factor: float
    ft_change_thb_per_kwh: float


def anchors(plan: LifePlan) -> list[Anchor]:
    """The anchors of ``plan`` (module equations)."""
    raise_problems(plan.problems())
    n = plan.years
    age = np.arange(n, dtype=float)
    weights = interpolation_weights(plan.anchor_years, n) * plan.discount_factors[None, :]
    tariff = (1.0 + plan.tariff_escalation_frac_per_year) ** age
    ft = np.maximum(plan.ft_floor_thb_per_kwh, plan.ft_year1_thb_per_kwh + plan.ft_change_thb_per_kwh_per_year * age)
    capacity = np.asarray(plan.battery_capacity_frac or np.ones(n), dtype=float)
    out = []
    for k, year in enumerate(plan.anchor_years):
        share = weights[k] / weights[k].sum()
        out.append(Anchor(int(year), float(weights[k].sum() / plan.annuity),
                          (1.0 - plan.pv_degradation_frac_per_year) ** (year - 1),
                          (1.0 + plan.load_growth_frac_per_year) ** (year - 1), float(share @ capacity),
                          float(share @ tariff), float(share @ ft) - plan.ft_year1_thb_per_kwh))
    return out


def raise_problems(problems: list[Problem]) -> None:
    """InputError listing ``problems`` when there are any."""
    if problems:
        raise InputError(problems)


def capital_frac(plan: LifePlan, life_years: float, replacement_cost_frac: float = 1.0,
                 purchases: tuple[tuple[int, float], ...] | None = None, residual_frac: float | None = None) -> float:
    """Present value of the capital per THB of price over the life, :math:`1 + \\sum_p D_{y_p} \\rho s_p - D_N v` [-].

    Without ``purchases`` the unit is replaced at the end of years :math:`\\ell, 2\\ell, \\dots < N` (as
    :func:`munigrid.models.finance.energy.replacement_years`) and its residual value is straight-line.
    """
    n, discount = plan.years, plan.discount_factors
    life = max(1, int(life_years))
    if purchases is None:
        purchases = tuple((y, 1.0) for y in range(life, n, life))
    if residual_frac is None:
        last = max((y for y, share in purchases if share >= 1.0), default=0)
        residual_frac = max(0.0, (last + life - n) / life)
    bought = any(share > 0 for _, share in purchases)
    residual_price = replacement_cost_frac if bought else 1.0
    return float(1.0 + sum(discount[y - 1] * replacement_cost_frac * share for y, share in purchases)
                 - discount[n - 1] * residual_price * residual_frac)


def effective_life_years(plan: LifePlan, frac: float) -> float:
    """:math:`\\ell' = A / \\mathrm{frac}`: the life at a zero rate whose CRF annualises ``frac`` over the life [year]."""
    return plan.annuity / frac


def om_factor(plan: LifePlan) -> float:
    """:math:`\\sum_y D_y (1+\\iota)^{y-1} / A` [-]: O&M per year at year-1 prices to its level annuity."""
    inflation = (1.0 + plan.om_escalation_frac_per_year) ** np.arange(plan.years, dtype=float)
    return float(plan.discount_factors @ inflation / plan.annuity)


def scaled_terms(terms, energy_factor, period_factor: float, tariff_factor: float = 1.0,
                 ft_add_thb_per_kwh: float = 0.0):
    r"""The tariff with its per-kWh prices times ``energy_factor`` (a number or one per step) and its
    per-period charges (demand, fixed, blocks) times ``period_factor``; the base tariff (all but Ft)
    also times ``tariff_factor`` and Ft (VAT included) raised by ``ft_add_thb_per_kwh``:
    :math:`\pi' = e\,(T\,\pi^{base} + \pi^{Ft} + \Delta)`, charges :math:`p\,T\,C`."""
    base = terms.base_energy_thb_per_kwh
    energy = terms.import_thb_per_kwh if base is None else base
    other = terms.import_thb_per_kwh - energy  # Ft with VAT
    imported = energy_factor * (tariff_factor * energy + other + ft_add_thb_per_kwh)
    exported = energy_factor * terms.export_thb_per_kwh
    both = period_factor * tariff_factor

    def blocks(b):
        return None if b is None else replace(b, price_thb_per_kwh=both * np.asarray(b.price_thb_per_kwh))

    return replace(
        terms, import_thb_per_kwh=imported, export_thb_per_kwh=exported,
        net_metering_thb_per_kwh=None if terms.net_metering_thb_per_kwh is None
        else np.maximum(0.0, imported - exported),
        energy_blocks=blocks(terms.energy_blocks), energy_tiers=tuple(blocks(b) for b in terms.energy_tiers),
        demand_charges=[replace(d, slope_thb_per_kw=both * np.asarray(d.slope_thb_per_kw),
                                intercept_thb=both * np.asarray(d.intercept_thb),
                                ratchet_history_thb=both * d.ratchet_history_thb) for d in terms.demand_charges],
        fixed_thb_per_period=both * np.asarray(terms.fixed_thb_per_period),
        base_energy_thb_per_kwh=None if base is None else energy_factor * tariff_factor * base)


def scaled_asset_costs(meter: Meter, factor: float) -> dict:
    """Fields of :func:`dataclasses.replace` that multiply the meter's own operating costs (battery wear,
    generator fuel and starts, value of lost load) by ``factor``."""
    batteries = [replace(b, degradation_thb_per_kwh=b.degradation_thb_per_kwh * factor) for b in meter.batteries]
    generator = None if meter.generator is None else replace(
        meter.generator, fuel_thb_per_l=meter.generator.fuel_thb_per_l * factor,
        startup_thb=meter.generator.startup_thb * factor)
    return {"battery": None, "batteries": batteries, "generator": generator,
            "voll_thb_per_kwh": None if meter.voll_thb_per_kwh is None else meter.voll_thb_per_kwh * factor}


def check_meters(meters: list[Meter]) -> None:
    """InputError naming the field of what the anchor copies cannot carry yet."""
    problems = []
    for m in meters:
        if m.flex is not None:
            problems.append(Problem(f"{m.name}: flexible_loads", "sizing over the project life does not carry "
                                    "flexible loads yet; size without --lifetime or remove them"))
        if m.outage_recourse is not None:
            problems.append(Problem(f"{m.name}: grid.outage_recourse", "sizing over the project life does not "
                                    "carry outage recourse yet; size without --lifetime or remove it"))
        if len(m.batteries) > 1:
            problems.append(Problem(f"{m.name}: batteries", "sizing over the project life ages one battery per "
                                    "meter; give one battery"))
    raise_problems(problems)


def anchor_meter(meter: Meter, anchor: Anchor, plan: LifePlan, n_anchors: int) -> Meter:
    """``meter`` in anchor year ``anchor`` (module equations): grown load, degraded PV, faded battery
    window, prices of the anchor times :math:`K w_k`, capital and O&M over the life."""
    factor = n_anchors * anchor.weight_frac
    meter = replace(meter, **scaled_asset_costs(meter, factor))
    om = om_factor(plan)
    inverter = plan.inverter_share_frac
    pv = [replace(a, ac_kw_per_kwp=a.ac_kw_per_kwp * anchor.pv_factor, om_thb_per_kwp_year=a.om_thb_per_kwp_year * om,
                  life_years=effective_life_years(plan, (1.0 - inverter) * capital_frac(plan, a.life_years)
                                                  + inverter * capital_frac(plan, plan.inverter_life_years,
                                                                            plan.inverter_replacement_cost_frac)))
          for a in meter.pv]
    battery = meter.battery
    if battery is not None:
        c = anchor.capacity_frac
        bought = capital_frac(plan, battery.life_years, plan.battery_replacement_cost_frac, plan.battery_purchases,
                              plan.battery_residual_frac)
        battery = replace(
            battery, soc_min_frac=battery.soc_min_frac * c, soc_max_frac=battery.soc_max_frac * c,
            soc_initial_frac=battery.soc_initial_frac * c,
            soc_final_frac=None if battery.soc_final_frac is None else battery.soc_final_frac * c,
            om_thb_per_kwh_year=battery.om_thb_per_kwh_year * om, life_years=effective_life_years(plan, bought))
    generator = meter.generator
    if generator is not None:
        generator = replace(generator, om_thb_per_kw_year=generator.om_thb_per_kw_year * om,
                            life_years=effective_life_years(plan, capital_frac(plan, generator.life_years)))
    vat = 1.0 + plan.vat_frac
    return replace(meter, load_kw=meter.load_kw * anchor.load_factor,
                   terms=scaled_terms(meter.terms, factor, factor, anchor.tariff_factor,
                                      vat * anchor.ft_change_thb_per_kwh),
                   pv=pv, battery=None, batteries=[] if battery is None else [battery], generator=generator)


@dataclass
class LifeSizing:
    """Outcome of :func:`size_over_life`.

    Attributes
    ----------
    result : munigrid.models.dispatch.two_stage.TwoStageResult
        Sizes and the per-anchor costs :math:`C_k` [THB over the horizon].
    anchors : list of Anchor
    life_cost_thb : float
        Present value of the life's costs (capital, replacements, O&M, bills) [THB]:
        the objective times :math:`A / h`.
    """

    result: object
    anchors: list[Anchor]
    life_cost_thb: float


def size_over_life(meters: list[Meter], step_h: float, plan: LifePlan, *, options: SolveOptions | None = None,
                   economics: SizingEconomics | None = None, fixed_sizes: dict | None = None) -> LifeSizing:
    """One size of ``meters``' assets for the whole life, minimising the present value of its costs.

    Parameters
    ----------
    meters : list of Meter
        The site's meters in year 1 at year-1 prices, with their sizing bounds.
    step_h : float
        Step [h].
    plan : LifePlan
        The life (module equations).
    options, economics
        As for :func:`~munigrid.models.dispatch.two_stage.two_stage_sizing`; the economics'
        discount rate is replaced by the plan's annualisation (module text).
    fixed_sizes : dict, optional
        Prices a given design over the life instead of sizing.

    Returns
    -------
    LifeSizing
    """
    from munigrid.models.dispatch.two_stage import two_stage_sizing

    check_meters(meters)
    points = anchors(plan)
    copies = [[anchor_meter(m, a, plan, len(points)) for m in meters] for a in points]
    horizon_years = len(meters[0].load_kw) * step_h / 8760.0
    economics = replace(economics or SizingEconomics(), discount_rate_frac=0.0)
    result = two_stage_sizing(copies, step_h, options=options, economics=economics, fixed_sizes=fixed_sizes)
    return LifeSizing(result, points, result.objective_thb * plan.annuity / horizon_years)
