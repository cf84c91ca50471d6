"""Charts in two languages, and the pieces every figure shares.

A figure function takes its data and a :class:`~.i18n.Labels` and returns a plotly
``Figure``. :func:`build_chart` calls it once per language and keeps the figure in the
report's language plus, for every language, only the texts that differ: trace names and
hover templates (restyled per trace) and the layout's titles, tick texts, annotation texts
and selector labels (relayout paths such as ``xaxis.title.text``). Switching language in the
page then swaps texts without sending the data twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from munigrid.solver_runs.report.i18n import LANGS, Labels

LAYOUT_TEXT_KEYS = ("text", "label", "ticktext")
TRACE_TEXT_KEYS = ("name", "hovertemplate")
FONT_FAMILY = "'Noto Sans Thai', 'Sarabun', 'Tahoma', 'Segoe UI', 'Helvetica Neue', Arial, sans-serif"
COLOURS = {
    "load": "#222222", "before": "#9e9e9e", "import": "#1f77b4", "pv": "#f2b705", "discharge": "#2ca02c",
    "charge": "#98df8a", "gen": "#8c564b", "export": "#ff7f0e", "shed": "#d62728", "municipality": "#1f77b4",
    "investor": "#ff7f0e", "project": "#7f7f7f",
}


@dataclass(frozen=True)
class Chart:
    """A chart ready for the page.

    Attributes
    ----------
    name : str
        Stable identifier (``data-chart`` in the page).
    figure : dict
        Plotly JSON (``data``, ``layout``) in the report's language.
    texts : dict
        Language -> ``{"traces": {key: [per trace]}, "layout": {path: text}}``.
    """

    name: str
    figure: dict
    texts: dict


def _layout_texts(node, path: str, out: dict) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}" if path else key
            if key in LAYOUT_TEXT_KEYS and (isinstance(value, str) or
                                            (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value))):
                out[sub] = list(value) if isinstance(value, (list, tuple)) else value
            else:
                _layout_texts(value, sub, out)
    elif isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            if isinstance(item, dict):
                _layout_texts(item, f"{path}[{i}]", out)


def texts_of(figure: dict) -> dict:
    """The language-dependent texts of a plotly JSON figure (see the module docstring)."""
    layout: dict = {}
    _layout_texts(figure.get("layout", {}), "", layout)
    traces = {key: [trace.get(key, "") for trace in figure["data"]] for key in TRACE_TEXT_KEYS}
    return {"traces": traces, "layout": layout}


def build_chart(name: str, make: Callable[[Labels], go.Figure], lang: str) -> Chart:
    """Build a figure in every language; keep the data once, in ``lang``."""
    figures = {code: make(Labels(code)).to_plotly_json() for code in LANGS}
    counts = {code: len(fig["data"]) for code, fig in figures.items()}
    if len(set(counts.values())) != 1:
        raise ValueError(f"chart {name}: trace counts differ between languages {counts}")
    return Chart(name, figures[lang], {code: texts_of(fig) for code, fig in figures.items()})


def base_layout(**extra) -> dict:
    """Layout shared by the report's charts (font with Thai glyphs, legend below, tight margins)."""
    layout = {
        "font": {"family": FONT_FAMILY, "size": 13},
        "margin": {"l": 70, "r": 20, "t": 40, "b": 60},
        "legend": {"orientation": "h", "y": -0.2},
        "template": "plotly_white",
        "height": 420,
    }
    layout.update(extra)
    return layout


def selector(labels: Sequence[str], counts: Sequence[int]) -> list[dict]:
    """Dropdown that shows one group of traces at a time.

    Parameters
    ----------
    labels : sequence of str
        Button label of each group.
    counts : sequence of int
        Number of traces of each group, in the order the traces were added.
    """
    total = sum(counts)
    buttons = []
    start = 0
    for label, count in zip(labels, counts):
        visible = [start <= i < start + count for i in range(total)]
        buttons.append({"label": label, "method": "restyle", "args": [{"visible": visible}]})
        start += count
    return [{"buttons": buttons, "direction": "down", "x": 0.0, "xanchor": "left", "y": 1.15, "yanchor": "top",
             "showactive": True}]


def hide_after_first_group(fig: go.Figure, first_count: int) -> None:
    """Make only the first ``first_count`` traces visible (the selector's first group)."""
    for i, trace in enumerate(fig.data):
        trace.visible = i < first_count


def month_axis(months: Sequence[str], t: Labels) -> dict:
    """Category x axis of ``YYYY-MM`` months with tick texts in the language of ``t``."""
    return {"title": {"text": t("axis_month")}, "type": "category", "tickmode": "array",
            "tickvals": list(months), "ticktext": [t.month(m) for m in months]}


def downsample_sorted(values: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Rank positions and values of a sorted series thinned to at most ``max_points`` points.

    The first and last points are kept, so the curve keeps its peak and its base.
    """
    n = len(values)
    if n <= max_points:
        return np.arange(n), values
    ranks = np.unique(np.linspace(0, n - 1, max_points).round().astype(int))
    return ranks, values[ranks]
