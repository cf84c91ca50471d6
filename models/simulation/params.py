"""Parameters of the simulated assets, as small frozen dataclasses.

Validation lives in :mod:`munigrid.models.simulation.validation`; the kernels take the plain
numbers these classes hold.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BatteryParams:
    r"""A battery as the simulation kernels see it.

    The state of charge follows

    .. math:: E_{t+1} = E_t + \Delta t\,(\eta_c\, c_t - d_t/\eta_d),
              \qquad E_{min} \le E_t \le E_{max}

    with :math:`E_{min} = \sigma_{min} E`, :math:`E_{max} = \sigma_{max} E`.

    Parameters
    ----------
    energy_kwh : float
        Nominal (nameplate) capacity :math:`E` [kWh], >= 0.
    power_kw : float
        Charge and discharge power limit at the AC terminals [kW], >= 0.
    charge_eff_frac : float
        :math:`\eta_c`, in (0, 1] [-].
    discharge_eff_frac : float
        :math:`\eta_d`, in (0, 1] [-].
    soc_min_frac, soc_max_frac : float
        :math:`\sigma_{min} < \sigma_{max}`, both in [0, 1] [-].
    soc_initial_frac : float
        State of charge at the start, in [soc_min_frac, soc_max_frac] [-].
    """

    energy_kwh: float
    power_kw: float
    charge_eff_frac: float = 0.95
    discharge_eff_frac: float = 0.95
    soc_min_frac: float = 0.1
    soc_max_frac: float = 1.0
    soc_initial_frac: float = 0.5

    @property
    def soc_min_kwh(self) -> float:
        """Lowest allowed stored energy [kWh]."""
        return self.soc_min_frac * self.energy_kwh

    @property
    def soc_max_kwh(self) -> float:
        """Highest allowed stored energy [kWh]."""
        return self.soc_max_frac * self.energy_kwh

    @property
    def soc_initial_kwh(self) -> float:
        """Stored energy at the start [kWh]."""
        return self.soc_initial_frac * self.energy_kwh

    @property
    def usable_kwh(self) -> float:
        """Usable capacity :math:`E_{max} - E_{min}` [kWh]."""
        return self.soc_max_kwh - self.soc_min_kwh


@dataclass(frozen=True)
class GeneratorParams:
    r"""A diesel generator with a linear fuel curve.

    Fuel while running at output :math:`g` [kW]: :math:`f = a\,G + b\,g` [L/h], with
    :math:`G` the rated power. Defaults are HOMER's generic fuel-curve coefficients
    (intercept 0.08145 L/h per kW rated, slope 0.246 L/h per kW output; HOMER Pro manual,
    "Generator: fuel curve", read 2026-11; unverified for Thai gensets: override them).

    Parameters
    ----------
    rated_kw : float
        :math:`G` [kW], >= 0.
    min_load_frac : float
        Lowest output when running, as a share of ``rated_kw``, in [0, 1) [-].
    fuel_intercept_l_per_kwh_rated : float
        :math:`a` [L/h per kW rated], >= 0.
    fuel_slope_l_per_kwh : float
        :math:`b` [L/kWh], >= 0.
    cycle_charge_setpoint_frac : float
        Cycle charging: once started, the generator runs at full output until the battery
        state of charge reaches this share of its capacity [-], in [0, 1].
    """

    rated_kw: float
    min_load_frac: float = 0.25
    fuel_intercept_l_per_kwh_rated: float = 0.08145
    fuel_slope_l_per_kwh: float = 0.246
    cycle_charge_setpoint_frac: float = 0.8
