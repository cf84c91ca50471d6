"""The workspace's pages with the real app: editor round trip, messages beside fields, Thai, every page renders."""

from __future__ import annotations

import re

import yaml

from service_support import wait_for
from munigrid.scenarios.service import editor
from munigrid.scenarios.service.i18n import labels
from munigrid.scenarios.service.security import CSRF_COOKIE


def _form_fields(html: str) -> dict[str, str]:
    """Inputs, selects (selected option) and textareas of the editor page, as a browser would post them."""
    fields = {m[0]: m[1] for m in re.findall(r'<input name="(s:[^"]+)" id="[^"]*" value="([^"]*)"', html)}
    for name, body in re.findall(r'<select name="(s:[^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option(?: value="([^"]*)")? selected>([^<]*)</option>', body)
        fields[name] = chosen[1] or chosen[2]
    fields.update(re.findall(r'<textarea name="(s:[^"]+)"[^>]*>(.*?)</textarea>', html, re.S))
    return fields


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_every_label_has_both_languages():
    for key, texts in labels().items():
        assert set(texts) >= {"en", "th"} and all(texts[lang].strip() for lang in ("en", "th")), key


def test_editor_form_round_trips_the_template(client):
    page = client.get("/new?template=tha-yang")
    assert page.status_code == 200
    fields = {k: _unescape(v) for k, v in _form_fields(page.text).items()}
    assert fields["s:battery.energy_kwh"] == "200.0" and fields["s:buildings[0].tariff"] == "pea-3.2-lt22kv"
    from munigrid.scenarios import api

    rebuilt = api.parse_document(editor.document(fields))
    assert rebuilt == api.load("tha-yang").model_copy(update={"sweep": None})


def test_editor_shows_messages_beside_fields_and_runs_a_valid_scenario(client):
    fields = {k: _unescape(v) for k, v in _form_fields(client.get("/new").text).items()}
    csrf = client.cookies[CSRF_COOKIE]
    bad = {**fields, "s:battery.energy_kwh": "-5", "s:time.days": "3", "csrf_token": csrf}
    checked = client.post("/new/check", data=bad).json()["problems"]
    assert [p["path"] for p in checked] == ["battery.energy_kwh"]
    page = client.post("/new", data={**bad, "action": "validate"})
    assert page.status_code == 422
    beside = re.search(r'data-for="battery.energy_kwh">([^<]+)<', page.text)
    assert beside and "greater than or equal to 0" in beside[1]
    download = client.post("/new", data={**bad, "s:battery.energy_kwh": "300", "action": "download"})
    assert yaml.safe_load(download.text)["battery"]["energy_kwh"] == 300
    assert "attachment" in download.headers["content-disposition"]
    run = client.post("/new", data={**bad, "s:battery.energy_kwh": "300", "action": "run", "samples": "0"},
                      follow_redirects=False)
    assert run.status_code == 303 and run.headers["location"].startswith("/jobs/j")
    job_id = run.headers["location"].rsplit("/", 1)[1]
    assert "job-progress" in client.get(f"/jobs/{job_id}").text
    job = wait_for(client, job_id)
    assert job["status"] == "done"
    page = client.get(f"/runs/{job['result']['run_id']}")
    assert page.status_code == 200 and 'id="key-figures"' in page.text and 'id="report"' in page.text


def test_editor_takes_a_meter_file_for_a_building(client):
    import pandas as pd

    fields = {k: _unescape(v) for k, v in _form_fields(client.get("/new").text).items()}
    times = pd.date_range("2026-01-01", periods=3 * 24, freq="h", tz="Asia/Bangkok")
    csv = "time,load_kw\n" + "".join(f"{t.isoformat()},{30 + t.hour}\n" for t in times)
    page = client.post("/new", data={**fields, "s:time.days": "3", "csrf_token": client.cookies[CSRF_COOKIE],
                                     "action": "validate"},
                       files={"file:buildings[0].load_csv": ("office.csv", csv.encode(), "text/csv")})
    assert page.status_code == 200, re.findall(r"<li>.*?</li>", page.text)
    stored = re.search(r'name="s:buildings\[0\].load_csv" id="[^"]*" value="(upload-[0-9a-f]{32}\.csv)"', page.text)
    assert stored, "the upload's server-chosen name is in the form"


def test_editor_adds_and_removes_blocks(client):
    fields = {k: _unescape(v) for k, v in _form_fields(client.get("/new").text).items()}
    csrf = client.cookies[CSRF_COOKIE]
    added = client.post("/new", data={**fields, "csrf_token": csrf, "action": "add:buildings[0].pv_arrays"})
    assert 'name="s:buildings[0].pv_arrays[1].capacity_kwp"' in added.text
    outage = client.post("/new", data={**fields, "csrf_token": csrf, "action": "add:grid.outages"})
    assert 'name="s:grid.outages[0].hours"' in outage.text
    removed = client.post("/new", data={**fields, "csrf_token": csrf, "action": "remove:battery"})
    assert 'name="s:battery.energy_kwh"' not in removed.text and 'value="add:battery"' in removed.text
    odd = client.post("/new", data={**fields, "csrf_token": csrf, "action": "explode:now"})
    assert odd.status_code == 422 and "action" in odd.text


def test_pages_render_and_switch_to_thai(client, run_job):
    run_id = run_job["result"]["run_id"]
    for url in ("/", f"/runs/{run_id}", "/compare", "/sweep", "/finance", f"/finance?run={run_id}", "/operations",
                "/docs", f"/jobs/{run_job['id']}"):
        assert client.get(url).status_code == 200, url
    row = f'<tr data-name="{run_id} '
    assert row in client.get("/?q=tha").text and row not in client.get("/?q=nothing-like-this").text
    switched = client.get("/lang/th?next=/compare", follow_redirects=False)
    assert switched.headers["location"] == "/compare"
    client.cookies.set("munigrid_lang", "th")
    assert labels()["nav_home"]["th"] in client.get("/").text
    client.cookies.set("munigrid_lang", "en")
    assert client.get("/lang/th?next=https://evil.example", follow_redirects=False).headers["location"] == "/"


def test_unknown_ids_and_bad_forms_get_pages_not_tracebacks(client, run_job):
    assert client.get("/runs/nope").status_code == 404
    assert client.get("/sweeps/" + run_job["result"]["run_id"]).status_code == 422  # a run, not a sweep
    assert client.get("/jobs/j0123456789abcdef").status_code == 404
    assert client.get("/compare?runs=nope&runs=other").status_code == 404
    csrf = client.cookies[CSRF_COOKIE]
    sweep = client.post("/sweep", data={"csrf_token": csrf, "scenario": "tha-yang", "field1": "", "values1": ""})
    assert sweep.status_code == 422 and "vary" in sweep.text
    finance = client.post("/finance", data={"csrf_token": csrf, "run": run_job["result"]["run_id"], "years": "many"})
    assert finance.status_code == 422 and re.search(r'data-for="years">[^<]*must be a number', finance.text)
    ops = client.post("/operations", data={"csrf_token": csrf, "scenario": "tha-yang", "day": "soon"})
    assert ops.status_code == 422 and "YYYY-MM-DD" in ops.text


def test_plotly_is_served_by_the_workspace(client):
    reply = client.get("/static/plotly.min.js")
    assert reply.status_code == 200 and "plotly" in reply.text[:2000].lower()
    assert client.get("/static/app.js").status_code == 200
