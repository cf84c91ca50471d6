r"""Incentives of an investment case and who receives them (defaults and sources:
``data/finance_defaults.yaml``, section ``incentives``).

With :math:`y = 0..N`, avoided grid import :math:`\Delta E_y` [kWh], PV used :math:`U_y` [kWh]:

.. math::

    \text{T-VER}_y &= \frac{\varepsilon}{1000}\,\Delta E_y\,p_c\,[1 \le y \le Y_c]
        - R\,[y = 1] - V\,[y \le Y_c \land (y \bmod k = 0 \lor y = Y_c)]
        &&\text{credits less registration and verification [THB]}\\
    G^{cap}_0 &= g\,K_0,\qquad G^{perf}_y = r\,U_y\,[1 \le y \le Y_g]
        &&\text{capital and performance grants [THB]}\\
    D_y &= \sum_{k \in \text{outlays of } y} k\;s\,\frac{d_c}{1+d_c}
        &&\text{import duty inside the outlays of year } y\text{ [THB]}\\
    X_y &= \min\Big(\mathrm{CIT}_y,\ \kappa K^{inv}_0 - \sum_{j<y} X_j\Big)\,[1 \le y \le H]
        &&\text{BOI CIT exemption [THB]}

with grid emission factor :math:`\varepsilon` [kgCO2e/kWh], credit price :math:`p_c` [THB/tCO2e],
crediting period :math:`Y_c`, registration :math:`R`, verification :math:`V` every :math:`k`
years, grant share :math:`g` of the initial capex :math:`K_0`, performance rate :math:`r`
[THB/kWh] for :math:`Y_g` years, imported share :math:`s`, duty rate :math:`d_c` of component
:math:`c` (turnkey prices include it), holiday :math:`H` years, cap :math:`\kappa` times the
investor's initial investment :math:`K^{inv}_0` (no cap: :math:`\kappa = \infty`).

Who receives what (:func:`allocate`): the capital grant goes to whoever pays the initial capex;
T-VER credits and performance grants to whoever owns the asset that year (the investor until
hand-over where it finances the asset, the municipality otherwise, also under guaranteed savings); a BOI-promoted investor receives the CIT
holiday on its own tax and does not pay the import duty inside the outlays it makes; the
municipality pays no CIT and is not BOI-promoted. The project's own flows are before incentives.
Credits, grants and duty savings are taxable income of the investor except the duty saving,
which is left out of its depreciation base (the base stays the turnkey price: a small overstatement
of depreciation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from munigrid.models.errors import InputError, Problem

#: incentive line names as they appear in the parties' tables
LINES = {"grant_capital": "incentive_capital_grant_thb", "grant_performance": "incentive_performance_grant_thb",
         "tver": "incentive_tver_credits_thb", "duty": "incentive_import_duty_exemption_thb"}
BOI_LINE = "boi_cit_exemption_thb"


@dataclass(frozen=True)
class Incentives:
    """Incentives of a case (module equations); all off by default.

    Parameters
    ----------
    boi_cit_holiday_years : int
        :math:`H` [years]; 0: no BOI promotion.
    boi_cit_cap_frac : float or None
        :math:`\\kappa` [-]; None: no cap.
    boi_import_duty_exempt : bool
        A BOI-promoted investor pays no import duty on machinery.
    duty_frac_by_component : tuple of (str, float)
        :math:`d_c` per component name [-].
    imported_share_frac : float
        :math:`s` [-].
    tver_price_thb_per_tco2e : float
        :math:`p_c` [THB/tCO2e]; 0: no T-VER registration.
    grid_kg_per_kwh : float
        :math:`\\varepsilon` [kgCO2e/kWh].
    tver_crediting_years : int
        :math:`Y_c` [years].
    tver_registration_thb, tver_verification_thb : float
        :math:`R`, :math:`V` [THB].
    tver_verification_every_years : int
        :math:`k` [years].
    grant_capital_frac : float
        :math:`g` [-].
    grant_performance_thb_per_kwh : float
        :math:`r` [THB/kWh].
    grant_performance_years : int
        :math:`Y_g` [years].
    """

    boi_cit_holiday_years: int = 0
    boi_cit_cap_frac: float | None = None
    boi_import_duty_exempt: bool = False
    duty_frac_by_component: tuple[tuple[str, float], ...] = ()
    imported_share_frac: float = 1.0
    tver_price_thb_per_tco2e: float = 0.0
    grid_kg_per_kwh: float = 0.4750
    tver_crediting_years: int = 7
    tver_registration_thb: float = 0.0
    tver_verification_thb: float = 0.0
    tver_verification_every_years: int = 2
    grant_capital_frac: float = 0.0
    grant_performance_thb_per_kwh: float = 0.0
    grant_performance_years: int = 0

    def problems(self, path: str = "incentives") -> list[Problem]:
        """Every value out of its range, named by field."""
        found = []
        checks = {
            "boi_cit_holiday_years": 0 <= self.boi_cit_holiday_years <= 15,
            "boi_cit_cap_frac": self.boi_cit_cap_frac is None or 0 <= self.boi_cit_cap_frac <= 10,
            "imported_share_frac": 0 <= self.imported_share_frac <= 1,
            "tver_price_thb_per_tco2e": 0 <= self.tver_price_thb_per_tco2e <= 100_000,
            "grid_kg_per_kwh": 0 <= self.grid_kg_per_kwh <= 2,
            "tver_crediting_years": 1 <= self.tver_crediting_years <= 40,
            "tver_registration_thb": 0 <= self.tver_registration_thb,
            "tver_verification_thb": 0 <= self.tver_verification_thb,
            "tver_verification_every_years": 1 <= self.tver_verification_every_years <= 40,
            "grant_capital_frac": 0 <= self.grant_capital_frac <= 1,
            "grant_performance_thb_per_kwh": 0 <= self.grant_performance_thb_per_kwh <= 100,
            "grant_performance_years": 0 <= self.grant_performance_years <= 40,
        }
        for name, ok in checks.items():
            value = getattr(self, name)
            if not ok or (isinstance(value, float) and not np.isfinite(value)):
                found.append(Problem(f"{path}.{name}", f"out of range, got {value!r}"))
        found += [Problem(f"{path}.duty_frac_by_component", f"duty of {name!r} must be in [0, 1], got {d!r}")
                  for name, d in self.duty_frac_by_component if not 0 <= d <= 1]
        return found

    @property
    def boi(self) -> bool:
        """True when the investor is BOI-promoted."""
        return self.boi_cit_holiday_years > 0


def tver_thb(avoided_import_kwh: np.ndarray, incentives: Incentives) -> np.ndarray:
    """T-VER credits less registration and verification costs of years 0..N [THB] (module equation)."""
    n = len(avoided_import_kwh) - 1
    out = np.zeros(n + 1)
    if incentives.tver_price_thb_per_tco2e <= 0:
        return out
    years = np.arange(n + 1)
    crediting = (years >= 1) & (years <= incentives.tver_crediting_years)
    out += incentives.grid_kg_per_kwh / 1000.0 * avoided_import_kwh * incentives.tver_price_thb_per_tco2e * crediting
    if n >= 1:
        out[1] -= incentives.tver_registration_thb
    last = min(incentives.tver_crediting_years, n)
    verify = crediting & ((years % incentives.tver_verification_every_years == 0) | (years == last))
    out -= incentives.tver_verification_thb * verify
    return out


def performance_grant_thb(pv_used_kwh: np.ndarray, incentives: Incentives) -> np.ndarray:
    """:math:`G^{perf}_y` of years 0..N [THB]."""
    years = np.arange(len(pv_used_kwh))
    return incentives.grant_performance_thb_per_kwh * pv_used_kwh * ((years >= 1)
                                                                      & (years <= incentives.grant_performance_years))


def duty_share_frac(component: str, incentives: Incentives) -> float:
    """:math:`s\\,d_c/(1+d_c)`: the share of a component's price that is import duty [-]."""
    duty = dict(incentives.duty_frac_by_component).get(component, 0.0)
    return incentives.imported_share_frac * duty / (1.0 + duty)


def boi_exemption_thb(tax_thb: np.ndarray, incentives: Incentives, investment_thb: float) -> np.ndarray:
    """:math:`X_y`: CIT removed by the BOI holiday in years 1..H, capped [THB] (module equation)."""
    exempt = np.zeros(len(tax_thb))
    left = np.inf if incentives.boi_cit_cap_frac is None else incentives.boi_cit_cap_frac * investment_thb
    for y in range(1, min(incentives.boi_cit_holiday_years, len(tax_thb) - 1) + 1):
        exempt[y] = min(max(tax_thb[y], 0.0), left)
        left -= exempt[y]
    return exempt


def allocate(incentives: Incentives, *, n_years: int, avoided_import_kwh: np.ndarray, pv_used_kwh: np.ndarray,
             initial_capex_thb: float, spends, investor_capital: np.ndarray, investor_holds: np.ndarray
             ) -> dict[str, dict[str, np.ndarray]]:
    """Incentive lines of each party, years 0..N [THB] (who receives what: module text).

    Parameters
    ----------
    spends : sequence of CapitalSpend
        Every capital outlay of the project.
    investor_capital, investor_holds : ndarray of bool
        Years in which the investor pays capital outlays / owns and operates the asset.

    Returns
    -------
    dict
        ``{"municipality": {line: array}, "investor": {line: array}}``, only non-zero lines.
    """
    zeros = np.zeros(n_years + 1)
    held = {"investor": investor_holds, "municipality": ~investor_holds}
    payer = "investor" if investor_capital[0] else "municipality"
    out: dict[str, dict[str, np.ndarray]] = {"municipality": {}, "investor": {}}
    grant = zeros.copy()
    grant[0] = incentives.grant_capital_frac * initial_capex_thb
    out[payer][LINES["grant_capital"]] = grant
    for key, flows in (("grant_performance", performance_grant_thb(pv_used_kwh, incentives)),
                       ("tver", tver_thb(avoided_import_kwh, incentives))):
        for party, mask in held.items():
            out[party][LINES[key]] = flows * mask
    if incentives.boi and incentives.boi_import_duty_exempt:
        duty = zeros.copy()
        for s in spends:
            if investor_capital[s.year]:
                duty[s.year] += s.amount_thb * duty_share_frac(s.component, incentives)
        out["investor"][LINES["duty"]] = duty
    return {party: {k: v for k, v in lines.items() if np.any(v)} for party, lines in out.items()}


def check(incentives: Incentives | None) -> None:
    """Raise :class:`InputError` naming every bad field."""
    if incentives is not None and incentives.problems():
        raise InputError(incentives.problems())
