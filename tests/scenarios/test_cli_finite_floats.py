"""Every float option of the CLI refuses nan and inf with the option named (exit 2)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from munigrid.scenarios.cli import cli
from munigrid.scenarios.commands.finite_float import FINITE_FLOAT, FiniteFloat


@pytest.mark.parametrize(("args", "option"), [
    (["schedule", "tha-yang", "--soc-frac", "nan"], "--soc-frac"),
    (["schedule", "tha-yang", "--peak-kw", "inf"], "--peak-kw"),
    (["review", "tha-yang", "--reserve-frac", "-inf"], "--reserve-frac"),
    (["finance", "tha-yang", "--share", "nan"], "--share"),
    (["finance", "tha-yang", "--debt-rate", "inf"], "--debt-rate"),
    (["bill", "--tariff", "pea-2.2-lt22kv", "--ft", "NaN"], "--ft"),
    (["simulate", "tha-yang", "--threshold-kw", "nan"], "--threshold-kw"),
    (["simulate", "tha-yang", "--load-sigma", "nan"], "--load-sigma"),
    (["forecast", "pv", "--lat", "nan", "--lon", "100", "--kwp", "10"], "--lat"),
])
def test_nan_and_inf_are_refused_with_the_option_named(args, option):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert option in result.output and "not a finite number" in result.output


def test_finite_float_keeps_ranges_and_plain_numbers():
    assert FINITE_FLOAT.convert("2.5", None, None) == 2.5
    bounded = FiniteFloat(0, 1)
    assert bounded.convert("0.3", None, None) == 0.3
    for text in ("1.5", "nan", "inf"):
        with pytest.raises(click.BadParameter):
            bounded.convert(text, None, None)
