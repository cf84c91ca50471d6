"""``munigrid ems`` from the command line: configuration errors exit 2 naming the field; a dry run
against a real Modbus server writes nothing."""

from __future__ import annotations

import pytest
import yaml
from ems_quick import DAY, QUICK_LOAD_MODEL, REGISTERS, sim_site
from modbus_sim import ModbusSim
from sim_site import free_port

from munigrid.scenarios.cli import main
from munigrid.scenarios.operations.link.config import ModbusRegisters
from munigrid.scenarios.operations.link.log import log_path, read_log


def run(args, capsys):
    with pytest.raises(SystemExit) as done:
        main(args)
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


def write_config(path, **changes):
    registers = {k: v for k, v in REGISTERS.items() if k != "timestamp_s"}  # a static device: read time is the time
    data = {"site": "office", "step_min": 15, "planning": {"load_model": QUICK_LOAD_MODEL},
            "adapter": {"kind": "modbus", "host": "127.0.0.1", "port": 1502, "registers": registers}, **changes}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, field", [
    ({"step_min": 5}, "ems.yaml: step_min"),
    ({"adapter": {"kind": "modbus", "host": "h",
                  "registers": {**REGISTERS, "soc_pct": {"address": 0, "type": "int8"}}}},
     "ems.yaml: adapter.registers.soc_pct.type"),
    ({"adapter": {"kind": "modbus", "host": "h", "registers": {**REGISTERS, "pv_kw": {"address": 3, "type": "int16"}}}},
     "ems.yaml: adapter.registers"),
    ({"adapter": {"kind": "mqtt", "host": "h", "topics": {"measurements": "m", "setpoint": "s/#", "plan": "p"}}},
     "ems.yaml: adapter"),
    ({"adapter": {"kind": "serial"}}, "ems.yaml: adapter"),
    ({"safety": {"max_age": 60}}, "ems.yaml: safety.max_age"),
])
def test_bad_config_exits_2_naming_the_field(tmp_path, capsys, change, field):
    path = write_config(tmp_path / "ems.yaml", **change)
    code, _, err = run(["ems", "tha-yang", "--config", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert field.replace("ems.yaml", str(path)) in err


def test_step_mismatch_and_start_without_steps(tmp_path, capsys):
    path = write_config(tmp_path / "ems.yaml")
    code, _, err = run(["ems", "tha-yang", "--config", str(path)], capsys)
    assert code == 2 and "step_min: must be the scenario's step (60 min), got 15" in err
    code, _, err = run(["ems", "tha-yang", "--config", str(path), "--start", "2026-03-10"], capsys)
    assert code == 2 and "--start: needs --steps" in err


@pytest.mark.slow
def test_dry_run_writes_nothing(scenario15, site15, day_series, tmp_path, capsys):
    sim = sim_site(site15, day_series, DAY)
    port = free_port()
    path = write_config(tmp_path / "ems.yaml", adapter={"kind": "modbus", "host": "127.0.0.1", "port": port,
                                                         "registers": {k: v for k, v in REGISTERS.items()
                                                                       if k != "timestamp_s"}})
    registers = ModbusRegisters.model_validate({k: v for k, v in REGISTERS.items() if k != "timestamp_s"})
    server = ModbusSim(sim, registers, port)
    server.start()
    try:
        code, out, err = run(["ems", str(scenario15), "--config", str(path), "--dry-run", "--runs",
                              str(tmp_path / "runs"), "--start", "2026-03-10T00:00", "--steps", "4"], capsys)
    finally:
        server.stop()
    assert code == 0, err
    assert "DRY RUN" in err and "4 steps, 0 in safe mode, 0 alarms, 0 set points written" in out
    assert server.written == set() and sim.writes == []
    folder = tmp_path / "runs" / "ems" / "office"
    records, _ = read_log(log_path(folder, "office", DAY))
    steps = [r for r in records if r["kind"] == "step"]
    assert len(steps) == 4 and all(r["dry_run"] and not r["written"] and r["mode"] == "normal" for r in steps)
    assert (folder / "schedule_municipal_office_2026-03-10.json").is_file()
    # a partial day cannot be reviewed from the log: exit 2 with the reason
    code, _, err = run(["review", str(scenario15), "--day", "2026-03-10", "--ems-log",
                        str(log_path(folder, "office", DAY))], capsys)
    assert code == 2 and "usable measurements for only 4 of the day's 96 steps" in err


BATTERY_REGISTERS = {"soc_pct": {"address": 0, "type": "uint16", "scale": 0.1},
                     "setpoint_kw": {"address": 100, "type": "int32", "scale": 0.1, "access": "write"}}
METER_REGISTERS = {k: v for k, v in REGISTERS.items() if k in ("import_kw", "pv_kw")}


def two_battery_scenario(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "scenarios" / "operations"))
    from assets_support import two_battery_document, write_document

    return write_document(two_battery_document(), tmp_path / "scenario")


@pytest.mark.parametrize("batteries, field", [
    (None, "batteries: meter 'municipal_office' has 2 batteries (lfp, lead_acid): list each one's device"),
    ({"lfp": 1, "nope": 2}, "ems.yaml: batteries.nope: no battery 'nope' behind meter 'municipal_office' "
                            "(its batteries: lfp, lead_acid)"),
    ({"lfp": 1}, "ems.yaml: batteries: battery 'lead_acid' of meter 'municipal_office' has no device: "
                 "add batteries.lead_acid"),
])
def test_battery_devices_must_name_the_meters_batteries(tmp_path, capsys, batteries, field):
    """A meter with two batteries needs each one's device; a device naming an unknown battery exits 2 naming it."""
    scenario = two_battery_scenario(tmp_path)
    if batteries is None:
        path = write_config(tmp_path / "ems.yaml", step_min=60)
    else:
        path = write_config(tmp_path / "ems.yaml", step_min=60,
                            adapter={"kind": "modbus", "host": "127.0.0.1", "registers": METER_REGISTERS},
                            batteries={name: {"unit_id": unit, "registers": BATTERY_REGISTERS}
                                       for name, unit in batteries.items()})
    code, _, err = run(["ems", str(scenario), "--config", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert field in err


@pytest.mark.parametrize("adapter, batteries, message", [
    ({"kind": "modbus", "host": "h", "registers": REGISTERS}, {"a": {"unit_id": 2, "registers": BATTERY_REGISTERS}},
     "adapter.registers.soc_pct: with batteries: each battery's own (batteries.NAME.registers)"),
    ({"kind": "modbus", "host": "h", "registers": METER_REGISTERS}, {"a": {"registers": BATTERY_REGISTERS}},
     "batteries.a.unit_id: required for a Modbus battery device"),
    ({"kind": "mqtt", "host": "h", "topics": {"measurements": "m", "plan": "p"}}, {"a": {"unit_id": 2}},
     "batteries.a.topics: required for an MQTT battery device"),
    ({"kind": "mqtt", "host": "h", "topics": {"measurements": "m", "plan": "p"}},
     {"a": {"topics": {"measurements": "m", "setpoint": "a/s"}}}, "batteries: each battery needs its own"),
    ({"kind": "http"}, {"a": {"unit_id": 2}}, "batteries: several batteries are linked over modbus or mqtt"),
    ({"kind": "modbus", "host": "h", "registers": METER_REGISTERS}, None,
     "adapter.registers.soc_pct: required (the battery's), or list each battery's device under batteries:"),
])
def test_battery_device_config_errors_name_the_field(tmp_path, capsys, adapter, batteries, message):
    path = write_config(tmp_path / "ems.yaml", adapter=adapter, **({} if batteries is None else
                                                                   {"batteries": batteries}))
    code, _, err = run(["ems", "tha-yang", "--config", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert message in err, err
