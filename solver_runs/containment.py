"""Output paths built from names a user chose (scenario, sweep, building) stay under their root.

Scenario and sweep names are checked by the schema (a safe slug), but every folder or file
name the program builds is checked again where it is built: an API caller can bypass the
schema, and a symlink inside the store can point anywhere. :func:`child_path` is the one
place that joins a root and a name.
"""

from __future__ import annotations

from pathlib import Path

from munigrid.models.errors import InputError, quote

# Longest file or folder name most file systems take is 255 bytes; names built from a
# scenario name add a time stamp and a hash, so the name itself is capped lower.
MAX_NAME_BYTES = 255


def child_path(root: Path, name: str, what: str) -> Path:
    """``root / name``, refused unless ``name`` is one plain path component that stays under ``root``.

    Parameters
    ----------
    root : Path
        The folder the result must stay in (need not exist yet).
    name : str
        One file or folder name: no ``/``, no ``..``, not absolute, at most 255 bytes.
    what : str
        The field the name came from, for the message (e.g. ``name`` of the scenario).

    Raises
    ------
    InputError
        When the name would leave ``root`` (path separators, ``..``, an absolute path, a
        symlink out of ``root``) or is too long for a file name.
    """
    text = str(name)
    if (not text or text in (".", "..") or "/" in text or "\\" in text or "\0" in text
            or Path(text).is_absolute()):
        raise InputError(f"{quote(text)} is not a plain name: use letters, digits, '-' and '_' "
                         "(no '/', '..' or absolute paths)", what)
    if len(text.encode("utf-8")) > MAX_NAME_BYTES:
        raise InputError(f"name of {len(text.encode('utf-8'))} bytes is too long for a file name "
                         f"(at most {MAX_NAME_BYTES}); shorten it", what)
    root = Path(root)
    path = root / text
    if not path.resolve().is_relative_to(root.resolve()):
        raise InputError(f"{path} leads out of {root} (a symbolic link?); remove the link or choose "
                         "another root", what)
    return path


def inside(root: Path, path: Path, what: str) -> Path:
    """``path`` itself when it (after following links) lies under ``root``; :class:`InputError` otherwise."""
    if not Path(path).resolve().is_relative_to(Path(root).resolve()):
        raise InputError(f"{path} leads out of the run store {root} (a symbolic link?); give a folder "
                         "inside the store", what)
    return Path(path)
