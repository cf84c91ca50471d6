"""Incentives by hand: the BOI holiday removes tax in exactly its years, capped; T-VER credits less
costs; grants; import duty; who receives each under every structure; sources in the defaults."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from finance_cases import simple_inputs
from munigrid.models.finance import Component, FinanceSettings, evaluate_case
from munigrid.models.finance.defaults import default_incentives, finance_defaults
from munigrid.models.finance.incentives import LINES, Incentives, boi_exemption_thb, tver_thb
from munigrid.models.finance.structures import EscoGuaranteedSavings, EscoSharedSavings, MunicipalOwnership, Ppa

SETTINGS = FinanceSettings(municipality_discount_frac=0.05, investor_discount_frac=0.08, cit_frac=0.2,
                           loss_carryforward_years=5)


def test_boi_exemption_by_hand_holiday_years_and_cap():
    tax = np.array([0.0, 100.0, 100.0, 100.0, 100.0])
    holiday = Incentives(boi_cit_holiday_years=3, boi_cit_cap_frac=0.25)
    assert boi_exemption_thb(tax, holiday, investment_thb=1000.0).tolist() == [0.0, 100.0, 100.0, 50.0, 0.0]
    uncapped = Incentives(boi_cit_holiday_years=3)
    assert boi_exemption_thb(tax, uncapped, investment_thb=0.0).tolist() == [0.0, 100.0, 100.0, 100.0, 0.0]


def test_cit_holiday_removes_the_investor_tax_in_exactly_those_years():
    esco = EscoSharedSavings(term_years=10, esco_share_frac=0.7)
    plain = evaluate_case(simple_inputs(), esco, SETTINGS)
    holiday = evaluate_case(simple_inputs(incentives=Incentives(boi_cit_holiday_years=4)), esco, SETTINGS)
    taxed = plain.investor.tax_thb
    assert np.all(taxed[1:5] > 0)
    assert holiday.investor.tax_thb[1:5].tolist() == [0.0] * 4
    np.testing.assert_allclose(holiday.investor.tax_thb[5:], taxed[5:])
    np.testing.assert_allclose(holiday.investor.tax_exempt_thb[1:5], taxed[1:5])
    # by hand: taxable 0.7 x 400,000 - 2,000,000 / 10 = 80,000 THB a year, CIT 20 % = 16,000 THB;
    # a cap of 1 % of the 2,000,000 THB investment (20,000 THB) exempts 16,000 then 4,000
    assert taxed[1:5].tolist() == pytest.approx([16_000.0] * 4)
    capped = evaluate_case(simple_inputs(incentives=Incentives(boi_cit_holiday_years=4, boi_cit_cap_frac=0.01)),
                           esco, SETTINGS)
    assert capped.investor.tax_exempt_thb[:6].tolist() == pytest.approx([0.0, 16_000.0, 4_000.0, 0.0, 0.0, 0.0])
    assert capped.investor.metrics().npv_thb < holiday.investor.metrics().npv_thb


def test_tver_credits_less_registration_and_verification_by_hand():
    # 100,000 kWh avoided a year at 0.5 kg/kWh = 50 t; 50 t x 100 THB = 5,000 THB a year for 3 years;
    # registration 1,000 in year 1; verification 500 in year 2 (every 2 years) and year 3 (end of crediting)
    incentives = Incentives(tver_price_thb_per_tco2e=100.0, grid_kg_per_kwh=0.5, tver_crediting_years=3,
                            tver_registration_thb=1000.0, tver_verification_thb=500.0,
                            tver_verification_every_years=2)
    avoided = np.array([0.0, 1e5, 1e5, 1e5, 1e5])
    assert tver_thb(avoided, incentives).tolist() == [0.0, 4000.0, 4500.0, 4500.0, 0.0]


def _lines(case, party: str) -> dict[str, np.ndarray]:
    return {k: v for k, v in getattr(case, party).lines.items() if k in LINES.values()}


GRANT_TVER = Incentives(tver_price_thb_per_tco2e=100.0, grid_kg_per_kwh=0.5, tver_crediting_years=10,
                        grant_capital_frac=0.1, grant_performance_thb_per_kwh=0.5, grant_performance_years=2)


def test_municipal_ownership_gives_every_incentive_to_the_municipality():
    case = evaluate_case(simple_inputs(incentives=GRANT_TVER), MunicipalOwnership(), SETTINGS)
    lines = _lines(case, "municipality")
    assert lines[LINES["grant_capital"]][0] == pytest.approx(200_000.0)
    # 100,000 kWh avoided: 50 t x 100 THB; performance 0.5 THB/kWh x 100,000 kWh PV used, 2 years
    assert lines[LINES["tver"]][1:].tolist() == pytest.approx([5000.0] * 10)
    assert lines[LINES["grant_performance"]].tolist() == pytest.approx([0, 50_000, 50_000] + [0] * 8)
    assert _lines(case, "investor") == {}
    assert case.balance_error_thb() < 1e-6


def test_esco_shared_savings_investor_receives_until_hand_over_then_the_municipality():
    case = evaluate_case(simple_inputs(incentives=replace(GRANT_TVER, boi_cit_holiday_years=8)),
                         EscoSharedSavings(term_years=6), SETTINGS)
    investor, municipality = _lines(case, "investor"), _lines(case, "municipality")
    assert investor[LINES["grant_capital"]][0] == pytest.approx(200_000.0)
    assert np.flatnonzero(investor[LINES["tver"]]).tolist() == list(range(1, 7))
    assert np.flatnonzero(municipality[LINES["tver"]]).tolist() == list(range(7, 11))
    assert case.investor.tax_exempt_thb is not None
    assert case.balance_error_thb() < 1e-6


def test_guaranteed_savings_owner_is_the_municipality():
    case = evaluate_case(simple_inputs(incentives=GRANT_TVER), EscoGuaranteedSavings(term_years=5), SETTINGS)
    assert set(_lines(case, "municipality")) == {LINES["grant_capital"], LINES["tver"], LINES["grant_performance"]}
    assert _lines(case, "investor") == {}


def test_import_duty_exemption_goes_to_a_boi_investor_that_buys_the_equipment():
    battery = Component("battery", 1_100_000.0, 25, energy_basis="battery", tax_life_years=10)
    inputs = simple_inputs(components=(*simple_inputs().components, battery))
    duty = Incentives(boi_cit_holiday_years=8, boi_import_duty_exempt=True,
                      duty_frac_by_component=(("battery", 0.1),), imported_share_frac=1.0)
    ppa = evaluate_case(replace(inputs, incentives=duty), Ppa(term_years=10), SETTINGS)
    # 1,100,000 THB turnkey with 10 % duty inside: 1,100,000 x 0.1 / 1.1 = 100,000 THB
    assert _lines(ppa, "investor")[LINES["duty"]][0] == pytest.approx(100_000.0)
    municipal = evaluate_case(replace(inputs, incentives=duty), MunicipalOwnership(), SETTINGS)
    assert LINES["duty"] not in _lines(municipal, "municipality")


def test_every_incentive_default_names_its_source_and_date():
    def leaves(node, path=""):
        if isinstance(node, dict) and "value" in node:
            yield path, node
        elif isinstance(node, dict):
            for key, child in node.items():
                yield from leaves(child, f"{path}.{key}")

    found = list(leaves(finance_defaults()["incentives"]))
    assert len(found) >= 15
    for path, node in found:
        assert node.get("source") and node.get("date"), path
        assert "assumption" in node["source"] or "BOI" in node["source"] or "TGO" in node["source"], path
    assert default_incentives("esco", tver=True).boi_cit_holiday_years == 8
    assert default_incentives("solar-measure").boi_cit_cap_frac == 0.5


def test_bad_incentive_values_are_named():
    from munigrid.models.errors import InputError

    with pytest.raises(InputError) as err:
        evaluate_case(simple_inputs(incentives=Incentives(grant_capital_frac=1.5, tver_crediting_years=0)),
                      MunicipalOwnership(), SETTINGS)
    assert {p.path for p in err.value.problems} == {"incentives.grant_capital_frac", "incentives.tver_crediting_years"}
