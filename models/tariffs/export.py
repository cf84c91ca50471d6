"""Export compensation: what exported energy earns, if it may flow at all.

Thai government buildings may not export (zero-export controller or reverse-power relay),
so the Thai tariffs default to ``ExportRule.none()``. The other kinds cover the Thai
people's-solar scheme (net billing at 2.20 THB/kWh), programme prices and any price series.
Export credits carry no VAT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError
from munigrid.models.tariffs.grid import aligned_values

ExportKind = Literal["none", "fixed", "series", "net_billing", "net_metering"]


@dataclass(frozen=True)
class ExportRule:
    r"""How exported energy :math:`x_t` [kW] is compensated.

    * ``none``: export is not allowed (zero export);
    * ``fixed``: paid at a fixed price, :math:`\sum_t \pi\, x_t \Delta t`, separately from the bill;
    * ``series``: paid at a price series :math:`\pi_t` (e.g. a wholesale or PPA price);
    * ``net_billing``: credited on the month's bill at a fixed price (import and export are
      metered separately, so the credit is the same per kWh; it is shown on the bill);
    * ``net_metering``: exported energy up to the energy imported in the netting period
      (``netting``: the month, or the whole horizon for ``annual``) is credited at the import
      price of its step (energy rate, Ft and VAT: it offsets imports), the most valuable kWh
      first; the excess earns ``price_thb_per_kwh`` (a wholesale rate, possibly 0). Only for
      systems up to ``system_cap_kw`` (checked by :meth:`check_system_kw`).

    Parameters
    ----------
    kind : {"none", "fixed", "series", "net_billing"}
        The rule.
    price_thb_per_kwh : float
        Price for ``fixed`` and ``net_billing`` [THB/kWh].
    price_series_thb_per_kwh : Series or None
        Price for ``series`` [THB/kWh], tz-aware index covering the horizon.
    netting : {"monthly", "annual"}
        Netting period of ``net_metering``.
    system_cap_kw : float or None
        Largest generating system eligible for ``net_metering`` [kW]; None: no cap.
    """

    kind: ExportKind = "none"
    price_thb_per_kwh: float = 0.0
    price_series_thb_per_kwh: pd.Series | None = None
    netting: Literal["monthly", "annual"] = "monthly"
    system_cap_kw: float | None = None

    def __post_init__(self):
        if self.kind not in ("none", "fixed", "series", "net_billing", "net_metering"):
            raise InputError(f"must be 'none', 'fixed', 'series', 'net_billing' or 'net_metering', got {self.kind!r}",
                             "export.kind")
        if self.netting not in ("monthly", "annual"):
            raise InputError(f"must be 'monthly' or 'annual', got {self.netting!r}", "export.netting")
        if self.price_thb_per_kwh < 0:
            raise InputError(f"must be >= 0, got {self.price_thb_per_kwh}", "export.price_thb_per_kwh")
        if self.kind == "series" and self.price_series_thb_per_kwh is None:
            raise InputError("kind 'series' needs price_series_thb_per_kwh", "export.price_series_thb_per_kwh")

    @classmethod
    def none(cls) -> ExportRule:
        """Export not allowed (default for Thai government buildings)."""
        return cls("none")

    def check_system_kw(self, system_kw: float, where: str = "export.system_cap_kw") -> None:
        """Raise when a ``system_kw`` [kW] system exceeds the net-metering eligibility cap."""
        if self.kind == "net_metering" and self.system_cap_kw is not None and system_kw > self.system_cap_kw:
            raise InputError(f"net metering is open to systems up to {self.system_cap_kw:g} kW; this one has "
                             f"{system_kw:g} kW: reduce it or use another export rule", where)

    def netting_period(self, period_of_step: np.ndarray) -> np.ndarray:
        """Netting period of every step: its billing month, or 0 for annual netting."""
        return np.asarray(period_of_step) if self.netting == "monthly" else np.zeros(len(period_of_step), int)

    @property
    def allowed(self) -> bool:
        """Whether energy may be exported at all."""
        return self.kind != "none"

    def prices_thb_per_kwh(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Export price at every step of ``index`` [THB/kWh]; zero when export is not allowed."""
        if self.kind == "none":
            return np.zeros(len(index))
        if self.kind != "series":
            return np.full(len(index), float(self.price_thb_per_kwh))
        return aligned_values(self.price_series_thb_per_kwh, index, "export.price_series_thb_per_kwh")
