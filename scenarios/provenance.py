"""What a run was made from: the inputs hash and the package versions."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

from munigrid.scenarios.input_files import input_path
from munigrid.scenarios.schema import Scenario

PACKAGES = ("munigrid", "numpy", "pandas", "xarray", "pyomo", "highspy", "pvlib", "numba", "holidays", "pydantic")


def package_versions() -> dict[str, str]:
    """Installed versions of munigrid and the libraries that shape its numbers."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def inputs_hash(scenario: Scenario, base_dir: Path) -> str:
    """SHA-256 over the validated scenario (canonical JSON) and every file it reads."""
    digest = hashlib.sha256()
    digest.update(json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode())
    files = [str(b.load_csv) for b in scenario.buildings if b.load_csv]  # a path or a LoadCsv mapping
    if scenario.weather.source == "file":
        files.append(scenario.weather.file)
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(input_path(name, base_dir).read_bytes())
    return digest.hexdigest()
