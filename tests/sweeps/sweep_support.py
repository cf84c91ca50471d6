"""Helpers the sweep tests share with the subprocesses they start (importable by path)."""

from __future__ import annotations

from pathlib import Path

from munigrid.scenarios import api
from munigrid.scenarios.schema import Scenario

SPEC = {"name": "tiny", "method": "grid", "parameters": [
    {"path": "battery.energy_kwh", "values": [0, 150]},
    {"path": "buildings[*].annual_kwh", "apply": "scale", "values": [1.0, 1.2]}]}


def scenario_and_dir(days: int = 2) -> tuple[Scenario, Path]:
    """Tha Yang's office (with its battery) and school over ``days`` days, and a base folder."""
    data = api.load("tha-yang").model_dump(mode="json")
    data["buildings"] = data["buildings"][:2]
    data["time"]["days"] = days
    return Scenario.model_validate(data), Path(__file__).parent
