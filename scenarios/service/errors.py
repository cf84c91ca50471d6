"""Errors of the service as JSON: every problem with the field it is about and how to fix it."""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError

from munigrid.models.errors import InputError


class NotFound(InputError):
    """An id that the store's index or the job table does not hold (HTTP 404)."""


def problems_json(err: InputError) -> list[dict]:
    """``[{"path": ..., "message": ...}]`` of an :class:`InputError`."""
    return [{"path": p.path, "message": p.message} for p in err.problems]


def request_problems(err: RequestValidationError) -> list[dict]:
    """FastAPI's request validation errors as the same path/message pairs (``body.samples``, ``query.kind``)."""
    out = []
    for e in err.errors():
        path = ".".join(str(part) for part in e["loc"])
        message = e["msg"]
        if e["type"] == "missing":
            message = "required field is missing"
        elif "input" in e and e["type"] not in ("json_invalid", "model_attributes_type"):
            message = f"{message}, got {e['input']!r}"
        out.append({"path": path, "message": message})
    return out
