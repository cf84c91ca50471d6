r"""Compile an instance to the standard form HiGHS takes, family by family.

.. math:: \min_x\ c^\top x + c_0 \quad \text{s.t.}\ \ l^r \le A x \le u^r,\ \ l^c \le x \le u^c,\ \ x_j \in \mathbb{Z}\ (j \in I)

Each constraint family is compiled over its whole index set at once
(:func:`~munigrid.models.dispatch.template_compile.compile_rule`), its rows stacked after the
previous family's; :attr:`StandardForm.row_families` remembers which rows came from which family
(for diagnosis). The matrix is built in compressed-column form for
:meth:`highspy.Highs.passModel`. :attr:`StandardForm.eliminations` lists, in order, which
variable family each defining family (:data:`~munigrid.models.dispatch.formulation.DEFINED_BY`)
may substitute out before the solve (:mod:`munigrid.models.dispatch.reduction`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from munigrid.models.dispatch.formulation import (COST_FAMILIES, CONSTRAINT_FAMILIES, DEFINED_BY, active,
                                                  declare_components)
from munigrid.models.dispatch.layout import ModelData
from munigrid.models.dispatch.template_compile import compile_cost, compile_rule


@dataclass
class StandardForm:
    """Arrays of one instance (see module equation)."""

    matrix: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    row_families: list[tuple[str, int, int]]
    cost_parts: dict[str, tuple[np.ndarray, float]]
    eliminations: tuple[tuple[tuple[int, int], slice], ...] = field(default=())

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.row_lower)

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return len(self.cost)

    def objective(self, x: np.ndarray) -> float:
        r"""Total cost :math:`c^\top x + c_0` at ``x`` [THB].

        Summed elementwise, not with ``@``: a BLAS dot product wakes OpenBLAS worker threads,
        which then spin and take CPU from the HiGHS solve that follows (measured on the one-year
        LP: 65 ms CPU after a plain product, 110 ms after a BLAS one).
        """
        return float(np.sum(self.cost * x)) + self.offset


def compile_instance(data: ModelData) -> StandardForm:
    """Standard form of the instance described by ``data``."""
    model = declare_components(data)
    rows, cols, coefs, lowers, uppers, families = [], [], [], [], [], []
    start = 0
    for name, rule, set_name in active(CONSTRAINT_FAMILIES, data):
        block = compile_rule(model, name, rule, data.sets[set_name], model.component(set_name), data.params,
                             data.columns, data.sets)
        rows.append(block.row + start)
        cols.append(block.col)
        coefs.append(block.coef)
        lowers.append(block.lower)
        uppers.append(block.upper)
        families.append((name, start, start + block.n_rows))
        start += block.n_rows
    n_cols = data.columns.n_cols
    matrix = sp.csc_matrix((np.concatenate(coefs), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(start, n_cols))
    matrix.sum_duplicates()
    cost, offset, parts = np.zeros(n_cols), 0.0, {}
    for name, rule, set_name in active(COST_FAMILIES, data):
        vector, const = compile_cost(model, rule, data.sets[set_name], model.component(set_name), data.params,
                                     data.columns, data.sets)
        parts[name] = (vector, const)
        cost += vector
        offset += const
    col_lower, col_upper = data.bounds_vector()
    rows_of = {name: (first, stop) for name, first, stop in families}
    eliminations = tuple((rows_of[family], data.columns.block(var)) for var, family in DEFINED_BY
                         if family in rows_of and var in data.columns.shape)
    return StandardForm(matrix, np.concatenate(lowers), np.concatenate(uppers), cost, offset, col_lower, col_upper,
                        data.integrality_vector(), families, parts, eliminations)
