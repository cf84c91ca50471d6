"""Numba simulation core: rule-based dispatch, schedule replay, peaks, outage survival,
battery degradation, Monte Carlo and sizing sweeps.

Every kernel is ``numba.njit(cache=True)`` and is called once per scenario (or once for a
whole batch of samples), never per step; inputs are checked first and bad input raises
:class:`~munigrid.models.errors.InputError` before any kernel runs. Each kernel has a
plain-Python twin in :mod:`~munigrid.models.simulation.reference`.

============================  =====================================================
module                        job
============================  =====================================================
``params``                    BatteryParams, GeneratorParams
``strategies``                self-consumption, TOU arbitrage, peak shaving as bands
``steps``                     one battery step, shared by all kernels
``battery``                   simulate_battery (one scenario, full trace)
``generator``                 simulate_generator (off-grid, load following / cycle charging)
``replay``                    replay_schedule (optimised schedule against actuals)
``peaks``                     peaks per billing period and demand window
``outage``                    outage_survival, outage_unserved; survival_of, unserved_of
                              (every building x start step in one parallel call)
``rainflow``, ``degradation`` rainflow cycles, calendar ageing, battery_fade
``multi_year``                simulate_years (ageing battery and PV)
``tariff_arrays``             TariffCostTerms packed for numba
``sampling``                  SampleSource, day_block_bootstrap
``ensemble``                  the parallel summary kernel (samples x sizes)
``montecarlo``, ``sweep``     monte_carlo + summarize, sizing_sweep (xarray out)
============================  =====================================================
"""

from munigrid.models.lazy import lazy_exports

# public name -> the submodule that defines it (imported on first use: numba only when a kernel is used)
_EXPORTS = {
    "BatteryTrace": "battery", "simulate_battery": "battery",
    "BatteryFade": "degradation", "DegradationParams": "degradation", "battery_fade": "degradation",
    "calendar_fade_frac": "degradation",
    "GeneratorTrace": "generator", "simulate_generator": "generator",
    "monte_carlo": "montecarlo", "summarize": "montecarlo",
    "simulate_years": "multi_year",
    "IslandCase": "outage", "OutageSurvival": "outage", "outage_survival": "outage", "outage_unserved": "outage",
    "survival_of": "outage", "unserved_of": "outage",
    "BatteryParams": "params", "GeneratorParams": "params",
    "demand_peaks_kw": "peaks", "period_peaks_kw": "peaks",
    "ReplayResult": "replay", "replay_schedule": "replay",
    "SampleSource": "sampling", "day_block_bootstrap": "sampling",
    "STRATEGIES": "strategies", "Band": "strategies", "peak_shaving": "strategies",
    "self_consumption": "strategies", "tou_arbitrage": "strategies",
    "sizing_sweep": "sweep",
    "TariffArrays": "tariff_arrays", "flat_tariff": "tariff_arrays", "pack_tariff": "tariff_arrays",
}
__all__ = [
    "Band", "BatteryFade", "BatteryParams", "BatteryTrace", "DegradationParams", "GeneratorParams",
    "GeneratorTrace", "IslandCase", "OutageSurvival", "ReplayResult", "STRATEGIES", "SampleSource", "TariffArrays",
    "battery_fade", "calendar_fade_frac", "day_block_bootstrap", "demand_peaks_kw", "flat_tariff", "monte_carlo", "outage_survival",
    "outage_unserved", "pack_tariff", "peak_shaving", "period_peaks_kw", "replay_schedule", "self_consumption", "simulate_battery",
    "simulate_generator", "simulate_years", "sizing_sweep", "summarize", "survival_of", "tou_arbitrage", "unserved_of",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
