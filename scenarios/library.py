"""Reading scenario files and the bundled scenario library."""

from __future__ import annotations

from pathlib import Path

from munigrid.models.errors import InputError
from munigrid.scenarios.input_files import file_problem
from munigrid.scenarios.schema import Scenario, parse_scenario
from munigrid.scenarios.yaml_input import load_yaml

# Largest scenario or sweep file read [bytes]; a scenario is a few kB.
MAX_YAML_BYTES = 5 * 1024**2

LIBRARY_DIR = Path(__file__).parent / "library"


def bundled() -> dict[str, Path]:
    """Bundled scenario names and their files."""
    return {p.stem: p for p in sorted(LIBRARY_DIR.glob("*.yaml"))}


def read_yaml(path: Path) -> dict:
    """Parse a YAML file with the guarded loader (:mod:`munigrid.scenarios.yaml_input`).

    Special files (``/proc``, devices, FIFOs), files over 5 MB, text that is not UTF-8 and
    YAML errors become :class:`InputError` naming the file (and line).
    """
    problem = file_problem(Path(path))
    if problem:
        raise InputError(problem, str(path))
    if Path(path).stat().st_size > MAX_YAML_BYTES:
        raise InputError(f"file of {Path(path).stat().st_size:,} bytes; a scenario is a few kB "
                         f"(limit {MAX_YAML_BYTES:,})", str(path))
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as err:
        raise InputError(f"cannot read the file: {err.strerror}", str(path)) from None
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text (byte {err.start}); save the file as UTF-8", str(path)) from None
    return load_yaml(text, str(path))


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
