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

from munigrid.scenarios.inputs import SiteInputs, build_inputs
from munigrid.scenarios.references import check_references
from munigrid.scenarios.library import load_scenario
from munigrid.scenarios.runner import Progress, RunOutcome, bills_csv, run_scenario, scenario_yaml
from munigrid.scenarios.schema import Scenario
from munigrid.scenarios.simulation import simulate_run, site_percentiles
from munigrid.solver_runs import store as run_store

# Shortest horizon the day-block bootstrap of the Monte Carlo samples from [days]: two 7-day
# blocks plus a week of stride (munigrid.models.simulation.sampling), rounded up to four weeks.
MIN_SAMPLED_DAYS = 28

__all__ = ["Scenario", "SiteInputs", "RunOutcome", "load", "check", "inputs", "run", "check_references", "finance"]


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
        After a sizing run the simulated system is the sized one (``manifest["uncertainty"]["system"]``).
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
        sizes = outcome.manifest["solver"]["sizes"] if scenario.optimisation.mode == "sizing" else None
        outcome.samples, timing, system = simulate_run(scenario, outcome.inputs, sizes, samples=samples)
        outcome.manifest["timings"]["simulation_s"] = round(timing["total_s"], 4)
        outcome.manifest["uncertainty"] = {"samples": samples, "strategy": "self_consumption", "system": system,
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


def _finance_source(source: str | Path | Scenario, root: Path | None):
    """(dispatch results, scenario, run folder or None) of a stored run or a scenario run now.

    A YAML path or a bundled scenario name is run now; anything else is a stored run (folder,
    id or unique id prefix).
    """
    from munigrid.models.errors import InputError
    from munigrid.scenarios.library import resolve

    if not isinstance(source, Scenario):
        path = Path(source)
        is_scenario = path.suffix in (".yaml", ".yml")
        if not path.is_dir() and not is_scenario:
            try:
                resolve(str(source))
                is_scenario = True
            except InputError:
                is_scenario = False
        if not is_scenario:
            stored = run_store.open_run(source, root)
            return stored.results(), load(stored.path / "scenario.yaml"), stored.path
        source = load(source)
    return run(source, store=False).results, source, None


def finance(source: str | Path | Scenario, structures: str | list[str] | tuple[str, ...] = "municipal", *,
            years: int = 20, escalation: str = "base", terms=None, municipality_rate_frac: float | None = None,
            investor_rate_frac: float | None = None, out: Path | None = None, write: bool = True,
            fiscal: bool = False, report: bool = True, root: Path | None = None,
            progress: Progress | None = None):
    """Investment cases of a stored run or a scenario under one or more ownership structures.

    Parameters
    ----------
    source : str, Path or Scenario
        A stored run (id, unique id prefix or folder), or a scenario (bundled name, YAML path
        or object) dispatched now without storing.
    structures : str or sequence of str
        ``"all"``, one name or several of :data:`munigrid.scenarios.finance.STRUCTURES`.
    years : int
        Project life [years].
    escalation : {"flat", "base", "high"}
        Tariff and Ft escalation scenario.
    terms : ContractTerms, optional
        Contract and debt terms (:class:`munigrid.scenarios.finance.ContractTerms`).
    municipality_rate_frac, investor_rate_frac : float, optional
        Discount rates [-]; None keeps the defaults.
    out : Path, optional
        Folder for ``<structure>/`` folders; default ``<run>/finance`` for a stored run, nothing
        written for a scenario.
    write : bool
        False: evaluate only, write nothing.
    fiscal : bool
        Cash-flow tables by Thai fiscal year.
    report : bool
        Rewrite the run's ``report.html`` (when it exists and the cases went to ``<run>/finance``).
    root : Path, optional
        Run store root for run ids.
    progress : callable, optional
        Called with a short description of each stage.

    Returns
    -------
    munigrid.scenarios.finance.FinanceOutcome
    """
    from munigrid.scenarios import finance as cases_of
    from munigrid.solver_runs.report.rundata import FINANCE_DIR, REPORT_FILE

    names = cases_of.parse_structures(structures)
    settings = cases_of.settings_with(municipality_rate_frac, investor_rate_frac)
    if progress:
        progress("loading the dispatch")
    results, scenario, run_dir = _finance_source(source, root)
    if progress:
        progress("year-1 energy and bills")
    project, notes = cases_of.project_inputs(results, scenario, years, escalation)
    if progress:
        progress(f"cash flows of {', '.join(names)}")
    terms = terms or cases_of.ContractTerms()
    outcome = cases_of.FinanceOutcome(cases_of.evaluate_structures(project, names, terms, settings), notes, run_dir)
    target = Path(out) if out is not None else (run_dir / FINANCE_DIR if run_dir is not None else None)
    if write and target is not None:
        outcome.folders, outcome.replaced = cases_of.write_structures(
            outcome.cases, project, terms, target, fiscal, notes, progress)
    if run_dir is None or not (run_dir / REPORT_FILE).exists():
        return outcome
    if not report or not write:
        outcome.report_note = "report.html not rewritten (asked not to)"
    elif target.resolve() != (run_dir / FINANCE_DIR).resolve():
        outcome.report_note = (f"report.html not rewritten: the cases went to {target}, not {run_dir / FINANCE_DIR}; "
                               "the report shows the cases in the run folder")
    else:
        if progress:
            progress("writing the report")
        outcome.report_path = write_report(run_dir)
    return outcome
