"""For every built-in tariff, the optimiser's cost of a fixed schedule equals the bill.

The schedule has whole-kW powers, so the bill's demand rounding cannot differ from the
unrounded cost terms; what remains is the satang rounding of each bill item (at most half a
satang per item and month, VAT included).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.models.tariffs import get_tariff, list_tariffs

SATANG_SLACK_PER_MONTH = 0.05


def _schedule(freq: str) -> pd.Series:
    # January-February 2025: New Year, Children's Day (Sat), Makha Bucha (12 Feb, Wed)
    index = pd.date_range("2025-01-01", "2025-03-01", freq=freq, inclusive="left", tz="Asia/Bangkok")
    rng = np.random.default_rng(7)
    hour = index.hour.to_numpy()
    shape = np.where((hour >= 8) & (hour < 17), 60, 15)
    return pd.Series((shape + rng.integers(0, 25, len(index))).astype(float), index=index)


@pytest.mark.parametrize("freq", ["15min", "h"])
@pytest.mark.parametrize("tariff_id", [t.id for t in list_tariffs()])
def test_cost_terms_equal_the_bill(tariff_id, freq):
    tariff = get_tariff(tariff_id)
    load = _schedule(freq)
    bill = tariff.bill(load)
    terms = tariff.cost_terms(load.index)
    slack = SATANG_SLACK_PER_MONTH * len(bill.monthly)
    assert terms.cost_thb(load.to_numpy()) == pytest.approx(bill.total_thb, abs=slack)


@pytest.mark.parametrize("tariff_id", [t.id for t in list_tariffs() if t.has_demand_charge])
def test_cost_terms_equal_the_bill_when_the_minimum_charge_binds(tariff_id):
    tariff = get_tariff(tariff_id)
    load = _schedule("15min")
    bill = tariff.bill(load, ft=0.2, ratchet_history_thb=1e6)
    assert (bill.monthly.min_charge_adjustment_thb > 0).all()
    terms = tariff.cost_terms(load.index, ft=0.2, ratchet_history_thb=1e6)
    assert terms.cost_thb(load.to_numpy()) == pytest.approx(bill.total_thb, abs=2 * SATANG_SLACK_PER_MONTH)


def test_registered_demand_of_the_month_in_progress_raises_the_cost():
    # without the minimum charge, so that only January's demand changes
    tariff = get_tariff("pea-3.2-22-33kv", {"demand.0.ratchet_frac": 0.0, "demand.0.ratchet_lookback_months": 0})
    load = _schedule("15min")
    plain = tariff.cost_terms(load.index).cost_thb(load.to_numpy())
    registered = tariff.cost_terms(load.index, registered_kw=200.0).cost_thb(load.to_numpy())
    on_peak_max_jan = load[:"2025-01-31"].max()
    assert registered - plain == pytest.approx((200 - on_peak_max_jan) * 132.93 * 1.07)


def test_block_tariff_terms_are_convex_and_tou_terms_carry_vat_and_ft():
    terms = get_tariff("pea-2.1-lt22kv").cost_terms(_schedule("h").index)
    assert terms.is_convex and terms.energy_blocks is not None
    tou = get_tariff("mea-2.2-12-24kv").cost_terms(_schedule("h").index)
    assert set(np.round(tou.import_thb_per_kwh, 6)) == {round((5.1135 + 0.3672) * 1.07, 6),
                                                        round((2.6037 + 0.3672) * 1.07, 6)}
    assert not tou.export_allowed
