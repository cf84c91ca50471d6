"""One click parameter type for every float option: a finite number, optionally within a range.

``click.FLOAT`` and ``click.FloatRange`` accept ``nan`` and ``inf`` (``nan`` passes every range
check), which would reach the models as a silent 0-THB bill or an infeasible problem. This type
refuses them with click's usual message naming the option (exit code 2).
"""

from __future__ import annotations

import math

import click


class FiniteFloat(click.FloatRange):
    """A finite float, within ``[min, max]`` when given (click's ``FloatRange`` arguments)."""

    name = "float"

    def convert(self, value, param, ctx) -> float:
        """The number of ``value``; fails (exit 2, option named) when it is not finite or out of range."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


#: A finite float without bounds, for ``type=`` of float options.
FINITE_FLOAT = FiniteFloat()
