"""docs/inputs.md: the scenario-field reference is generated from the schema and cannot drift."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from munigrid.models.tariffs.library import parse_tariff_file
from munigrid.scenarios import fieldref
from munigrid.scenarios.schema import parse_scenario

# the checkout's docs/inputs.md (tests run from the source tree; the installed package has no docs)
DOCS_FILE = Path(__file__).resolve().parents[2] / "docs" / "inputs.md"


def test_docs_inputs_md_is_up_to_date():
    text = DOCS_FILE.read_text(encoding="utf-8")
    assert "\n## Scenario fields\n" in text  # linked as docs/inputs.md#scenario-fields
    assert fieldref.updated_docs(text) == text, "run: python -m munigrid.scenarios.fieldref --write"
    assert fieldref.main(["--docs", str(DOCS_FILE)]) == 0


def test_every_field_has_a_row_and_every_entry_a_field():
    rows = fieldref.field_rows()
    names = {f"{r.block}.{r.key}" if r.block else r.key for r in rows}
    documented = set(yaml.safe_load(fieldref.FIELD_DOCS.read_text(encoding="utf-8")))
    assert documented - names == set(), "entries in field_docs.yaml for fields the schema does not have"
    assert {"buildings[].load_csv.load_column", "battery.energy_kwh", "time.step_min"} <= names
    with pytest.raises(KeyError, match="give a meaning and example in field_docs.yaml for: name, description"):
        fieldref.field_rows({})  # a field without a meaning fails the docs build


def test_units_come_from_the_name():
    assert [fieldref.unit_of(k) for k in ("fuel_thb_per_l", "max_kwp", "losses_frac", "tilt_deg", "days")] == \
        ["THB/L", "kWp", "fraction 0-1", "degrees", "days"]


def test_the_examples_are_valid():
    rows = fieldref.field_rows()
    scenario = parse_scenario(fieldref.example_scenario(rows))
    assert scenario.buildings[0].load_csv.load_column == "floor_2_kw"
    for block, model in fieldref.blocks():
        if " (" in block:  # each alternative of a union, e.g. the distributions of a sweep parameter
            model.model_validate(fieldref.example_of(model, block, rows))


def test_the_tariff_file_example_bills():
    text = DOCS_FILE.read_text(encoding="utf-8")
    block = text.split("## Tariff files")[1].split("```yaml")[1].split("```")[0]
    tariff = parse_tariff_file(yaml.safe_load(textwrap.dedent(block)), "docs/inputs.md")["my-flat"]
    index = pd.date_range("2026-01-01", periods=31 * 96, freq="15min", tz="Asia/Bangkok")
    bill = tariff.bill(pd.Series(np.full(len(index), 10.0), index=index), ft=0.0)
    assert bill.monthly.energy_kwh.iloc[0] == pytest.approx(7440)


def _fenced_after(heading: str, opening: str = "```\n") -> str:
    text = DOCS_FILE.read_text(encoding="utf-8")
    return textwrap.dedent(text.split(heading)[1].split(opening)[1].split("```")[0])


def test_the_portfolio_and_ft_examples_read(tmp_path):
    from munigrid.models.tariffs import FtSchedule
    from munigrid.scenarios.sweep.portfolio import read_portfolio

    portfolio = tmp_path / "sites.csv"
    portfolio.write_text(_fenced_after("## Portfolio CSV"))
    assert list(read_portfolio(portfolio)["name"]) == ["tha-yang-office", "cha-am-school"]
    ft = tmp_path / "ft.csv"
    ft.write_text(_fenced_after("## Tariff files", "  ```\n"))
    FtSchedule.from_file(ft)
