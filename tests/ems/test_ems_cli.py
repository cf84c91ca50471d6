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


def test_the_live_link_refuses_several_batteries_naming_the_field(tmp_path, capsys):
    """The live link writes one set point: a meter with two batteries is refused, pointing to the schedule."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "scenarios" / "operations"))
    from assets_support import two_battery_document, write_document

    scenario = write_document(two_battery_document(), tmp_path / "scenario")
    path = write_config(tmp_path / "ems.yaml", step_min=60)
    code, _, err = run(["ems", str(scenario), "--config", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert "batteries: the live EMS link (`munigrid ems`) controls one battery" in err and "munigrid schedule" in err
