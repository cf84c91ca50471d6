"""The sweep specification: which scenario parameters to vary, and how.

A sweep varies any scenario field named by a *parameter path* (see
:mod:`munigrid.scenarios.sweep.paths`) by one of three designs:

``grid``
    every combination of the listed values (Cartesian product);
``one_at_a_time``
    the base scenario, then each parameter's values with all others at their base;
``monte_carlo``
    ``samples`` draws of every parameter from its distribution, by Latin hypercube
    sampling (each parameter's range cut into ``samples`` equal-probability strata, one draw
    per stratum) or plain random sampling.

A parameter either *sets* the field (``apply: set``) or *multiplies* its base value
(``apply: scale``, e.g. load growth ``buildings[*].annual_kwh`` by 1.1).

The spec is a stand-alone pydantic model with the scenario schema's rules (unknown keys are
errors, literals for choices) so that ``Scenario`` can hold it as an optional ``sweep:`` block.

Example (YAML)::

    name: ft-battery
    method: grid
    parameters:
      - {path: tariffs.ft_thb_per_kwh, values: [0.1972, 0.3972]}
      - {path: battery.energy_kwh, values: [0, 100, 200]}
      - {path: "buildings[*].annual_kwh", apply: scale, values: [1.0, 1.1]}

(quote paths holding ``[`` inside YAML ``{...}`` flow mappings; ``*`` would start an alias).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from munigrid.models.errors import InputError


# Names that become folder names (scenario, sweep, PV array): letters, digits, '-', '_' and
# Thai letters; never '/', '.', spaces or an empty name (see solver_runs/containment.py).
NAME_PATTERN = r"^[A-Za-z0-9_\-\u0E00-\u0E7F]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class Uniform(_Strict):
    """Uniform on ``[low, high]``."""

    kind: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _order(self):
        if not self.low <= self.high:
            raise ValueError(f"need low <= high, got low={self.low}, high={self.high}")
        return self


class Normal(_Strict):
    """Normal with mean ``mean`` and standard deviation ``sd``, optionally clipped to ``[low, high]``."""

    kind: Literal["normal"]
    mean: float
    sd: float = Field(ge=0)
    low: float | None = None
    high: float | None = None


class Triangular(_Strict):
    """Triangular on ``[low, high]`` with its mode at ``mode``."""

    kind: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _order(self):
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"need low <= mode <= high, got {self.low} / {self.mode} / {self.high}")
        return self


class Choice(_Strict):
    """One of ``values``, with probabilities proportional to ``weights`` (equal when omitted)."""

    kind: Literal["choice"]
    values: list[Any] = Field(min_length=1)
    weights: list[Annotated[float, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _weights(self):
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"give one weight per value: {len(self.values)} values, "
                                 f"{len(self.weights)} weights")
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self


Distribution = Annotated[Union[Uniform, Normal, Triangular, Choice], Field(discriminator="kind")]


class Parameter(_Strict):
    """One varied scenario field.

    Parameters
    ----------
    path : str
        Field path, e.g. ``battery.energy_kwh``, ``buildings[*].annual_kwh``,
        ``buildings[municipal_school].pv_arrays[0].capacity_kwp``.
    apply : {"set", "scale"}
        Replace the field by the value, or multiply its base value by it.
    values : list, optional
        The values of a ``grid`` or ``one_at_a_time`` sweep.
    distribution : Uniform | Normal | Triangular | Choice, optional
        What a ``monte_carlo`` sweep draws from.
    """

    path: str = Field(min_length=1)
    apply: Literal["set", "scale"] = "set"
    values: list[Any] | None = Field(default=None, min_length=1)
    distribution: Distribution | None = None


METHODS = ("grid", "one_at_a_time", "monte_carlo")


class SweepSpec(_Strict):
    """A whole sweep: its name, design method and parameters.

    Parameters
    ----------
    name : str
        Sweep name (letters, digits, ``_``, ``-``, Thai letters); part of the sweep folder's name.
    method : {"grid", "one_at_a_time", "monte_carlo"}
        The design (see the module docstring).
    parameters : list of Parameter
        The varied fields, in the order members are enumerated.
    samples : int, optional
        Number of Monte Carlo members (``monte_carlo`` only).
    sampling : {"latin_hypercube", "random"}
        How Monte Carlo draws are made.
    seed : int
        Random seed of the Monte Carlo draws; the same seed gives the same members.
    include_base : bool
        ``one_at_a_time``: whether member 0 is the unchanged base scenario.
    """

    name: str = Field(pattern=NAME_PATTERN, max_length=80)
    method: Literal[METHODS]  # type: ignore[valid-type]
    parameters: list[Parameter] = Field(min_length=1)
    samples: int | None = Field(default=None, ge=1, le=1_000_000)
    sampling: Literal["latin_hypercube", "random"] = "latin_hypercube"
    seed: int = 0
    include_base: bool = True

    @model_validator(mode="after")
    def _consistent(self):
        problems = []
        mc = self.method == "monte_carlo"
        for i, p in enumerate(self.parameters):
            if mc and p.distribution is None:
                problems.append(f"parameters[{i}] ({p.path}): monte_carlo needs `distribution`")
            if not mc and p.values is None:
                problems.append(f"parameters[{i}] ({p.path}): {self.method} needs `values`")
            if p.values is not None and p.distribution is not None:
                problems.append(f"parameters[{i}] ({p.path}): give `values` or `distribution`, not both")
        if mc and self.samples is None:
            problems.append("monte_carlo needs `samples` (the number of members)")
        if not mc and self.samples is not None:
            problems.append(f"`samples` is for monte_carlo only; {self.method} takes the listed values")
        paths = [p.path for p in self.parameters]
        repeated = sorted({p for p in paths if paths.count(p) > 1})
        if repeated:
            problems.append(f"each path may be varied once; repeated: {', '.join(repeated)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def parse_sweep(data: Any, source: str = "sweep") -> SweepSpec:
    """Validate raw sweep data; raise :class:`InputError` listing every problem with its path."""
    if not isinstance(data, dict):
        raise InputError(f"must be a mapping of keys to values (YAML), got {type(data).__name__}", source)
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as err:
        from munigrid.scenarios.schema import validation_problems  # schema imports this module

        raise InputError(validation_problems(err, source, unknown_key="unknown key; remove it or check its "
                                                                       "spelling")) from None
