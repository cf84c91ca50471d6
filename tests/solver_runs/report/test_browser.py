"""The reports in a real browser: headless Chromium, network off, loaded from disk.

Checks: no console errors or uncaught exceptions, no request leaves the file (only
``file:`` and ``data:`` URLs), every chart is drawn with data, the language switch
changes page and chart texts to Thai, and a screenshot is not blank.
"""

from __future__ import annotations

import base64
import io
import json

import pytest
from cdp import Browser, chromium_path

pytestmark = pytest.mark.browser

CHART_STATE = """JSON.stringify(Array.from(document.querySelectorAll('.chart')).map(function (gd) {
  var points = (gd.calcdata || []).reduce(function (n, trace) {
    var first = trace[0] || {};
    return n + (first.z ? first.z.length * (first.z[0] || []).length : trace.length); }, 0);
  return {name: gd.dataset.chart, traces: (gd.data || []).length, points: points,
          drawn: gd.querySelectorAll('.main-svg').length > 0,
          marks: gd.querySelectorAll('.point, .trace path, .hm image, .heatmaplayer image').length};
}))"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for the module (skips when Chromium or Pillow is missing)."""
    if chromium_path() is None:
        pytest.skip("chromium is not on PATH (Debian: apt-get install chromium; .ci/run installs it)")
    pytest.importorskip("PIL", reason="Pillow is needed to check the screenshot (pip install pillow)")
    chrome = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield chrome
    chrome.close()


def _open(browser: Browser, path) -> str:
    """Open ``path`` offline in a new tab; returns the tab's session id once the page has loaded."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session=session)
    browser.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": -1}, session=session)
    browser.events.clear()
    browser.send("Page.navigate", {"url": path.as_uri()}, session=session)
    browser.wait_for("Page.loadEventFired")
    return session


def _evaluate(browser: Browser, session: str, expression: str):
    reply = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                              "awaitPromise": True}, session=session)
    assert "exceptionDetails" not in reply, reply
    return reply["result"]["value"]


def _problems(browser: Browser, session: str) -> list[str]:
    out = []
    for event in browser.events:
        if event.get("sessionId") != session:
            continue
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            out.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
            out.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            out.append(f"log: {params['entry'].get('text')}")
        elif method == "Network.requestWillBeSent" and not params["request"]["url"].startswith(("file:", "data:")):
            out.append(f"network request: {params['request']['url']}")
    return out


def _not_blank(png_b64: str) -> tuple[int, float]:
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(base64.b64decode(png_b64))).convert("RGB")
    colours = len(image.getcolors(maxcolors=1 << 20) or [])
    spread = max(ImageStat.Stat(image.convert("L")).stddev)
    return colours, spread


def test_run_report_in_chromium(browser, full_report):
    session = _open(browser, full_report)
    charts = json.loads(_evaluate(browser, session, CHART_STATE))
    assert len(charts) == 12  # two finance structures: a cash-flow chart each, one tornado; two of resilience
    for chart in charts:
        assert chart["drawn"] and chart["traces"] > 0 and chart["points"] > 0 and chart["marks"] > 0, chart
    assert _problems(browser, session) == []
    shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
    colours, spread = _not_blank(shot)
    assert colours > 50 and spread > 10, (colours, spread)


def test_language_switch_changes_page_and_chart_texts(browser, full_report):
    session = _open(browser, full_report)
    before = _evaluate(browser, session, "document.querySelector('h1').textContent")
    _evaluate(browser, session, "document.getElementById('lang-switch').click(); true")
    state = json.loads(_evaluate(browser, session, """JSON.stringify({
        h1: document.querySelector('h1').textContent, lang: document.documentElement.lang,
        axis: document.querySelector('[data-chart="monthly_energy"]').layout.yaxis.title.text,
        ticks: document.querySelector('[data-chart="monthly_energy"]').layout.xaxis.ticktext.slice(0, 1),
        trace: document.querySelector('[data-chart="dispatch_week"]').data[0].name,
        svgText: document.querySelector('[data-chart="monthly_energy"] .ytitle').textContent,
        dateTicks: Array.from(document.querySelectorAll('[data-chart="dispatch_week"] .xtick text'))
                     .map(function (e) { return e.textContent; }).join(' ')})"""))
    date_ticks = state.pop("dateTicks")
    assert any(month in date_ticks for month in ("ม.ค.", "ก.พ.", "มี.ค.")), date_ticks
    assert before == "Energy report"
    assert state == {"h1": "รายงานพลังงาน", "lang": "th", "axis": "พลังงาน [MWh]", "ticks": ["ม.ค. 2569"],
                     "trace": "แสงอาทิตย์", "svgText": "พลังงาน [MWh]"}
    _evaluate(browser, session, "document.getElementById('lang-switch').click(); true")
    assert _evaluate(browser, session, "document.querySelector('h1').textContent") == "Energy report"
    assert _problems(browser, session) == []


def test_minimal_and_sweep_reports_in_chromium(browser, min_report, sweep_report):
    for report, count in ((min_report, 6), (sweep_report, 2)):
        session = _open(browser, report)
        charts = json.loads(_evaluate(browser, session, CHART_STATE))
        assert len(charts) == count and all(c["drawn"] and c["points"] > 0 for c in charts), charts
        assert _problems(browser, session) == []
