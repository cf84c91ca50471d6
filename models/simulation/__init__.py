"""Numba simulation core: rule-based dispatch, replay, peaks, outage survival, degradation,
Monte Carlo and sizing sweeps, each kernel called once per scenario (or per batch of samples).
"""
