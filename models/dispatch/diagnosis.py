r"""Name the constraint families in conflict when a problem is infeasible (elastic re-solve).

Every row gets two non-negative slacks, :math:`l \le A x + s^+ - s^- \le u`, and the LP
:math:`\min \sum (s^+ + s^-)` is solved; the families whose rows need slack are the ones that
cannot all hold together (with the variable bounds, which stay hard). The slack per family,
in the rows' own units, tells how far apart they are.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from munigrid.models.dispatch.highs_backend import run_highs
from munigrid.models.dispatch.problem import SolveOptions
from munigrid.models.dispatch.standard_form import StandardForm

SLACK_TOL = 1e-6


def elastic_diagnosis(form: StandardForm, options: SolveOptions) -> list[str]:
    """Lines naming each family that needs slack, largest total first."""
    n_rows, n_cols = form.n_rows, form.n_cols
    eye = sp.identity(n_rows, format="csc")
    elastic = StandardForm(
        matrix=sp.hstack([form.matrix, eye, -eye], format="csc"), row_lower=form.row_lower, row_upper=form.row_upper,
        cost=np.concatenate([np.zeros(n_cols), np.ones(2 * n_rows)]), offset=0.0,
        col_lower=np.concatenate([form.col_lower, np.zeros(2 * n_rows)]),
        col_upper=np.concatenate([form.col_upper, np.full(2 * n_rows, np.inf)]),
        integer=np.zeros(n_cols + 2 * n_rows, bool), row_families=form.row_families, cost_parts={})
    outcome = run_highs(elastic, options, relax=True)
    if outcome.x is None:
        return ["the variable bounds alone conflict (e.g. a size, limit or state-of-charge share out of range)"]
    slack = outcome.x[n_cols:n_cols + n_rows] + outcome.x[n_cols + n_rows:]
    lines = []
    for name, start, stop in form.row_families:
        part = slack[start:stop]
        if part.max(initial=0.0) > SLACK_TOL:
            count = int((part > SLACK_TOL).sum())
            lines.append((float(part.sum()), f"{name}: {count} row(s) cannot hold, total violation {part.sum():.4g}"))
    return [line for _, line in sorted(lines, reverse=True)] or ["no row family needs slack: numerical trouble"]
