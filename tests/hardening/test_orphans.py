"""Item 5: ``kill -9`` of a sweep leaves no process behind (workers, fork server, resource tracker).

The sweep runs as ``munigrid sweep`` in a new session; only the sweep process itself is
killed (as a CI runner or a user would), and 5 s later no process of that session may be
alive. Processes of the session are found through ``/proc/<pid>/stat`` (field 6, session id).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from corpus_cases import CORPUS

GRACE_S = 5.0


def session_members(sid: int) -> list[tuple[int, str]]:
    """(pid, command) of the live (not zombie) processes whose session id is ``sid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append((int(entry), command[:120]))
    return found


def kill_sweep_and_count_survivors(tmp_path: Path, timeout_s: float = 180.0) -> tuple[int, int]:
    """Start a two-worker sweep, kill -9 the sweep once a member is stored; (processes before, after 5 s)."""
    scenario = tmp_path / "long.yaml"
    scenario.write_text((CORPUS / "base.yaml").read_text().replace("days: 7", "days: 120"))
    munigrid = Path(sys.executable).with_name("munigrid")
    proc = subprocess.Popen([str(munigrid), "sweep", str(scenario), "--vary", "battery.energy_kwh=0,20,40,60,80,100,120,140",
                             "--workers", "2", "--out", str(tmp_path / "runs"), "--no-report"],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if list((tmp_path / "runs").glob("sweeps/*/members/*/manifest.json")):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        before = len(session_members(proc.pid))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(GRACE_S)
        return before, len(session_members(proc.pid))
    finally:
        for pid, _ in session_members(proc.pid):  # never leave anything behind, even when failing
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_5_kill_9_of_a_sweep_leaves_no_descendant(tmp_path):
    before, after = kill_sweep_and_count_survivors(tmp_path)
    assert before >= 4  # sweep, resource tracker, fork server, workers
    assert after == 0
