"""The tariff library: every tariff in ``data/*.yaml``, by id.

Ids are ``<utility>-<category>-<voltage>``: PEA ``pea-3.2-lt22kv``, ``pea-3.2-22-33kv``,
``pea-3.2-ge69kv``; MEA ``mea-3.2-lt12kv``, ``mea-3.2-12-24kv``, ``mea-3.2-ge69kv``;
categories 2.1, 2.2 (no ``ge69kv``), 3.1, 3.2, 4.1, 4.2. :func:`list_tariffs` lists them.

Any number can be overridden by a dotted path into the tariff's data, e.g.
``get_tariff("pea-3.2-lt22kv", {"energy.rates_thb_per_kwh.on_peak": 4.5297})`` (the other
published value of the <22 kV TOU on-peak rate) or ``{"demand.0.ratchet_frac": 0}``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from munigrid.models.errors import InputError, Problem
from munigrid.models.tariffs.spec import CalendarSpec, TariffFile, TariffSpec, spec_problems

if TYPE_CHECKING:
    from munigrid.models.tariffs.tariff import Tariff

DATA_PACKAGE = "munigrid.models.tariffs"
# libyaml's safe loader when PyYAML was built with it (several times faster), else the Python one
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class TariffInfo:
    """One line of the library listing."""

    id: str
    name: str
    utility: str
    category: str
    voltage: str
    calendar: str
    has_demand_charge: bool
    version: str


def _validation_problems(err: ValidationError, prefix: str) -> list[Problem]:
    return [Problem(".".join([prefix, *map(str, e["loc"])]).strip("."), e["msg"]) for e in err.errors()]


def _validated_file(raw: Any, where: str) -> TariffFile:
    try:
        return TariffFile.model_validate(raw)
    except ValidationError as err:
        raise InputError(_validation_problems(err, where)) from err


def _tariffs_of(parsed: TariffFile) -> dict[str, Tariff]:
    from munigrid.models.tariffs.tariff import Tariff  # pandas: only when tariffs are used, not listed

    return {variant.id: Tariff(variant, spec, parsed.calendars[spec.calendar], parsed.version)
            for spec in parsed.tariffs for variant in spec.variants}


def parse_tariff_file(raw: Any, where: str) -> dict[str, Tariff]:
    """Tariffs of one parsed tariff file (see :mod:`munigrid.models.tariffs.spec`), by id."""
    return _tariffs_of(_validated_file(raw, where))


def load_tariff_file(path: str | Path, where: str = "tariff file") -> dict[str, Tariff]:
    """Tariffs of a user's YAML or JSON file in the library format, or of a URDB rate JSON, by id.

    See ``docs/tariffs.md``.

    ``where`` names the field or option that gave the path, for the message when it is missing.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"file not found: {path}; give a tariff file in the format of docs/tariffs.md", where)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise InputError(f"not valid YAML: {err}", str(path)) from err
    if isinstance(raw, dict) and ("energyratestructure" in raw or "items" in raw):
        from munigrid.models.tariffs.urdb import tariff_from_urdb  # a URDB rate JSON

        tariff = tariff_from_urdb(path)
        return {tariff.id: tariff}
    return parse_tariff_file(raw, str(path))


@lru_cache(maxsize=1)
def _library_files() -> tuple[TariffFile, ...]:
    """The validated data files of the library (no :class:`Tariff` built: cheap to list)."""
    files = []
    data_dir = resources.files(DATA_PACKAGE).joinpath("data")
    for entry in sorted(data_dir.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        raw = yaml.load(entry.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
        if isinstance(raw, dict) and "tariffs" in raw:
            files.append(_validated_file(raw, f"tariffs/data/{entry.name}"))
    return tuple(files)


@lru_cache(maxsize=1)
def _library() -> dict[str, Tariff]:
    tariffs: dict[str, Tariff] = {}
    for parsed in _library_files():
        tariffs.update(_tariffs_of(parsed))
    return tariffs


def list_tariffs() -> list[TariffInfo]:
    """Every tariff in the library, sorted by id."""
    rows = [TariffInfo(variant.id, spec.name, variant.utility, spec.category, variant.voltage, spec.calendar,
                       bool(spec.demand), parsed.version)
            for parsed in _library_files() for spec in parsed.tariffs for variant in spec.variants]
    return sorted(rows, key=lambda row: row.id)


def tariff_ids() -> list[str]:
    """Every library id, sorted."""
    return [row.id for row in list_tariffs()]


def unknown_tariff_message(tariff_id: str) -> str | None:
    """Why ``tariff_id`` is not a library id (with the closest ids), or None when it is one."""
    ids = tariff_ids()
    key = str(tariff_id).strip().lower()
    if key in ids:
        return None
    close = difflib.get_close_matches(key, ids, n=4, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else "run `munigrid tariffs` for the list"
    return f"unknown tariff '{tariff_id}'; {hint}"


def _set_path(data: Any, parts: list[str], value: Any, path: str) -> None:
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(data, list):
            if not part.isdigit() or int(part) >= len(data):
                raise InputError(f"'{part}' is not an index 0..{len(data) - 1}", path)
            if last:
                data[int(part)] = value
            else:
                data = data[int(part)]
        elif isinstance(data, dict):
            if part not in data:
                raise InputError(f"no field '{part}' here; fields: {sorted(data)}", path)
            if last:
                data[part] = value
            else:
                data = data[part]
        else:
            raise InputError(f"'{part}' goes below a value", path)


def apply_overrides(tariff: Tariff, overrides: Mapping[str, Any]) -> Tariff:
    """A copy of ``tariff`` with dotted-path overrides applied and checked.

    Paths address the tariff's data as in the YAML file; ``calendar.<field>`` addresses its
    calendar (e.g. ``calendar.holidays.exclude_names_containing``).
    """
    spec_data = tariff.spec.model_dump()
    calendar_data = tariff.calendar.model_dump()
    for path, value in overrides.items():
        parts = str(path).split(".")
        if parts[0] == "calendar" and len(parts) > 1:
            _set_path(calendar_data, parts[1:], value, path)
        else:
            _set_path(spec_data, parts, value, path)
    try:
        spec = TariffSpec.model_validate(spec_data)
        calendar = CalendarSpec.model_validate(calendar_data)
    except ValidationError as err:
        raise InputError(_validation_problems(err, f"overrides[{tariff.id}]")) from err
    problems = spec_problems(spec, calendar)
    if problems:
        raise InputError([Problem(f"overrides[{tariff.id}]", p) for p in problems])
    return replace(tariff, spec=spec, calendar=calendar, version=f"{tariff.version}+overrides")


def get_tariff(tariff_id: str, overrides: Mapping[str, Any] | None = None) -> Tariff:
    """The library tariff ``tariff_id``, optionally with overrides (see the module docstring).

    Raises
    ------
    InputError
        Unknown id (with the closest ids), or overrides that do not fit the data format.
    """
    unknown = unknown_tariff_message(tariff_id)
    if unknown is not None:
        raise InputError(unknown, "tariff")
    tariff = _library()[str(tariff_id).strip().lower()]
    return apply_overrides(tariff, overrides) if overrides else tariff


def tariff_from_file(path: str | Path, tariff_id: str | None = None, where: str = "tariff file") -> Tariff:
    """The tariff ``tariff_id`` of a tariff file, or its only tariff when ``tariff_id`` is None."""
    tariffs = load_tariff_file(path, where)
    if tariff_id is None:
        if len(tariffs) != 1:
            raise InputError(f"{path} holds {len(tariffs)} tariffs ({', '.join(sorted(tariffs))}); name one by its id",
                             where)
        return next(iter(tariffs.values()))
    if tariff_id not in tariffs:
        raise InputError(f"no tariff '{tariff_id}' in {path}; ids: {', '.join(sorted(tariffs))}", where)
    return tariffs[tariff_id]


def resolve_tariff(id_or_file: str, overrides: Mapping[str, Any] | None = None, where: str = "tariff") -> Tariff:
    """A library id, or a tariff file (a path to an existing file, or ending .yaml/.yml/.json)."""
    text = str(id_or_file)
    if Path(text).is_file() or text.lower().endswith((".yaml", ".yml", ".json")):
        tariff = tariff_from_file(text, where=where)
        return apply_overrides(tariff, overrides) if overrides else tariff
    return get_tariff(text, overrides)
