"""Domain errors shared by every munigrid package.

Bad *input* raises :class:`InputError` carrying every problem found, each with the path of
the offending field and what would be valid. Solver outcomes are data; only when a caller
needs an answer that does not exist does :class:`NoSolutionError` carry the diagnosis.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass, field
from typing import Any

# Longest message a problem keeps [characters]: messages quote user input, which may be huge.
MAX_MESSAGE_CHARS = 2000

_REPR = reprlib.Repr()
for _name, _limit in (("maxlevel", 2), ("maxtuple", 4), ("maxlist", 4), ("maxarray", 4), ("maxdict", 4),
                      ("maxset", 4), ("maxfrozenset", 4), ("maxdeque", 4), ("maxstring", 60), ("maxlong", 40),
                      ("maxother", 60)):
    setattr(_REPR, _name, _limit)


def quote(value: Any, limit: int = 60) -> str:
    """A bounded, escaped repr of ``value`` for messages: at most ``limit`` characters, two levels deep.

    Strings are escaped (``repr``), so control characters and file contents never reach the
    terminal raw; containers show their first few items; huge or deeply nested values are cut.
    """
    text = _REPR.repr(value) if not isinstance(value, str) else repr(value[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    """One problem with the input.

    Parameters
    ----------
    path : str
        Where it is, e.g. ``buildings[2].pv.tilt_deg`` or ``meter.csv: rows 12-14``.
    message : str
        What is wrong and what would be valid.
    """

    path: str
    message: str

    def __post_init__(self):
        for name, limit in (("path", 200), ("message", MAX_MESSAGE_CHARS)):
            text = str(getattr(self, name))
            if len(text) > limit:
                object.__setattr__(self, name, text[: limit - 1] + "…")

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InputError(ValueError):
    """Bad input: one or more :class:`Problem` found before any work was done."""

    def __init__(self, problems: list[Problem] | Problem | str, path: str = ""):
        if isinstance(problems, str):
            problems = [Problem(path, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class NoSolutionError(RuntimeError):
    """The solver gave no usable answer (infeasible, unbounded or no incumbent in time).

    Parameters
    ----------
    status : str
        Solver status name.
    diagnosis : list[str]
        Human-readable lines naming the conflicting constraint families, when known.
    """

    status: str
    diagnosis: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"no usable solution: {self.status}"] + [f"  {d}" for d in self.diagnosis]
        return "\n".join(lines)
