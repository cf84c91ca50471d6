"""The scenario editor keeps several batteries and shared connections through a form round trip."""

from __future__ import annotations

from munigrid.scenarios.service import editor


def _fields(groups):
    for group in groups:
        yield from group.fields
        yield from _fields(group.groups)


def test_batteries_and_connections_survive_the_form():
    doc = {"name": "campus", "buildings": [{"name": "office"}, {"name": "school"}],
           "batteries": [{"name": "lfp", "building": "office", "energy_kwh": 100.0, "power_kw": 50.0}],
           "connections": [{"name": "campus_meter", "buildings": ["office", "school"]}]}
    form = {f.name: f.value for f in _fields(editor.sections(doc, ("pea-3.2-lt22kv",)))}
    assert form["s:connections[0].buildings"] == "[office, school]"
    back = editor.document(form)
    assert back["batteries"] == doc["batteries"] and back["connections"] == doc["connections"]


def test_add_a_battery_and_a_connection():
    doc = {"buildings": [{"name": "office"}, {"name": "school"}]}
    doc = editor.apply_action(editor.apply_action(doc, "add:batteries"), "add:connections")
    assert doc["batteries"][0]["building"] == "office"
    assert doc["connections"] == [{"name": "connection_1", "buildings": ["office", "school"]}]
