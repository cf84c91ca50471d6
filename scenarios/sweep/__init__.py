"""Sweeps and portfolios: many scenarios from one spec, run locally or on a Dask cluster, resumable.

Public API: :func:`munigrid.scenarios.sweep.engine.run_sweep` and ``make_plan``;
:class:`munigrid.scenarios.sweep.spec.SweepSpec` and ``parse_sweep``. This package file imports
nothing, so that the scenario schema can import :mod:`.spec` without a cycle.
"""
