"""The scenario editor's form: a scenario document as named fields, and back.

Each input is named ``s:`` plus the field's path in the scenario file
(``s:buildings[0].pv_arrays[0].tilt_deg``), the same path the schema's messages carry, so
a message is shown beside its field. Lists (buildings, PV arrays, outages, batteries, shared
connections) and the optional battery and generator are added and removed by the form's
``add:``/``remove:`` actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from munigrid.models.errors import InputError
from munigrid.scenarios.schema import BUILDING_KINDS

PREFIX = "s:"
PART = re.compile(r"([a-z_][a-z0-9_]*)|\[(\d+)\]")
#: Fields kept as text (everything else is read as YAML: numbers, true/false).
TEXT_FIELDS = {"name", "description", "notes", "tariff", "building", "kind", "load_csv", "file", "source",
               "start", "mode", "ft_fallback"}
CHOICES = {"kind": BUILDING_KINDS, "step_min": (15, 60), "source": ("synthetic", "file"),
           "mode": ("dispatch", "sizing"), "ft_fallback": ("error", "last_known")}
SECTIONS = ("scenario", "site", "time", "weather", "buildings", "battery", "batteries", "generator", "connections",
            "grid", "sizing", "tariffs", "optimisation", "emissions")
#: Lists of blocks the form shows and adds to (a connection's ``buildings`` is one YAML field).
BLOCK_LISTS = ("buildings", "pv_arrays", "outages", "batteries", "connections")
LONG_TEXT = {"description", "notes"}


def _new_items(doc: dict) -> dict[str, dict]:
    first = doc["buildings"][0]["name"] if doc.get("buildings") else "building"
    start = str(doc.get("time", {}).get("start", "2026-01-01"))
    return {"buildings": {"name": f"building_{len(doc.get('buildings', [])) + 1}", "kind": "office",
                          "annual_kwh": 50000, "tariff": "pea-3.2-lt22kv", "roof_area_m2": 0},
            "pv_arrays": {"name": "roof", "capacity_kwp": 10.0, "tilt_deg": 15.0, "azimuth_deg": 180.0},
            "outages": {"start": f"{start}T13:00:00", "hours": 2.0},
            "battery": {"building": first, "energy_kwh": 100.0, "power_kw": 50.0},
            "batteries": {"name": f"battery_{len(doc.get('batteries', [])) + 1}", "building": first,
                          "energy_kwh": 100.0, "power_kw": 50.0},
            "connections": {"name": f"connection_{len(doc.get('connections', [])) + 1}",
                            "buildings": [b.get("name", "") for b in doc.get("buildings", [])[:2]]},
            "generator": {"building": first, "rating_kw": 50.0}}


def parts(path: str) -> list[str | int]:
    """``buildings[0].pv_arrays[1].tilt_deg`` -> ``["buildings", 0, "pv_arrays", 1, "tilt_deg"]``."""
    out: list[str | int] = []
    for name, index in PART.findall(path):
        out.append(name if name else int(index))
    return out


def _read(value: str, key: str):
    if key in TEXT_FIELDS:
        return value
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError:
        return value  # the schema names the field and says what it expects


def document(form: dict[str, str]) -> dict:
    """The scenario document of the editor's fields (empty fields are left out: their defaults apply)."""
    doc: dict = {}
    for name, text in form.items():
        if not name.startswith(PREFIX) or str(text).strip() == "":
            continue
        keys = parts(name[len(PREFIX):])
        if not keys or not isinstance(keys[-1], str):
            continue
        node = doc
        for key, following in zip(keys, keys[1:]):
            default = {} if isinstance(following, str) else []
            if isinstance(node, list):
                while len(node) <= key:
                    node.append(None)
                node[key] = node[key] if node[key] is not None else default
                node = node[key]
            else:
                node = node.setdefault(key, default)
        node[keys[-1]] = _read(str(text).strip(), keys[-1])
    return _drop_holes(doc)


def _drop_holes(node):
    if isinstance(node, dict):
        return {k: _drop_holes(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_drop_holes(v) for v in node if v is not None]
    return node


def apply_action(doc: dict, action: str) -> dict:
    """``add:buildings``, ``add:buildings[0].pv_arrays``, ``add:battery``, ``remove:grid.outages[1]``, ..."""
    verb, _, path = action.partition(":")
    keys = parts(path)
    if verb not in ("add", "remove") or not keys:
        raise InputError(f"unknown editor action {action!r}", "action")
    parent = doc
    for key in keys[:-1]:
        parent = parent[key] if isinstance(parent, list) else parent.setdefault(key, {})
    last = keys[-1]
    if verb == "remove":
        if isinstance(parent, list) and last < len(parent):
            parent.pop(last)
        elif isinstance(parent, dict):
            parent.pop(last, None)
        return doc
    item = _new_items(doc).get(last if isinstance(last, str) else "", {})
    if last in ("battery", "generator"):
        parent[last] = item
    else:
        parent.setdefault(last, []).append(item)
    return doc


@dataclass
class Field:
    """One input of the form."""

    path: str
    value: str
    choices: tuple = ()
    long: bool = False

    @property
    def name(self) -> str:
        """The input's name."""
        return PREFIX + self.path

    @property
    def label(self) -> str:
        """The field's own name (its last path part)."""
        return parts(self.path)[-1]


@dataclass
class Group:
    """Fields of one block (the site, a building, an array, an outage), with the lists it holds."""

    path: str
    fields: list[Field] = field(default_factory=list)
    groups: list["Group"] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    removable: bool = False


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _group(path: str, node: dict, tariff_ids: tuple, building_names: tuple, removable: bool = False) -> Group:
    group = Group(path, removable=removable)
    for key, value in node.items():
        sub = f"{path}.{key}" if path else key
        if isinstance(value, list) and key in BLOCK_LISTS and not path.startswith("connections["):
            group.lists.append(sub)
            group.groups += [_group(f"{sub}[{i}]", item, tariff_ids, building_names, True) for i, item in enumerate(value)]
        elif isinstance(value, dict):
            group.groups.append(_group(sub, value, tariff_ids, building_names, key in ("battery", "generator")))
        elif isinstance(value, list):  # a list of names (a connection's buildings), as YAML
            group.fields.append(Field(sub, yaml.safe_dump(value, default_flow_style=True).strip()))
        else:
            choices = (tariff_ids if key == "tariff" else building_names if key == "building"
                       else CHOICES.get(key, ("true", "false") if isinstance(value, bool) else ()))
            group.fields.append(Field(sub, _text(value), tuple(_text(c) for c in choices), key in LONG_TEXT))
    return group


def sections(doc: dict, tariff_ids: tuple, full: dict | None = None) -> list[Group]:
    """The form's blocks in order, from ``doc`` with every field shown (``full``: the doc with defaults)."""
    shown = full or doc
    names = tuple(b.get("name", "") for b in shown.get("buildings", []) if isinstance(b, dict))
    out = [Group("scenario", [Field("name", _text(shown.get("name"))),
                              Field("description", _text(shown.get("description")), long=True)])]
    for key in SECTIONS[1:]:
        value = shown.get(key)
        if key in ("buildings", "batteries", "connections"):
            group = Group(key, lists=[key])
            group.groups = [_group(f"{key}[{i}]", b, tariff_ids, names, True) for i, b in enumerate(value or [])]
            out.append(group)
        elif isinstance(value, dict):
            out.append(_group(key, value, tariff_ids, names, key in ("battery", "generator")))
        elif key in ("battery", "generator"):
            out.append(Group(key, lists=[key]))
    return out


def yaml_text(doc: dict) -> str:
    """The document as a YAML scenario file."""
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
