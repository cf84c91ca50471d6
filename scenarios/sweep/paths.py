"""Parameter paths: naming any scenario field, and setting or scaling it.

A path is dot-separated keys, each optionally followed by list selectors in brackets:

- ``battery.energy_kwh`` -- a plain field;
- ``buildings[0].annual_kwh`` -- a list element by position;
- ``buildings[municipal_school].tariff`` -- a list element by its ``name``;
- ``buildings[*].annual_kwh`` -- every element (all buildings at once).

Paths act on the plain ``dict`` form of a scenario (``Scenario.model_dump(mode="json")``), so
the result is validated by the scenario schema like any scenario file.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from munigrid.models.errors import InputError

_SEGMENT = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?P<selectors>(\[[^\[\]]+\])*)$")
_SELECTOR = re.compile(r"\[([^\[\]]+)\]")


@dataclass(frozen=True)
class Step:
    """One key of a path and the list selectors after it (ints, names or ``*``)."""

    key: str
    selectors: tuple[int | str, ...]


def parse_path(path: str) -> list[Step]:
    """Split ``path`` into steps; raise :class:`InputError` when it is not a path."""
    steps = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if match is None:
            raise InputError(f"'{segment}' is not a key with optional [index|name|*] selectors "
                             "(e.g. buildings[*].annual_kwh)", path)
        selectors = tuple(int(s) if s.lstrip("-").isdigit() else s
                          for s in _SELECTOR.findall(match["selectors"]))
        steps.append(Step(match["key"], selectors))
    return steps


def _select(items: Any, selector: int | str, where: str) -> list[Any]:
    if not isinstance(items, list):
        raise InputError(f"{where} is not a list, so [{selector}] cannot select from it", where)
    if selector == "*":
        return list(items)
    if isinstance(selector, int):
        if not -len(items) <= selector < len(items):
            raise InputError(f"index {selector} is out of range: {where} has {len(items)} entries", where)
        return [items[selector]]
    named = [item for item in items if isinstance(item, dict) and item.get("name") == selector]
    if not named:
        names = [str(item.get("name")) for item in items if isinstance(item, dict)]
        raise InputError(f"no entry named '{selector}'; names: {', '.join(names) or 'none'}", where)
    return named


def targets(data: dict, path: str) -> list[tuple[dict, str]]:
    """Every ``(mapping, key)`` the path points to in ``data``; :class:`InputError` if none."""
    steps = parse_path(path)
    nodes: list[Any] = [data]
    where = ""
    for n, step in enumerate(steps):
        where = f"{where}.{step.key}" if where else step.key
        last = n == len(steps) - 1
        found = []
        for node in nodes:
            if isinstance(node, list):
                raise InputError("is a list; select entries with [index], [name] or [*] before "
                                 f"'.{step.key}'", where.rsplit(".", 1)[0])
            if not isinstance(node, dict) or step.key not in node:
                keys = sorted(node) if isinstance(node, dict) else []
                raise InputError(f"no field '{step.key}' here; fields: {', '.join(keys) or 'none'}", where)
            if last and not step.selectors:
                found.append((node, step.key))
                continue
            value = node[step.key]
            if value is None:
                raise InputError("is not set in the base scenario, so nothing below it can be varied; "
                                 "add it to the scenario first", where)
            for i, selector in enumerate(step.selectors):
                chosen = []
                for item in (value if i else [value]):
                    chosen += _select(item, selector, where)
                value = chosen
            found += value if step.selectors else [value]
        nodes = found
    if steps[-1].selectors:
        raise InputError("must end at a field, not a list entry (add .field)", path)
    return nodes


def apply_value(data: dict, path: str, value: Any, apply: str) -> dict:
    r"""A deep copy of ``data`` with the field(s) at ``path`` set to ``value`` or scaled by it.

    ``apply="set"``: :math:`x \leftarrow v`; ``apply="scale"``: :math:`x \leftarrow x_{base}\,v`
    (the base value must be a number).
    """
    out = copy.deepcopy(data)
    for mapping, key in targets(out, path):
        if apply == "scale":
            base = mapping[key]
            if isinstance(base, bool) or not isinstance(base, (int, float)):
                raise InputError(f"apply: scale needs a number in the base scenario, found {base!r}", path)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(f"a scale factor must be a number, got {value!r}", path)
            scaled = base * value
            # a whole-number field stays whole (`time.days` x 2.0 is 14, not 14.0, for the strict schema)
            mapping[key] = int(scaled) if isinstance(base, int) and float(scaled).is_integer() else scaled
        else:
            mapping[key] = copy.deepcopy(value)
    return out
