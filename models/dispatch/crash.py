r"""A starting basis for the LP from the thermostat's schedule of each pre-cooled zone.

From the all-slack basis the dual simplex needs about one iteration per column that is basic at
the optimum. A zone's temperatures mostly are (the zone drifts freely within its comfort band
at night): on the one-year benchmark office with pre-cooling 5,680 of 8,760, a third of the
18.0k iterations. The thermostat (:func:`~munigrid.models.dispatch.flex.thermostat_baseline`)
already tells where they are likely to be. For each zone row :math:`t`
(:func:`~munigrid.models.dispatch.families_flex.zone_dynamics`):

* thermostat's cooling off (or at full power): :math:`\theta_{t+1}` basic, the zone row
  nonbasic, :math:`q_t` at its bound;
* cooling between its bounds: :math:`q_t` basic, the zone row nonbasic, :math:`\theta_{t+1}`
  at its upper bound (the thermostat holds the top of the band).

Every other row keeps its slack basic. Each zone row gives up its slack for exactly one column
of its own step, and those columns form a lower bidiagonal block with the capacity :math:`C > 0`
on the diagonal (row :math:`t` holds :math:`\theta_t` and :math:`\theta_{t+1}`), so the basis is
square and nonsingular. Where the cooling power is substituted out by its zone row
(:data:`~munigrid.models.dispatch.formulation.DEFINED_BY`), that row becomes the bounds
:math:`0 \le q_t \le \bar q` on the temperatures: the second kind of pair loses its column and
the row keeps its slack basic (cooling between its bounds), the first kind stays (the row at a
bound). HiGHS's dual simplex starts from this basis, after moving each nonbasic column and row
to the bound its reduced cost asks for. Only the path changes: same LP, same optimal cost. On
the benchmark year (``benchmarks/bench_dispatch.py flex``) 18.0k -> 12.2k iterations: the
thermostat's statuses differ from the optimum's at 261 of the 8,760 steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from munigrid.models.dispatch.layout import ModelData
from munigrid.models.dispatch.standard_form import StandardForm

# cooling power within this of a bound counts as at the bound [kW]
AT_BOUND_KW = 1e-9


@dataclass
class Crash:
    """Basis statuses that differ from the all-slack basis, in the numbering of the form they came from.

    Parameters
    ----------
    basic_cols : ndarray of int
        Columns made basic, one per entry of ``rows``.
    rows : ndarray of int
        Rows made nonbasic (at their lower bound), paired with ``basic_cols``.
    upper_cols : ndarray of int
        Nonbasic columns that start at their upper bound (others at their lower bound).
    """

    basic_cols: np.ndarray
    rows: np.ndarray
    upper_cols: np.ndarray

    def renumbered(self, new_col: np.ndarray, new_row: np.ndarray) -> Crash:
        """The crash in another numbering (``-1``: the column or row is gone; its pair is dropped)."""
        col, row = new_col[self.basic_cols], new_row[self.rows]
        both = (col >= 0) & (row >= 0)
        upper = new_col[self.upper_cols]
        return Crash(col[both], row[both], upper[upper >= 0])


def zone_crash(data: ModelData, form: StandardForm) -> Crash | None:
    """The starting statuses of the zone rows and their columns (module docstring); None without zones."""
    rows = {name: (first, stop) for name, first, stop in form.row_families}.get("zone_dynamics")
    if rows is None or "cool_baseline_kw" not in data.params:
        return None
    meter, step = data.sets["MT_zone"]
    cool_shape, temp_shape = data.columns.shape["cool_kw"], data.columns.shape["temp_c"]
    cool_col = data.columns.block("cool_kw").start + np.ravel_multi_index((meter, step), cool_shape)
    temp_col = data.columns.block("temp_c").start + np.ravel_multi_index((meter, step + 1), temp_shape)
    baseline_kw = np.asarray(data.params["cool_baseline_kw"])[meter, step]
    top_kw = data.upper["cool_kw"][meter, step]
    off, full = baseline_kw <= AT_BOUND_KW, baseline_kw >= top_kw - AT_BOUND_KW
    drifting = off | full
    return Crash(basic_cols=np.where(drifting, temp_col, cool_col), rows=np.arange(rows[0], rows[1]),
                 upper_cols=np.concatenate([temp_col[~drifting], cool_col[full & ~off]]))
