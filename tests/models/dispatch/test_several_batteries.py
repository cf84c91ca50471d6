"""Several batteries on one meter: hand-solvable cases and the one-battery shorthand."""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, solve
from munigrid.models.dispatch.layout import build_model_data
from munigrid.models.dispatch.standard_form import compile_instance


def _bank(name: str, eff_frac: float, degradation_thb_per_kwh: float = 0.0) -> Battery:
    """10 kWh / 10 kW, empty at the start, free at the end, one-way efficiency ``eff_frac``."""
    return Battery(energy_kwh=10, power_kw=10, charge_eff_frac=eff_frac, discharge_eff_frac=eff_frac,
                   soc_min_frac=0.0, soc_max_frac=1.0, soc_initial_frac=0.0, soc_final_frac=0.0,
                   degradation_thb_per_kwh=degradation_thb_per_kwh, name=name)


def _two_steps(flat_terms, evening_load_kw: float, batteries: list[Battery]):
    """Step 0: no load at 1 THB/kWh; step 1: ``evening_load_kw`` at 5 THB/kWh (1 h steps)."""
    meter = Meter("hall", np.array([0.0, evening_load_kw]), flat_terms([1.0, 5.0]), batteries=batteries)
    return solve(DispatchProblem(1.0, [meter])).require_solution()


def test_the_better_battery_is_used_first(flat_terms):
    """LFP (0.9 each way, round trip 0.81) and lead-acid (0.7, round trip 0.49). A 5 kW evening fits
    in the LFP bank: it charges 5 / 0.81 = 6.1728 kWh at 1 THB and the lead-acid bank stays idle."""
    result = _two_steps(flat_terms, 5.0, [_bank("lead_acid", 0.7), _bank("lfp", 0.9)])
    banks = result.schedules["hall"].batteries
    assert banks["lfp"].charge_kw[0] == pytest.approx(5 / 0.81)
    assert banks["lfp"].discharge_kw[1] == pytest.approx(5.0)
    assert banks["lead_acid"].charge_kw.sum() == pytest.approx(0.0, abs=1e-9)
    assert result.objective_thb == pytest.approx(5 / 0.81)


def test_the_worse_battery_takes_what_the_better_cannot(flat_terms):
    """12 kW in the evening: the LFP bank charges at its 10 kW limit (9 kWh stored, 8.1 kWh delivered);
    the lead-acid bank delivers the other 3.9 kWh at 1 / 0.49 THB each, cheaper than 5 THB from the grid:
    cost 10 + 3.9 / 0.49 = 17.959 THB."""
    result = _two_steps(flat_terms, 12.0, [_bank("lead_acid", 0.7), _bank("lfp", 0.9)])
    banks = result.schedules["hall"].batteries
    assert banks["lfp"].discharge_kw[1] == pytest.approx(8.1)
    assert banks["lead_acid"].discharge_kw[1] == pytest.approx(3.9)
    assert result.schedules["hall"].import_kw[1] == pytest.approx(0.0, abs=1e-9)
    assert result.objective_thb == pytest.approx(10 + 3.9 / 0.49)
    np.testing.assert_allclose(result.schedules["hall"].soc_kwh, banks["lfp"].soc_kwh + banks["lead_acid"].soc_kwh)


def test_the_wear_cost_of_each_bank_counts(flat_terms):
    """Same efficiency (0.9), wear 0.2 against 4.5 THB/kWh: shifting 1 kWh through the old bank costs
    1 / 0.81 + 4.5 = 5.73 THB, more than the 5 THB grid; through the new one 1.43 THB. 12 kW evening:
    the new bank delivers 8.1 kWh, the grid the other 3.9: 10 + 0.2 * 8.1 + 5 * 3.9 = 31.12 THB."""
    result = _two_steps(flat_terms, 12.0, [_bank("old", 0.9, 4.5), _bank("new", 0.9, 0.2)])
    banks = result.schedules["hall"].batteries
    assert banks["old"].discharge_kw.sum() == pytest.approx(0.0, abs=1e-9)
    assert result.objective_thb == pytest.approx(10 + 0.2 * 8.1 + 5 * 3.9)


def test_one_battery_in_the_list_is_the_shorthand(flat_terms):
    """``batteries=[b]`` and ``battery=b`` give the same matrix, bounds and costs."""
    bank = _bank("lfp", 0.9)
    load, terms = np.array([0.0, 5.0]), flat_terms([1.0, 5.0])
    forms = [compile_instance(build_model_data(DispatchProblem(1.0, [meter]))) for meter in
             (Meter("hall", load, terms, battery=bank), Meter("hall", load, terms, batteries=[bank]))]
    assert (forms[0].matrix != forms[1].matrix).nnz == 0
    np.testing.assert_array_equal(forms[0].cost, forms[1].cost)
    np.testing.assert_array_equal(forms[0].col_upper, forms[1].col_upper)


def test_a_meter_refuses_battery_and_a_different_list(flat_terms):
    with pytest.raises(ValueError, match="not both"):
        Meter("hall", np.zeros(2), flat_terms([1.0, 1.0]), battery=_bank("a", 0.9), batteries=[_bank("b", 0.9)])


def test_battery_names_are_unique_on_a_meter(flat_terms):
    meter = Meter("hall", np.zeros(2), flat_terms([1.0, 1.0]), batteries=[_bank("a", 0.9), _bank("a", 0.8)])
    from munigrid.models.dispatch.validate import problems_of

    assert [p.path for p in problems_of(DispatchProblem(1.0, [meter]))] == ["meters[0].batteries"]
