"""One helper turns pydantic validation errors into problems for scenarios, sweeps and EMS configs."""

from __future__ import annotations

import pytest

from munigrid.models.errors import InputError
from munigrid.scenarios.operations.link.config import parse_config
from munigrid.scenarios.sweep.spec import parse_sweep


def test_sweep_problems_name_the_field_with_list_indices():
    with pytest.raises(InputError) as err:
        parse_sweep({"name": "x", "method": "grid", "parameters": [{"path": "battery.energy_kwh", "values": [1],
                                                                     "colour": "red"}]})
    assert [(p.path, p.message) for p in err.value.problems] == [
        ("sweep.parameters[0].colour", "unknown key; remove it or check its spelling")]


def test_ems_config_problems_skip_the_adapter_kind_and_keep_their_own_hint():
    with pytest.raises(InputError) as err:
        parse_config({"site": "office", "step_min": 15, "bogus": 1,
                      "adapter": {"kind": "mqtt", "host": "h", "port": "1883",
                                  "topics": {"measurements": "m", "setpoint": "s", "plan": "p"}}})
    problems = {p.path: p.message for p in err.value.problems}
    assert problems["ems.yaml: bogus"] == "unknown key (see docs/operations.md, commissioning)"
    assert problems["ems.yaml: adapter.port"].startswith("Input should be a valid integer, got")
