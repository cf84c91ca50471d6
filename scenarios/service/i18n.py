"""Labels of the pages in English and Thai: the workspace's own (``labels.yaml`` here) over the report's."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from munigrid.solver_runs.report.i18n import LANGS, all_labels

LABELS_FILE = Path(__file__).with_name("labels.yaml")
LANG_COOKIE = "munigrid_lang"


@lru_cache(maxsize=1)
def labels() -> dict[str, dict[str, str]]:
    """Every label key -> {language -> text}: the report's labels, then the workspace's."""
    return {**all_labels(), **yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))}


def language(cookies: dict[str, str]) -> str:
    """The page language from the cookie the toggle sets (English by default)."""
    lang = cookies.get(LANG_COOKIE, "en")
    return lang if lang in LANGS else "en"


def translator(lang: str):
    """``t(key)`` in ``lang``; a key without a label is shown as itself (field names, KPI ids)."""
    table = labels()

    def t(key: str) -> str:
        entry = table.get(key)
        return entry[lang] if entry else key

    return t
