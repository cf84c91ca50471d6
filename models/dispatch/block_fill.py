r"""Block amounts and fill-in-order binaries that match a schedule (MIP start for non-convex blocks).

The LP relaxation of non-convex energy blocks (:mod:`munigrid.models.dispatch.families_tariff`)
may fill a cheap later block before the earlier ones. Its flows are still feasible, so the MIP
start keeps them and rebuilds the block part from the period energy
:math:`Y_{i,p} = y_{i,\mathrm{last}(p)}` alone (per block or tier set :math:`s`, index left out): with block widths :math:`W_{i,p,b}` and
:math:`S_{i,p,b} = \sum_{b' \le b} W_{i,p,b'}`,

.. math::

    e_{i,p,b} = \min\big(W_{i,p,b},\ \max(0,\ Y_{i,p} - S_{i,p,b} + W_{i,p,b})\big), \qquad
    z_{i,p,b} = [\,Y_{i,p} \ge S_{i,p,b}\,], \qquad B_{i,p} = \sum_b \pi_{i,b}\, e_{i,p,b}

which satisfies every block row exactly, so the start is as feasible as the flows it comes from.
"""

from __future__ import annotations

import numpy as np

from munigrid.models.dispatch.layout import ModelData


def _view(data: ModelData, x: np.ndarray, name: str) -> np.ndarray:
    return x[data.columns.block(name)].reshape(data.columns.shape[name])


def filled_blocks(data: ModelData, x: np.ndarray) -> np.ndarray:
    """A copy of ``x`` whose block amounts, binaries and block charges follow its period energies."""
    if "block_is_full" not in data.columns.shape:
        return x
    out = np.array(x, dtype=float, copy=True)
    cum = _view(data, out, "cum_import_kwh")  # (M, S, T)
    last = np.asarray(data.params["period_last_step"])  # (M, P)
    energy_kwh = np.take_along_axis(cum, np.repeat(last[:, None, :], cum.shape[1], axis=1), axis=2)  # (M, S, P)
    width = np.asarray(data.params["block_width_kwh"])
    filled_to = np.cumsum(width, axis=3)
    amount = np.minimum(width, np.maximum(0.0, energy_kwh[..., None] - filled_to + width))
    full = (energy_kwh[..., None] >= filled_to[..., :-1]).astype(float)
    _view(data, out, "block_kwh")[...] = amount
    _view(data, out, "block_is_full")[...] = np.minimum(full, data.upper["block_is_full"])
    rows = np.zeros(width.shape[:3], bool)
    rows[data.sets["MP_blocks_mip"]] = True
    price = np.asarray(data.params["block_price_thb_per_kwh"])
    charge = _view(data, out, "block_thb")
    charge[rows] = np.einsum("mspb,msb->msp", amount, price)[rows]
    return out
