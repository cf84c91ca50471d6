r"""Resilience charts of ``resilience.nc``: the survival curve and the survival by start day and hour.

``survived_h`` (time x building) holds the hours the critical load is served in an outage
starting at each step (:mod:`munigrid.scenarios.resilience`); the share of starts surviving a
duration :math:`d` is :math:`P(S \ge d) = \frac{1}{T}\,\#\{t_0 : S_{t_0} \ge d\}`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr

from munigrid.solver_runs.report.charts import base_layout, hide_after_first_group, selector
from munigrid.solver_runs.report.i18n import Labels

#: points of the survival curve per building
CURVE_POINTS = 400


def survival_by_building(resilience: xr.Dataset) -> dict[str, pd.Series]:
    """Survival hours by start time of every building that has them (not all NaN) [h]."""
    survived = resilience["survived_h"]
    out = {}
    for name in survived["building"].values:
        series = survived.sel(building=name).to_series()
        if series.notna().any():
            out[str(name)] = series.dropna()
    return out


def survival_curve(survived: dict[str, pd.Series], max_h: float, t: Labels) -> go.Figure:
    """Share of start steps [%] whose outage the critical load survives for at least each
    duration [h], one line per building."""
    fig = go.Figure()
    durations = np.linspace(0.0, max_h, CURVE_POINTS)
    for name, hours in survived.items():
        values = np.sort(hours.to_numpy())
        share = 100.0 * (1.0 - np.searchsorted(values, durations - 1e-9, side="left") / values.size)
        fig.add_scatter(x=durations, y=share, mode="lines", name=name, line={"shape": "hv"},
                        hovertemplate=f"{name}: %{{x:,.1f}} h — %{{y:.1f}} %<extra></extra>")
    fig.update_layout(**base_layout(
        xaxis={"title": {"text": t("axis_outage_h")}, "range": [0.0, max_h]},
        yaxis={"title": {"text": t("axis_survive_pct")}, "range": [0.0, 100.0]}))
    return fig


def survival_heatmap(survived: dict[str, pd.Series], max_h: float, t: Labels) -> go.Figure:
    """Hours survived [h] by the outage's start hour (x) and day (y); a selector picks the building."""
    fig = go.Figure()
    days: list[str] = []
    for name, hours in survived.items():
        index = hours.index
        table = hours.groupby([index.date, index.hour]).mean().unstack().reindex(columns=range(24))
        days = [d.isoformat() for d in table.index]
        fig.add_heatmap(z=table.to_numpy(), x=list(range(24)), y=days, coloraxis="coloraxis", name=name,
                        hovertemplate=f"{name} %{{y}} %{{x}}:00 — %{{z:,.1f}} h<extra></extra>")
    hide_after_first_group(fig, 1)
    fig.update_layout(**base_layout(
        height=max(420, min(900, 2 * len(days) + 120)), updatemenus=selector(list(survived), [1] * len(survived)),
        xaxis={"title": {"text": t("axis_start_hour")}, "dtick": 2},
        yaxis={"title": {"text": t("axis_start_day")}, "type": "date", "autorange": "reversed"},
        coloraxis={"colorscale": "Viridis", "cmin": 0.0, "cmax": max_h,
                   "colorbar": {"title": {"text": t("axis_survived_h")}}}))
    return fig
