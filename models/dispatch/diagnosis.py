r"""Name the constraint families in conflict when a problem is infeasible (elastic re-solve).

Every row gets two non-negative slacks, :math:`l \le A x + s^+ - s^- \le u`, and the LP
:math:`\min \sum (s^+ + s^-)` is solved; the families whose rows need slack are the ones that
cannot all hold together (with the variable bounds, which stay hard). The slack per family,
in the rows' own units, tells how far apart they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from munigrid.models.dispatch.formulation import CONSTRAINT_FAMILIES, active
from munigrid.models.dispatch.layout import ModelData
from munigrid.models.dispatch.highs_backend import run_highs
from munigrid.models.dispatch.problem import SolveOptions
from munigrid.models.dispatch.standard_form import StandardForm

SLACK_TOL = 1e-6


@dataclass(frozen=True)
class Conflict:
    """Rows of one constraint family on one meter that cannot hold together with the rest.

    Parameters
    ----------
    family : str
        Constraint family, e.g. ``power_balance``.
    meter : int or None
        Meter index (``None`` for site-wide rows such as a budget).
    steps : numpy.ndarray
        Time steps of those rows (empty for rows without a step).
    violation : float
        Total slack they need, in the rows' own units.
    """

    family: str
    meter: int | None
    steps: np.ndarray
    violation: float


def conflicts(data: ModelData, form: StandardForm, slack: np.ndarray) -> list[Conflict]:
    """Where the slack of :func:`elastic_slack` sits: family, meter and steps, largest first.

    Row :math:`k` of a family is the :math:`k`-th member of its index set
    (:mod:`munigrid.models.dispatch.standard_form`); the first position of a set is the meter,
    and in sets over steps (``T`` in the set name's first part) the last position is the step.
    """
    set_of = {name: set_name for name, _, set_name in active(CONSTRAINT_FAMILIES, data)}
    out = []
    for name, start, stop in form.row_families:
        rows = np.flatnonzero(slack[start:stop] > SLACK_TOL)
        if not len(rows) or name not in set_of:
            continue
        index = data.sets[set_of[name]]
        timed = "T" in set_of[name].split("_")[0]
        meters = index[0][rows] if not set_of[name].startswith("ONE") else np.full(len(rows), -1)
        for meter in np.unique(meters):
            mine = rows[meters == meter]
            out.append(Conflict(name, None if meter < 0 else int(meter),
                                np.asarray(index[-1][mine]) if timed else np.zeros(0, np.int64),
                                float(slack[start + mine].sum())))
    return sorted(out, key=lambda c: -c.violation)


def elastic_slack(form: StandardForm, options: SolveOptions) -> np.ndarray | None:
    """Slack each row needs in the elastic LP of the module docstring (``None`` when even the
    variable bounds conflict)."""
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
        return None
    return outcome.x[n_cols:n_cols + n_rows] + outcome.x[n_cols + n_rows:]


def elastic_diagnosis(form: StandardForm, slack: np.ndarray | None) -> list[str]:
    """Lines naming each family that needs ``slack`` (from :func:`elastic_slack`), largest total first."""
    if slack is None:
        return ["the variable bounds alone conflict (e.g. a size, limit or state-of-charge share out of range)"]
    lines = []
    for name, start, stop in form.row_families:
        part = slack[start:stop]
        if part.max(initial=0.0) > SLACK_TOL:
            count = int((part > SLACK_TOL).sum())
            lines.append((float(part.sum()), f"{name}: {count} row(s) cannot hold, total violation {part.sum():.4g}"))
    return [line for _, line in sorted(lines, reverse=True)] or [
        "every row can hold with the generator on/off and the block binaries relaxed: the conflict needs them "
        "(e.g. a generator minimum load the site cannot absorb), or the numbers are badly scaled"]
