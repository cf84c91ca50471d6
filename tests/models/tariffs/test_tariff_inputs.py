"""Bad input: a clear error or an explicit, reported handling, never a silently wrong bill."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.models.errors import InputError
from munigrid.forecasting.meter import read_meter
from munigrid.models.tariffs import FtSchedule, get_tariff, list_tariffs

INDEX = pd.date_range("2025-06-01", "2025-06-03", freq="15min", inclusive="left", tz="Asia/Bangkok")


def _load(index=INDEX, kw=10.0):
    return pd.Series(kw, index=index)


def test_unknown_tariff_suggests_close_ids():
    with pytest.raises(InputError, match="did you mean pea-3.2-lt22kv"):
        get_tariff("pea-3.2-lt22")
    with pytest.raises(InputError, match="munigrid tariffs"):
        get_tariff("nonsense")


def test_library_lists_every_category_and_voltage():
    ids = {t.id for t in list_tariffs()}
    for utility, bands in (("pea", ("ge69kv", "22-33kv", "lt22kv")), ("mea", ("ge69kv", "12-24kv", "lt12kv"))):
        for code in ("3.1", "3.2", "4.1", "4.2"):
            assert {f"{utility}-{code}-{b}" for b in bands} <= ids
        for code in ("2.1", "2.2"):
            assert {f"{utility}-{code}-{b}" for b in bands[1:]} <= ids
    assert len(ids) == 32


def test_bad_overrides_name_the_path():
    with pytest.raises(InputError, match="no field 'on_pk'"):
        get_tariff("pea-3.2-lt22kv", {"energy.rates_thb_per_kwh.on_pk": 4.5})
    with pytest.raises(InputError, match="ratchet_frac"):
        get_tariff("pea-3.2-lt22kv", {"demand.0.ratchet_frac": 1.5})


def test_gaps_duplicates_and_naive_stamps_are_all_reported_at_once():
    gappy = _load().drop(INDEX[10])
    with pytest.raises(InputError, match="gaps"):
        get_tariff("pea-3.2-lt22kv").bill(gappy, ft=0.2)
    duplicated = pd.concat([_load(), _load().iloc[:3]])
    with pytest.raises(InputError, match="duplicate"):
        get_tariff("pea-3.2-lt22kv").bill(duplicated, ft=0.2)
    naive = pd.Series(10.0, index=INDEX.tz_localize(None))
    with pytest.raises(InputError, match="no time zone"):
        get_tariff("pea-3.2-lt22kv").bill(naive, ft=0.2)


def test_mixed_steps_are_an_error():
    mixed = INDEX[:8].append(pd.date_range(INDEX[8], periods=5, freq="h"))
    with pytest.raises(InputError, match="gaps"):
        get_tariff("pea-3.2-lt22kv").bill(pd.Series(1.0, index=mixed), ft=0.2)


def test_missing_values_and_negative_import_without_export_are_errors():
    load = _load()
    load.iloc[[3, 4]] = np.nan
    load.iloc[7] = -5.0
    with pytest.raises(InputError) as err:
        get_tariff("pea-3.2-lt22kv").bill(load, ft=0.2)
    messages = " | ".join(str(p) for p in err.value.problems)
    assert "2 missing" in messages


def test_negative_import_is_export_which_thai_tariffs_do_not_allow():
    load = _load()
    load.iloc[7] = -5.0
    with pytest.raises(InputError, match="does not allow"):
        get_tariff("pea-3.2-lt22kv").bill(load, ft=0.2)
    with pytest.raises(InputError, match="export is not allowed"):
        get_tariff("pea-3.2-lt22kv").bill(_load(), ft=0.2, export_kw=_load(kw=1.0))


def test_ft_missing_for_a_month_is_an_error_unless_a_fallback_is_chosen():
    late = pd.date_range("2027-01-01", "2027-01-03", freq="h", inclusive="left", tz="Asia/Bangkok")
    tariff = get_tariff("pea-3.2-lt22kv")
    with pytest.raises(InputError, match="no Ft value for months 2027-01"):
        tariff.bill(_load(late))
    bill = tariff.bill(_load(late), ft=FtSchedule.builtin(fallback="last_known"))
    assert bill.monthly.ft_thb_per_kwh.iloc[0] == pytest.approx(0.1623)
    assert any("last known" in n for n in bill.notes)
    terms = tariff.cost_terms(late, ft=FtSchedule.builtin(fallback="last_known"))
    assert any("last known" in n for n in terms.notes)
    assert any("holiday dates after 2025 are projected" in n for n in terms.notes)


def test_partial_month_is_reported():
    bill = get_tariff("pea-3.2-lt22kv").bill(_load(), ft=0.2)
    assert any("covers 2 of 30 days" in n for n in bill.notes)


def test_naive_series_needs_a_zone_while_meter_files_default_to_bangkok(tmp_path):
    naive = pd.Series(5.0, index=INDEX.tz_localize(None))
    with pytest.raises(InputError, match="no time zone"):
        get_tariff("pea-3.2-lt22kv").bill(naive, ft=0.2)
    path = tmp_path / "meter.csv"
    pd.DataFrame({"time": INDEX.tz_localize(None).strftime("%Y-%m-%d %H:%M"), "import_kw": 5.0}).to_csv(path, index=False)
    meter = read_meter(path)  # naive stamps: the --tz default, Asia/Bangkok
    assert get_tariff("pea-3.2-lt22kv").bill(meter.load_kw, ft=0.2).monthly.energy_kwh.iloc[0] == pytest.approx(5 * 48)
    assert meter.kvar is None and meter.export_kw is None


def test_meter_csv_without_a_power_column(tmp_path):
    path = tmp_path / "meter.csv"
    pd.DataFrame({"time": ["2025-01-01T00:00+07:00", "2025-01-01T00:15+07:00"], "kvar": [1, 2]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="no load column"):
        read_meter(path)
