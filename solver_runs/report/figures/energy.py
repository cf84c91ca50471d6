r"""Energy and bill charts: monthly energy, monthly bills, monthly peaks, load-duration curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr

from munigrid.models.timegrid import step_hours
from munigrid.solver_runs.report.charts import (COLOURS, base_layout, downsample_sorted, hide_after_first_group,
                                                month_axis, selector)
from munigrid.solver_runs.report.figures.series import building_kw, monthly_max_kw, monthly_mwh, site_kw
from munigrid.solver_runs.report.i18n import Labels

DURATION_MAX_POINTS = 1500


def _bars(fig: go.Figure, months: list[str], values: pd.Series, name: str, colour: str, unit: str) -> None:
    fig.add_bar(x=months, y=values.reindex(months).to_numpy(), name=name, marker_color=colour,
                hovertemplate=f"{name}: %{{y:,.1f}} {unit}<extra></extra>")


def monthly_energy(results: xr.Dataset, t: Labels) -> go.Figure:
    r"""Site energy per month [MWh]: grid import before the project (the whole load), solar used
    and grid import after; the drop from before to after is what PV and battery supply."""
    before = monthly_mwh(site_kw(results, "baseline_import_kw"))
    months = list(before.index)
    fig = go.Figure()
    _bars(fig, months, before, t("grid_import_before"), COLOURS["before"], "MWh")
    _bars(fig, months, monthly_mwh(site_kw(results, "pv_used_kw")), t("pv_used"), COLOURS["pv"], "MWh")
    _bars(fig, months, monthly_mwh(site_kw(results, "import_kw")), t("grid_import_after"), COLOURS["import"], "MWh")
    fig.update_layout(**base_layout(barmode="group", xaxis=month_axis(months, t),
                                    yaxis={"title": {"text": t("axis_energy_mwh")}, "tickformat": ",.0f"}))
    return fig


def monthly_bill(bills_after: pd.DataFrame, bills_before: pd.DataFrame | None, t: Labels) -> go.Figure:
    """Site electricity bill per month [THB, Ft and VAT included], before (when stored) and after."""
    after = bills_after.groupby("month")["total_thb"].sum()
    months = sorted(set(after.index) | (set(bills_before["month"]) if bills_before is not None else set()))
    unit = t("unit_thb")
    fig = go.Figure()
    if bills_before is not None:
        _bars(fig, months, bills_before.groupby("month")["total_thb"].sum(), t("before"), COLOURS["before"], unit)
    _bars(fig, months, after, t("after"), COLOURS["import"], unit)
    fig.update_layout(**base_layout(barmode="group", xaxis=month_axis(months, t),
                                    yaxis={"title": {"text": t("axis_bill_thb")}, "tickformat": ",.0f"}))
    return fig


def monthly_peaks(results: xr.Dataset, t: Labels) -> go.Figure:
    """Highest import of each month per meter [kW], before and after; a selector picks the
    building, and the site group shows the sum of the meters' monthly peaks."""
    names = [str(b) for b in results["building"].values]
    before = {b: monthly_max_kw(building_kw(results, "baseline_import_kw", b)) for b in names}
    after = {b: monthly_max_kw(building_kw(results, "import_kw", b)) for b in names}
    groups = {t("site_total"): (sum(before.values()), sum(after.values()))}
    groups.update({b: (before[b], after[b]) for b in names})
    months = list(before[names[0]].index)
    fig = go.Figure()
    for peak_before, peak_after in groups.values():
        _bars(fig, months, peak_before, t("peak_before"), COLOURS["before"], "kW")
        _bars(fig, months, peak_after, t("peak_after"), COLOURS["import"], "kW")
    hide_after_first_group(fig, 2)
    fig.update_layout(**base_layout(barmode="group", xaxis=month_axis(months, t),
                                    yaxis={"title": {"text": t("axis_power_kw")}, "tickformat": ",.0f"},
                                    updatemenus=selector(list(groups), [2] * len(groups))))
    return fig


def load_duration(results: xr.Dataset, t: Labels) -> go.Figure:
    r"""Site load, import before and import after sorted from highest to lowest [kW] against
    the hours at or above each level, :math:`h_k = (k + 1)\,\Delta t` for the k-th largest value."""
    step_h = step_hours(results.indexes["time"])
    fig = go.Figure()
    for name, key, colour, dash in (("load_kw", "load", COLOURS["load"], "solid"),
                                    ("baseline_import_kw", "grid_import_before", COLOURS["before"], "dot"),
                                    ("import_kw", "grid_import_after", COLOURS["import"], "solid")):
        values = np.sort(site_kw(results, name).to_numpy())[::-1]
        ranks, thinned = downsample_sorted(values, DURATION_MAX_POINTS)
        fig.add_scatter(x=(ranks + 1) * step_h, y=thinned, mode="lines", name=t(key),
                        line={"color": colour, "dash": dash},
                        hovertemplate=f"{t(key)}: %{{y:,.1f}} kW, %{{x:,.0f}} h<extra></extra>")
    fig.update_layout(**base_layout(xaxis={"title": {"text": t("axis_hours_exceeded")}, "tickformat": ",.0f"},
                                    yaxis={"title": {"text": t("axis_power_kw")}, "tickformat": ",.0f"}))
    return fig
