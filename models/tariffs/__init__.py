"""Electricity tariffs: the library, the bill calculator and cost terms for the optimiser."""
