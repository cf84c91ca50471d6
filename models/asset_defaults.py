"""Default values of battery and generator settings: one source for the Python API and the scenario schema.

Both :mod:`munigrid.models.dispatch.problem` (the dataclasses) and
:mod:`munigrid.scenarios.schema` (YAML scenarios) take their defaults from here, so a battery or
generator left at its defaults is the same whichever way it was described. Plain constants, no
imports: the schema loads this without the optimiser.

* ``BATTERY_SOC_MIN_FRAC``, ``BATTERY_SOC_MAX_FRAC`` = 0.1, 0.9: the 10-90 % state-of-charge
  window commonly kept for lithium-ion (LFP) cycle-life warranties (an assumption, no source in
  the project's references; the library scenarios and the operations tools already used 0.9).
* ``GENERATOR_FUEL_THB_PER_L`` = 32.5: the middle of the capped Thai diesel price of about
  32-33 THB/L in 2024-25 (shared reference thai-energy.md, "Costs and resource").
* ``GENERATOR_CO2_KG_PER_L`` = 2.7078: TGO emission factor of diesel (thai-energy.md).
"""

BATTERY_CHARGE_EFF_FRAC = 0.95
BATTERY_DISCHARGE_EFF_FRAC = 0.95
BATTERY_SOC_MIN_FRAC = 0.1
BATTERY_SOC_MAX_FRAC = 0.9
BATTERY_SOC_INITIAL_FRAC = 0.5

GENERATOR_MIN_LOAD_FRAC = 0.3
GENERATOR_FUEL_SLOPE_L_PER_KWH = 0.246
GENERATOR_FUEL_INTERCEPT_L_PER_KWH = 0.08
GENERATOR_FUEL_THB_PER_L = 32.5
GENERATOR_CO2_KG_PER_L = 2.7078
