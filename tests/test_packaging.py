"""Every package folder ships in the wheel, under the one `munigrid` namespace."""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

TOP_LEVEL = {"models": "munigrid.models", "forecasting": "munigrid.forecasting",
             "scenarios": "munigrid.scenarios", "solver_runs": "munigrid.solver_runs"}


def _package_folders() -> set[str]:
    found = set()
    for folder, package in TOP_LEVEL.items():
        for init in (REPO_ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO_ROOT / folder)
            found.add(".".join([package, *rel.parts]))
    return found


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    missing = _package_folders() - listed
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


@pytest.mark.slow
def test_built_wheel_contains_every_package_and_data(tmp_path):
    import subprocess
    import sys

    from setuptools import build_meta  # noqa: F401  (the build backend must be importable)

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(REPO_ROOT)], check=True)
    wheel = next(tmp_path.glob("munigrid-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in _package_folders():
        init = package.replace(".", "/") + "/__init__.py"
        assert init in names, f"{init} missing from the wheel"
    assert "munigrid/scenarios/library/tha-yang.yaml" in names
    assert "munigrid/forecasting/meter_examples/thai_excel_cp874_kwh.csv" in names
