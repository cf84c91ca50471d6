"""Ownership structures: parties add up, hand calculations, tax, debt, and named input errors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from finance_cases import battery_inputs, simple_inputs
from munigrid.models.errors import InputError
from munigrid.models.finance import (
    Component,
    Escalation,
    FinanceSettings,
    Financing,
    Loan,
    evaluate_case,
)
from munigrid.models.finance.debt import debt_schedule
from munigrid.models.finance.metrics import annuity_payment_thb, npv
from munigrid.models.finance.structures import (
    EscoGuaranteedSavings,
    EscoSharedSavings,
    MunicipalOwnership,
    Ppa,
    PppAvailability,
)
from munigrid.models.finance.tax import corporate_tax_thb, depreciation_thb

ALL_STRUCTURES = [
    MunicipalOwnership(),
    MunicipalOwnership(Financing(0.7, 0.05, 10)),
    EscoSharedSavings(term_years=15, financing=Financing(0.6, 0.06, 8)),
    EscoSharedSavings(baseline="year1_prices"),
    EscoGuaranteedSavings(term_years=10),
    Ppa(discount_to_grid_frac=0.15, financing=Financing(0.7, 0.06, 10)),
    Ppa(price_thb_per_kwh=3.2, escalation_frac_per_year=0.02, buyout_year=8),
    PppAvailability(term_years=15, financing=Financing(0.6, 0.05, 12)),
]
NO_TAX = FinanceSettings(cit_frac=0.0)


@pytest.mark.parametrize("structure", ALL_STRUCTURES, ids=lambda s: s.name)
def test_parties_add_up_to_the_project(structure, mixed):
    case = evaluate_case(mixed, structure)
    assert case.balance_error_thb() < 1e-6
    np.testing.assert_allclose(case.municipality.pre_tax_thb + case.investor.pre_tax_thb, case.project.net_thb,
                               atol=1e-6)
    summary = case.summary()  # every metric is a number or None, never NaN
    for party in ("project", "municipality", "investor"):
        for key, value in summary[party].items():
            assert not (isinstance(value, float) and np.isnan(value)), f"{party}.{key} is NaN"


def test_municipal_ownership_is_the_project(mixed):
    case = evaluate_case(mixed, MunicipalOwnership())
    np.testing.assert_allclose(case.municipality.equity_thb, case.project.net_thb)
    assert not np.any(case.investor.equity_thb)
    investor = case.investor.metrics()
    assert investor.irr.status == "none" and investor.irr.rate_frac is None
    assert case.municipality.metrics().npv_thb == pytest.approx(npv(0.06, case.project.net_thb))


def test_municipal_loan_equity_and_dscr(simple):
    case = evaluate_case(simple, MunicipalOwnership(Financing(0.5, 0.05, 5)))
    payment = annuity_payment_thb(1_000_000, 0.05, 5)
    assert case.municipality.equity_thb[0] == pytest.approx(-1_000_000)
    assert case.municipality.equity_thb[1] == pytest.approx(400_000 - payment)
    np.testing.assert_allclose(case.municipality.dscr[1:6], 400_000 / payment)
    assert np.isnan(case.municipality.dscr[6:]).all()
    assert case.municipality.metrics().min_dscr == pytest.approx(400_000 / payment)


def test_ppa_at_the_grid_tariff_leaves_the_municipality_no_saving(mixed):
    case = evaluate_case(mixed, Ppa(discount_to_grid_frac=0.0))
    lines = case.municipality.lines
    net_energy_saving = lines["bill_savings_thb"] + lines["ppa_payments_thb"]
    np.testing.assert_allclose(net_energy_saving, 0.0, atol=1e-6)
    metrics = case.municipality.metrics()
    assert metrics.net_savings_total_thb == pytest.approx(0.0, abs=1e-6)
    assert metrics.net_savings_year1_thb == pytest.approx(0.0, abs=1e-6)


def test_ppa_fixed_price_by_hand(simple):
    case = evaluate_case(simple, Ppa(term_years=10, price_thb_per_kwh=3.0, escalation_frac_per_year=0.02),
                         NO_TAX)
    years = np.arange(1, 11)
    np.testing.assert_allclose(case.investor.lines["ppa_payments_thb"][1:], 3.0 * 1.02 ** (years - 1) * 100_000)
    np.testing.assert_allclose(case.municipality.equity_thb[1:],
                               400_000 - 3.0 * 1.02 ** (years - 1) * 100_000 + np.r_[np.zeros(9), 1_200_000])
    # no tax: investor flows are -capex then the payments
    assert case.investor.equity_thb[0] == pytest.approx(-2_000_000)


def test_ppa_buyout_at_book_value(simple):
    # one component, 2,000,000 THB over 10 tax years: book value after 6 years is 800,000
    case = evaluate_case(simple, Ppa(term_years=10, price_thb_per_kwh=3.0, buyout_year=6))
    assert case.structure.buyout_price_thb == pytest.approx(800_000)
    assert case.investor.lines["transfer_price_thb"][6] == pytest.approx(800_000)
    assert not np.any(case.investor.lines["ppa_payments_thb"][7:])
    # selling at book value: no gain, the taxable income of year 6 is payments - depreciation
    assert case.investor.taxable_income_thb[6] == pytest.approx(300_000 + 800_000 - 200_000 - 800_000)


def test_investor_tax_by_hand(simple):
    # PPP, payment 500,000 for 10 years, no O&M; depreciation 200,000/yr; CIT 20 %
    case = evaluate_case(simple, PppAvailability(term_years=10, availability_payment_thb_per_year=500_000))
    np.testing.assert_allclose(case.investor.tax_thb[1:], 0.2 * (500_000 - 200_000))
    np.testing.assert_allclose(case.investor.after_tax_thb[1:], 500_000 - 60_000)
    assert not np.any(case.municipality.tax_thb)  # the municipality pays no tax


def test_ppp_payment_gives_the_target_irr(mixed):
    case = evaluate_case(mixed, PppAvailability(term_years=20, target_irr_frac=0.09,
                                                financing=Financing(0.6, 0.05, 12)))
    investor = case.investor.metrics()
    assert npv(0.09, case.investor.equity_thb) == pytest.approx(0.0, abs=1.0)
    assert investor.irr.status == "unique" and investor.irr.rate_frac == pytest.approx(0.09, abs=1e-5)


def test_esco_shared_savings_split_and_handover(mixed):
    structure = EscoSharedSavings(term_years=12, esco_share_frac=0.6)
    case = evaluate_case(mixed, structure)
    savings = case.project.energy.savings_thb
    np.testing.assert_allclose(case.investor.lines["shared_savings_payments_thb"][1:13], 0.6 * savings[1:13])
    assert not np.any(case.investor.lines["shared_savings_payments_thb"][13:])
    # after the hand-over the municipality operates and replaces
    assert not np.any(case.investor.lines["om_thb"][13:])
    assert case.municipality.lines["om_thb"][13] == pytest.approx(-case.project.om_thb[13])
    assert case.project.replacement_thb[18] > 0 and case.municipality.lines["replacements_thb"][18] < 0


def test_esco_year1_price_baseline_does_not_escalate(simple):
    inputs = replace(simple, escalation=Escalation("up", tariff_frac_per_year=0.03))
    case = evaluate_case(inputs, EscoSharedSavings(term_years=10, esco_share_frac=0.5, baseline="year1_prices"))
    np.testing.assert_allclose(case.investor.lines["shared_savings_payments_thb"][1:], 200_000)
    assert case.project.energy.savings_thb[5] == pytest.approx(400_000 * 1.03 ** 4)


def test_guaranteed_savings_shortfall_is_paid_by_the_esco(simple):
    base = evaluate_case(simple, EscoGuaranteedSavings(term_years=10, esco_fee_thb_per_year=30_000))
    assert base.structure.guaranteed_savings_thb == pytest.approx((360_000.0,) * 10)
    assert not np.any(base.investor.lines["guarantee_shortfall_thb"])
    poor_year = replace(simple, yield_factor=0.8)  # savings 320,000 < 360,000 guaranteed
    case = evaluate_case(poor_year, base.structure)
    np.testing.assert_allclose(case.investor.lines["guarantee_shortfall_thb"][1:], -40_000)
    np.testing.assert_allclose(case.municipality.lines["guarantee_shortfall_thb"][1:], 40_000)
    assert case.municipality.lines["capex_thb"][0] == pytest.approx(-2_000_000)  # municipality finances


def test_debt_schedule_closed_form():
    schedule = debt_schedule(Loan(1_000_000, 0.06, 8), 10)
    payment = annuity_payment_thb(1_000_000, 0.06, 8)
    np.testing.assert_allclose(schedule.service_thb[1:9], payment)
    assert schedule.principal_thb.sum() == pytest.approx(1_000_000)
    assert schedule.balance_thb[8] == pytest.approx(0.0, abs=1e-6)
    assert schedule.interest_thb[1] == pytest.approx(60_000)


def test_investor_dscr_is_cfads_over_service(simple):
    case = evaluate_case(simple, PppAvailability(term_years=10, availability_payment_thb_per_year=500_000,
                                                 financing=Financing(0.5, 0.05, 5)))
    debt = case.investor.debt
    np.testing.assert_allclose(case.investor.dscr[1:6], case.investor.after_tax_thb[1:6] / debt.service_thb[1:6])
    # interest is deductible: year-1 tax is 20 % of (payment - depreciation - interest)
    assert case.investor.tax_thb[1] == pytest.approx(0.2 * (500_000 - 200_000 - 50_000))


def test_losses_carried_forward_and_expire():
    tax = corporate_tax_thb(np.array([0, -100, 30, 30, 30, 30, 30, 30]), 0.2, 5)
    # the loss of year 1 covers years 2-6 (150 > 100), then taxable again
    np.testing.assert_allclose(tax, [0, 0, 0, 0, 0, 0.2 * 20, 0.2 * 30, 0.2 * 30])
    expired = corporate_tax_thb(np.array([-100, 0, 0, 10]), 0.2, 2)
    assert expired[3] == pytest.approx(2.0)


def test_depreciation_and_book_value():
    from munigrid.models.finance.project import CapitalSpend
    dep, book = depreciation_thb([CapitalSpend(0, "pv", 1000, 10), CapitalSpend(4, "inv", 100, 5)], 12, 6)
    assert dep[1] == pytest.approx(100) and dep[5] == pytest.approx(120) and dep[7] == 0
    assert book == pytest.approx(1000 - 600 + 100 - 40)


def test_bad_structure_terms_name_their_fields():
    inputs = simple_inputs(years=15, components=(Component("pv", 1_000_000, 15, energy_basis="pv", replace=False),))
    with pytest.raises(InputError) as err:
        evaluate_case(inputs, EscoSharedSavings(term_years=20, esco_share_frac=1.2),
                      FinanceSettings(municipality_discount_frac=-0.02))
    messages = [str(p) for p in err.value.problems]
    paths = {p.path for p in err.value.problems}
    assert {"structure.term_years", "structure.esco_share_frac", "settings.municipality_discount_frac"} <= paths
    assert any("longer than the 15-year life of 'pv'" in m for m in messages)


def test_buyout_after_the_term_is_named(simple):
    with pytest.raises(InputError, match=r"structure.buyout_year: must fall within the term \(1..8\), got 9"):
        evaluate_case(simple, Ppa(term_years=8, buyout_year=9))


def test_loan_tenor_beyond_the_contract_is_named(simple):
    with pytest.raises(InputError, match="structure.financing.tenor_years"):
        evaluate_case(simple, PppAvailability(term_years=6, financing=Financing(0.5, 0.05, 8)))


def test_term_within_life_when_replaced_is_fine():
    inputs = battery_inputs()
    case = evaluate_case(inputs, Ppa(term_years=20))  # battery life 10 < 20 but it is replaced
    assert case.project.replacement_thb.sum() > 0
