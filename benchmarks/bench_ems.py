"""The live EMS controller's step time: a day of 96 steps of 15 min over a real Modbus TCP server.

The site is the bundled Tha Yang office on a 15-min grid; the device is the tests' simulated
battery (``tests/ems/sim_site.py``) behind a pymodbus TCP server on 127.0.0.1
(``tests/ems/modbus_sim.py``), on a simulated clock. Measured per step (wall time): read five
registers, re-plan (two solves), control, clamp, write the set point, append and fsync the log
line. Also the day-ahead plan at the first step and the replay of the day's log.

Prints a table and writes benchmarks/results/ems.json.

Run: python benchmarks/bench_ems.py [--replan-steps N]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "ems"))  # the simulated device of the tests

from modbus_sim import ModbusSim  # noqa: E402
from sim_site import SimSite, free_port  # noqa: E402

from munigrid.scenarios import api  # noqa: E402
from munigrid.scenarios.operations.link.clock import SteppedClock  # noqa: E402
from munigrid.scenarios.operations.link.config import parse_config  # noqa: E402
from munigrid.scenarios.operations.link.controller import Controller  # noqa: E402
from munigrid.scenarios.operations.link.log import EmsLog, log_path, read_log  # noqa: E402
from munigrid.scenarios.operations.link.modbus import ModbusLink  # noqa: E402
from munigrid.scenarios.operations.link.replay import replay  # noqa: E402
from munigrid.scenarios.operations.site import operations_site  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "ems.json"
DAY = pd.Timestamp("2026-03-10", tz="Asia/Bangkok")
REGISTERS = {
    "soc_pct": {"address": 0, "type": "uint16", "scale": 0.1},
    "import_kw": {"address": 2, "type": "int32", "scale": 0.01},
    "pv_kw": {"address": 4, "type": "float32"},
    "battery_kw": {"address": 6, "type": "int16", "scale": 0.1},
    "timestamp_s": {"address": 8, "type": "int32"},
    "setpoint_kw": {"address": 100, "type": "int32", "scale": 0.1, "access": "write"},
}


def site_15min(folder: Path):
    data = yaml.safe_load((ROOT / "scenarios" / "library" / "tha-yang.yaml").read_text(encoding="utf-8"))
    data["name"] = "tha-yang-15min"
    data["time"].update(step_min=15, days=120)
    path = folder / "tha-yang-15min.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    scenario = api.load(str(path))
    return operations_site(scenario, scenario._base_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replan-steps", type=int, default=1)
    parser.add_argument("--load-model", default="ensemble")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        site = site_15min(folder)
        index = pd.DatetimeIndex(site.index[(site.index >= DAY) & (site.index < DAY + pd.Timedelta(days=2))],
                                 freq="15min")
        sim = SimSite(site.battery, 0.5 * site.battery.energy_kwh, site.load_kw.reindex(index),
                      site.pv_kw().reindex(index), DAY)
        config = parse_config({"site": "office", "step_min": 15,
                               "adapter": {"kind": "modbus", "host": "127.0.0.1", "port": free_port(),
                                           "registers": REGISTERS},
                               "safety": {"import_limit_kw": 60.0},
                               "planning": {"load_model": args.load_model, "replan_steps": args.replan_steps}})
        server = ModbusSim(sim, config.adapter.registers, config.adapter.port)
        server.start()
        clock = SteppedClock(DAY)
        clock.on_advance(sim.advance)
        controller = Controller(site, config, ModbusLink(config.adapter), clock, EmsLog(folder, "office"),
                                schedule_folder=folder)
        controller.start_record()
        step_s = []
        try:
            for h in range(96):
                tic = time.perf_counter()
                controller.run_step()
                step_s.append(time.perf_counter() - tic)
                clock.sleep_until(DAY + (h + 1) * pd.Timedelta(minutes=15))
        finally:
            controller.link.close()
            server.stop()
        records, _ = read_log(log_path(folder, "office", DAY))
        tic = time.perf_counter()
        replayed = replay(site, records)
        replay_s = time.perf_counter() - tic
    steps = [r for r in records if r["kind"] == "step"]
    later = np.array(step_s[1:])
    solves = np.array([r["solve_s"] for r in steps[1:] if r["replanned"]])
    result = {
        "machine": platform.platform(), "python": platform.python_version(), "load_model": args.load_model,
        "replan_steps": args.replan_steps, "steps": len(steps),
        "first_step_s (day-ahead plan incl. forecaster fit)": round(step_s[0], 3),
        "step_mean_s": round(float(later.mean()), 4), "step_p95_s": round(float(np.percentile(later, 95)), 4),
        "step_max_s": round(float(later.max()), 4), "replan_solve_mean_s": round(float(solves.mean()), 4),
        "replay_day_s": round(replay_s, 2), "replay_max_diff_kw": replayed.max_diff_kw,
        "safe_mode_steps": sum(r["mode"] == "safe" for r in steps),
    }
    for key, value in result.items():
        print(f"{key:55s} {value}")
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
