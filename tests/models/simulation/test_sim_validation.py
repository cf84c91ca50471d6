"""Validation against real data in ../shared/data (skipped where it is absent)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from munigrid.models.simulation.montecarlo import monte_carlo, summarize
from munigrid.models.simulation.params import BatteryParams
from munigrid.models.simulation.replay import replay_schedule
from munigrid.models.simulation.sampling import SampleSource
from munigrid.models.simulation.tariff_arrays import flat_tariff
from munigrid.models.timegrid import TZ


def _published_schedule(shared_data):
    frame = pd.read_csv(shared_data / "thai_campus_microgrid" / "day_ahead_milp_solution.csv")
    index = pd.DatetimeIndex(pd.to_datetime(frame.pop("datetime"), format="%d-%b-%Y %H:%M:%S"), name="time")
    return frame.set_index(index.tz_localize(TZ))


@pytest.mark.parametrize("unit", [1, 2])
def test_replay_reproduces_the_published_milp_soc(shared_data, unit):
    """The emsCUEE day-ahead MILP (125 kWh / 30 kW, eta_c 0.95, eta_d 0.8835, SoC 20-80 % from 50 %):
    replaying its set points with our recurrence gives its SoC trajectory, with nothing unmet."""
    sol = _published_schedule(shared_data)
    battery = BatteryParams(125.0, 30.0, 0.95, 0.8835, 0.2, 0.8, 0.5)
    schedule = pd.DataFrame({"charge_kw": sol[f"Pchg_{unit}"], "discharge_kw": sol[f"Pdchg_{unit}"],
                             "import_kw": (-sol["Pnet"]).clip(lower=0)}, index=sol.index)
    actual = pd.DataFrame({"load_kw": sol["PL"], "pv_kw": sol["PV"].clip(lower=0)}, index=sol.index)
    result = replay_schedule(schedule, actual, battery, export_allowed=True)
    np.testing.assert_allclose(result.trace.soc_kwh, sol[f"soc_{unit}"] / 100 * 125.0, atol=1e-6)
    assert result.trace.unmet_charge_kw.abs().max() < 1e-6
    assert result.trace.unmet_discharge_kw.abs().max() < 1e-6


def test_published_net_power_follows_the_same_balance(shared_data):
    """Pnet = PV - PL - charge + discharge of both batteries: the balance our kernels conserve."""
    sol = _published_schedule(shared_data)
    balance = sol.PV - sol.PL - sol.Pchg_1 - sol.Pchg_2 + sol.Pdchg_1 + sol.Pdchg_2
    np.testing.assert_allclose(balance, sol.Pnet, atol=1e-6)


@pytest.mark.slow
def test_bootstrap_of_a_metered_bangkok_office_year(shared_data):
    """Chamchuri 5 (CU-BEMS) metered year: the bootstrap keeps the annual energy and weekly shape."""
    raw = pd.read_csv(shared_data / "thai_office_load" / "chamchuri5_hourly.csv")
    load = raw["Load"].to_numpy(dtype=float)
    assert load.size == 8760 and np.isfinite(load).all()
    hour = np.arange(8760) % 24
    pv = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * 0.8  # clear-sky-like shape [kW/kWp]
    source = SampleSource.bootstrap(load, pv, n_steps=8760, step_h=1.0)
    tariff = flat_tariff(8760, 4.5, period_of_step=np.minimum(np.arange(8760) // 730, 11), demand_thb_per_kw=220.0)
    ds = monte_carlo(source, BatteryParams(0.0, 0.0), 0.0, tariff, step_h=1.0, n_samples=400, seed=11)
    annual = ds.load_kwh.values
    assert abs(annual.mean() / load.sum() - 1) < 0.01
    assert annual.std() / annual.mean() < 0.05
    table = summarize(ds)
    assert table.cost_thb.sel(quantile="P10") < table.cost_thb.sel(quantile="P90")
