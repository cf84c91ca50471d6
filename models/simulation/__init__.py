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
``outage``                    outage_survival (every start step, parallel)
``rainflow``, ``degradation`` rainflow cycles, calendar ageing, battery_fade
``multi_year``                simulate_years (ageing battery and PV)
``tariff_arrays``             TariffCostTerms packed for numba
``sampling``                  SampleSource, day_block_bootstrap
``ensemble``                  the parallel summary kernel (samples x sizes)
``montecarlo``, ``sweep``     monte_carlo + summarize, sizing_sweep (xarray out)
============================  =====================================================
"""

from munigrid.models.simulation.battery import BatteryTrace, simulate_battery
from munigrid.models.simulation.degradation import BatteryFade, DegradationParams, battery_fade, calendar_fade_frac
from munigrid.models.simulation.generator import GeneratorTrace, simulate_generator
from munigrid.models.simulation.montecarlo import monte_carlo, summarize
from munigrid.models.simulation.multi_year import simulate_years
from munigrid.models.simulation.outage import OutageSurvival, outage_survival
from munigrid.models.simulation.params import BatteryParams, GeneratorParams
from munigrid.models.simulation.peaks import demand_peaks_kw, period_peaks_kw
from munigrid.models.simulation.replay import ReplayResult, replay_schedule
from munigrid.models.simulation.sampling import SampleSource, day_block_bootstrap
from munigrid.models.simulation.strategies import STRATEGIES, Band, peak_shaving, self_consumption, tou_arbitrage
from munigrid.models.simulation.sweep import sizing_sweep
from munigrid.models.simulation.tariff_arrays import TariffArrays, flat_tariff, pack_tariff

__all__ = [
    "Band", "BatteryFade", "BatteryParams", "BatteryTrace", "DegradationParams", "GeneratorParams",
    "GeneratorTrace", "OutageSurvival", "ReplayResult", "STRATEGIES", "SampleSource", "TariffArrays",
    "battery_fade", "calendar_fade_frac", "day_block_bootstrap", "demand_peaks_kw", "flat_tariff", "monte_carlo", "outage_survival",
    "pack_tariff", "peak_shaving", "period_peaks_kw", "replay_schedule", "self_consumption", "simulate_battery",
    "simulate_generator", "simulate_years", "sizing_sweep", "summarize", "tou_arbitrage",
]
