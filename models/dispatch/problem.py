r"""Inputs and outputs of the dispatch and sizing optimiser, as plain dataclasses.

A :class:`DispatchProblem` is a time step and a list of :class:`Meter`. Each meter is one
utility connection with its own tariff (:class:`~munigrid.models.tariffs.terms.TariffCostTerms`)
and the assets behind it. Several buildings behind one meter (a shared connection, one point
of common coupling) are one :class:`Meter` whose ``load_kw`` is their summed load; its PV
arrays, batteries and generator are shared by them. A meter holds any number of batteries
(``batteries``; ``battery`` is the one-battery shorthand), each with its own size,
efficiencies, state-of-charge window and wear cost. Buildings
on their own meters are separate :class:`Meter` objects in the same problem: they are solved
together, so a sizing budget and site-wide targets bind them jointly.

Sizes: every asset has an installed size (``capacity_kwp``, ``energy_kwh``, ``power_kw``,
``rating_kw``). In ``mode="sizing"`` a size whose upper bound (``max_kwp``, ``max_energy_kwh``,
``max_power_kw``, ``max_rating_kw``) is given becomes a decision between the installed size and
that bound; only the added size carries capital and O&M cost. In ``mode="dispatch"`` the
installed sizes are used and the bounds are ignored.

:class:`DispatchResult` carries the schedule, sizes, cost breakdown and the solver outcome.
Solver outcomes are data (:class:`SolveStatus`); :meth:`DispatchResult.require_solution`
raises :class:`~munigrid.models.errors.NoSolutionError` for callers that need an answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

import numpy as np

from munigrid.models import asset_defaults as defaults
from munigrid.models.dispatch.families_outage import OutageRecourse
from munigrid.models.dispatch.flex import FlexLoads, FlexSchedule
from munigrid.models.errors import NoSolutionError
from munigrid.models.tariffs.terms import TariffCostTerms

HOURS_PER_YEAR = 8760.0


def capital_recovery_factor(discount_rate_frac: float, life_years: float) -> float:
    r"""Capital recovery factor [1/year]: the annuity that repays 1 THB over the life.

    .. math:: \mathrm{CRF} = \frac{r (1+r)^n}{(1+r)^n - 1}, \qquad \mathrm{CRF} = 1/n \text{ if } r = 0

    Parameters
    ----------
    discount_rate_frac : float
        Real discount rate :math:`r` [1/year].
    life_years : float
        Asset life :math:`n` [year].
    """
    r, n = float(discount_rate_frac), float(life_years)
    if r == 0.0:
        return 1.0 / n
    growth = (1.0 + r) ** n
    return r * growth / (growth - 1.0)


@dataclass(frozen=True)
class PVArray:
    """One PV array (one roof or roof face).

    Parameters
    ----------
    name : str
        Label, e.g. ``"town hall roof south"``.
    ac_kw_per_kwp : ndarray, shape (T,)
        AC output per kWp installed [kW/kWp], from the PV model; output may be curtailed.
    capacity_kwp : float
        Installed capacity [kWp]; the lower bound of the size in sizing mode.
    max_kwp : float or None
        Largest capacity the roof takes [kWp] (area times kWp per m2); a sizing decision when set.
    capex_thb_per_kwp, om_thb_per_kwp_year : float
        Capital cost [THB/kWp] and O&M [THB/(kWp year)] of added capacity.
    life_years : float
        Life for the capital recovery factor [year].
    block_kwp : float or None
        Added capacity in whole blocks of this size [kWp] (integer decision) when set.
    """

    name: str
    ac_kw_per_kwp: np.ndarray
    capacity_kwp: float = 0.0
    max_kwp: float | None = None
    capex_thb_per_kwp: float = 0.0
    om_thb_per_kwp_year: float = 0.0
    life_years: float = 25.0
    block_kwp: float | None = None


@dataclass(frozen=True)
class Battery:
    r"""A battery on one meter.

    Parameters
    ----------
    energy_kwh : float
        Installed usable-and-unusable (nameplate) energy :math:`E` [kWh].
    power_kw : float or None
        Installed charge and discharge power limit [kW]; ``None`` uses ``c_rate_per_h * energy_kwh``.
    c_rate_per_h : float or None
        Power limit per unit energy [kW/kWh = 1/h]; in sizing mode it also caps the sized power.
    charge_eff_frac, discharge_eff_frac : float
        :math:`\eta_c, \eta_d` [-]: stored energy per charged kWh, delivered kWh per stored kWh.
    soc_min_frac, soc_max_frac : float
        State-of-charge limits as shares of :math:`E` [-].
    soc_initial_frac : float
        State of charge at the start [-].
    soc_final_frac : float or None
        Least state of charge at the end [-]; ``None`` means the initial share. ``soc_min_frac``
        leaves the end free.
    soc_final_equal : bool
        The end state of charge equals ``soc_final_frac`` (or the initial share) instead of being
        at least that.
    degradation_thb_per_kwh : float
        Wear cost per kWh discharged [THB/kWh].
    max_energy_kwh, max_power_kw : float or None
        Sizing bounds [kWh], [kW].
    capex_thb_per_kwh, capex_thb_per_kw : float
        Capital cost of added energy [THB/kWh] and power [THB/kW].
    om_thb_per_kwh_year : float
        O&M of added energy [THB/(kWh year)].
    life_years : float
        Life for the capital recovery factor [year].
    block_kwh : float or None
        Added energy in whole blocks [kWh] when set.
    """

    energy_kwh: float = 0.0
    power_kw: float | None = None
    c_rate_per_h: float | None = None
    charge_eff_frac: float = defaults.BATTERY_CHARGE_EFF_FRAC
    discharge_eff_frac: float = defaults.BATTERY_DISCHARGE_EFF_FRAC
    soc_min_frac: float = defaults.BATTERY_SOC_MIN_FRAC
    soc_max_frac: float = defaults.BATTERY_SOC_MAX_FRAC
    soc_initial_frac: float = defaults.BATTERY_SOC_INITIAL_FRAC
    soc_final_frac: float | None = None
    soc_final_equal: bool = False
    degradation_thb_per_kwh: float = 0.0
    max_energy_kwh: float | None = None
    max_power_kw: float | None = None
    capex_thb_per_kwh: float = 0.0
    capex_thb_per_kw: float = 0.0
    om_thb_per_kwh_year: float = 0.0
    life_years: float = 10.0
    block_kwh: float | None = None
    name: str = "battery"

    @property
    def installed_power_kw(self) -> float:
        """Installed power limit [kW]."""
        if self.power_kw is not None:
            return float(self.power_kw)
        return float(self.c_rate_per_h or 0.0) * float(self.energy_kwh)


@dataclass(frozen=True)
class Generator:
    r"""A diesel generator on one meter.

    Fuel per step [L] while running: :math:`\Delta t\,(a\,g_t + b\,G\,u_t)` with slope :math:`a`,
    no-load intercept :math:`b`, rating :math:`G`, output :math:`g_t` and on/off :math:`u_t`.

    Parameters
    ----------
    rating_kw : float
        Installed rating :math:`G` [kW].
    min_load_frac : float
        Minimum output while running as a share of the rating [-].
    startup_thb : float
        Cost of one start [THB].
    fuel_slope_l_per_kwh : float
        :math:`a` [L/kWh].
    fuel_intercept_l_per_kwh : float
        :math:`b` [L per hour per kW of rating].
    fuel_thb_per_l : float
        Fuel price [THB/L].
    co2_kg_per_l : float
        Emission factor [kgCO2e/L] (TGO: 2.7078 for diesel).
    max_rating_kw : float or None
        Sizing bound [kW].
    capex_thb_per_kw, om_thb_per_kw_year : float
        Capital [THB/kW] and O&M [THB/(kW year)] of added rating.
    life_years : float
        Life for the capital recovery factor [year].
    block_kw : float or None
        Added rating in whole blocks [kW] when set.
    initially_on : bool
        Running just before the first step (no start-up cost for it).
    standby_only : bool
        Runs only while the grid is out (a standby set behind a transfer switch), the usual
        installation and REopt's default (its ``only_runs_during_grid_outage``). ``False`` lets it
        run in parallel with the grid, e.g. to shave the demand peak, which needs synchronising
        switchgear and the utility's approval.
    """

    rating_kw: float = 0.0
    min_load_frac: float = defaults.GENERATOR_MIN_LOAD_FRAC
    startup_thb: float = 0.0
    fuel_slope_l_per_kwh: float = defaults.GENERATOR_FUEL_SLOPE_L_PER_KWH
    fuel_intercept_l_per_kwh: float = defaults.GENERATOR_FUEL_INTERCEPT_L_PER_KWH
    fuel_thb_per_l: float = defaults.GENERATOR_FUEL_THB_PER_L
    co2_kg_per_l: float = defaults.GENERATOR_CO2_KG_PER_L
    max_rating_kw: float | None = None
    capex_thb_per_kw: float = 0.0
    om_thb_per_kw_year: float = 0.0
    life_years: float = 15.0
    block_kw: float | None = None
    initially_on: bool = False
    standby_only: bool = True
    name: str = "generator"

    @property
    def needs_commitment(self) -> bool:
        """True when on/off matters: minimum load, start-up cost or no-load fuel."""
        return self.min_load_frac > 0 or self.startup_thb > 0 or self.fuel_intercept_l_per_kwh > 0


@dataclass(frozen=True)
class Meter:
    """One utility meter, its tariff, load and assets.

    Parameters
    ----------
    name : str
        Label.
    load_kw : ndarray, shape (T,)
        Mean load over each step [kW] (several buildings behind the meter: their sum).
    terms : TariffCostTerms
        The meter's tariff on the problem's time grid.
    pv : list of PVArray
        PV arrays behind the meter.
    battery : Battery or None
        The meter's battery when it has one (shorthand for ``batteries=[battery]``; give one of
        the two). Code that handles one battery only reads this field: it is ``None`` on a meter
        with several.
    batteries : list of Battery
        Every battery behind the meter (names unique within the meter); filled from ``battery``
        when that is given. To change them with :func:`dataclasses.replace`, pass
        ``batteries=`` (with ``battery=None``): ``battery`` alone cannot remove the list.
    generator : Generator or None
        Generator behind the meter.
    import_limit_kw, export_limit_kw : float
        Connection limits [kW]; export is also zero when the tariff forbids it.
    outage : ndarray of bool, shape (T,), or None
        Steps without grid (no import, no export).
    voll_thb_per_kwh : float or None
        Value of lost load [THB/kWh]; ``None`` forbids shedding.
    critical_frac : float
        Share of the load that may never be shed [-].
    grid_co2_kg_per_kwh : float
        Grid emission factor [kgCO2e/kWh] (TGO 2026: 0.4750).
    outage_recourse : OutageRecourse or None
        Representative outages whose expected lost critical load enters the objective
        (:mod:`munigrid.models.dispatch.families_outage`).
    flex : FlexLoads or None
        Loads the optimiser may move in time (pumping, pre-cooling, EV charging), on top of
        ``load_kw`` (:mod:`munigrid.models.dispatch.flex`).
    """

    name: str
    load_kw: np.ndarray
    terms: TariffCostTerms
    pv: list[PVArray] = field(default_factory=list)
    battery: Battery | None = None
    generator: Generator | None = None
    import_limit_kw: float = math.inf
    export_limit_kw: float = math.inf
    outage: np.ndarray | None = None
    voll_thb_per_kwh: float | None = None
    critical_frac: float = 1.0
    grid_co2_kg_per_kwh: float = 0.4750
    outage_recourse: OutageRecourse | None = None
    flex: FlexLoads | None = None
    batteries: list[Battery] = field(default_factory=list)

    def __post_init__(self):
        if self.battery is not None and self.batteries and list(self.batteries) != [self.battery]:
            raise ValueError(f"meter '{self.name}': give `battery` (one) or `batteries` (a list), not both")
        if self.battery is not None:
            object.__setattr__(self, "batteries", [self.battery])
        elif len(self.batteries) == 1:
            object.__setattr__(self, "battery", self.batteries[0])


@dataclass(frozen=True)
class SizingEconomics:
    """Economics and targets of a sizing run.

    Parameters
    ----------
    discount_rate_frac : float
        Real discount rate for the capital recovery factor [1/year].
    budget_thb : float or None
        Cap on the capital cost of all added capacity [THB].
    min_self_sufficiency_frac : float or None
        Least share of load energy not imported from the grid [-].
    min_renewable_frac : float or None
        Least share of load energy met by PV on site [-].
    max_co2_kg : float or None
        Most emissions over the horizon (grid and diesel) [kgCO2e].
    """

    discount_rate_frac: float = 0.06
    budget_thb: float | None = None
    min_self_sufficiency_frac: float | None = None
    min_renewable_frac: float | None = None
    max_co2_kg: float | None = None


@dataclass(frozen=True)
class SolveOptions:
    """How to solve.

    Parameters
    ----------
    mode : {"dispatch", "sizing"}
        Fixed sizes, or sizes as decisions.
    time_limit_s : float
        Wall-clock limit for the solver [s].
    mip_rel_gap : float
        Relative MIP gap at which to stop [-].
    threads : int
        Solver threads (1 in worker processes).
    lp_presolve : bool or None
        HiGHS presolve for pure LP solves. ``None`` (default): off in dispatch mode, where the
        form passed is already compact (fixed sizes folded into bounds, defined flows and fixed
        columns substituted out) and presolve measured slower (one-year benchmark, CPU: 0.08 s
        without, 0.12 s with), on in sizing mode. MILP solves always presolve.
    substitute : bool
        Substitute flows that an equality defines (import by the power balance, discharge by
        the state-of-charge recurrence) and fixed columns out before the solve, and recover
        them after (:mod:`munigrid.models.dispatch.reduction`). Same problem, fewer columns:
        the one-year benchmark LP solves in about a third of the simplex iterations.
    sub_mip_heuristics : bool or None
        HiGHS's sub-MIP heuristics (RINS, RENS, root reduced cost). ``None`` (default): off when
        the MIP start is already good: when the only integer columns are the fill-in-order
        binaries of non-convex energy blocks (and charge modes), whose start is feasible and often
        optimal (the one-year benchmark with declining monthly blocks: 2.5-3.2 s CPU without them,
        14-18 s with), and when the fix-and-optimise start of
        :mod:`munigrid.models.dispatch.neighbourhood` was found (generator year: 0.1 % in 4 s
        without them, 0.11 % after 10 s with); on otherwise.
    """

    mode: Literal["dispatch", "sizing"] = "dispatch"
    time_limit_s: float = 60.0
    mip_rel_gap: float = 1e-4
    threads: int = 1
    lp_presolve: bool | None = None
    substitute: bool = True
    sub_mip_heuristics: bool | None = None


@dataclass(frozen=True)
class DispatchProblem:
    """Everything the optimiser needs.

    Parameters
    ----------
    step_h : float
        Step length [h] (0.25 or 1).
    meters : list of Meter
        Meters solved together.
    options : SolveOptions
        Mode and solver settings.
    economics : SizingEconomics
        Capital costs and targets (used in sizing mode; targets also in dispatch mode).
    """

    step_h: float
    meters: list[Meter]
    options: SolveOptions = field(default_factory=SolveOptions)
    economics: SizingEconomics = field(default_factory=SizingEconomics)

    @property
    def n_steps(self) -> int:
        """Number of time steps T."""
        return len(self.meters[0].load_kw) if self.meters else 0

    @property
    def horizon_years(self) -> float:
        """Horizon length as a share of a year [year]: annual costs are scaled by it."""
        return self.n_steps * self.step_h / HOURS_PER_YEAR


class SolveStatus(Enum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"          # stopped (time limit) with an incumbent
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"    # stopped without an incumbent
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        """True when a schedule is available."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


@dataclass
class BatterySchedule:
    """Schedule of one battery: ``charge_kw``, ``discharge_kw`` shape (T,) [kW], ``soc_kwh`` (T+1,) [kWh]."""

    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    soc_kwh: np.ndarray


@dataclass
class MeterSchedule:
    """Schedule of one meter, every array shape (T,) in [kW] except ``soc_kwh`` (T+1,) [kWh].

    ``pv_ac_kw`` and ``curtailed_kw`` have shape (A, T), one row per PV array. ``charge_kw``,
    ``discharge_kw`` and ``soc_kwh`` are the sums over the meter's batteries; ``batteries``
    holds each battery's own schedule by name; ``flex`` is what the meter's flexible loads did
    (None without any).
    """

    import_kw: np.ndarray
    export_kw: np.ndarray
    pv_ac_kw: np.ndarray
    curtailed_kw: np.ndarray
    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    soc_kwh: np.ndarray
    gen_kw: np.ndarray
    gen_on: np.ndarray
    fuel_l: np.ndarray
    shed_kw: np.ndarray
    batteries: dict[str, BatterySchedule] = field(default_factory=dict)
    flex: FlexSchedule | None = None


@dataclass
class Sizes:
    """Sizes of one meter's assets (installed plus added).

    ``battery_kwh`` and ``battery_kw`` are the sums over the meter's batteries; ``batteries``
    gives each battery's ``{"energy_kwh": ..., "power_kw": ...}`` by name; ``store_capacity_kwh_th`` is the
    tank of the meter's thermal store [kWh thermal] (0 without one).
    """

    pv_kwp: dict[str, float]
    battery_kwh: float
    battery_kw: float
    generator_kw: float
    batteries: dict[str, dict[str, float]] = field(default_factory=dict)
    store_capacity_kwh_th: float = 0.0


@dataclass
class DispatchResult:
    """Outcome of :func:`munigrid.models.dispatch.solve`.

    Parameters
    ----------
    status : SolveStatus
        Solver outcome.
    objective_thb : float
        Total cost over the horizon [THB] (NaN without a solution).
    mip_gap : float
        Relative gap (0 for an LP).
    bound : float
        Best lower bound on the cost [THB].
    timings : dict
        ``build_s`` (compile), ``solve_s`` (HiGHS), ``lp_s``, ``milp_s``, ``total_s`` [s].
    schedules : dict of MeterSchedule
        Per meter name.
    sizes : dict of Sizes
        Per meter name.
    costs_thb : dict
        Cost breakdown by family [THB] over the horizon.
    n_binaries : int
        Binaries added by the solve strategy.
    diagnosis : list of str
        For infeasible problems, the constraint families in conflict; without a schedule at the
        time limit, the hint to raise it.
    conflicts : list of Conflict
        For infeasible problems, where the conflict sits: family, meter index and steps
        (:class:`munigrid.models.dispatch.diagnosis.Conflict`).
    """

    status: SolveStatus
    objective_thb: float = math.nan
    mip_gap: float = math.nan
    bound: float = math.nan
    timings: dict[str, float] = field(default_factory=dict)
    schedules: dict[str, MeterSchedule] = field(default_factory=dict)
    sizes: dict[str, Sizes] = field(default_factory=dict)
    costs_thb: dict[str, float] = field(default_factory=dict)
    n_binaries: int = 0
    diagnosis: list[str] = field(default_factory=list)
    conflicts: list = field(default_factory=list)

    def require_solution(self) -> DispatchResult:
        """Return self, or raise :class:`NoSolutionError` with the diagnosis."""
        if not self.status.has_solution:
            raise NoSolutionError(self.status.value, list(self.diagnosis))
        return self

    def manifest(self) -> dict:
        """Solver facts for a run manifest: status, objective, gap, bound, timings."""
        return {"status": self.status.value, "objective_thb": self.objective_thb, "mip_gap": self.mip_gap,
                "bound": self.bound, "n_binaries": self.n_binaries, **{k: round(v, 4) for k, v in self.timings.items()},
                "diagnosis": list(self.diagnosis)}
