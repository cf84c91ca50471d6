"""Electricity tariffs: the library, the bill calculator and cost terms for the optimiser.

Usage::

    from munigrid.models.tariffs import FtSchedule, get_tariff, list_tariffs
    tariff = get_tariff("pea-3.2-lt22kv")                 # ids: see list_tariffs()
    bill = tariff.bill(import_kw, ft=0.1972)              # Bill: .monthly DataFrame, .total_thb
    terms = tariff.cost_terms(index, ft=FtSchedule.builtin())  # TariffCostTerms, VAT included

The names below are imported on first use (:mod:`munigrid.models.lazy`), so that listing
the library or checking a tariff id (``munigrid tariffs``, ``munigrid validate``) does not
import pandas.
"""

from munigrid.models.lazy import lazy_exports

# public name -> the submodule that defines it
_EXPORTS = {
    "Bill": "billing", "round_half_up": "billing",
    "ExportRule": "export",
    "FtSchedule": "ft",
    "TariffInfo": "library", "apply_overrides": "library", "get_tariff": "library", "list_tariffs": "library",
    "load_tariff_file": "library", "tariff_ids": "library",
    "BILL_STEPS_MIN": "meter",
    "Tariff": "tariff",
    "DemandCharge": "terms", "EnergyBlocks": "terms", "TariffCostTerms": "terms",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
