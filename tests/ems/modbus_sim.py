"""A real pymodbus TCP server on 127.0.0.1 in front of a :class:`~sim_site.SimSite` (test support)."""

from __future__ import annotations

import asyncio
import threading

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from munigrid.scenarios.operations.link.config import ModbusRegisters
from munigrid.scenarios.operations.link.modbus import decode, encode

#: Registers the simulated device holds (addresses 0 to SIZE - 1).
SIZE = 256


class ModbusSim:
    """The device: reads return the site's readings encoded by the register map; writes to the
    set point register reach the site. Every written address is recorded in ``written``.

    ``busy`` makes the device answer every request with an exception (a dropped measurement).
    """

    def __init__(self, site, registers: ModbusRegisters, port: int, unit_id: int = 1):
        self.site, self.registers, self.port, self.unit_id = site, registers, port, unit_id
        self.written: set[int] = set()
        self.busy = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ModbusTcpServer | None = None
        self._thread: threading.Thread | None = None

    async def _action(self, function_code, start_address, address, count, registers, set_values):
        from pymodbus.constants import ExcCodes

        if self.busy:
            return ExcCodes.DEVICE_BUSY
        if set_values is not None:
            self.written.update(range(address, address + count))
            reg = self.registers.setpoint_kw
            if address == reg.address and count == reg.count:
                self.site.write(decode(list(set_values), reg))
            return None
        values = self.site.readings()
        values["timestamp_s"] = values["time"].timestamp()
        for name, reg in self.registers.read_values().items():
            words = encode(values[name], reg)
            registers[reg.address - start_address:reg.address - start_address + reg.count] = words
        return None

    def start(self, timeout_s: float = 10.0) -> None:
        """Serve in a background thread; returns once listening."""
        ready = threading.Event()

        async def serve():
            device = SimDevice(self.unit_id, simdata=[SimData(0, count=SIZE, values=0, datatype=DataType.REGISTERS)],
                               action=self._action)
            self._server = ModbusTcpServer(device, address=("127.0.0.1", self.port))
            await self._server.serve_forever(background=True)
            ready.set()
            await self._server.serving

        def run():
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(serve())
            self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise RuntimeError(f"Modbus server did not start on 127.0.0.1:{self.port}")

    def stop(self, timeout_s: float = 10.0) -> None:
        """Shut the server down (connections closed)."""
        if self._server is None:
            return
        asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop).result(timeout_s)
        self._thread.join(timeout_s)
        self._server = None
