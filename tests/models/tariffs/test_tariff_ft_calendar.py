"""Ft schedule by four-month period, and the TOU / TOD calendars with Thai holidays."""

from __future__ import annotations

import pandas as pd
import pytest

from munigrid.models.errors import InputError
from munigrid.models.tariffs import FtSchedule, get_tariff


def _months(*names):
    return pd.PeriodIndex(list(names), freq="M")


def test_builtin_ft_by_four_month_period_with_unverified_values_reported():
    resolved = FtSchedule.builtin().resolve(_months("2024-12", "2025-04", "2025-05", "2025-08", "2025-09", "2026-07"))
    assert resolved.ft_thb_per_kwh.tolist() == [0.3972, 0.3672, 0.1972, 0.1972, 0.1572, 0.1623]
    assert any("2025-09" in n and "unverified" in n for n in resolved.notes)
    assert not any("2025-05" in n for n in resolved.notes)


def test_user_values_for_later_periods_and_the_default_fallback(tmp_path):
    schedule = FtSchedule.builtin().with_values({"2026-09": 0.25})
    assert schedule.resolve(_months("2026-12")).ft_thb_per_kwh.tolist() == [0.25]
    csv = tmp_path / "ft.csv"
    csv.write_text("period,ft_thb_per_kwh\n2027-01,0.3\n")
    assert FtSchedule.from_file(csv).resolve(_months("2027-04")).ft_thb_per_kwh.tolist() == [0.3]
    fallback = FtSchedule.builtin(fallback="default", default_thb_per_kwh=0.2).resolve(_months("2030-01"))
    assert fallback.ft_thb_per_kwh.tolist() == [0.2] and "default" in fallback.notes[0]


def test_ft_period_keys_must_start_a_four_month_period():
    with pytest.raises(InputError, match="January, May or September"):
        FtSchedule({"2026-10": 0.2})


def _period_at(tariff_id, stamp, freq="15min"):
    tariff = get_tariff(tariff_id)
    index = pd.date_range(stamp, periods=2, freq=freq, tz="Asia/Bangkok")
    frac = tariff.grid(index).period_frac[0]
    return {p: f for p, f in zip(tariff.calendar.periods, frac) if f > 0}


@pytest.mark.parametrize(("stamp", "period"), [
    ("2025-06-10 09:00", "on_peak"),       # Tuesday
    ("2025-06-10 08:45", "off_peak"),
    ("2025-06-10 21:45", "on_peak"),
    ("2025-06-10 22:00", "off_peak"),
    ("2025-06-14 12:00", "off_peak"),      # Saturday
    ("2025-05-01 12:00", "off_peak"),      # Labour Day (Thursday)
    ("2025-06-03 12:00", "off_peak"),      # Queen Suthida's birthday (Tuesday)
    ("2025-05-05 12:00", "on_peak"),       # substitution for Coronation Day: not off-peak
    ("2025-05-09 12:00", "on_peak"),       # Royal Ploughing Day (government holiday only)
    ("2025-06-02 12:00", "on_peak"),       # cabinet bridge day: on-peak by default (unverified)
])
def test_thai_tou_calendar(stamp, period):
    assert _period_at("pea-3.2-lt22kv", stamp) == {period: 1.0}


def test_extra_offpeak_dates_and_the_bridge_day_setting():
    tariff = get_tariff("pea-3.2-lt22kv")
    index = pd.date_range("2025-06-02 12:00", periods=2, freq="15min", tz="Asia/Bangkok")
    assert tariff.grid(index, extra_offpeak_dates=["2025-06-02"]).period_frac[0].tolist() == [1.0, 0.0]
    with_bridges = get_tariff("pea-3.2-lt22kv", {"calendar.holidays.exclude_names_containing": []})
    assert with_bridges.grid(index).period_frac[0].tolist() == [1.0, 0.0]


@pytest.mark.parametrize(("stamp", "period"), [
    ("2025-06-14 18:30", "peak"), ("2025-06-14 21:15", "peak"), ("2025-06-14 21:30", "off_peak"),
    ("2025-06-14 08:00", "partial_peak"), ("2025-06-14 18:15", "partial_peak"), ("2025-06-14 07:45", "off_peak"),
])
def test_thai_tod_calendar_every_day(stamp, period):
    assert _period_at("pea-4.1-lt22kv", stamp) == {period: 1.0}


def test_an_hourly_step_straddling_18_30_is_split_and_counts_in_both_windows():
    assert _period_at("pea-4.1-lt22kv", "2025-06-14 18:00", "h") == {"peak": 0.5, "partial_peak": 0.5}
    tariff = get_tariff("pea-4.1-lt22kv")
    index = pd.date_range("2025-06-14 18:00", periods=2, freq="h", tz="Asia/Bangkok")
    grid = tariff.grid(index)
    assert grid.demand[0].mask[:, 0].tolist() == [True, True]
    assert any("straddle" in n for n in grid.notes)
