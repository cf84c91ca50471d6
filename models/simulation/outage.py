r"""Outage survival: for each start step, how long the critical load is served off-grid.

For an outage starting at step :math:`t_0` with stored energy :math:`E_{t_0}` (e.g. from a
dispatch trace) and fuel :math:`F` [L], step :math:`k = 0, 1, \ldots` (wrapping around the
series end, so every start sees the same horizon) with net critical load
:math:`n = L^{crit}_t - PV_t`:

* :math:`n \le 0`: surplus PV charges the battery, :math:`c = \min(-n, \bar c)`;
* :math:`n > 0`: the generator serves :math:`g = \min(n, G)` while fuel lasts
  (:math:`\Delta t (a G + b g)` litres per step, pro rata in the step it runs out), the
  battery the rest :math:`n - g`, which must not exceed :math:`\bar d` — otherwise the
  outage is survived for :math:`k` steps.

With several batteries :math:`j = 1..N` (all behind the meter serve its critical load), each
keeps its own stored energy, SoC window, power and efficiencies; in their order, battery
:math:`j` charges :math:`c_j = \min(s_j, \bar c_j)` from the surplus :math:`s_j` the batteries
before it left and serves :math:`d_j = \min(r_j, \bar d_j)` of the net load :math:`r_j` they
left; the step is served when :math:`r_N \le \bar d_N`. One battery is the case :math:`N = 1`.

The fuel is what is on site when the outage starts (``math.inf``: no limit). Survival is
capped at ``max_steps``; one kernel call evaluates every start of every building in parallel
(:func:`survival_of`, :func:`unserved_of`: starting the worker threads costs more than a
year of short outages, so buildings are batched rather than called one by one).
:func:`outage_unserved` carries the same rule on through shortfalls: what the generator and
the battery cannot serve in a step is lost (the battery gives all it can), and the lost energy
is summed over outages of given durations from every start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from munigrid.models.errors import Problem
from munigrid.models.simulation.params import BatteryParams, GeneratorParams
from munigrid.models.simulation.steps import rates, charge_limit_kw, discharge_limit_kw, next_soc_kwh
from munigrid.models.simulation.validation import (as_series, battery_problems, generator_problems, raise_if,
                                                   step_problems)

_TOLERANCE_KW = 1e-9


@njit(inline="always", cache=True)
def island_step(net_kw, soc_kwh, fuel_l, banks, bank_rates, rated_kw, fuel_intercept_l_per_kwh_rated,
                fuel_slope_l_per_kwh, step_h):
    """One islanded step (rule of the module docstring): ``(shortfall_kw, fuel_l)`` after it.

    ``soc_kwh`` (one value per battery, updated in place) and ``banks`` (rows of
    :data:`BANK_COLUMNS`) hold the batteries in their order: each charges from the surplus the
    ones before it left and serves the net load the ones before it left, within its own limits
    (``bank_rates``: :func:`~munigrid.models.simulation.steps.rates` of each). ``shortfall_kw`` is
    the part of the net critical load neither the generator nor the batteries could serve (0 when
    served within :data:`_TOLERANCE_KW`); the batteries then give all they can.
    """
    last = soc_kwh.shape[0] - 1
    if net_kw <= 0.0:
        surplus = -net_kw
        for j in range(last + 1):
            c = min(surplus, charge_limit_kw(soc_kwh[j], banks[j, 1], banks[j, 2], bank_rates[j, 0]))
            soc_kwh[j] = next_soc_kwh(soc_kwh[j], c, 0.0, bank_rates[j, 2], bank_rates[j, 3])
            surplus -= c
        return 0.0, fuel_l
    g = 0.0
    if rated_kw > 0.0 and fuel_l > 0.0:
        g = min(net_kw, rated_kw)
        burn = step_h * (fuel_intercept_l_per_kwh_rated * rated_kw + fuel_slope_l_per_kwh * g)
        if burn > fuel_l:
            g *= fuel_l / burn
            burn = fuel_l
        fuel_l -= burn
    rest = net_kw - g
    for j in range(last):
        d = min(rest, discharge_limit_kw(soc_kwh[j], banks[j, 0], banks[j, 2], bank_rates[j, 1]))
        soc_kwh[j] = next_soc_kwh(soc_kwh[j], 0.0, d, bank_rates[j, 2], bank_rates[j, 3])
        rest -= d
    limit = discharge_limit_kw(soc_kwh[last], banks[last, 0], banks[last, 2], bank_rates[last, 1])
    if rest > limit + _TOLERANCE_KW:
        soc_kwh[last] = next_soc_kwh(soc_kwh[last], 0.0, limit, bank_rates[last, 2], bank_rates[last, 3])
        return rest - limit, fuel_l
    soc_kwh[last] = next_soc_kwh(soc_kwh[last], 0.0, rest, bank_rates[last, 2], bank_rates[last, 3])
    return 0.0, fuel_l


@njit(cache=True)
def _bank_rates(banks, step_h):
    """:func:`~munigrid.models.simulation.steps.rates` of every battery of every building, shape (B, N, 4)."""
    out = np.empty((banks.shape[0], banks.shape[1], 4))
    for b in range(banks.shape[0]):
        for j in range(banks.shape[1]):
            out[b, j, 0], out[b, j, 1], out[b, j, 2], out[b, j, 3] = rates(banks[b, j, 3], banks[b, j, 4], step_h)
    return out


@njit(cache=True)
def survive_from(t0, critical_load_kw, pv_kw, soc_start_kwh, banks, bank_rates, generator, max_steps, step_h, e):
    """Steps the critical load is fully served for an outage starting at ``t0`` (``soc_start_kwh``:
    each battery's stored energy then; ``banks``, ``generator``: rows of :data:`BANK_COLUMNS`,
    :data:`GENERATOR_COLUMNS`; ``bank_rates``: their step constants; ``e``: scratch of one value
    per battery)."""
    n = critical_load_kw.shape[0]
    e[:] = soc_start_kwh
    fuel = generator[3]
    for k in range(max_steps):
        t = (t0 + k) % n
        short, fuel = island_step(critical_load_kw[t] - pv_kw[t], e, fuel, banks, bank_rates, generator[0],
                                  generator[1], generator[2], step_h)
        if short > 0.0:
            return k
    return max_steps


#: columns of the per-battery ``banks`` array of the kernels
BANK_COLUMNS = ("soc_min_kwh", "soc_max_kwh", "power_kw", "charge_eff_frac", "discharge_eff_frac")
#: columns of the per-building ``generators`` array of the kernels (``fuel_l``: on site at the start)
GENERATOR_COLUMNS = ("rated_kw", "fuel_intercept_l_per_kwh_rated", "fuel_slope_l_per_kwh", "fuel_l")


@njit(cache=True)
def unserved_from(t0, critical_load_kw, pv_kw, soc_start_kwh, banks, bank_rates, generator, duration_steps, step_h,
                  e, out):
    """Unserved critical energy [kWh] of an outage from ``t0`` lasting each of ``duration_steps``
    (ascending, >= 1), written to ``out``: the rule of :func:`island_step` carried on through
    shortfalls (what cannot be served is lost, the rest is served). Other arguments as
    :func:`survive_from`."""
    n = critical_load_kw.shape[0]
    n_d = duration_steps.shape[0]
    e[:] = soc_start_kwh
    fuel = generator[3]
    lost_kwh = 0.0
    j = 0
    for k in range(duration_steps[n_d - 1]):
        t = (t0 + k) % n
        short, fuel = island_step(critical_load_kw[t] - pv_kw[t], e, fuel, banks, bank_rates, generator[0],
                                  generator[1], generator[2], step_h)
        lost_kwh += short * step_h
        while j < n_d and duration_steps[j] == k + 1:
            out[j] = lost_kwh
            j += 1


@njit(parallel=True, cache=True)
def outage_kernel(critical_load_kw, pv_kw, soc_start_kwh, banks, generators, max_steps, step_h):
    """Survived steps of every (building, start step), shape (B, T).

    ``critical_load_kw``, ``pv_kw``: (B, T); ``soc_start_kwh``: (B, N, T), each battery's stored
    energy; ``banks``: (B, N, 5), columns :data:`BANK_COLUMNS` (zero rows pad buildings with
    fewer batteries); ``generators``: (B, 4), columns :data:`GENERATOR_COLUMNS`. One parallel
    loop over all B x T outages, so that one call (one start of the worker threads) serves every
    building.
    """
    n_b, n = critical_load_kw.shape
    out = np.empty((n_b, n), dtype=np.int64)
    bank_rates = _bank_rates(banks, step_h)
    scratch = np.empty((n_b * n, banks.shape[1]))
    for job in prange(n_b * n):
        b, t0 = job // n, job % n
        out[b, t0] = survive_from(t0, critical_load_kw[b], pv_kw[b], soc_start_kwh[b, :, t0], banks[b], bank_rates[b],
                                  generators[b], max_steps, step_h, scratch[job])
    return out


@njit(parallel=True, cache=True)
def unserved_kernel(critical_load_kw, pv_kw, soc_start_kwh, banks, generators, duration_steps, step_h):
    """Unserved critical energy [kWh] of every (building, start step, duration), shape (B, T, D);
    arguments as :func:`outage_kernel`, ``duration_steps`` ascending, >= 1."""
    n_b, n = critical_load_kw.shape
    out = np.zeros((n_b, n, duration_steps.shape[0]))
    bank_rates = _bank_rates(banks, step_h)
    scratch = np.empty((n_b * n, banks.shape[1]))
    for job in prange(n_b * n):
        b, t0 = job // n, job % n
        unserved_from(t0, critical_load_kw[b], pv_kw[b], soc_start_kwh[b, :, t0], banks[b], bank_rates[b],
                      generators[b], duration_steps, step_h, scratch[job], out[b, t0])
    return out


@dataclass(frozen=True)
class OutageSurvival:
    """Hours survived from each start step.

    Attributes
    ----------
    survived_h : ndarray, shape (T,)
        Hours the critical load is fully served for an outage starting at each step [h].
    max_h : float
        The cap of the evaluation [h]; ``survived_h == max_h`` means "at least".
    """

    survived_h: np.ndarray
    max_h: float

    def probability(self, duration_h) -> np.ndarray:
        """Share of start steps that survive at least ``duration_h`` [h] (array or scalar) [-]."""
        duration = np.atleast_1d(np.asarray(duration_h, dtype=float))
        return (self.survived_h[None, :] >= duration[:, None] - 1e-9).mean(axis=1)


@dataclass(frozen=True)
class IslandCase:
    """One building in an outage: its critical load, PV and stored energy, batteries and generator.

    Attributes
    ----------
    critical_load_kw, pv_kw : array, shape (T,)
        Critical load and PV during the outage [kW], >= 0.
    soc_start_kwh : array, shape (T,), or (N, T) with several batteries
        Stored energy of each battery when the outage starts at each step [kWh] (e.g.
        ``trace.soc_kwh[:-1]``), within that battery's SoC limits.
    battery : BatteryParams, or a tuple of N of them
        The battery (``BatteryParams(0.0, 0.0)`` for none), or the batteries that all serve the
        critical load, in the order the rule uses them (:func:`island_step`).
    generator : GeneratorParams, optional
        Back-up generator.
    fuel_l : float
        Fuel on site when the outage starts [L] (``math.inf``: no limit, fuel is brought in).
    """

    critical_load_kw: np.ndarray
    pv_kw: np.ndarray
    soc_start_kwh: np.ndarray
    battery: BatteryParams | tuple[BatteryParams, ...]
    generator: GeneratorParams | None = None
    fuel_l: float = 0.0

    @property
    def batteries(self) -> tuple[BatteryParams, ...]:
        """The batteries, one or more."""
        return (self.battery,) if isinstance(self.battery, BatteryParams) else tuple(self.battery)


def _bank_rows(case: IslandCase, load_size: int, found: list[Problem]) -> tuple[np.ndarray, np.ndarray]:
    """Each battery's stored energy at every start (N, T), clipped to its limits, and its row of
    :data:`BANK_COLUMNS` (N, 5); problems appended to ``found``."""
    batteries = case.batteries
    several = len(batteries) > 1
    raw = np.asarray(case.soc_start_kwh, dtype=float)
    rows = raw.reshape(1, -1) if raw.ndim == 1 and not several else raw
    if not batteries or rows.ndim != 2 or rows.shape[0] != len(batteries):
        found.append(Problem("soc_start_kwh", f"give one row of stored energy per battery ({len(batteries)})"))
        return np.zeros((1, load_size)), np.zeros((1, len(BANK_COLUMNS)))
    socs, banks = [], []
    for j, battery in enumerate(batteries):
        soc = as_series(rows[j], f"soc_start_kwh[{j}]" if several else "soc_start_kwh", found, length=load_size)
        tol = 1e-6 * (1.0 + battery.energy_kwh)
        if not found and ((soc < battery.soc_min_kwh - tol).any() or (soc > battery.soc_max_kwh + tol).any()):
            found.append(Problem(f"soc_start_kwh[{j}]" if several else "soc_start_kwh",
                                 f"must stay within the battery's limits [{battery.soc_min_kwh:g}, "
                                 f"{battery.soc_max_kwh:g}] kWh"))
        socs.append(np.clip(soc, battery.soc_min_kwh, battery.soc_max_kwh) if not found else np.zeros(load_size))
        banks.append((battery.soc_min_kwh, battery.soc_max_kwh, battery.power_kw, battery.charge_eff_frac,
                      battery.discharge_eff_frac))
    return np.array(socs, dtype=float), np.array(banks, dtype=float)


def _case_args(case: IslandCase, step_h: float, problems: list[Problem], prefix: str) -> tuple:
    """One case checked: its two series, its batteries' stored energy and rows, its generator row."""
    several = len(case.batteries) > 1
    found = [Problem((f"battery[{j}]." if several else "") + p.path, p.message)
             for j, battery in enumerate(case.batteries) for p in battery_problems(battery)]
    if case.generator is not None:
        found += generator_problems(case.generator)
    load = as_series(case.critical_load_kw, "critical_load_kw", found)
    pv = as_series(case.pv_kw, "pv_kw", found, length=load.size)
    soc, banks = _bank_rows(case, load.size, found)
    if not case.fuel_l >= 0:  # math.inf (no tank limit) is allowed, NaN is not
        found.append(Problem("fuel_l", f"must be >= 0 L (inf: no limit), got {case.fuel_l!r}"))
    problems += [Problem(prefix + p.path, p.message) for p in found]
    gen = case.generator or GeneratorParams(rated_kw=0.0)
    generator = (gen.rated_kw, gen.fuel_intercept_l_per_kwh_rated, gen.fuel_slope_l_per_kwh, case.fuel_l)
    return load, pv, soc, banks, generator


def _stacked(cases: list[IslandCase], step_h: float, problems: list[Problem]) -> tuple:
    """The kernels' leading arguments for ``cases`` of one length (raises :class:`InputError`
    naming each problem, ``cases[i].`` in front when there are several); buildings with fewer
    batteries are padded with empty ones."""
    problems += step_problems(step_h)
    if not cases:
        problems.append(Problem("cases", "give at least one building"))
    rows = [_case_args(c, step_h, problems, f"cases[{i}]." if len(cases) > 1 else "") for i, c in enumerate(cases)]
    if not problems and len({r[0].size for r in rows}) > 1:
        problems.append(Problem("cases", "every building needs the same number of steps"))
    raise_if(problems)
    n_banks = max(r[3].shape[0] for r in rows)
    soc = np.zeros((len(rows), n_banks, rows[0][0].size))
    banks = np.zeros((len(rows), n_banks, len(BANK_COLUMNS)))
    banks[:, :, 3:] = 1.0  # padding: no energy, no power, efficiencies 1 (the step constants stay finite)
    for b, r in enumerate(rows):
        soc[b, :r[2].shape[0]], banks[b, :r[3].shape[0]] = r[2], r[3]
    return (np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows]), soc, banks,
            np.array([r[4] for r in rows], dtype=float))


def survival_of(cases: list[IslandCase], *, step_h: float, max_hours: float | None = None) -> list[OutageSurvival]:
    """Survival time of each case's critical load for an outage starting at every step (one
    parallel kernel call for all of them).

    Parameters
    ----------
    cases : list of IslandCase
        The buildings, all on the same time grid.
    step_h : float
        Step [h].
    max_hours : float, optional
        Longest outage evaluated [h]; the whole series length by default.
    """
    problems: list[Problem] = []
    if max_hours is not None and not max_hours > 0:
        problems.append(Problem("max_hours", f"must be > 0 h, got {max_hours!r}"))
    load, pv, soc, banks, generators = _stacked(cases, step_h, problems)
    max_steps = load.shape[1] if max_hours is None else int(np.ceil(max_hours / step_h - 1e-9))
    steps = outage_kernel(load, pv, soc, banks, generators, max_steps, float(step_h))
    return [OutageSurvival(row * step_h, max_steps * step_h) for row in steps]


def unserved_of(cases: list[IslandCase], *, step_h: float, duration_h) -> list[np.ndarray]:
    """Unserved critical energy [kWh] of an outage of each duration starting at every step, per
    case: shape (T, len(duration_h)), columns in the order given. ``duration_h`` [h] (each at
    least one step) is rounded to whole steps."""
    durations = np.atleast_1d(np.asarray(duration_h, dtype=float))
    problems: list[Problem] = []
    steps = np.rint(durations / step_h).astype(np.int64) if step_h > 0 and np.isfinite(durations).all() else None
    if durations.ndim != 1 or steps is None or (steps < 1).any():
        problems.append(Problem("duration_h", f"each duration must be at least one step ({step_h!r} h)"))
    load, pv, soc, banks, generators = _stacked(cases, step_h, problems)
    unique, back = np.unique(steps, return_inverse=True)
    return list(unserved_kernel(load, pv, soc, banks, generators, unique, float(step_h))[:, :, back])


def outage_survival(critical_load_kw, pv_kw, soc_start_kwh, battery: BatteryParams, *, step_h: float,
                    generator: GeneratorParams | None = None, fuel_l: float = 0.0,
                    max_hours: float | None = None) -> OutageSurvival:
    """:func:`survival_of` for one building (arguments as :class:`IslandCase`)."""
    case = IslandCase(critical_load_kw, pv_kw, soc_start_kwh, battery, generator, fuel_l)
    return survival_of([case], step_h=step_h, max_hours=max_hours)[0]


def outage_unserved(critical_load_kw, pv_kw, soc_start_kwh, battery: BatteryParams, *, step_h: float,
                    duration_h, generator: GeneratorParams | None = None, fuel_l: float = 0.0) -> np.ndarray:
    """:func:`unserved_of` for one building (arguments as :class:`IslandCase`)."""
    case = IslandCase(critical_load_kw, pv_kw, soc_start_kwh, battery, generator, fuel_l)
    return unserved_of([case], step_h=step_h, duration_h=duration_h)[0]
