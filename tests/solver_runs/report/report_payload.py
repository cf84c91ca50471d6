"""Reading chart payloads back out of a written report, for the report tests."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np


def charts_of(report: Path) -> dict[str, dict]:
    """Chart name -> its payload (``figure``, ``texts``) from a written report."""
    text = report.read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="report-charts">(.*?)</script>', text, re.S).group(1)
    return {c["name"]: c for c in json.loads(block.replace("<\\/", "</"))}


def arr(value) -> np.ndarray:
    """A plotly JSON array as numpy: plain lists, or typed arrays ``{"dtype", "bdata", "shape"}``."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return out.reshape([int(n) for n in str(value["shape"]).split(",")]) if "shape" in value else out
    return np.asarray(value)
