"""P10/P50/P90 chart of Monte Carlo samples from ``simulation.nc``."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import xarray as xr

from munigrid.solver_runs.report.charts import base_layout, hide_after_first_group, selector
from munigrid.solver_runs.report.i18n import Labels, all_labels

PERCENTILES = (10, 50, 90)
BINS = 30
ADDITIVE_UNITS = ("THB", "kWh", "MWh")


def sample_variables(simulation: xr.Dataset) -> dict[str, np.ndarray]:
    """Site-level samples per variable: variables over ``sample``; other dims summed for THB and
    kWh variables (e.g. over ``building``); fractions shown as percent; others with extra dims skipped."""
    out = {}
    for name, da in simulation.data_vars.items():
        if "sample" not in da.dims or not np.issubdtype(da.dtype, np.number):
            continue
        extra = [d for d in da.dims if d != "sample"]
        if extra and da.attrs.get("units") not in ADDITIVE_UNITS:
            continue
        values = da.sum(extra).to_numpy() if extra else da.to_numpy()
        values = values[np.isfinite(values)].astype(float)
        if values.size:
            out[str(name)] = 100.0 * values if str(name).endswith("_frac") else values
    return out


def _short(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _metric_label(name: str, t: Labels) -> str:
    key = f"metric_{name}"
    return t(key) if key in all_labels() else name


def distributions(samples: dict[str, np.ndarray], t: Labels) -> go.Figure:
    """Histogram of each variable's samples with vertical lines at its 10th, 50th and 90th
    percentiles; a selector picks the variable."""
    fig = go.Figure()
    for name, values in samples.items():
        counts, edges = np.histogram(values, bins=BINS)
        label = _metric_label(name, t)
        fig.add_bar(x=0.5 * (edges[:-1] + edges[1:]), y=counts, width=np.diff(edges), name=label,
                    marker_color="#1f77b4", opacity=0.8,
                    hovertemplate=f"{label}: %{{x:,.4g}}, %{{y}} {t('axis_samples')}<extra></extra>")
        top = float(counts.max()) * 1.05
        for p, colour in zip(PERCENTILES, ("#d62728", "#222222", "#2ca02c")):
            value = float(np.percentile(values, p))
            line_name = f"P{p}: {_short(value)}"
            fig.add_scatter(x=[value, value], y=[0.0, top], mode="lines", name=line_name,
                            line={"color": colour, "dash": "dash", "width": 2},
                            hovertemplate=f"{t('percentile_line', p=p)}: {_short(value)}<extra></extra>")
    group = 1 + len(PERCENTILES)
    hide_after_first_group(fig, group)
    labels = [_metric_label(n, t) for n in samples]
    fig.update_layout(**base_layout(bargap=0.02, updatemenus=selector(labels, [group] * len(samples)),
                                    yaxis={"title": {"text": t("axis_samples")}}))
    return fig
