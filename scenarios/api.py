"""The Python API: the same chain as the CLI, for notebooks and scripts.

Example
-------
>>> from munigrid.scenarios import api
>>> scenario = api.load("tha-yang")
>>> scenario.battery.energy_kwh = 300          # validated on assignment
>>> outcome = api.run(scenario, store=False)
>>> outcome.summary.loc["total", "cost_after_thb"]   # doctest: +SKIP
>>> outcome.results["soc_kwh"].sel(building="municipal_office")  # doctest: +SKIP

The CLI (:mod:`munigrid.scenarios.cli`) only parses arguments and prints what this returns.
"""

from __future__ import annotations

from pathlib import Path

from munigrid.scenarios.inputs import SiteInputs, build_inputs, check_references
from munigrid.scenarios.library import load_scenario
from munigrid.scenarios.runner import Progress, RunOutcome, bills_csv, run_scenario, scenario_yaml
from munigrid.scenarios.schema import Scenario
from munigrid.scenarios.simulation import simulate_scenario, site_percentiles
from munigrid.solver_runs import store as run_store

# Shortest horizon the day-block bootstrap of the Monte Carlo samples from [days]: two 7-day
# blocks plus a week of stride (munigrid.models.simulation.sampling), rounded up to four weeks.
MIN_SAMPLED_DAYS = 28

__all__ = ["Scenario", "SiteInputs", "RunOutcome", "load", "check", "inputs", "run", "check_references"]


def load(ref: str | Path) -> Scenario:
    """A validated scenario from a bundled name (``"tha-yang"``) or a YAML file path."""
    scenario, path = load_scenario(ref)
    scenario._base_dir = path.parent  # where its relative file paths point
    return scenario


def _base_dir(scenario: Scenario, base_dir: Path | None) -> Path:
    return Path(base_dir or getattr(scenario, "_base_dir", None) or Path.cwd())


def check(scenario: Scenario | str | Path, base_dir: Path | None = None) -> list[str]:
    """Every input check of :func:`run` without the solve; returns warnings (empty when none).

    Reads the files the scenario names (meter and weather content), resolves the tariff and
    Ft for the horizon, and runs the dispatch model's input checks, so a scenario that passes
    starts its solve. Raises :class:`~munigrid.models.errors.InputError` listing every problem.
    """
    from munigrid.scenarios.runner import prepare

    scenario = load(scenario) if not isinstance(scenario, Scenario) else scenario
    return prepare(scenario, _base_dir(scenario, base_dir)).warnings


def inputs(scenario: Scenario | str | Path, base_dir: Path | None = None) -> SiteInputs:
    """Weather, PV, loads and tariffs of a scenario on its time grid."""
    scenario = load(scenario) if not isinstance(scenario, Scenario) else scenario
    return build_inputs(scenario, _base_dir(scenario, base_dir))


def run(scenario: Scenario | str | Path, *, store: bool = True, root: Path | None = None,
        report: bool = True, samples: int = 0, progress: Progress | None = None,
        base_dir: Path | None = None) -> RunOutcome:
    """Run a scenario end to end and (by default) store it as a run folder.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A scenario object, a bundled name or a YAML path.
    store : bool
        Write the run folder (``manifest.json``, ``results.nc``, ``summary.csv``, monthly
        bills, the scenario as run) atomically under ``root``.
    root : Path, optional
        Run store root (default ``$MUNIGRID_RUNS`` or ``./runs``).
    report : bool
        Also write ``report.html`` into the stored run folder.
    samples : int
        When > 0, also simulate this many bootstrap years of every building with the numba
        core (rule-based battery, :mod:`munigrid.scenarios.simulation`) and keep them as
        ``outcome.samples`` / ``simulation.nc``: P10/P50/P90 of cost, self-sufficiency, peaks.
    progress : callable, optional
        Called with a short description of each stage.
    base_dir : Path, optional
        Folder that relative file paths in the scenario refer to.
    """
    scenario = load(scenario) if not isinstance(scenario, Scenario) else scenario
    base = _base_dir(scenario, base_dir)
    outcome = run_scenario(scenario, base, progress)
    if samples > 0 and scenario.time.days < MIN_SAMPLED_DAYS:
        outcome.manifest["notes"].append(f"Monte Carlo skipped: the day-block bootstrap needs a horizon of at "
                                         f"least {MIN_SAMPLED_DAYS} days, this one has {scenario.time.days}")
    elif samples > 0:
        if progress:
            progress(f"simulating {samples} sampled years")
        outcome.samples, timing = simulate_scenario(scenario, samples=samples, inputs=outcome.inputs)
        outcome.manifest["timings"]["simulation_s"] = round(timing["total_s"], 4)
        outcome.manifest["uncertainty"] = {"samples": samples, "strategy": "self_consumption",
                                           "site": site_percentiles(outcome.samples)}
    if not store:
        return outcome
    if progress:
        progress("storing the run")
    stored = run_store.write_run(
        Path(root) if root else run_store.default_root(),
        run_store.new_run_id(scenario.name, outcome.manifest["inputs_hash"]),
        outcome.manifest, outcome.results, outcome.summary,
        extra_files={"scenario.yaml": scenario_yaml(scenario), "bills.csv": bills_csv(outcome.bills),
                     "bills_before.csv": bills_csv(outcome.bills_before)},
        extra_datasets={} if outcome.samples is None else {"simulation.nc": outcome.samples})
    outcome.run_dir = stored.path
    if report:
        if progress:
            progress("writing the report")
        outcome.report_path = write_report(stored.path)
    return outcome


def write_report(run_dir: Path, lang: str = "en") -> Path:
    """Write ``report.html`` for a stored run and return its path."""
    from munigrid.solver_runs.report import write_run_report

    return write_run_report(run_dir, lang=lang)
