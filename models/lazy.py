"""Lazy package namespaces (PEP 562): a package's public names imported on first use.

A package ``__init__`` that re-exports names from heavy submodules (pandas, numba) makes
every import of any of its submodules pay for all of them. With :func:`lazy_exports` the
package names what it exports and where, and imports a submodule only when one of its
names is used, so that quick commands (``munigrid tariffs``) stay quick.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to str
        Public name -> submodule (relative to ``package``) that defines it.

    Examples
    --------
    In a package ``__init__``::

        __getattr__, __dir__ = lazy_exports(__name__, {"Bill": "billing"})
        __all__ = ["Bill"]
    """
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
