"""Physics, tariffs, optimisation, simulation and finance of munigrid.

Everything here takes plain inputs (numpy arrays, pandas objects, dataclasses) and never
imports :mod:`munigrid.scenarios` or :mod:`munigrid.forecasting`.
"""
