"""Reading scenario files and the bundled scenario library."""

from __future__ import annotations

from pathlib import Path

import yaml

from munigrid.models.errors import InputError
from munigrid.scenarios.schema import Scenario, parse_scenario

LIBRARY_DIR = Path(__file__).parent / "library"


def bundled() -> dict[str, Path]:
    """Bundled scenario names and their files."""
    return {p.stem: p for p in sorted(LIBRARY_DIR.glob("*.yaml"))}


def read_yaml(path: Path) -> dict:
    """Parse a YAML file; syntax errors become :class:`InputError` with the line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read the file: {err.strerror}", str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"not valid YAML: {getattr(err, 'problem', err)}", where) from None


def resolve(ref: str | Path) -> Path:
    """A scenario file from a path or a bundled name."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise InputError(f"no such file; give a scenario file or one of: {', '.join(bundled())}", str(ref))
        return path
    library = bundled()
    if str(ref) not in library:
        import difflib

        close = difflib.get_close_matches(str(ref), library, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise InputError(f"unknown scenario; {hint}bundled: {', '.join(library)}", str(ref))
    return library[str(ref)]


def load_scenario(ref: str | Path) -> tuple[Scenario, Path]:
    """Load and validate a scenario by bundled name or path; returns it and its file."""
    path = resolve(ref)
    return parse_scenario(read_yaml(path), str(path)), path
