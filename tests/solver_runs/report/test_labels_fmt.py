"""Labels in both languages, Thai dates, and baht formatting."""

from __future__ import annotations

import pandas as pd
import pytest
from munigrid.models.errors import InputError
from munigrid.solver_runs.report import fmt
from munigrid.solver_runs.report.i18n import LANGS, Labels, all_labels, both, span


def test_every_label_has_english_and_thai_text():
    for key, texts in all_labels().items():
        assert isinstance(key, str)
        assert set(texts) == set(LANGS), key
        assert all(isinstance(texts[lang], str) and texts[lang].strip() for lang in LANGS), key


def test_thai_labels_are_thai():
    thai = [texts["th"] for texts in all_labels().values()]
    with_thai_script = [t for t in thai if any("\u0e00" <= ch <= "\u0e7f" for ch in t)]
    assert len(with_thai_script) >= 0.8 * len(thai)


def test_months_use_buddhist_era_in_thai():
    assert Labels("th").month("2026-01") == "ม.ค. 2569"
    assert Labels("en").month("2025-12") == "Dec 2025"
    assert Labels("th").date(pd.Timestamp("2026-04-13")) == "13 เม.ย. 2569"


def test_unknown_language_is_an_input_error():
    with pytest.raises(InputError, match="lang: must be one of en, th"):
        Labels("fr")


def test_fields_are_filled_in_each_language():
    assert "2026-03-02" in Labels("en")("note_week", start="2026-03-02")
    assert "2026-03-02" in Labels("th")("note_week", start="2026-03-02")


def test_spans_carry_both_languages_escaped():
    html = both({"en": "a <b> & c", "th": "ก \"ข\""})
    assert 'data-en="a &lt;b&gt; &amp; c"' in html and 'data-th="ก &quot;ข&quot;"' in html
    assert span("sec_kpis").startswith('<span class="i18n"')


@pytest.mark.parametrize("value, lang, compact, expected", [
    (1234567.4, "en", False, "THB 1,234,567"),
    (1234567.4, "en", True, "THB 1.23 M"),
    (1234567.4, "th", True, "1.23 ล้านบาท"),
    (-98765.0, "th", True, "-98,765 บาท"),
    (float("nan"), "en", True, "–"),
])
def test_thb(value, lang, compact, expected):
    assert fmt.thb(value, lang, compact) == expected


@pytest.mark.parametrize("value, column, expected", [
    (0.0912, "irr_frac", "9.1 %"), (12345.678, "load_mwh", "12,345.7"), (1500000.0, "npv_thb", "THB 1,500,000"),
    (0.1234, "solve_s", "0.12"), ("optimal", "status", "optimal"), (None, "npv_thb", "–"), (3.14159, "dscr", "3.142"),
])
def test_cells_by_unit_suffix(value, column, expected):
    assert fmt.cell(value, column) == expected


@pytest.mark.parametrize("column, expected", [
    ("npv_thb", "npv [THB]"), ("irr_frac", "irr [%]"), ("lcoe_thb_per_kwh", "lcoe [THB/kWh]"),
    ("mae_kw", "mae [kW]"), ("status", "status"), ("_thb", "thb"), ("Unnamed: 0", ""),
])
def test_headers_show_units(column, expected):
    assert fmt.header(column) == expected
