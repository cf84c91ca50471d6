"""Base of every scenario schema block and the number types shared by them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

NonNeg = Annotated[float, Field(ge=0)]
Frac = Annotated[float, Field(ge=0, le=1)]
Eff = Annotated[float, Field(gt=0, le=1)]


class Strict(BaseModel):
    """Base of every schema block: unknown keys are errors, values are checked on assignment.

    Types are strict (``true`` is not the number 1, ``"100"`` is not a number) and numbers
    must be finite (``.inf`` and ``.nan`` are refused everywhere); dates may be written as text.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False)
