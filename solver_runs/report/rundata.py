"""Everything a run report reads from a run folder, loaded once.

Files read (all under the run folder; only the first three are required):

=========================  ==================================================================
``manifest.json``          scenario name, inputs hash, versions, ``solver.meters[*].status``
                           and ``gap``, timings, ``notes`` (run store)
``results.nc``             dims ``time`` x ``building``: ``load_kw, pv_ac_kw, pv_used_kw,
                           import_kw, baseline_import_kw, export_kw, charge_kw, discharge_kw,
                           soc_kwh, gen_kw, shed_kw, curtailed_kw``
``summary.csv``            index ``building`` plus ``total``; the KPI columns of
                           :mod:`munigrid.scenarios.kpis`
``scenario.yaml``          the scenario as run (site, time, buildings, battery, tariffs, emissions)
``bills.csv``              monthly bills after the project: index ``month`` (``YYYY-MM``),
                           columns ``building``, ``total_thb`` (VAT incl.) and the charge lines
``bills_before.csv``       the same for the import without PV and battery
``finance/<s>/<party>.csv``  one folder per ownership structure ``<s>`` (``munigrid finance``):
                           cash flows by year, ``<party>`` in municipality, investor, project:
                           index ``year``, columns ``equity_thb`` (municipality, investor) or
                           ``net_thb`` (project), ``cumulative_thb``
``finance/<s>/metrics.csv``  one row per ``party``: ``structure, party, period, npv_thb,
                           irr_frac, irr_status, irr_note, payback_years, ...``
``finance/<s>/tornado.csv``  ``party, driver, delta_low, delta_high, unit, npv_base_thb,
                           npv_low_thb, npv_high_thb, swing_thb``
``finance/<s>/npv_percentiles.csv``  ``party, p10_npv_thb, p50_npv_thb, p90_npv_thb,
                           mean_npv_thb, prob_negative_frac, samples``
``finance/<s>/lifetime.csv``  per project ``year``: bills, energy, battery capacity,
                           replacement cost (``munigrid finance --lifetime``)
``finance/<s>/incentives.csv``  ``structure, party, incentive, total_thb, npv_thb`` (with
                           ``--incentives`` or grants)
``simulation.nc``          Monte Carlo samples: variables over dim ``sample`` with
                           ``attrs["units"]`` (e.g. ``cost_thb``, ``self_sufficiency_frac``,
                           ``peak_import_kw``); extra dims such as ``building`` are summed
                           for THB and kWh variables, others are skipped
``resilience.nc``          dims ``time`` x ``building``: ``survived_h`` (hours the critical load
                           survives an outage from each step, NaN without battery or
                           generator) and, with an outage risk, ``expected_unserved_kwh``;
                           the figures are in the manifest's ``resilience``
``forecast_skill.csv``     one row per forecast and horizon; any columns, shown as a table
                           (e.g. ``target, model, horizon, mae_kw, rmse_kw, skill_frac``)
=========================  ==================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr
import yaml

from munigrid.models.errors import InputError
from munigrid.solver_runs.results_io import read_results
from munigrid.solver_runs.store import StoredRun, is_complete

SCENARIO_FILE = "scenario.yaml"
BILLS_AFTER_FILE = "bills.csv"
BILLS_BEFORE_FILE = "bills_before.csv"
FINANCE_DIR = "finance"
FINANCE_PARTIES = ("municipality", "investor", "project")
FINANCE_TABLES = FINANCE_PARTIES + ("metrics", "tornado", "npv_percentiles", "lifetime", "incentives")
#: ownership structures in report order (others after them, by name)
FINANCE_STRUCTURES = ("municipal", "esco", "esco-guaranteed", "ppa", "ppp")
SIMULATION_FILE = "simulation.nc"
RESILIENCE_FILE = "resilience.nc"
FORECAST_SKILL_FILE = "forecast_skill.csv"
REPORT_FILE = "report.html"


@dataclass
class RunData:
    """A stored run as the report needs it.

    Attributes
    ----------
    path : Path
        The run folder.
    manifest, scenario : dict
        ``manifest.json`` and ``scenario.yaml`` (empty dict when the scenario copy is absent).
    results : xarray.Dataset
        Time series, tz-aware ``time`` (Asia/Bangkok) x ``building``.
    summary : pandas.DataFrame
        KPIs per building and ``total``.
    bills_after, bills_before : pandas.DataFrame or None
        Monthly bills (see the module docstring).
    finance : dict of str to dict of str to pandas.DataFrame
        By structure (folders of ``finance/`` with a ``metrics.csv``, in the order of
        :data:`FINANCE_STRUCTURES`): its tables by name without ``.csv``.
    finance_legacy : bool
        True when ``finance/`` also holds tables of an earlier layout (no structure folder).
    simulation : xarray.Dataset or None
        Monte Carlo samples.
    resilience : xarray.Dataset or None
        Survival hours by start step.
    forecast_skill : pandas.DataFrame or None
        Forecast skill table.
    """

    path: Path
    manifest: dict
    scenario: dict
    results: xr.Dataset
    summary: pd.DataFrame
    bills_after: pd.DataFrame | None = None
    bills_before: pd.DataFrame | None = None
    finance: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)
    finance_legacy: bool = False
    simulation: xr.Dataset | None = None
    resilience: xr.Dataset | None = None
    forecast_skill: pd.DataFrame | None = None

    @property
    def buildings(self) -> list[str]:
        """Building names in results order."""
        return [str(b) for b in self.results["building"].values]

    @property
    def has_battery(self) -> bool:
        """True when some building stores energy in the run."""
        return bool((self.results["soc_kwh"] > 0).any()) if "soc_kwh" in self.results else False


def _csv(path: Path, **kwargs) -> pd.DataFrame | None:
    return pd.read_csv(path, **kwargs) if path.is_file() else None


def _bills(path: Path) -> pd.DataFrame | None:
    table = _csv(path, dtype={"month": str})
    if table is None:
        return None
    missing = sorted({"month", "building", "total_thb"} - set(table.columns))
    if missing:
        raise InputError(f"needs columns month, building, total_thb; missing {', '.join(missing)}", str(path))
    return table


def _finance(folder: Path) -> dict[str, dict[str, pd.DataFrame]]:
    """Tables of every structure folder under ``finance/`` (see the module docstring)."""
    order = {name: i for i, name in enumerate(FINANCE_STRUCTURES)}
    names = sorted((p.parent.name for p in folder.glob("*/metrics.csv") if not p.parent.name.startswith(".")),
                   key=lambda n: (order.get(n, len(order)), n))
    return {name: {table_name: table for table_name in FINANCE_TABLES
                   if (table := _csv(folder / name / f"{table_name}.csv")) is not None} for name in names}


def load_run(path: str | Path) -> RunData:
    """Read a complete run folder (see the module docstring for the files and columns)."""
    path = Path(path)
    if not is_complete(path):
        raise InputError(f"{path} is not a complete run folder (no manifest.json, or still staging)", "RUN")
    run = StoredRun(path)
    scenario_path = path / SCENARIO_FILE
    finance_dir = path / FINANCE_DIR
    return RunData(
        path=path,
        manifest=run.manifest,
        scenario=yaml.safe_load(scenario_path.read_text(encoding="utf-8")) if scenario_path.is_file() else {},
        results=run.results(),
        summary=run.summary(),
        bills_after=_bills(path / BILLS_AFTER_FILE),
        bills_before=_bills(path / BILLS_BEFORE_FILE),
        finance=_finance(finance_dir),
        finance_legacy=(finance_dir / "metrics.csv").is_file(),
        simulation=read_results(path / SIMULATION_FILE) if (path / SIMULATION_FILE).is_file() else None,
        resilience=read_results(path / RESILIENCE_FILE) if (path / RESILIENCE_FILE).is_file() else None,
        forecast_skill=_csv(path / FORECAST_SKILL_FILE),
    )
