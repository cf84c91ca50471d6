r"""Energy and bill savings of every project year: simulated years, or year 1 scaled.

Each operating year :math:`y = 1..N` starts from a base record (energy and bills at year-1
prices): the year's own simulation when the project carries one
(:class:`~munigrid.models.finance.inputs.LifetimeEnergy`, :mod:`munigrid.scenarios.lifetime`),
else the year-1 dispatch (:class:`~munigrid.models.finance.inputs.EnergyYear1`) for every year,
the documented approximation. Relative factors then age and price it:

.. math::

    d_y &= r_d^{\,y-1}\,\phi_y                        &&\text{PV output factor}\\
    L_y &= r_L^{\,y-1}                                 &&\text{load factor}\\
    U_y &= \min\big(A_y d_y,\ U^0_y d_y L_y\big)       &&\text{PV used on site [kWh]}\\
    e_y &= U_y / U^0_y,\quad T_y = (1+\tau)^{y-1}      &&\text{energy and tariff factors}\\
    f_y &= \max\big(f_{min},\ f_1 + \Delta f\,(y-1) + s_f\big) &&\text{Ft [THB/kWh]}\\
    S_y &= \big[(S^{pv}_y - F_y)\,e_y + S^{bat}_y\,b_y\big]\,T_y + f_y\,\Delta E_y\,e_y\,(1+v)
        &&\text{bill savings [THB]}

with :math:`A_y`, :math:`U^0_y` the PV energy available and used in the base record of year
:math:`y`, :math:`\phi_y` the yield factor, :math:`\Delta E_y` the avoided grid import,
:math:`F_y = f_1 \Delta E_y (1+v)` the Ft part of the base saving, :math:`S^{pv}_y` the saving of
the PV alone and :math:`S^{bat}_y` the battery's extra saving. Scaled (no simulation):
:math:`r_d = 1-\delta`, :math:`r_L = 1+g`, :math:`b_y = c_y/c_1` with :math:`c_y` the battery's
mid-year capacity relative to new (reset at replacement; the year-1 dispatch already reflects
:math:`c_1`, so the battery's saving and throughput scale by :math:`c_y/c_1`); self-consumption is
assumed to scale with the load (exact when PV covers a fixed share of the load at every step).
Simulated: the record already holds the year's degradation, growth and capacity, so
:math:`b_y = 1` and :math:`r_d = (1-\delta)/(1-\delta_{sim})`, :math:`r_L = (1+g)/(1+g_{sim})`
are 1 unless a sensitivity moves :math:`\delta` or :math:`g` away from the simulated values.
The bill without the project:
:math:`B_y = (B^0_y - f_1 I^0_y (1+v)) L_y T_y + f_y I^0_y L_y (1+v)`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from munigrid.models.finance.inputs import Component, EnergyYear1, ProjectInputs


def battery_life_years(component: Component, capacity_frac: np.ndarray | None, eol_frac: float) -> int:
    """Years a battery lasts: its calendar life, or sooner when its capacity falls below ``eol_frac``.

    Parameters
    ----------
    component : Component
        The battery (its ``life_years`` is the calendar life).
    capacity_frac : ndarray or None
        Remaining capacity at the end of each year of a battery's life [-].
    eol_frac : float
        End-of-life capacity [-].
    """
    if capacity_frac is None:
        return int(component.life_years)
    below = np.flatnonzero(np.asarray(capacity_frac, dtype=float) < eol_frac)
    return int(min(component.life_years, below[0] + 1)) if below.size else int(component.life_years)


def replacement_years(life_years: int, n_years: int) -> list[int]:
    """Years (1..N-1) at whose end a component with ``life_years`` is replaced [year]."""
    return list(range(life_years, n_years, life_years))


def battery_capacity_by_year(capacity_frac: np.ndarray | None, life_years: int, replace: bool,
                             n_years: int) -> np.ndarray:
    """Mid-year battery capacity relative to new for years 0..N [-] (year 0 is 0).

    The capacity of a battery in its ``k``-th year is the mean of the start and end of year values
    of ``capacity_frac`` (held at its last value beyond the array); a replaced battery starts anew.
    """
    fade = np.ones(1) if capacity_frac is None else np.asarray(capacity_frac, dtype=float)

    def after_years(age: int) -> float:
        return 1.0 if age == 0 else float(fade[min(age, fade.size) - 1])

    out = np.zeros(n_years + 1)
    for year in range(1, n_years + 1):
        age = (year - 1) % life_years + 1 if replace else year
        out[year] = 0.5 * (after_years(age - 1) + after_years(age))
    return out


def scale_base_tariff(energy: EnergyYear1, factor: float) -> EnergyYear1:
    r"""Year-1 bills with the base tariff (all but Ft) multiplied by ``factor`` [-].

    Each bill :math:`B` becomes :math:`(B - f_1 I (1+v))\,k + f_1 I (1+v)` with :math:`I` its grid
    import; the PV-only bill uses the import after the project (the battery shifts, not saves, kWh).
    """
    def scaled(bill_thb: float, import_kwh: float) -> float:
        ft_part = energy.ft_thb_per_kwh * import_kwh * (1.0 + energy.vat_frac)
        return (bill_thb - ft_part) * factor + ft_part

    return replace(
        energy,
        bill_before_thb=scaled(energy.bill_before_thb, energy.import_before_kwh),
        bill_after_thb=scaled(energy.bill_after_thb, energy.import_after_kwh),
        bill_pv_only_thb=None if energy.bill_pv_only_thb is None
        else scaled(energy.bill_pv_only_thb, energy.import_after_kwh),
    )


@dataclass(frozen=True)
class EnergyProjection:
    """Energy and bills of years 0..N (year 0 is all zero). Arrays have shape (N+1,).

    Attributes
    ----------
    pv_available_kwh, pv_used_kwh, load_kwh : ndarray
        PV energy available and used on site, site load [kWh/year].
    import_before_kwh, import_after_kwh : ndarray
        Grid import without and with the project [kWh/year].
    battery_capacity_frac : ndarray
        Mid-year battery capacity relative to new [-].
    battery_throughput_kwh : ndarray
        Battery discharge [kWh/year].
    tariff_index : ndarray
        Base-tariff multiplier relative to year 1 [-].
    ft_thb_per_kwh : ndarray
        Ft of each year [THB/kWh].
    bill_before_thb, bill_after_thb, savings_thb : ndarray
        Bills without and with the project and their difference [THB/year].
    """

    pv_available_kwh: np.ndarray
    pv_used_kwh: np.ndarray
    load_kwh: np.ndarray
    import_before_kwh: np.ndarray
    import_after_kwh: np.ndarray
    battery_capacity_frac: np.ndarray
    battery_throughput_kwh: np.ndarray
    tariff_index: np.ndarray
    ft_thb_per_kwh: np.ndarray
    bill_before_thb: np.ndarray
    bill_after_thb: np.ndarray
    savings_thb: np.ndarray


def battery_component(components: tuple[Component, ...]) -> Component | None:
    """The component whose ``energy_basis`` is ``battery``, if any."""
    return next((c for c in components if c.energy_basis == "battery"), None)


def _base_records(inputs: ProjectInputs) -> dict[str, np.ndarray]:
    """The base record of every year as arrays of shape (N+1,) (year 0 repeats year 1)."""
    n = int(inputs.years)
    records = (inputs.energy,) * n if inputs.lifetime is None else inputs.lifetime.years
    records = (records[0], *records)
    names = ("load_kwh", "pv_available_kwh", "pv_used_kwh", "import_before_kwh", "import_after_kwh",
             "bill_before_thb", "bill_after_thb", "battery_throughput_kwh")
    out = {name: np.array([getattr(r, name) for r in records], dtype=float) for name in names}
    out["bill_pv_only_thb"] = np.array([r.bill_after_thb if r.bill_pv_only_thb is None or inputs.lifetime
                                        else r.bill_pv_only_thb for r in records], dtype=float)
    return out


def _relative_factors(inputs: ProjectInputs) -> tuple[float, float, np.ndarray, np.ndarray]:
    r""":math:`r_d`, :math:`r_L`, the battery capacity :math:`c_y` and the battery factor :math:`b_y`."""
    n = int(inputs.years)
    operating = np.arange(n + 1) >= 1
    lifetime = inputs.lifetime
    if lifetime is not None:
        capacity = np.zeros(n + 1)
        capacity[1:] = lifetime.battery_capacity_frac or 1.0
        return ((1.0 - inputs.pv_degradation_frac_per_year) / (1.0 - lifetime.pv_degradation_frac_per_year),
                (1.0 + inputs.load_growth_frac_per_year) / (1.0 + lifetime.load_growth_frac_per_year),
                capacity, operating.astype(float))
    battery = battery_component(inputs.components)
    if battery is None:
        capacity = np.where(operating, 1.0, 0.0)
    else:
        life = battery_life_years(battery, inputs.battery_capacity_frac, inputs.battery_eol_frac)
        capacity = battery_capacity_by_year(inputs.battery_capacity_frac, life, battery.replace, n)
    return 1.0 - inputs.pv_degradation_frac_per_year, 1.0 + inputs.load_growth_frac_per_year, capacity, \
        capacity / capacity[1]


def project_energy(inputs: ProjectInputs) -> EnergyProjection:
    """Energy and bills of years 0..N (see the module equations).

    Parameters
    ----------
    inputs : ProjectInputs
        Validated project inputs; with ``inputs.lifetime`` every year has its own base record.

    Returns
    -------
    EnergyProjection
    """
    e1, esc, n = inputs.energy, inputs.escalation, int(inputs.years)
    base = _base_records(inputs)
    vat = 1.0 + e1.vat_frac
    year = np.arange(n + 1, dtype=float)
    operating = year >= 1
    age = np.where(operating, year - 1.0, 0.0)
    pv_ratio, load_ratio, capacity, battery_factor = _relative_factors(inputs)

    output_factor = np.zeros(n + 1)
    output_factor[1:] = pv_ratio ** age[1:] * inputs.yield_factor
    load_factor = np.where(operating, load_ratio ** age, 0.0)
    pv_available = base["pv_available_kwh"] * output_factor
    pv_used = np.minimum(pv_available, base["pv_used_kwh"] * output_factor * load_factor)
    with np.errstate(divide="ignore", invalid="ignore"):
        energy_factor = np.where(base["pv_used_kwh"] > 0, pv_used / base["pv_used_kwh"], 0.0)

    tariff_index = np.where(operating, (1.0 + esc.tariff_frac_per_year) ** age, 0.0)
    ft = np.where(operating, np.maximum(esc.ft_floor_thb_per_kwh,
                                        e1.ft_thb_per_kwh + esc.ft_change_thb_per_kwh_per_year * age
                                        + esc.ft_shift_thb_per_kwh), 0.0)

    avoided_import_kwh = base["import_before_kwh"] - base["import_after_kwh"]
    savings_base = base["bill_before_thb"] - base["bill_after_thb"]
    savings_pv = base["bill_before_thb"] - base["bill_pv_only_thb"]
    ft_part = e1.ft_thb_per_kwh * avoided_import_kwh * vat
    savings = (((savings_pv - ft_part) * energy_factor + (savings_base - savings_pv) * battery_factor)
               * tariff_index + ft * avoided_import_kwh * energy_factor * vat)

    import_before = base["import_before_kwh"] * load_factor
    base_before = base["bill_before_thb"] - e1.ft_thb_per_kwh * base["import_before_kwh"] * vat
    bill_before = base_before * load_factor * tariff_index + ft * import_before * vat
    return EnergyProjection(
        pv_available_kwh=pv_available,
        pv_used_kwh=pv_used,
        load_kwh=base["load_kwh"] * load_factor,
        import_before_kwh=import_before,
        import_after_kwh=import_before - avoided_import_kwh * energy_factor,
        battery_capacity_frac=capacity,
        battery_throughput_kwh=base["battery_throughput_kwh"] * battery_factor * operating,
        tariff_index=tariff_index,
        ft_thb_per_kwh=ft,
        bill_before_thb=bill_before,
        bill_after_thb=bill_before - savings,
        savings_thb=savings,
    )
