"""Checks of what a request asks for, before anything is queued: scenarios, uploads, ids, sweeps.

No user-supplied string becomes a filesystem path: scenarios are bundled names or documents
parsed by the strict schema; files a document refers to must be uploads, named by the service
(``upload-<32 hex>.<ext>``) and present in the store's upload folder; run and job ids are
looked up in the index and the job table.
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache
from pathlib import Path

from munigrid.models.errors import InputError, Problem
from munigrid.scenarios import api
from munigrid.scenarios.schema import Scenario
from munigrid.scenarios.service.errors import NotFound
from munigrid.scenarios.service.jobs import service_dir

UPLOAD_NAME = re.compile(r"^upload-[0-9a-f]{32}\.(csv|epw|txt)$")
UPLOAD_EXTENSIONS = ("csv", "epw", "txt")
FIELD_PATH = re.compile(r"^[a-z_][a-z0-9_]*(\[(\d+|\*)\])?(\.[a-z_][a-z0-9_]*(\[(\d+|\*)\])?)*$")
MAX_SWEEP_FIELDS = 2
MAX_SWEEP_VALUES = 50
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def uploads_dir(root: Path) -> Path:
    """Where uploaded files are kept, under service-chosen names."""
    return service_dir(root) / "uploads"


def save_upload(root: Path, data: bytes, filename: str | None) -> str:
    """Store uploaded bytes under a new service-chosen name and return that name."""
    ext = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else "csv"
    if ext not in UPLOAD_EXTENSIONS:
        raise InputError(f"only {', '.join(UPLOAD_EXTENSIONS)} files are accepted, got '.{ext}'", "file")
    if not data:
        raise InputError("the file is empty; choose the meter or weather export again", "file")
    folder = uploads_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"upload-{secrets.token_hex(16)}.{ext}"
    (folder / name).write_bytes(data)
    return name


def upload_path(root: Path, name: str, field: str) -> Path:
    """The stored upload called ``name``; InputError naming ``field`` when it is not one."""
    if not isinstance(name, str) or not UPLOAD_NAME.match(name) or not (uploads_dir(root) / name).is_file():
        raise InputError("not an uploaded file of this server; upload it first (POST /api/v1/uploads or the "
                         "editor's file field) and give the name it returns", field)
    return uploads_dir(root) / name


def _file_problems(scenario: Scenario, root: Path) -> list[Problem]:
    refs = [(f"buildings[{i}].load_csv", b.load_csv) for i, b in enumerate(scenario.buildings) if b.load_csv]
    if scenario.weather.file:
        refs.append(("weather.file", scenario.weather.file))
    problems = []
    for field, name in refs:
        try:
            upload_path(root, name, field)
        except InputError as err:
            problems += err.problems
    return problems


def document_scenario(document, root: Path) -> Scenario:
    """A scenario document (mapping or YAML text) checked as ``munigrid validate`` checks a file.

    Files it refers to must be uploads of this server (read from the upload folder).
    """
    scenario = api.parse_document(document)
    problems = _file_problems(scenario, root)
    if problems:
        raise InputError(problems)
    return api.validate(scenario, uploads_dir(root))


def bundled_name(name: str, field: str = "scenario") -> str:
    """``name`` if it is a bundled scenario, else InputError naming ``field`` and the bundled names."""
    from munigrid.scenarios.library import bundled

    if name not in bundled():
        raise InputError(f"unknown bundled scenario; use one of: {', '.join(bundled())}, or send the scenario "
                         "itself as `document`", field)
    return name


@lru_cache(maxsize=8)
def _bundled_scenario(name: str) -> Scenario:
    """A bundled scenario, parsed once per server (the files ship with the package and do not change)."""
    return api.load(name)


def request_scenario(name: str | None, document, root: Path) -> tuple[Scenario, dict]:
    """The scenario of a job request (a bundled name or a document) and what the job process gets."""
    from munigrid.scenarios.library import bundled

    if (name is None) == (document is None):
        raise InputError("give either `scenario` (a bundled name: " + ", ".join(bundled())
                         + ") or `document` (a scenario as JSON)", "scenario")
    if name is not None:
        return _bundled_scenario(bundled_name(name)).model_copy(deep=True), {"scenario": name}
    scenario = document_scenario(document, root)
    return scenario, {"document": scenario.model_dump(mode="json", exclude_none=True)}


def stored_run(run_id: str, root: Path, kind: str | None = None):
    """The index entry of ``run_id`` (exact id); :class:`NotFound` otherwise."""
    try:
        entry = api.stored_entry(run_id, root)
    except InputError as err:
        raise NotFound(err.problems) from None
    if kind is not None and entry.kind != kind:
        raise InputError(f"'{run_id}' is a {entry.kind}, not a {kind}", "run")
    return entry


def sweep_fields(vary: dict | None, portfolio: str | None, root: Path) -> None:
    """At most two field paths with 1-50 values each, or a portfolio upload (or both)."""
    vary = vary or {}
    if not vary and not portfolio:
        raise InputError("give the field(s) to vary with their values, e.g. {\"battery.energy_kwh\": [0, 100, 200]}, "
                         "or a portfolio CSV upload", "vary")
    if len(vary) > MAX_SWEEP_FIELDS:
        raise InputError(f"vary at most {MAX_SWEEP_FIELDS} fields at once, got {len(vary)}", "vary")
    problems = []
    for path, values in vary.items():
        if not FIELD_PATH.match(path):
            problems.append(Problem(f"vary.{path}", "not a field path; write it as in the scenario file, e.g. "
                                                    "battery.energy_kwh or buildings[0].annual_kwh"))
        elif not isinstance(values, list) or not 1 <= len(values) <= MAX_SWEEP_VALUES:
            problems.append(Problem(f"vary.{path}", f"give a list of 1 to {MAX_SWEEP_VALUES} values"))
    if problems:
        raise InputError(problems)
    if portfolio:
        upload_path(root, portfolio, "portfolio")


def day(text: str) -> str:
    """A ``YYYY-MM-DD`` day (whether the scenario covers it is checked by the job)."""
    if not isinstance(text, str) or not DAY.match(text):
        raise InputError(f"must be a date YYYY-MM-DD, got {text!r}", "day")
    return text
