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

ExportKind = Literal["none", "fixed", "series", "net_billing"]


@dataclass(frozen=True)
class ExportRule:
    r"""How exported energy :math:`x_t` [kW] is compensated.

    * ``none``: export is not allowed (zero export);
    * ``fixed``: paid at a fixed price, :math:`\sum_t \pi\, x_t \Delta t`, separately from the bill;
    * ``series``: paid at a price series :math:`\pi_t` (e.g. a wholesale or PPA price);
    * ``net_billing``: credited on the month's bill at a fixed price (import and export are
      metered separately, so the credit is the same per kWh; it is shown on the bill).

    Parameters
    ----------
    kind : {"none", "fixed", "series", "net_billing"}
        The rule.
    price_thb_per_kwh : float
        Price for ``fixed`` and ``net_billing`` [THB/kWh].
    price_series_thb_per_kwh : Series or None
        Price for ``series`` [THB/kWh], tz-aware index covering the horizon.
    """

    kind: ExportKind = "none"
    price_thb_per_kwh: float = 0.0
    price_series_thb_per_kwh: pd.Series | None = None

    def __post_init__(self):
        if self.kind not in ("none", "fixed", "series", "net_billing"):
            raise InputError(f"must be 'none', 'fixed', 'series' or 'net_billing', got {self.kind!r}", "export.kind")
        if self.price_thb_per_kwh < 0:
            raise InputError(f"must be >= 0, got {self.price_thb_per_kwh}", "export.price_thb_per_kwh")
        if self.kind == "series" and self.price_series_thb_per_kwh is None:
            raise InputError("kind 'series' needs price_series_thb_per_kwh", "export.price_series_thb_per_kwh")

    @classmethod
    def none(cls) -> ExportRule:
        """Export not allowed (default for Thai government buildings)."""
        return cls("none")

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
