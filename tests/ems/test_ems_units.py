"""The link's pieces on their own: register codec, set-point clamp, reading checks, the log file."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from munigrid.models.dispatch import Battery
from munigrid.models.errors import InputError
from munigrid.scenarios.operations.link.adapter import Link, Reconnecting
from munigrid.scenarios.operations.link.clock import SteppedClock
from munigrid.scenarios.operations.link.config import Register, Safety
from munigrid.scenarios.operations.link.log import EmsLog, log_path, read_log
from munigrid.scenarios.operations.link.measurement import Measurement, faults
from munigrid.scenarios.operations.link.modbus import LinkError, decode, encode
from munigrid.scenarios.operations.link.safety import TOLERANCE_KW, clamp_setpoint, safe_setpoint, soc_bounds_kw

BATTERY = Battery(energy_kwh=200.0, power_kw=100.0, charge_eff_frac=0.95, discharge_eff_frac=0.95, soc_min_frac=0.1,
                  soc_max_frac=0.9)
NOW = pd.Timestamp("2026-03-10T08:00", tz="Asia/Bangkok")


@pytest.mark.parametrize("kind", ["int16", "uint16", "int32", "float32"])
@pytest.mark.parametrize("byte_order", ["big", "little"])
@pytest.mark.parametrize("word_order", ["big", "little"])
def test_register_codec_round_trip(kind, byte_order, word_order):
    reg = Register(address=0, type=kind, scale=0.1, byte_order=byte_order, word_order=word_order)
    value = 123.4 if kind == "uint16" else -123.4
    words = encode(value, reg)
    assert len(words) == reg.count and all(0 <= w <= 0xFFFF for w in words)
    assert decode(words, reg) == pytest.approx(value, abs=1e-4)


def test_register_byte_and_word_order_on_the_wire():
    # 0x00010002 as int32: high word first (big) or low word first (little), bytes swapped (little)
    assert encode(65538, Register(address=0, type="int32")) == [0x0001, 0x0002]
    assert encode(65538, Register(address=0, type="int32", word_order="little")) == [0x0002, 0x0001]
    assert encode(65538, Register(address=0, type="int32", byte_order="little")) == [0x0100, 0x0200]
    with pytest.raises(LinkError, match="does not fit a int16"):
        encode(5000.0, Register(address=0, type="int16", scale=0.1))


@settings(max_examples=200, deadline=None)
@given(setpoint=st.floats(-500, 500), soc=st.floats(0, 200), net=st.floats(-50, 300), guard=st.floats(1, 400))
def test_clamp_keeps_every_limit(setpoint, soc, net, guard):
    value, reasons = clamp_setpoint(setpoint, BATTERY, soc, net, guard, 0.25)
    low, high = soc_bounds_kw(BATTERY, soc, 0.25)
    slack = 2 * TOLERANCE_KW
    assert -100 - slack <= value <= 100 + slack
    assert low - slack <= value <= high + slack
    if value > slack:  # charging never lifts the import past the guard
        assert net + value <= guard + slack
    if value < -slack:  # discharging never exports
        assert net + value >= -slack
    if abs(value - setpoint) > slack:  # every change is explained
        assert reasons


def test_safe_mode_holds_then_zero():
    held, reasons = safe_setpoint(-30.0, 15.0, 30.0, BATTERY, 100.0, 50.0, 60.0, 0.25)
    assert held == -30.0 and "holding the last plan" in reasons[0]
    assert safe_setpoint(-30.0, 45.0, 30.0, BATTERY, 100.0, 50.0, 60.0, 0.25)[0] == 0.0
    # charging in safe mode only into the room the guard left at the last good reading
    assert safe_setpoint(40.0, 15.0, 30.0, BATTERY, 100.0, 50.0, 60.0, 0.25)[0] == pytest.approx(10.0)


def test_reading_checks():
    safety = Safety(max_age_s=120, import_range_kw=[-10, 200], pv_range_kw=[-1, 80])
    good = Measurement(NOW - pd.Timedelta(seconds=30), 55.0, 40.0, 10.0, -5.0)
    assert faults(good, NOW, safety) == []
    bad = Measurement(NOW - pd.Timedelta(minutes=10), 140.0, float("nan"), 95.0)
    problems = faults(bad, NOW, safety)
    assert any(p.startswith("stale: measured 600 s ago") for p in problems)
    assert "soc_pct 140 outside the plausible range [0, 100]" in problems
    assert any("import_kw is not a finite number" in p for p in problems)
    assert "pv_kw 95 outside the plausible range [-1, 80]" in problems
    assert faults(Measurement(NOW, None, 1.0, 1.0), NOW, safety) == ["soc_pct missing"]
    # a NaN from a float32 register is logged as text and still read back as not finite
    logged = Measurement.from_json(json.loads(json.dumps(bad.to_json(), allow_nan=False)))
    assert any("import_kw is not a finite number" in p for p in faults(logged, NOW, safety))


def test_log_is_appended_and_a_torn_last_line_is_skipped(tmp_path):
    log = EmsLog(tmp_path, "office")
    log.append({"kind": "start", "time": NOW.isoformat()})
    log.append({"kind": "step", "time": NOW.isoformat(), "setpoint_kw": 1.5})
    path = log_path(tmp_path, "office", NOW)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"kind": "step", "ti')
    records, notes = read_log(path)
    assert [r["kind"] for r in records] == ["start", "step"] and "incomplete" in notes[0]
    path.write_text('{"kind": "start"}\nnot json\n{"kind": "stop"}\n')
    with pytest.raises(InputError, match="line 2 is not JSON"):
        read_log(path)
    with pytest.raises(ValueError):
        log.append({"kind": "step", "time": NOW.isoformat(), "setpoint_kw": float("nan")})  # never NaN in the log
    assert json.loads(path.read_text().splitlines()[0]) == {"kind": "start"}


class FailingLink(Link):
    """A device that is never there."""

    kind = "test"

    def __init__(self):
        self.attempts = 0

    def connect(self):
        self.attempts += 1
        raise LinkError("refused")

    def read(self, now):
        raise AssertionError("never connected")

    def write_setpoint(self, setpoint_kw, now, valid_until, mode):
        raise AssertionError("never connected")

    def close(self):
        pass


def test_reconnect_backs_off_on_the_controllers_clock():
    clock, link, events = SteppedClock(NOW), FailingLink(), []
    wrapped = Reconnecting(link, clock.now, 1.0, 8.0, events.append)
    tried_at = []
    for second in range(40):  # one call a second of simulated time
        clock.advance_to(NOW + pd.Timedelta(seconds=second))
        attempts = link.attempts
        with pytest.raises(LinkError):
            wrapped.call("read", clock.now())
        if link.attempts > attempts:
            tried_at.append(second)
    assert tried_at == [0, 1, 3, 7, 15, 23, 31, 39]  # waits 1, 2, 4, 8, 8, ... s
    assert [e["retry_in_s"] for e in events[:5]] == [1.0, 2.0, 4.0, 8.0, 8.0]
