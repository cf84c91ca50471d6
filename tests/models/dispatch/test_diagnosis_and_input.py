"""Infeasible problems are diagnosed; bad input raises InputError with every problem."""

from __future__ import annotations

import numpy as np
import pytest

from munigrid.models.dispatch import Battery, DispatchProblem, Meter, PVArray, SolveStatus, solve
from munigrid.models.errors import InputError, NoSolutionError


def test_infeasible_names_the_conflicting_family(flat_terms):
    """20 kW of load behind a 10 kW connection without shedding cannot balance."""
    meter = Meter("m", np.full(4, 20.0), flat_terms(np.full(4, 4.0)), import_limit_kw=10.0)
    result = solve(DispatchProblem(1.0, [meter]))
    assert result.status is SolveStatus.INFEASIBLE
    assert result.diagnosis and result.diagnosis[0].startswith("power_balance: 4 row(s)")
    with pytest.raises(NoSolutionError) as err:
        result.require_solution()
    assert "power_balance" in str(err.value)


def test_final_state_of_charge_conflict_is_named(flat_terms):
    """A battery that must end at its upper limit but cannot charge (outage, no PV) conflicts in its final SoC."""
    bat = Battery(energy_kwh=10, power_kw=5, soc_initial_frac=0.2, soc_final_frac=0.9)
    meter = Meter("m", np.full(4, 1.0), flat_terms(np.full(4, 4.0)), battery=bat, outage=np.ones(4, bool),
                  voll_thb_per_kwh=100.0, critical_frac=0.0)
    result = solve(DispatchProblem(1.0, [meter]))
    assert result.status is SolveStatus.INFEASIBLE
    assert any(line.startswith(("soc_final", "soc_dynamics", "power_balance")) for line in result.diagnosis)


def test_bad_input_lists_every_problem(flat_terms):
    bat = Battery(energy_kwh=10, charge_eff_frac=1.2, soc_min_frac=0.8, soc_max_frac=0.5)
    meter = Meter("m", np.full(4, 1.0), flat_terms(np.full(5, 4.0)), battery=bat,
                  pv=[PVArray("roof", np.ones(3))], critical_frac=1.5)
    with pytest.raises(InputError) as err:
        solve(DispatchProblem(0.5, [meter]))
    paths = {p.path for p in err.value.problems}
    assert {"step_h", "meters[0].terms.import_thb_per_kwh", "meters[0].pv[0].ac_kw_per_kwp",
            "meters[0].battery.charge_eff_frac", "meters[0].battery.soc_min_frac", "meters[0].battery.power_kw",
            "meters[0].critical_frac"} <= paths
