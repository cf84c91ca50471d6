"""Modbus TCP adapter (pymodbus client): the register map of ``ems.yaml``.

Each value is read from its own address (holding or input registers) and decoded as
``int16``/``uint16`` (one register) or ``int32``/``float32`` (two registers, ``word_order``
giving which comes first), with ``byte_order`` swapping the two bytes of each register; the
engineering value is ``raw * scale``. The set point is encoded the same way
(``raw = round(value / scale)``) and written to the ``setpoint_kw`` address only: no other
address is ever written. A device whose set point and battery power are + discharge is
configured with ``sign: discharge_positive``: both are negated at the register, munigrid's own
convention (+ charge) holds everywhere else.
"""

from __future__ import annotations

import math

import pandas as pd
from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from munigrid.scenarios.operations.link.adapter import Link, LinkError
from munigrid.scenarios.operations.link.config import ModbusAdapter, Register
from munigrid.scenarios.operations.link.measurement import Measurement, stamp

_TYPES = {"int16": ModbusTcpClient.DATATYPE.INT16, "uint16": ModbusTcpClient.DATATYPE.UINT16,
          "int32": ModbusTcpClient.DATATYPE.INT32, "float32": ModbusTcpClient.DATATYPE.FLOAT32}
_RANGES = {"int16": (-2**15, 2**15 - 1), "uint16": (0, 2**16 - 1), "int32": (-2**31, 2**31 - 1)}


def _swap_bytes(registers: list[int]) -> list[int]:
    return [((r & 0xFF) << 8) | (r >> 8) for r in registers]


def decode(registers: list[int], register: Register) -> float:
    """Engineering value of the raw 16-bit ``registers`` of one value (module docstring)."""
    raw = _swap_bytes(registers) if register.byte_order == "little" else list(registers)
    value = ModbusTcpClient.convert_from_registers(raw, _TYPES[register.type], word_order=register.word_order)
    return float(value) * register.scale


def encode(value: float, register: Register) -> list[int]:
    """Raw 16-bit registers of ``value`` (module docstring).

    Raises
    ------
    LinkError
        The value does not fit the register's type at its scale.
    """
    raw = value / register.scale
    if register.type == "float32":
        words = ModbusTcpClient.convert_to_registers(float(raw), _TYPES["float32"], word_order=register.word_order)
    else:
        low, high = _RANGES[register.type]
        raw = round(raw)
        if not (math.isfinite(raw) and low <= raw <= high):
            raise LinkError(f"{value:g} does not fit a {register.type} register at scale {register.scale:g}")
        words = ModbusTcpClient.convert_to_registers(int(raw), _TYPES[register.type], word_order=register.word_order)
    return _swap_bytes(words) if register.byte_order == "little" else list(words)


class ModbusLink(Link):
    """The site's device over Modbus TCP.

    Parameters
    ----------
    config : ModbusAdapter
        Host, port, unit id, time-out and register map.
    """

    kind = "modbus"

    def __init__(self, config: ModbusAdapter):
        self.config = config
        self._client: ModbusTcpClient | None = None

    def connect(self) -> None:  # noqa: D102
        self.close()
        client = ModbusTcpClient(self.config.host, port=self.config.port, timeout=self.config.timeout_s, retries=0,
                                 reconnect_delay=0)
        if not client.connect():
            client.close()
            raise LinkError(f"cannot connect to {self.config.host}:{self.config.port}")
        self._client = client

    def _read_value(self, name: str, register: Register) -> float:
        read = (self._client.read_holding_registers if register.table == "holding"
                else self._client.read_input_registers)
        try:
            response = read(register.address, count=register.count, device_id=self.config.unit_id)
        except ModbusException as err:
            raise LinkError(f"reading {name} at {register.address}: {err}") from None
        if response.isError():
            raise LinkError(f"reading {name} at {register.address}: device answered {response}")
        return decode(list(response.registers), register)

    def read(self, now: pd.Timestamp) -> Measurement:  # noqa: D102
        if self._client is None:
            raise LinkError("not connected")
        values = {name: self._read_value(name, reg) for name, reg in self.config.registers.read_values().items()}
        measured = now
        if self.config.sign == "discharge_positive" and "battery_kw" in values:
            values["battery_kw"] = -values["battery_kw"]
        if "timestamp_s" in values:
            measured = stamp(pd.Timestamp(values.pop("timestamp_s"), unit="s", tz="UTC"))
        buildings = {n.removeprefix("buildings."): values.pop(n) for n in list(values) if n.startswith("buildings.")}
        return Measurement(measured, values.get("soc_pct"), values.get("import_kw"), values.get("pv_kw"),
                           values.get("battery_kw"), buildings)

    def write_setpoint(self, setpoint_kw: float, now: pd.Timestamp, valid_until: pd.Timestamp,  # noqa: D102
                       mode: str) -> None:
        if self._client is None:
            raise LinkError("not connected")
        register = self.config.registers.setpoint_kw
        device_kw = -setpoint_kw if self.config.sign == "discharge_positive" else setpoint_kw
        try:
            response = self._client.write_registers(register.address, encode(device_kw, register),
                                                    device_id=self.config.unit_id)
        except ModbusException as err:
            raise LinkError(f"writing setpoint_kw at {register.address}: {err}") from None
        if response.isError():
            raise LinkError(f"writing setpoint_kw at {register.address}: device answered {response}")

    def close(self) -> None:  # noqa: D102
        if self._client is not None:
            self._client.close()
            self._client = None
