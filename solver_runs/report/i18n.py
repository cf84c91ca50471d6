"""Report labels in English and Thai, read from ``labels.yaml`` beside this module.

A report page carries both languages: text in the page is written with :func:`Labels.span`
(both languages in ``data-en`` / ``data-th`` attributes, switched in the browser), and each
chart is built once per language so that its texts can be swapped (see :mod:`.charts`).
Thai dates use the Buddhist era: :math:`\\text{B.E.} = \\text{C.E.} + 543`.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

import yaml

from munigrid.models.errors import InputError

LANGS = ("en", "th")
LABELS_FILE = Path(__file__).with_name("labels.yaml")
BUDDHIST_ERA_OFFSET_YEARS = 543
MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "th": ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."),
}
#: plotly.js locale for Thai date axes (month and day names); years stay C.E. on date axes
PLOTLY_LOCALE_TH = {
    "moduleType": "locale", "name": "th", "dictionary": {},
    "format": {
        "days": ["อาทิตย์", "จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์"],
        "shortDays": ["อา.", "จ.", "อ.", "พ.", "พฤ.", "ศ.", "ส."],
        "months": ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
                   "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"],
        "shortMonths": list(MONTHS["th"]),
        "date": "%d/%m/%Y",
    },
}


@lru_cache(maxsize=1)
def all_labels() -> dict[str, dict[str, str]]:
    """Every label key -> {language -> text}."""
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


def check_lang(lang: str) -> str:
    """``lang`` if it is a report language, else :class:`InputError` naming the valid ones."""
    if lang not in LANGS:
        raise InputError(f"must be one of {', '.join(LANGS)}, got {lang!r}", "lang")
    return lang


class Labels:
    """Label lookup in one language.

    Parameters
    ----------
    lang : {"en", "th"}
        Language of :meth:`__call__` and of formatted dates.
    """

    def __init__(self, lang: str):
        self.lang = check_lang(lang)
        self._labels = all_labels()

    def __call__(self, key: str, **fields) -> str:
        """The label ``key`` in this language, with ``{name}`` fields filled in."""
        text = self._labels[key][self.lang]
        return text.format(**fields) if fields else text

    def month(self, period: str) -> str:
        """``"2026-01"`` -> ``"Jan 2026"`` or ``"ม.ค. 2569"``."""
        year, month = (int(part) for part in period.split("-")[:2])
        if self.lang == "th":
            year += BUDDHIST_ERA_OFFSET_YEARS
        return f"{MONTHS[self.lang][month - 1]} {year}"

    def date(self, day) -> str:
        """A date as ``"5 Jan 2026"`` or ``"5 ม.ค. 2569"``."""
        return f"{day.day} {self.month(f'{day.year}-{day.month:02d}')}"


def span(key: str, **fields) -> str:
    """HTML text of label ``key`` in both languages, shown in the page's current language."""
    return both({lang: Labels(lang)(key, **fields) for lang in LANGS})


def both(texts: dict[str, str]) -> str:
    """HTML span holding one text per language (``data-en``, ``data-th``); English shown first."""
    attrs = " ".join(f'data-{lang}="{html.escape(texts[lang], quote=True)}"' for lang in LANGS)
    return f'<span class="i18n" {attrs}>{html.escape(texts["en"])}</span>'
