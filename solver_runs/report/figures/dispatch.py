r"""Dispatch charts: one week of supply against load, and the battery's state of charge by day and hour.

Power balance of a meter in each step (all [kW], :mod:`munigrid.scenarios.runner` results):

.. math::

    P^{pv,used} + P^{dis} + P^{gen} + P^{imp} + P^{shed} = P^{load} + P^{ch},

so the supply stack stands above the load line by the charging power, drawn below zero.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr

from munigrid.models.errors import InputError
from munigrid.models.timegrid import TZ
from munigrid.solver_runs.report.charts import COLOURS, base_layout, hide_after_first_group, selector
from munigrid.solver_runs.report.figures.series import building_kw, site_kw
from munigrid.solver_runs.report.i18n import Labels

WEEK_DAYS = 7
#: supply stack, bottom to top: (results variable, label key, colour key)
SUPPLY = (("pv_used_kw", "pv_used", "pv"), ("discharge_kw", "battery_discharge", "discharge"),
          ("gen_kw", "generator", "gen"), ("import_kw", "grid_import", "import"), ("shed_kw", "shed", "shed"))
#: supply traces drawn only when not zero all week
OPTIONAL = ("discharge_kw", "gen_kw", "shed_kw")


def pick_week(results: xr.Dataset, week: dt.date | None = None) -> pd.Timestamp:
    """Start of the week to show: midnight of ``week``, or 3 days before the day of the highest
    site import before the project; kept inside the run's horizon.

    Raises
    ------
    InputError
        When ``week`` is outside the run's horizon.
    """
    index = results.indexes["time"]
    first, last = index[0].normalize(), index[-1].normalize()
    if week is not None:
        start = pd.Timestamp(week).tz_localize(TZ)
        if not first <= start <= last:
            raise InputError(f"must be a date from {first.date()} to {last.date()}, got {week}", "week")
        return start
    peak_day = site_kw(results, "baseline_import_kw").idxmax().normalize()
    latest_start = max(first, last - pd.Timedelta(days=WEEK_DAYS - 1))
    return min(max(first, peak_day - pd.Timedelta(days=3)), latest_start)


def _week_traces(fig: go.Figure, frame: pd.DataFrame, t: Labels, group: str) -> int:
    """Add one building's (or the site's) week traces; returns how many were added."""
    count = 0
    for name, key, colour in SUPPLY:
        if name in OPTIONAL and not (frame[name] > 0).any():
            continue
        fig.add_scatter(x=frame.index, y=frame[name], name=t(key), stackgroup=f"supply-{group}", mode="lines",
                        line={"width": 0.5, "color": COLOURS[colour]},
                        hovertemplate=f"{t(key)}: %{{y:,.1f}} kW<extra></extra>")
        count += 1
    if (frame["charge_kw"] > 0).any():
        fig.add_scatter(x=frame.index, y=-frame["charge_kw"], name=t("battery_charge"), stackgroup=f"charge-{group}",
                        mode="lines", line={"width": 0.5, "color": COLOURS["charge"]},
                        hovertemplate=f"{t('battery_charge')}: %{{y:,.1f}} kW<extra></extra>")
        count += 1
    fig.add_scatter(x=frame.index, y=frame["load_kw"], name=t("load"), mode="lines",
                    line={"width": 2, "color": COLOURS["load"]},
                    hovertemplate=f"{t('load')}: %{{y:,.1f}} kW<extra></extra>")
    return count + 1


def dispatch_week(results: xr.Dataset, start: pd.Timestamp, t: Labels) -> go.Figure:
    """Stacked supply (solar, battery, generator, grid) against load over 7 days from ``start`` [kW];
    a selector switches between the site total and each building."""
    week = results.sel(time=slice(start, start + pd.Timedelta(days=WEEK_DAYS) - pd.Timedelta(seconds=1)))
    names = [str(b) for b in week["building"].values]
    columns = [name for name, _, _ in SUPPLY] + ["charge_kw", "load_kw"]
    frames = {t("site_total"): pd.DataFrame({c: site_kw(week, c) for c in columns})}
    frames.update({b: pd.DataFrame({c: building_kw(week, c, b) for c in columns}) for b in names})
    fig = go.Figure()
    counts = [_week_traces(fig, frame, t, str(i)) for i, frame in enumerate(frames.values())]
    hide_after_first_group(fig, counts[0])
    fig.update_layout(**base_layout(hovermode="x unified", updatemenus=selector(list(frames), counts),
                                    yaxis={"title": {"text": t("axis_power_kw")}, "tickformat": ",.0f"}))
    return fig


def soc_heatmap(results: xr.Dataset, t: Labels) -> go.Figure:
    """Mean stored energy of the site's batteries [kWh] in each hour (x) of each day (y)."""
    soc = site_kw(results, "soc_kwh")
    index = soc.index
    table = soc.groupby([index.date, index.hour]).mean().unstack()
    table = table.reindex(columns=range(24))
    days = [d.isoformat() for d in table.index]
    fig = go.Figure(go.Heatmap(z=table.to_numpy(), x=list(range(24)), y=days, coloraxis="coloraxis",
                               hovertemplate="%{y} %{x}:00 — %{z:,.0f} kWh<extra></extra>"))
    fig.update_layout(**base_layout(
        height=max(420, min(900, 2 * len(days) + 120)),
        xaxis={"title": {"text": t("axis_hour")}, "dtick": 2},
        yaxis={"title": {"text": t("axis_day")}, "type": "date", "autorange": "reversed"},
        coloraxis={"colorscale": "Viridis", "colorbar": {"title": {"text": t("axis_soc_kwh")}},
                   "cmin": 0.0, "cmax": float(np.nanmax(table.to_numpy())) if table.size else 1.0}))
    return fig
