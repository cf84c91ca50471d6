"""Electricity tariffs: the library, the bill calculator and cost terms for the optimiser.

Usage::

    from munigrid.models.tariffs import FtSchedule, get_tariff, list_tariffs
    tariff = get_tariff("pea-3.2-lt22kv")                 # ids: see list_tariffs()
    bill = tariff.bill(import_kw, ft=0.1972)              # Bill: .monthly DataFrame, .total_thb
    terms = tariff.cost_terms(index, ft=FtSchedule.builtin())  # TariffCostTerms, VAT included
"""

from munigrid.models.tariffs.billing import Bill, round_half_up
from munigrid.models.tariffs.export import ExportRule
from munigrid.models.tariffs.ft import FtSchedule
from munigrid.models.tariffs.library import (
    TariffInfo, apply_overrides, get_tariff, list_tariffs, load_tariff_file,
)
from munigrid.models.tariffs.meter import BILL_STEPS_MIN
from munigrid.models.tariffs.tariff import Tariff
from munigrid.models.tariffs.terms import DemandCharge, EnergyBlocks, TariffCostTerms

__all__ = [
    "BILL_STEPS_MIN",
    "Bill", "DemandCharge", "EnergyBlocks", "ExportRule", "FtSchedule", "Tariff", "TariffCostTerms",
    "TariffInfo", "apply_overrides", "get_tariff", "list_tariffs", "load_tariff_file",
    "round_half_up",
]
