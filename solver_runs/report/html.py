"""One self-contained HTML page: styles, texts in two languages, charts, and plotly.js inlined once.

The page opens from disk with no network: plotly.js (from the installed ``plotly`` package)
is written into the page once, chart data sit in one JSON ``<script>`` block, and the
language switch only swaps texts (``data-en`` / ``data-th`` spans and each chart's texts,
:mod:`.charts`). Files are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import plotly.offline
import plotly.utils

from munigrid.solver_runs.report.charts import Chart
from munigrid.solver_runs.report.i18n import LANGS, PLOTLY_LOCALE_TH, all_labels, check_lang, span

STYLE = """
:root { --ink: #1b1b1b; --muted: #5f6368; --line: #e0e0e0; --accent: #0b6e4f; }
* { box-sizing: border-box; }
body { font-family: 'Noto Sans Thai', 'Sarabun', 'Tahoma', 'Segoe UI', 'Helvetica Neue', Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 24px; line-height: 1.45; }
header { display: flex; justify-content: space-between; align-items: flex-start; gap: 16px;
         border-bottom: 3px solid var(--accent); padding-bottom: 12px; }
h1 { margin: 0 0 4px; font-size: 1.7em; } h2 { margin: 32px 0 8px; font-size: 1.25em; color: var(--accent); }
.meta { color: var(--muted); font-size: 0.92em; }
#lang-switch { border: 1px solid var(--accent); background: #fff; color: var(--accent); border-radius: 4px;
               padding: 6px 14px; font: inherit; cursor: pointer; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 0.88em; }
.card .value { font-size: 1.45em; font-weight: 600; margin-top: 4px; }
.card .detail { color: var(--muted); font-size: 0.85em; }
.chart { width: 100%; min-height: 320px; }
.note { color: var(--muted); font-size: 0.9em; margin: 4px 0 0; }
.missing { background: #f6f6f6; border-left: 4px solid #bdbdbd; padding: 10px 14px; color: var(--muted); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.items th { width: 28%; font-weight: 500; color: var(--muted); }
footer { margin-top: 40px; color: var(--muted); font-size: 0.85em; border-top: 1px solid var(--line); padding-top: 8px; }
@page { size: A4; margin: 12mm; }
@media print { #lang-switch, .modebar, .updatemenu-container { display: none !important; }
               body { max-width: none; padding: 0; } section { break-inside: avoid; } }
"""

SCRIPT = """
(function () {
  Plotly.register(LOCALE_TH);
  var charts = JSON.parse(document.getElementById('report-charts').textContent);
  var config = {responsive: true, displaylogo: false};
  function configFor(lang) { return Object.assign({}, config, {locale: lang === 'th' ? 'th' : 'en-US'}); }
  function setPageTexts(lang) {
    document.documentElement.lang = lang;
    document.querySelectorAll('.i18n').forEach(function (el) { el.textContent = el.dataset[lang]; });
    var button = document.getElementById('lang-switch');
    button.textContent = button.dataset[lang];
    button.dataset.next = lang === 'en' ? 'th' : 'en';
  }
  function setLang(lang) {
    setPageTexts(lang);
    charts.forEach(function (c) {
      var gd = document.getElementById(c.id);
      Plotly.update(gd, c.texts[lang].traces, c.texts[lang].layout);
      Plotly.react(gd, gd.data, gd.layout, configFor(lang));
    });
  }
  var lang = document.documentElement.dataset.lang;
  charts.forEach(function (c) {
    Plotly.newPlot(c.id, c.figure.data, c.figure.layout, configFor(lang));
  });
  document.getElementById('lang-switch').addEventListener('click', function () {
    setLang(this.dataset.next);
  });
  window.addEventListener('beforeprint', function () {
    charts.forEach(function (c) { Plotly.Plots.resize(document.getElementById(c.id)); });
  });
  setPageTexts(lang);
})();
"""


class Page:
    """A report page built section by section.

    Parameters
    ----------
    title_key : str
        Label key of the page title.
    meta_html : str
        Line under the title (run id, site, period), already HTML.
    lang : {"en", "th"}
        Language the page opens in.
    footer_html : str
        Footer line (versions), already HTML.
    """

    def __init__(self, title_key: str, meta_html: str, lang: str = "en", footer_html: str = ""):
        self.lang = check_lang(lang)
        self.title_key = title_key
        self.meta_html = meta_html
        self.footer_html = footer_html
        self.sections: list[str] = []
        self.charts: list[Chart] = []

    def _chart_div(self, chart: Chart) -> str:
        self.charts.append(chart)
        return f'<div class="chart" id="chart-{len(self.charts)}" data-chart="{html.escape(chart.name)}"></div>'

    def section(self, heading_key: str, *parts: str | Chart, anchor: str = "", fields: dict | None = None) -> None:
        """Add a section: a heading (label ``heading_key`` with ``fields`` filled in) and its
        parts (HTML text or charts) in order."""
        body = "".join(self._chart_div(p) if isinstance(p, Chart) else p for p in parts)
        anchor_attr = f' id="{html.escape(anchor)}"' if anchor else ""
        self.sections.append(f"<section{anchor_attr}><h2>{span(heading_key, **(fields or {}))}</h2>{body}</section>")

    def render(self) -> str:
        """The whole page as one HTML string."""
        payload = [{"id": f"chart-{i}", "name": c.name, "figure": c.figure, "texts": c.texts}
                   for i, c in enumerate(self.charts, start=1)]
        data = json.dumps(payload, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False).replace("</", "<\\/")
        labels = all_labels()["language"]
        switch_attrs = " ".join(f'data-{lang}="{html.escape(labels[lang])}"' for lang in LANGS)
        title = all_labels()[self.title_key]
        return (
            f'<!DOCTYPE html>\n<html lang="{self.lang}" data-lang="{self.lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{html.escape(title["en"])} / {html.escape(title["th"])}</title>\n<style>{STYLE}</style>\n'
            f'<script>{plotly.offline.get_plotlyjs()}</script>\n</head>\n<body>\n'
            f'<header><div><h1>{span(self.title_key)}</h1><div class="meta">{self.meta_html}</div></div>'
            f'<button id="lang-switch" type="button" {switch_attrs}>{html.escape(labels[self.lang])}</button></header>\n'
            + "\n".join(self.sections)
            + f'\n<footer>{self.footer_html}</footer>\n'
            f'<script type="application/json" id="report-charts">{data}</script>\n'
            f'<script>{SCRIPT.replace("LOCALE_TH", json.dumps(PLOTLY_LOCALE_TH, ensure_ascii=False))}</script>\n'
            "</body>\n</html>\n"
        )

    def write(self, path: Path) -> Path:
        """Write the page to ``path`` atomically and return ``path``."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(self.render(), encoding="utf-8")
        os.replace(tmp, path)
        return path
