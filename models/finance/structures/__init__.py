"""Ownership structures used for Thai municipal PV and storage, one module each."""

from munigrid.models.finance.structures.base import Structure
from munigrid.models.finance.structures.esco import EscoGuaranteedSavings, EscoSharedSavings
from munigrid.models.finance.structures.municipal import MunicipalOwnership
from munigrid.models.finance.structures.ppa import Ppa
from munigrid.models.finance.structures.ppp import PppAvailability

#: structure name -> class, for the CLI and scenario files
STRUCTURES: dict[str, type] = {cls.name: cls for cls in (
    MunicipalOwnership, EscoSharedSavings, EscoGuaranteedSavings, Ppa, PppAvailability)}

__all__ = ["STRUCTURES", "EscoGuaranteedSavings", "EscoSharedSavings", "MunicipalOwnership", "Ppa",
           "PppAvailability", "Structure"]
