"""Sweep charts: the members of a sweep compared on their site totals."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from munigrid.solver_runs.report.charts import base_layout
from munigrid.solver_runs.report.i18n import Labels


def member_costs(table: pd.DataFrame, labels: dict[int, str], t: Labels) -> go.Figure:
    """Bill after the project of each finished member [THB], one bar series per site, with the
    bill before as a marker.

    Parameters
    ----------
    table : pandas.DataFrame
        Finished rows of the sweep's member table (``member, site, cost_before_thb, cost_after_thb``).
    labels : dict of int to str
        Axis label of each member (its parameter values).
    """
    unit = t("unit_thb")
    fig = go.Figure()
    for site, rows in table.groupby("site", sort=False):
        x = [labels[m] for m in rows["member"]]
        fig.add_bar(x=x, y=rows["cost_after_thb"], name=f"{site}: {t('after')}",
                    hovertemplate=f"{site} %{{x}}: %{{y:,.0f}} {unit}<extra></extra>")
        fig.add_scatter(x=x, y=rows["cost_before_thb"], mode="markers", name=f"{site}: {t('before')}",
                        marker={"symbol": "line-ew-open", "size": 18, "line": {"width": 2}},
                        hovertemplate=f"{site} %{{x}} ({t('before')}): %{{y:,.0f}} {unit}<extra></extra>")
    fig.update_layout(**base_layout(barmode="group", xaxis={"title": {"text": t("axis_member")}, "type": "category"},
                                    yaxis={"title": {"text": t("axis_bill_thb")}, "tickformat": ",.0f"}))
    return fig


def member_tradeoff(table: pd.DataFrame, labels: dict[int, str], t: Labels) -> go.Figure:
    """Self-sufficiency [%] against the bill after the project [THB] of each finished member."""
    unit = t("unit_thb")
    fig = go.Figure()
    for site, rows in table.groupby("site", sort=False):
        fig.add_scatter(x=rows["cost_after_thb"], y=rows["self_sufficiency_pct"], mode="markers", name=str(site),
                        text=[labels[m] for m in rows["member"]], marker={"size": 10},
                        hovertemplate=f"%{{text}}: %{{x:,.0f}} {unit}, %{{y:.1f}} %<extra></extra>")
    fig.update_layout(**base_layout(xaxis={"title": {"text": t("axis_bill_thb")}, "tickformat": ",.0f"},
                                    yaxis={"title": {"text": t("axis_self_sufficiency_pct")}}))
    return fig
