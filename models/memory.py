"""How much memory this process may still use, and refusing work that would not fit.

The limit is the smallest of: the machine's available memory (``MemAvailable`` in
``/proc/meminfo``), the cgroup's limit minus its usage (containers, CI runners) and the
address-space limit (``ulimit -v``) minus this process's current size. Large array work
(the Monte Carlo day map of ``munigrid simulate``) estimates its peak first and is refused
with the largest size that fits, instead of dying with ``MemoryError`` half-way.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

from munigrid.models.errors import InputError

# Share of the available memory one job may plan to use [-]: the machine is shared.
USABLE_FRAC = 0.5


def _meminfo_kb(key: str, path: str = "/proc/meminfo") -> int | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_free_bytes() -> int | None:
    base = Path("/sys/fs/cgroup")
    try:
        limit = (base / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return int(limit) - int((base / "memory.current").read_text().strip())
    except (OSError, ValueError):
        return None


def _address_space_free_bytes() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    size_kb = _meminfo_kb("VmSize", f"/proc/{os.getpid()}/status")
    return soft - (size_kb or 0) * 1024


def available_bytes() -> int | None:
    """Memory this process may still allocate [bytes], or None when unknown (no /proc)."""
    found = [v for v in (_meminfo_kb("MemAvailable"), ) if v is not None]
    candidates = [v * 1024 for v in found] + [v for v in (_cgroup_free_bytes(), _address_space_free_bytes())
                                              if v is not None]
    return min(candidates) if candidates else None


def require_memory(bytes_per_item: float, n_items: int, what: str, field: str,
                   available: int | None = None) -> None:
    """Refuse ``n_items`` of ``bytes_per_item`` each when they need more than :data:`USABLE_FRAC`
    of the available memory; the message gives the largest count that fits.

    Parameters
    ----------
    bytes_per_item : float
        Estimated peak memory per item [bytes].
    n_items : int
        Items asked for (e.g. Monte Carlo samples).
    what : str
        What is counted, for the message ("Monte Carlo samples").
    field : str
        The option or field that sets ``n_items`` (e.g. ``--samples``).
    available : int, optional
        Available memory [bytes]; measured by :func:`available_bytes` when omitted.
    """
    available = available_bytes() if available is None else available
    if available is None:
        return
    need = bytes_per_item * n_items
    budget = USABLE_FRAC * max(available, 0)
    if need > budget:
        fits = int(budget // bytes_per_item)
        raise InputError(f"{n_items:,} {what} need about {need / 1024**3:.1f} GB of memory, more than "
                         f"{USABLE_FRAC:.0%} of the {available / 1024**3:.1f} GB available; use at most "
                         f"{fits:,}, or run them in several smaller batches with different seeds", field)
