r"""Summary simulation of many samples and battery/PV sizes in one parallel kernel call.

For every sample :math:`s` (parallel, ``prange``) and size configuration :math:`c`
(PV kWp, battery kWh, battery kW) the kernel builds the sampled load and PV on the fly
(:mod:`~munigrid.models.simulation.sampling`), runs the import-band battery recurrence
(:mod:`~munigrid.models.simulation.steps`), and accumulates, without storing any time
series: energy totals, the cost under the tariff arrays
(:mod:`~munigrid.models.simulation.tariff_arrays`) with the sample's own Ft change
:math:`\Delta\pi_{s,p}` on the import price of every billing month (zero for the run's Ft,
:mod:`munigrid.models.tariffs.ft_paths`),

.. math::

    C = \sum_t \Delta t\,((\pi^{in}_t + \Delta\pi_{s,p(t)}) m_t - \pi^{out}_t x_t) + \sum_{s,p} B_s(Y_{s,p})
        + \sum_{f,p} C_{f,p}(D) + \sum_p A_p + F,

(blocks and tiers :math:`B_s`, the minimum-charge adjustment :math:`A_p` counted in
``demand_cost_thb``),

the self-sufficiency :math:`1 - \sum_t m_t / \sum_t L_t`, the highest import and the
equivalent full cycles :math:`\sum_t \Delta t\, d_t / (E_{max} - E_{min})`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from numba import njit, prange

from munigrid.models.errors import Problem
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.sampling import SampleSource
from munigrid.models.simulation.steps import rates, band_step, grid_split, next_soc_kwh
from munigrid.models.simulation.strategies import Band, band_problems
from munigrid.models.simulation.tariff_arrays import TariffArrays, period_costs_thb
from munigrid.models.simulation.validation import battery_problems, raise_if, step_problems

#: Names (and units) of the summary metrics, in the order of the kernel's last axis.
METRICS: tuple[tuple[str, str], ...] = (
    ("cost_thb", "THB"),
    ("energy_cost_thb", "THB"),
    ("demand_cost_thb", "THB"),
    ("import_kwh", "kWh"),
    ("export_kwh", "kWh"),
    ("curtail_kwh", "kWh"),
    ("load_kwh", "kWh"),
    ("pv_kwh", "kWh"),
    ("self_sufficiency_frac", "-"),
    ("peak_import_kw", "kW"),
    ("equivalent_full_cycles", "-"),
)
N_METRICS = len(METRICS)


@njit(cache=True)
def sample_summary(out, day_row, load_scale, base_load_kw, source_load_kw, base_pv_kw_per_kwp,
                   source_pv_kw_per_kwp, steps_per_day, pv_kwp, energy_kwh, power_kw, charge_eff_frac,
                   discharge_eff_frac, soc_min_frac, soc_max_frac, soc_initial_frac, low_kw, high_kw,
                   grid_target_frac, tariff, step_h, export_limit_kw, ft_change_thb_per_kwh):
    """Simulate one sample at one size and write its :data:`METRICS` into ``out``
    (``ft_change_thb_per_kwh``: the sample's import price change of each billing month, shape (P,))."""
    n_periods = tariff.registered_kw.shape[0]
    n_windows = tariff.registered_kw.shape[1]
    demand = tariff.registered_kw.copy()
    tier_kwh = np.zeros((tariff.tier_weight.shape[0], n_periods))
    base_thb = np.zeros(n_periods)
    soc_min = soc_min_frac * energy_kwh
    soc_max = soc_max_frac * energy_kwh
    e = soc_initial_frac * energy_kwh
    c_rate, d_rate, gain, loss = rates(charge_eff_frac, discharge_eff_frac, step_h)
    export_allowed = tariff.export_allowed
    price_in = tariff.import_thb_per_kwh
    price_out = tariff.export_thb_per_kwh
    period = tariff.period_of_step
    bits = tariff.window_bits
    money = 0.0
    imp_sum = exp_sum = cur_sum = load_sum = pv_sum = dis_sum = peak = 0.0
    for d in range(day_row.shape[0]):
        src = day_row[d] * steps_per_day
        t0 = d * steps_per_day
        for h in range(steps_per_day):
            t = t0 + h
            load = base_load_kw[t] + load_scale * source_load_kw[src + h]
            if load < 0.0:
                load = 0.0
            pv = pv_kwp * (base_pv_kw_per_kwp[t] + source_pv_kw_per_kwp[src + h])
            if pv < 0.0:
                pv = 0.0
            net = load - pv
            c, dis = band_step(net, low_kw[t], high_kw[t], grid_target_frac[t] * energy_kwh, e, soc_min,
                               soc_max, power_kw, c_rate, d_rate)
            m, x, k = grid_split(net + c - dis, export_allowed, export_limit_kw)
            e = next_soc_kwh(e, c, dis, gain, loss)
            p = period[t]
            money += m * (price_in[t] + ft_change_thb_per_kwh[p]) - x * price_out[t]
            imp_sum += m
            exp_sum += x
            cur_sum += k
            load_sum += load
            pv_sum += pv
            dis_sum += dis
            if m > peak:
                peak = m
            base_thb[p] += step_h * m * tariff.base_energy_thb_per_kwh[t]
            for s in range(tier_kwh.shape[0]):
                tier_kwh[s, p] += step_h * tariff.tier_weight[s, t] * m
            w = bits[t]
            if w != 0:
                for j in range(n_windows):
                    if (w >> j) & 1 and m > demand[p, j]:
                        demand[p, j] = m
    parts = period_costs_thb(tier_kwh, base_thb, demand, tariff)  # tiers, demand, minimum charge
    energy_cost = money * step_h + parts[:, 0].sum()
    demand_cost = parts[:, 1].sum() + parts[:, 2].sum()
    usable = soc_max - soc_min
    out[0] = energy_cost + demand_cost + tariff.fixed_thb
    out[1] = energy_cost
    out[2] = demand_cost
    out[3] = imp_sum * step_h
    out[4] = exp_sum * step_h
    out[5] = cur_sum * step_h
    out[6] = load_sum * step_h
    out[7] = pv_sum * step_h
    out[8] = 1.0 - imp_sum / load_sum if load_sum > 0.0 else 1.0
    out[9] = peak
    out[10] = dis_sum * step_h / usable if usable > 0.0 else 0.0


@njit(parallel=True, cache=True)
def ensemble_kernel(day_map, load_scale, base_load_kw, source_load_kw, base_pv_kw_per_kwp, source_pv_kw_per_kwp,
                    steps_per_day, sizes, charge_eff_frac, discharge_eff_frac, soc_min_frac, soc_max_frac,
                    soc_initial_frac, low_kw, high_kw, grid_target_frac, tariff, step_h, export_limit_kw,
                    ft_change_thb_per_kwh):
    r"""All samples (parallel) times all sizes.

    Parameters
    ----------
    day_map : ndarray of int64, shape (S, D)
        Source day of each simulated day.
    load_scale : ndarray, shape (S,)
        :math:`\lambda_s` [-].
    sizes : ndarray, shape (C, 3)
        Rows of (PV [kWp], battery energy [kWh], battery power [kW]).
    ft_change_thb_per_kwh : ndarray, shape (S, P)
        :math:`\Delta\pi_{s,p}`, each sample's import price change in each billing month [THB/kWh].

    Returns
    -------
    ndarray, shape (S, C, len(METRICS))
    """
    n_samples = day_map.shape[0]
    n_sizes = sizes.shape[0]
    out = np.empty((n_samples, n_sizes, N_METRICS))
    for s in prange(n_samples):
        for c in range(n_sizes):
            sample_summary(out[s, c], day_map[s], load_scale[s], base_load_kw, source_load_kw, base_pv_kw_per_kwp,
                           source_pv_kw_per_kwp, steps_per_day, sizes[c, 0], sizes[c, 1], sizes[c, 2],
                           charge_eff_frac, discharge_eff_frac, soc_min_frac, soc_max_frac, soc_initial_frac,
                           low_kw, high_kw, grid_target_frac, tariff, step_h, export_limit_kw,
                           ft_change_thb_per_kwh[s])
    return out


def run_ensemble(source: SampleSource, day_map: np.ndarray, load_scale: np.ndarray, sizes: np.ndarray,
                 battery: BatteryParams, tariff: TariffArrays, band: Band, *, step_h: float,
                 export_limit_kw: float = np.inf, ft_change_thb_per_kwh: np.ndarray | None = None) -> np.ndarray:
    """Check every input, then run :func:`ensemble_kernel` once.

    ``battery`` gives efficiencies and SoC limits; energy and power come from ``sizes``
    (rows of PV [kWp], battery [kWh], battery [kW]); ``ft_change_thb_per_kwh`` (S, P) is each
    sample's import price change in each billing month (default none). Returns shape (S, C, len(METRICS)).

    Raises
    ------
    InputError
        Every problem found, before the kernel runs.
    """
    n_steps = source.base_load_kw.size
    problems = battery_problems(battery) + step_problems(step_h) + band_problems(band, n_steps)
    if source.steps_per_day != round(24 / step_h):
        problems.append(Problem("step_h", f"the sample source has {source.steps_per_day} steps per day, "
                                          f"a {step_h} h step has {round(24 / step_h)}"))
    if tariff.n_steps != n_steps:
        problems.append(Problem("tariff", f"covers {tariff.n_steps} steps, the simulated grid has {n_steps}; "
                                          "apply the tariff to the same time index"))
    if tariff.step_h != step_h:
        problems.append(Problem("tariff.step_h", f"is {tariff.step_h} h, the simulation step is {step_h} h"))
    sizes = np.ascontiguousarray(sizes, dtype=float)
    if sizes.ndim != 2 or sizes.shape[1] != 3 or sizes.shape[0] == 0:
        problems.append(Problem("sizes", f"must be rows of (pv_kwp, battery_kwh, battery_kw), got shape {sizes.shape}"))
    elif not (np.isfinite(sizes).all() and (sizes >= 0).all()):
        problems.append(Problem("sizes", "PV kWp, battery kWh and kW must be finite and >= 0"))
    day_map = np.ascontiguousarray(day_map, dtype=np.int64)
    if day_map.ndim != 2 or day_map.shape[1] != source.n_days:
        problems.append(Problem("day_map", f"must have shape (samples, {source.n_days}), got {day_map.shape}"))
    elif day_map.size and (day_map.min() < 0 or day_map.max() >= source.n_source_days):
        problems.append(Problem("day_map", f"source days must be in [0, {source.n_source_days})"))
    load_scale = np.ascontiguousarray(load_scale, dtype=float)
    if load_scale.shape != (day_map.shape[0],) or not (np.isfinite(load_scale).all() and (load_scale >= 0).all()):
        problems.append(Problem("load_scale", "must be one finite factor >= 0 per sample"))
    if not export_limit_kw >= 0.0:
        problems.append(Problem("export_limit_kw", f"must be >= 0 kW, got {export_limit_kw!r}"))
    n_periods = tariff.registered_kw.shape[0]
    ft_change = (np.zeros((day_map.shape[0], n_periods)) if ft_change_thb_per_kwh is None
                 else np.ascontiguousarray(ft_change_thb_per_kwh, dtype=float))
    if ft_change.shape != (day_map.shape[0], n_periods) or not np.isfinite(ft_change).all():
        problems.append(Problem("ft_change_thb_per_kwh", f"must be finite, shape (samples, billing months) = "
                                                         f"{(day_map.shape[0], n_periods)}, got {ft_change.shape}"))
    raise_if(problems)
    return ensemble_kernel(day_map, load_scale, source.base_load_kw, source.source_load_kw,
                           source.base_pv_kw_per_kwp, source.source_pv_kw_per_kwp, source.steps_per_day, sizes,
                           float(battery.charge_eff_frac), float(battery.discharge_eff_frac),
                           float(battery.soc_min_frac), float(battery.soc_max_frac), float(battery.soc_initial_frac),
                           np.ascontiguousarray(band.low_kw, dtype=float),
                           np.ascontiguousarray(band.high_kw, dtype=float),
                           np.ascontiguousarray(band.grid_target_frac, dtype=float),
                           tariff, float(step_h), float(export_limit_kw), ft_change)


def metrics_dataset(values: np.ndarray, dims: tuple[str, ...], coords: dict) -> xr.Dataset:
    """Wrap kernel output (metrics on the last axis) as a Dataset with units in ``attrs``."""
    data = {name: (dims, values[..., i], {"units": unit}) for i, (name, unit) in enumerate(METRICS)}
    return xr.Dataset(data, coords=coords)
