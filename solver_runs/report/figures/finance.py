"""Finance charts from ``finance/*.csv``: cash flows by party and the NPV tornado."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from munigrid.solver_runs.report.charts import COLOURS, base_layout, hide_after_first_group, selector
from munigrid.solver_runs.report.i18n import Labels, all_labels

#: party -> column holding its yearly cash flow
FLOW_COLUMN = {"municipality": "equity_thb", "investor": "equity_thb", "project": "net_thb"}


def _party_label(party: str, t: Labels) -> str:
    return t(party) if party in all_labels() else party


def cash_flows(tables: dict[str, pd.DataFrame], t: Labels) -> go.Figure:
    """Yearly cash flow of each party [THB] as bars and its running total as a line.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        ``municipality``, ``investor`` and/or ``project`` tables with columns ``year``, the
        flow column of :data:`FLOW_COLUMN` and ``cumulative_thb``.
    """
    unit = t("unit_thb")
    fig = go.Figure()
    for party in FLOW_COLUMN:
        table = tables.get(party)
        if table is None or party == "project" and len(tables.keys() & {"municipality", "investor"}):
            continue
        name = _party_label(party, t)
        fig.add_bar(x=table["year"], y=table[FLOW_COLUMN[party]], name=f"{name} ({t('yearly')})",
                    marker_color=COLOURS[party], opacity=0.75,
                    hovertemplate=f"{name}: %{{y:,.0f}} {unit}<extra></extra>")
        fig.add_scatter(x=table["year"], y=table["cumulative_thb"], name=f"{name} ({t('cumulative')})",
                        mode="lines+markers", line={"color": COLOURS[party]},
                        hovertemplate=f"{name} ({t('cumulative')}): %{{y:,.0f}} {unit}<extra></extra>")
    fig.update_layout(**base_layout(barmode="group", hovermode="x unified",
                                    xaxis={"title": {"text": t("axis_year")}, "dtick": 1},
                                    yaxis={"title": {"text": t("axis_cash_thb")}, "tickformat": ",.0f"}))
    return fig


def _driver_label(driver: str, t: Labels) -> str:
    key = f"driver_{driver}"
    return t(key) if key in all_labels() else driver


def tornado(table: pd.DataFrame, t: Labels) -> go.Figure:
    r"""NPV swing of each driver [THB] around the base case, largest first; a selector picks the party.

    Each driver is a bar from the base NPV to the NPV at its low value and one to its high value:
    ``base = npv_base_thb``, ``x = npv_{low,high}_thb - npv_base_thb``.
    """
    unit = t("unit_thb")
    parties = list(dict.fromkeys(table["party"]))
    drivers = list(dict.fromkeys(table.sort_values("swing_thb", ascending=False)["driver"]))
    fig = go.Figure()
    for party in parties:
        rows = table[table["party"] == party].set_index("driver").reindex(drivers)
        base = rows["npv_base_thb"].to_numpy()
        for side, key, colour in (("low", "low_case", "#d62728"), ("high", "high_case", "#2ca02c")):
            fig.add_bar(y=drivers, x=rows[f"npv_{side}_thb"].to_numpy() - base, base=base, orientation="h",
                        name=t(key), marker_color=colour,
                        customdata=rows[f"npv_{side}_thb"].to_numpy(),
                        hovertemplate=f"{t(key)}: %{{customdata:,.0f}} {unit}<extra></extra>")
    hide_after_first_group(fig, 2)
    fig.update_layout(**base_layout(
        barmode="overlay", height=max(320, 60 * len(drivers) + 140),
        updatemenus=selector([_party_label(p, t) for p in parties], [2] * len(parties)),
        xaxis={"title": {"text": t("axis_npv_thb")}, "tickformat": ",.0f"},
        yaxis={"type": "category", "autorange": "reversed", "tickmode": "array", "tickvals": drivers,
               "ticktext": [_driver_label(d, t) for d in drivers]}))
    return fig
