"""Scenarios for the daily schedule with several batteries, a shared connection and flexible loads
(imported by name; not a conftest)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from munigrid.scenarios import api

TARIFFS = Path(__file__).parents[2] / "models" / "tariffs" / "data"
#: The lead-acid bank added next to Tha Yang's battery: smaller, lossier, with a higher floor and wear cost.
LEAD_ACID = {"name": "lead_acid", "energy_kwh": 60.0, "power_kw": 15.0, "charge_eff_frac": 0.9,
             "discharge_eff_frac": 0.9, "soc_min_frac": 0.3, "degradation_thb_per_kwh": 1.0}


def two_battery_document() -> dict:
    """The bundled Tha Yang scenario with a lead-acid bank beside the office's battery (``batteries:``)."""
    doc = api.load("tha-yang").model_dump(mode="json", exclude_none=True, exclude={"sweep"})
    battery = doc.pop("battery")
    doc["batteries"] = [{**battery, "name": "lfp"}, {**battery, **LEAD_ACID}]
    return doc


def write_document(doc: dict, folder: Path, name: str = "scenario.yaml") -> Path:
    """``doc`` as a scenario file in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


#: Hand case behind one connection: flat loads [kW], the office's PV [kWp].
OFFICE_KW, SCHOOL_KW, OFFICE_PV_KWP = 3.0, 13.0, 10.0


def connection_scenario(folder: Path, connected: bool = True) -> Path:
    """An office (3 kW flat, 10 kWp PV, a lossy battery) and a school (13 kW flat, no PV) for 30 days,
    behind one connection (``connected``) or on their own meters; flat 2 THB/kWh and 100 THB/kW demand."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(TARIFFS / "flat_demand.yaml", folder / "flat_demand.yaml")
    index = pd.date_range("2025-06-01", periods=30 * 24, freq="h", tz="Asia/Bangkok")
    for name, load_kw in (("office", OFFICE_KW), ("school", SCHOOL_KW)):
        pd.DataFrame({"time": index.strftime("%Y-%m-%dT%H:%M+07:00"), "load_kw": np.full(len(index), load_kw)}).to_csv(
            folder / f"{name}.csv", index=False)
    buildings = [{"name": n, "kind": n, "load_csv": f"{n}.csv", "tariff_file": "flat_demand.yaml", "roof_area_m2": 100 if n == "office" else 0}
                 for n in ("office", "school")]
    buildings[0]["pv_arrays"] = [{"name": "roof", "capacity_kwp": OFFICE_PV_KWP, "tilt_deg": 12, "azimuth_deg": 180}]
    doc = {"name": "campus", "site": {"name": "test", "latitude_deg": 12.97, "longitude_deg": 99.89},
           "time": {"start": "2025-06-01", "days": 30, "step_min": 60}, "weather": {"source": "synthetic", "seed": 7},
           "buildings": buildings,
           "battery": {"building": "office", "energy_kwh": 40, "power_kw": 10, "charge_eff_frac": 0.9,
                       "discharge_eff_frac": 0.9, "soc_min_frac": 0.0, "soc_max_frac": 1.0, "soc_initial_frac": 0.0}}
    if connected:
        doc["connections"] = [{"name": "campus_meter", "buildings": ["office", "school"]}]
    return write_document(doc, folder, "campus.yaml")
