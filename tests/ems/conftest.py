"""Fixtures of the EMS link tests: a 15-min Tha Yang site, its day, and the simulated device."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from ems_quick import DAY, LIBRARY, REGISTERS, config, sim_site
from modbus_sim import ModbusSim
from sim_site import free_port

from munigrid.scenarios import api
from munigrid.scenarios.operations.site import operations_site



@pytest.fixture(scope="session")
def scenario15(tmp_path_factory) -> Path:
    """The bundled scenario on a 15-min grid (120 days: the simulated day has its history), as a file."""
    data = yaml.safe_load((LIBRARY / "tha-yang.yaml").read_text(encoding="utf-8"))
    data["name"] = "tha-yang-15min"
    data["time"].update(step_min=15, days=120)
    path = tmp_path_factory.mktemp("scenario") / "tha-yang-15min.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def site15(scenario15):
    """Its battery building with archetype history, PV and tariff."""
    scenario = api.load(str(scenario15))
    return operations_site(scenario, scenario._base_dir)


@pytest.fixture(scope="session")
def day_series(site15):
    """Load and PV of the simulated day and the next [kW] (the device's meter)."""
    index = site15.index[(site15.index >= DAY) & (site15.index < DAY + pd.Timedelta(days=2))]
    index = pd.DatetimeIndex(index, freq="15min")
    return site15.load_kw.reindex(index), site15.pv_kw().reindex(index)


@pytest.fixture
def device(site15, day_series):
    """The simulated site behind a Modbus server on a free 127.0.0.1 port (stopped after the test)."""
    sim = sim_site(site15, day_series, DAY)
    cfg = config({"kind": "modbus", "host": "127.0.0.1", "port": free_port(), "unit_id": 1, "timeout_s": 1.0,
                  "registers": REGISTERS})
    server = ModbusSim(sim, cfg.adapter.registers, cfg.adapter.port)
    server.start()
    yield sim, server, cfg
    server.stop()
