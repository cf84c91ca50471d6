"""Metrics against hand calculations and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from munigrid.models.errors import InputError
from munigrid.models.finance.metrics import (
    annuity_payment_thb,
    crf,
    irr,
    lcoe_thb_per_kwh,
    npv,
    payback_years,
    sign_pattern,
)


def test_npv_by_hand():
    assert npv(0.10, [-100, 60, 60]) == pytest.approx(-100 + 60 / 1.1 + 60 / 1.21)
    assert npv(0.0, [-100, 60, 60]) == pytest.approx(20.0)


def test_crf_closed_form_and_zero_rate():
    assert crf(0.10, 2) == pytest.approx(0.1 * 1.21 / 0.21)
    assert crf(0.0, 5) == pytest.approx(0.2)
    # an annuity repays exactly its principal: PV of n payments at r equals P
    payment = annuity_payment_thb(1_000_000, 0.07, 15)
    assert npv(0.07, [0.0] + [payment] * 15) == pytest.approx(1_000_000, rel=1e-12)


def test_irr_of_an_annuity_is_its_rate():
    payment = annuity_payment_thb(1000, 0.07, 10)
    result = irr([-1000] + [payment] * 10)
    assert result.status == "unique"
    assert result.rate_frac == pytest.approx(0.07, abs=1e-9)


def test_irr_one_period():
    assert irr([-100, 110]).rate_frac == pytest.approx(0.10)


@pytest.mark.parametrize("flows, reason", [([100, 50, 20], "positive"), ([-5, -1], "negative"),
                                           ([0, 0, 0], "zero")])
def test_irr_that_does_not_exist_is_reported(flows, reason):
    result = irr(flows)
    assert result.status == "none" and result.rate_frac is None
    assert reason in result.reason
    assert "no IRR" in str(result)


def test_irr_with_sign_changes_but_no_root():
    # 1 - 3x + 3x^2 > 0 for every x: no discount rate makes it zero
    result = irr([1, -3, 3])
    assert result.status == "none" and result.rate_frac is None


def test_multiple_irrs_are_listed_not_picked():
    # -1 + 5x - 6x^2 = 0 at x = 1/2 and 1/3, i.e. r = 100 % and 200 %
    result = irr([-1, 5, -6])
    assert result.status == "multiple" and result.rate_frac is None
    assert result.roots_frac == pytest.approx((1.0, 2.0), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.floats(1e3, 1e7), st.lists(st.floats(1.0, 5e6), min_size=1, max_size=30))
def test_npv_at_a_unique_irr_is_zero(capex, inflows):
    flows = np.array([-capex, *inflows])
    result = irr(flows)
    assert result.status == "unique"  # one sign change: Descartes allows one positive root at most
    # the NPV at the root is tiny relative to the flows
    x = 1.0 / (1.0 + result.rate_frac)
    assert abs(np.polyval(flows[::-1], x)) <= 1e-6 * np.abs(flows).sum()


def test_payback_by_hand():
    assert payback_years([-100, 30, 30, 30, 30]) == pytest.approx(3 + 10 / 30)
    assert payback_years([-100, 10, 10]) is None
    assert payback_years([0, 5, 5]) == 0.0
    assert payback_years([0, 0]) is None
    # discounted at 10 %: -100, 60/1.1, 60/1.21 -> cumulative -45.45, +4.13
    s1, s2 = -100 + 60 / 1.1, -100 + 60 / 1.1 + 60 / 1.21
    assert payback_years([-100, 60, 60], 0.10) == pytest.approx(1 + (-s1) / (s2 - s1))


def test_payback_ignores_a_temporary_crossing():
    # cumulative goes positive in year 2, negative again in year 3 (a replacement), positive in year 4
    assert payback_years([-100, 60, 60, -50, 60]) == pytest.approx(3 + 30 / 60)


def test_lcoe_closed_form():
    # capex C now, energy E each year for n years: LCOE = C * CRF(r, n) / E
    costs = np.zeros(21)
    costs[0] = 1_000_000
    energy = np.r_[0.0, np.full(20, 50_000.0)]
    assert lcoe_thb_per_kwh(0.06, costs, energy) == pytest.approx(1_000_000 * crf(0.06, 20) / 50_000)
    assert lcoe_thb_per_kwh(0.06, costs, np.zeros(21)) is None


def test_negative_discount_rate_is_named():
    with pytest.raises(InputError, match="discount_rate_frac"):
        npv(-0.01, [1, 2])
    with pytest.raises(InputError, match="rate_frac"):
        crf(-0.05, 10)


def test_sign_pattern_lists_runs_of_years():
    assert sign_pattern([-100, 30, 30, 0, -10, -5]) == "- in year 0, + in years 1-2, - in years 4-5"
    assert sign_pattern([0, 0]) == ""


def test_irr_of_flows_positive_first_negative_later_is_not_a_return():
    # +100 now, -110 next year: the NPV is zero at 10 %, but it is the cost of a loan (NPV rises
    # with the rate: at 0 % it is -10, at 20 % it is +8.3), so no IRR is shown, the reason is
    result = irr([100, -110])
    assert result.status == "borrowing" and result.rate_frac is None
    assert result.roots_frac == pytest.approx((0.10,))
    assert "+ in year 0, - in year 1" in result.reason and "10.00%" in result.reason
    assert npv(0.0, [100, -110]) < 0 < npv(0.2, [100, -110])
    # the mirror image is an investment: a 10 % return
    assert irr([-100, 110]).status == "unique"


def test_irr_of_a_guaranteed_savings_investor_pattern():
    # fees above O&M for 6 years, then shortfall payments for 4: one root, the flows end negative
    flows = [0.0] + [50_000.0] * 6 + [-90_000.0] * 4
    result = irr(flows)
    assert result.status == "borrowing" and result.rate_frac is None
    assert "+ in years 1-6, - in years 7-10" in result.reason
