"""``munigrid ems``: the live controller of a site's battery (Modbus TCP, MQTT or HTTP).

See ``docs/operations.md`` ("Commissioning the live link") and
:mod:`munigrid.scenarios.operations.link`.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import click

from munigrid.scenarios.cli import solver_output_to_stderr


@click.command()
@click.argument("scenario")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The link's configuration (ems.yaml: site, step_min, adapter, safety, planning).")
@click.option("--dry-run", is_flag=True, help="Read, decide and log, but write nothing to the device (do this first).")
@click.option("--history", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Meter CSV used as the forecasts' history instead of the scenario's load.")
@click.option("--runs", "runs_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run store root (default $MUNIGRID_RUNS or ./runs); the log goes to RUNS/ems/SITE unless "
                   "ems.yaml sets log_dir.")
@click.option("--steps", type=click.IntRange(min=1), default=None,
              help="Stop after N steps (default: run until stopped).")
@click.option("--start", default=None,
              help="Simulated time from this ISO 8601 instant, stepping without waiting (commissioning against a "
                   "simulator; needs --steps).")
def ems(scenario, config_path, dry_run, history, runs_root, steps, start):
    """Run SCENARIO's battery live: every step read the site, re-plan, write the set point, log.

    Set points are kW at the battery's AC terminals, + charge, - discharge. Stale, missing or
    implausible readings and a lost link switch to safe mode (hold the last plan's set point
    for safety.hold_max_min minutes, then 0 kW); every step is logged (JSON lines, fsynced).
    Several batteries on the meter: each on its own device (ems.yaml batteries:), a faulted one
    at 0 kW while the others are re-planned without it. Stop with Ctrl-C or SIGTERM.
    """
    from munigrid.models.errors import InputError
    from munigrid.scenarios.operations.link.adapter import LinkError
    from munigrid.scenarios.operations.link.config import load_config
    from munigrid.scenarios.operations.link.service import log_folder, make_controller

    config = load_config(config_path)
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # link failures are in the EMS log, once
    if start is not None and steps is None:
        raise InputError("needs --steps (a simulated clock never waits, so it would run through the data)", "--start")
    clock = None if start is None else _stepped(start)
    controller = make_controller(scenario, config, history=history, runs_root=runs_root, dry_run=dry_run, clock=clock)
    folder, site = log_folder(config, runs_root), controller.site
    served = None
    if config.adapter.kind == "http":
        from munigrid.scenarios.operations.link.http import Served

        try:
            served = Served(config.adapter.host, config.adapter.port)
        except LinkError as err:
            raise InputError(str(err), "ems.yaml: adapter.port") from None
        click.echo(f"serving /api/v1/ems/{config.site}/... on http://{config.adapter.host}:{config.adapter.port}",
                   err=True)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    click.echo(f"ems {config.site}: {site.building} of {site.scenario_name}, {config.adapter.kind} link, step "
               f"{config.step_min} min{', DRY RUN (nothing written)' if dry_run else ''}; log in {folder}", err=True)
    try:
        with solver_output_to_stderr():
            controller.run(steps=steps, stop=stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if served is not None:
            served.stop()
    records = controller.log.records
    step_records = [r for r in records if r["kind"] == "step"]
    safe = sum(r["mode"] == "safe" for r in step_records)
    click.echo(f"{len(step_records)} steps, {safe} in safe mode, {sum(r['kind'] == 'alarm' for r in records)} "
               f"alarms, {sum(r['written'] for r in step_records)} set points written; log in {folder}")
    for name in config.batteries or {}:
        mine = [r["batteries"][name] for r in step_records]
        click.echo(f"  battery {name}: {sum(b['written'] for b in mine)} set points written, "
                   f"{sum(bool(b['faults']) for b in mine)} steps in its safe state (0 kW)")


def _stepped(start: str):
    import pandas as pd

    from munigrid.models.errors import InputError
    from munigrid.scenarios.operations.link.clock import SteppedClock

    try:
        return SteppedClock(pd.Timestamp(start))
    except (ValueError, TypeError):
        raise InputError(f"must be an ISO 8601 time, e.g. 2026-03-10T00:00, got {start!r}", "--start") from None
