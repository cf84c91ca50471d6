"""Charts of the workspace's own pages (sweep members, tomorrow's schedule) as plotly JSON, and plotly.js.

plotly.js comes from the installed ``plotly`` package (the same file the reports inline) and
is served by the workspace itself: nothing is fetched from a CDN.
"""

from __future__ import annotations

from functools import lru_cache

import plotly.graph_objects as go

from munigrid.solver_runs.report.charts import COLOURS, base_layout

SCHEDULE_TRACES = (("load_p50_kw", "load", "lines"), ("pv_p50_kw", "pv", "lines"),
                   ("battery_setpoint_kw", "discharge", "lines"), ("expected_import_kw", "import", "lines"))


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js of the installed plotly package."""
    import plotly.offline

    return plotly.offline.get_plotlyjs()


def _json(fig: go.Figure) -> dict:
    return fig.to_plotly_json()


def sweep_figure(info: dict, t) -> dict | None:
    """Bill after the project [THB] of each sweep member, and its self-sufficiency [%]."""
    rows = {name: kpis for name, kpis in info.get("kpis", {}).items() if kpis.get("cost_after_thb") is not None}
    if not rows:
        return None
    names = list(rows)
    fig = go.Figure([
        go.Bar(x=names, y=[rows[n]["cost_after_thb"] for n in names], name=t("col_cost_after_thb"),
               marker_color=COLOURS["import"]),
        go.Scatter(x=names, y=[rows[n].get("self_sufficiency_pct") for n in names], name=t("col_self_sufficiency_pct"),
                   yaxis="y2", mode="lines+markers", marker_color=COLOURS["pv"])])
    fig.update_layout(**base_layout(yaxis={"title": {"text": t("col_cost_after_thb")}},
                                    yaxis2={"title": {"text": t("col_self_sufficiency_pct")}, "overlaying": "y",
                                            "side": "right"},
                                    xaxis={"title": {"text": t("col_member")}}))
    return _json(fig)


def schedule_figure(rows: list[dict], t) -> dict:
    """Tomorrow's schedule: load and PV forecasts (P50), battery set point (+ charge) and expected import [kW]."""
    time = [r[next(iter(r))] for r in rows]
    traces = [go.Scatter(x=time, y=[r.get(column) for r in rows], name=column, mode=mode,
                         line={"color": COLOURS[colour], "shape": "hv"})
              for column, colour, mode in SCHEDULE_TRACES if rows and column in rows[0]]
    fig = go.Figure(traces)
    fig.update_layout(**base_layout(yaxis={"title": {"text": t("axis_power_kw")}}))
    return _json(fig)
