r"""Flexible loads of a sampled year: their exogenous inputs cut from the sample's days.

A sampled year (:mod:`munigrid.scenarios.uncertainty`) takes every simulated step
:math:`t = dN + h` from the source step :math:`\sigma_t = \delta_{s,d} N + h` of the day map.
Its flexible loads take their inputs from the same source step: water demand and inflow,
outdoor temperature, coefficient of performance, heat gains, comfort band (occupancy), the
thermal store's COP, and the EV fleets' plugged-in steps and session starts,

.. math:: x_t = \tilde x_{\sigma_t}, \qquad R_{t+1} = \tilde R_{\sigma_t + 1}

where :math:`R` is an EV fleet's energy required at a step boundary (the boundary at the end
of the source step). Inside a day block the source days follow each other, so sessions that
run over midnight stay whole. At a cut (the first step, or a step whose source does not follow
the previous step's) where the vehicles are plugged in but were not in the previous sampled
step, a session starts whose arrival the sample does not contain: like a session over the
horizon's edge, it gets no energy requirement.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

import numpy as np

from munigrid.models.dispatch.flex import EVFleet, FlexLoads


def _map_arrays(obj, join):
    """``obj`` (a flexible-load dataclass) with ``join(name, values)`` applied to every array field
    (and recursively to nested dataclasses such as a zone's store)."""
    changes = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, np.ndarray):
            changes[f.name] = join(f.name, value)
        elif is_dataclass(value):
            changes[f.name] = _map_arrays(value, join)
    return replace(obj, **changes)


def _each_part(flex: FlexLoads, part_map) -> FlexLoads:
    return FlexLoads(pumping=None if flex.pumping is None else part_map(flex.pumping),
                     cooling=None if flex.cooling is None else part_map(flex.cooling),
                     ev=tuple(part_map(fleet) for fleet in flex.ev))


def stacked_flex(years: list[FlexLoads], steps_per_year: int) -> FlexLoads:
    """The flexible loads of consecutive modelled years as one source series (year after year).

    Array fields of length :math:`T` are concatenated; an EV fleet's boundary requirement
    (:math:`T + 1` values) keeps each year's first :math:`T` boundaries and the last year's end.
    Scalar parameters are those of the first year (the scenario's, the same in every year).
    """
    if len(years) == 1:
        return years[0]

    def stack(parts):
        def join(name, value):
            arrays = [getattr(p, name) for p in parts]
            if value.shape[-1] == steps_per_year + 1:
                return np.concatenate([a[..., :steps_per_year] for a in arrays] + [arrays[-1][..., -1:]], axis=-1)
            return np.concatenate(arrays, axis=-1)
        return join

    first = years[0]
    pumping = None if first.pumping is None else _map_arrays(first.pumping, stack([y.pumping for y in years]))
    cooling = None if first.cooling is None else _map_arrays(first.cooling, stack([y.cooling for y in years]))
    ev = tuple(_map_arrays(fleet, stack([y.ev[k] for y in years])) for k, fleet in enumerate(first.ev))
    return FlexLoads(pumping=pumping, cooling=cooling, ev=ev)


def _sampled_fleet(fleet: EVFleet, steps: np.ndarray) -> EVFleet:
    """``fleet`` on the sampled steps (module equation), sessions cut at the sample's edges."""
    plugged = np.asarray(fleet.plugged, bool)[steps]
    start = np.asarray(fleet.session_start, bool)[steps]
    required = np.concatenate([[0.0], np.asarray(fleet.required_kwh, float)[steps + 1]])
    cut = np.ones(len(steps), bool)
    cut[1:] = steps[1:] != steps[:-1] + 1
    was_plugged = np.concatenate([[False], plugged[:-1]])
    for t0 in np.flatnonzero(cut & plugged & ~was_plugged & ~start):
        start[t0] = True
        t = t0
        while t < len(steps) and (t == t0 or not start[t]):
            required[t + 1] = 0.0
            t += 1
    return replace(fleet, plugged=plugged, session_start=start, required_kwh=required)


def sampled_flex(flex: FlexLoads | None, steps: np.ndarray) -> FlexLoads | None:
    """The flexible loads of one sampled year from the source series ``flex`` (module equation);
    ``steps`` is the source step of every simulated step."""
    if flex is None:
        return None

    def cut(part):
        if isinstance(part, EVFleet):
            return _sampled_fleet(part, steps)
        return _map_arrays(part, lambda name, value: value[..., steps])

    return _each_part(flex, cut)
