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

from munigrid.scenarios.finance import STRUCTURES
from munigrid.scenarios.inputs import SiteInputs, build_inputs
from munigrid.scenarios.references import check_references
from munigrid.scenarios.library import load_scenario
from munigrid.scenarios.runner import Progress, RunOutcome, bills_csv, run_scenario, scenario_yaml
from munigrid.scenarios.schema import Scenario
from munigrid.scenarios.simulation import ft_summary, rule_problems, simulate_run, site_percentiles
from munigrid.solver_runs import store as run_store

# Shortest horizon the day-block bootstrap of the Monte Carlo samples from [days]: two 7-day
# blocks plus a week of stride (munigrid.models.simulation.sampling), rounded up to four weeks.
MIN_SAMPLED_DAYS = 28

__all__ = ["Scenario", "SiteInputs", "RunOutcome", "load", "check", "inputs", "run", "check_references", "finance",
           "parse_document", "validate", "sweep", "finance_structures", "tariff_list", "bill_meter", "list_stored",
           "stored_info", "compare_stored", "operations_day"]


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
        base_dir: Path | None = None, run_tag: str = "", operator: str | None = None) -> RunOutcome:
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
        Each sampled year bills its own Ft path unless ``uncertainty.ft_paths`` is ``fixed``
        (``manifest["uncertainty"]["ft"]``).
    operator : {"rule", "optimiser"}, optional
        Who operates the battery in the sampled years (default: the scenario's
        ``uncertainty.operator``): the self-consumption rule, or the dispatch optimiser solving
        every sampled year (:mod:`munigrid.scenarios.uncertainty`).
    progress : callable, optional
        Called with a short description of each stage.
    base_dir : Path, optional
        Folder that relative file paths in the scenario refer to.
    run_tag : str
        Appended to the run id (``<time>-<scenario>-<hash8>-<tag>``), so that identical runs
        finishing in the same second (e.g. jobs of a server) get distinct folders.
    """
    scenario = load(scenario) if not isinstance(scenario, Scenario) else scenario
    base = _base_dir(scenario, base_dir)
    outcome = run_scenario(scenario, base, progress)
    operator = operator or scenario.uncertainty.operator
    unsupported = rule_problems(scenario) if operator == "rule" else []
    if samples > 0 and scenario.time.days < MIN_SAMPLED_DAYS:
        outcome.manifest["notes"].append(f"Monte Carlo skipped: the day-block bootstrap needs a horizon of at "
                                         f"least {MIN_SAMPLED_DAYS} days, this one has {scenario.time.days}")
    elif samples > 0 and unsupported:
        outcome.manifest["notes"] += [f"Monte Carlo skipped: {p.path}: {p.message}" for p in unsupported]
    elif samples > 0:
        if progress:
            progress(f"simulating {samples} sampled years")
        sizes = outcome.manifest["solver"]["sizes"] if scenario.optimisation.mode == "sizing" else None
        outcome.samples, timing, system = simulate_run(scenario, outcome.inputs, sizes, samples=samples,
                                                       operator=operator)
        outcome.manifest["timings"]["simulation_s"] = round(timing["total_s"], 4)
        outcome.manifest["uncertainty"] = {
            "samples": samples, "strategy": "self_consumption" if operator == "rule" else "optimiser",
            "operator": operator, "optimised_buildings": outcome.samples.attrs["optimised_buildings"],
            "optimiser_failed_samples": timing.get("optimiser_failed", 0), "system": system,
            "ft": ft_summary(outcome.samples), "site": site_percentiles(outcome.samples)}
    if not store:
        return outcome
    if progress:
        progress("storing the run")
    stored = run_store.write_run(
        Path(root) if root else run_store.default_root(),
        run_store.new_run_id(scenario.name, outcome.manifest["inputs_hash"]) + (f"-{run_tag}" if run_tag else ""),
        outcome.manifest, outcome.results, outcome.summary,
        extra_files={"scenario.yaml": scenario_yaml(scenario), "bills.csv": bills_csv(outcome.bills),
                     "bills_before.csv": bills_csv(outcome.bills_before)},
        extra_datasets={**({} if outcome.samples is None else {"simulation.nc": outcome.samples}),
                        **({} if outcome.resilience is None else {"resilience.nc": outcome.resilience})})
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
            progress: Progress | None = None, lifetime: str = "fast", load_growth_frac_per_year: float = 0.0,
            incentives=None, battery_upkeep: str = "replace"):
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
    lifetime : {"fast", "full", "scaled"}
        Project years simulated year by year (:mod:`munigrid.scenarios.lifetime`: ``fast``
        anchors, ``full`` every year re-dispatched) or year 1 scaled; simulated cases carry the
        scaled figures beside them.
    load_growth_frac_per_year : float
        Yearly load growth [-/year].
    battery_upkeep : {"replace", "augment"}
        With simulated years: replace the pack, or add modules, when its capacity falls below
        the end-of-life capacity.
    incentives : munigrid.models.finance.incentives.Incentives, optional
        BOI, T-VER, grants and import duty (e.g. ``finance_defaults.default_incentives("esco",
        tver=True)``); each structure shows who receives each. None: no incentives.

    Returns
    -------
    munigrid.scenarios.finance.FinanceOutcome
    """
    from munigrid.scenarios import finance as cases_of
    from munigrid.solver_runs.report.rundata import FINANCE_DIR, REPORT_FILE

    from munigrid.models.finance.incentives import check as check_incentives
    from munigrid.scenarios.lifetime import check_options

    names = cases_of.parse_structures(structures)
    settings = cases_of.settings_with(municipality_rate_frac, investor_rate_frac)
    check_options(lifetime, years, load_growth_frac_per_year, battery_upkeep)
    check_incentives(incentives)
    if progress:
        progress("loading the dispatch")
    results, scenario, run_dir = _finance_source(source, root)
    if progress:
        progress("year-1 energy and bills" if lifetime == "scaled" else f"project years ({lifetime})")
    project, notes, simulated = cases_of.project_inputs(results, scenario, years, escalation, lifetime,
                                                        load_growth_frac_per_year, incentives, battery_upkeep)
    if progress:
        progress(f"cash flows of {', '.join(names)}")
    terms = terms or cases_of.ContractTerms()
    cases = cases_of.evaluate_structures(project, names, terms, settings)
    outcome = cases_of.FinanceOutcome(cases, notes, run_dir, lifetime=lifetime)
    if simulated is not None:
        outcome.scaled = cases_of.scaled_comparison(project, cases)
    target = Path(out) if out is not None else (run_dir / FINANCE_DIR if run_dir is not None else None)
    if write and target is not None:
        outcome.folders, outcome.replaced = cases_of.write_structures(
            outcome.cases, project, terms, target, fiscal, notes, progress, simulated)
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


def size_over_life(scenario: Scenario | str | Path, base_dir: Path | None = None, **options) -> dict:
    """PV and battery sized over the project life beside the typical-year sizing, both judged by the
    simulated life (``munigrid size --lifetime``); ``options`` as
    :func:`munigrid.scenarios.lifetime_sizing.compare_life_sizing` (``years``, ``escalation``,
    ``load_growth_frac_per_year``, ``anchors``, ``battery_upkeep``, ``rounds``, ``days_per_month``,
    ``time_limit_s``, ``progress``). Raises InputError naming the field or option."""
    from munigrid.scenarios.lifetime_sizing import compare_life_sizing

    scenario = scenario if isinstance(scenario, Scenario) else load(scenario)
    return compare_life_sizing(scenario, _base_dir(scenario, base_dir), **options)


# --- The service layer's calls (``munigrid serve`` and other programs): plain data in and out ---

#: Ownership structures of :func:`finance_structures`, in the order a page shows them.
FINANCE_STRUCTURES = STRUCTURES
#: Finance assumptions and their defaults (the ``munigrid finance`` options), with (min, max).
FINANCE_ASSUMPTIONS: dict[str, tuple[object, float, float]] = {
    "years": (20, 1, 40), "term": (20, 1, 40), "share": (0.7, 0.0, 1.0), "discount": (0.2, 0.0, 1.0),
    "ppa_escalation": (0.0, -0.2, 0.2), "debt_frac": (0.0, 0.0, 1.0), "debt_rate": (0.05, 0.0, 0.5),
    "debt_tenor": (10, 1, 40), "municipality_rate": (None, 0.0, 0.5), "investor_rate": (None, 0.0, 0.5),
}
ESCALATIONS = ("flat", "base", "high")


def bundled_scenarios() -> dict[str, str]:
    """Bundled scenario name -> its description."""
    from munigrid.scenarios.library import bundled

    return {name: load(path).description.strip() for name, path in bundled().items()}


def parse_document(document: dict | str, source: str = "scenario") -> Scenario:
    """A scenario from a document (a mapping, or YAML text), through the strict schema only.

    YAML text is read by the guarded loader (:func:`munigrid.scenarios.yaml_input.load_yaml`:
    alias bombs, deep nesting, duplicate keys and impossible dates refused).

    Raises
    ------
    InputError
        Every problem at once, each with its path (the messages of ``munigrid validate``).
    """
    from munigrid.scenarios.schema import parse_scenario
    from munigrid.scenarios.yaml_input import load_yaml

    if isinstance(document, str):
        document = load_yaml(document, source)
    return parse_scenario(document, source)


def validate(scenario: Scenario, base_dir: Path | None = None) -> Scenario:
    """``scenario`` after the checks a schema cannot make (tariff ids, files, roofs); InputError otherwise."""
    check_references(scenario, _base_dir(scenario, base_dir))
    return scenario


def sweep(scenario: Scenario | str | Path, vary: dict[str, list] | None = None, *, name: str | None = None,
          portfolio: Path | None = None, root: Path | None = None, workers: int | None = None,
          resume: bool = False, report: bool = True, base_dir: Path | None = None, progress=None, started=None):
    """Run a grid sweep of ``scenario`` over ``vary`` (field path -> values) and/or a portfolio CSV.

    Returns the :class:`~munigrid.scenarios.sweep.engine.SweepOutcome`; with ``report`` the
    sweep's ``report.html`` is written too. ``started(sweep_id)`` is called once its id is known
    (members can then be read as they finish with :func:`sweep_members`);
    ``progress(finished, total, failed)`` after each member.
    """
    from munigrid.scenarios.sweep.engine import make_plan, run_sweep
    from munigrid.solver_runs.report import write_sweep_report

    scenario = load(scenario) if not isinstance(scenario, Scenario) else scenario
    spec = None
    if vary:
        spec = {"name": name or f"{scenario.name}-sweep", "method": "grid",
                "parameters": [{"path": path, "apply": "set", "values": list(values)} for path, values in vary.items()]}
    if started is not None:
        started(make_plan(scenario, spec, portfolio, _base_dir(scenario, base_dir)).sweep_id)
    outcome = run_sweep(scenario, spec=spec, portfolio=portfolio, workers=workers, root=root, resume=resume,
                        base_dir=_base_dir(scenario, base_dir), progress=progress)
    if report:
        write_sweep_report(outcome.path)
    return outcome


def sweep_members(sweep_id: str, root: Path | None = None) -> list[dict]:
    """A sweep's members so far, in plan order: parameters, status (ok/failed/pending), error, site KPIs."""
    import json

    from munigrid.solver_runs.sweeps.combine import member_table
    from munigrid.solver_runs.sweeps.ledger import SweepFolder, sweeps_root

    folder = sweeps_root(Path(root or run_store.default_root())) / sweep_id
    if not (folder / "plan.json").is_file():
        return []
    table = member_table(SweepFolder.open(folder))
    return json.loads(table.to_json(orient="records"))


def finance_assumptions(given: dict | None) -> dict:
    """Finance assumptions with defaults filled in; InputError naming each bad one and its range."""
    from munigrid.models.errors import InputError, Problem

    given = dict(given or {})
    problems = [Problem(key, f"unknown assumption; use one of: {', '.join([*FINANCE_ASSUMPTIONS, 'escalation'])}")
                for key in given if key not in FINANCE_ASSUMPTIONS and key != "escalation"]
    chosen = {key: given.get(key, default) for key, (default, _, _) in FINANCE_ASSUMPTIONS.items()}
    for key, (default, low, high) in FINANCE_ASSUMPTIONS.items():
        value = chosen[key]
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            problems.append(Problem(key, f"must be a number between {low:g} and {high:g}, got {value!r}"))
        elif not low <= value <= high:
            problems.append(Problem(key, f"must be between {low:g} and {high:g}, got {value:g}"))
        elif isinstance(default, int) and value != int(value):
            problems.append(Problem(key, f"must be a whole number of years, got {value:g}"))
    if not problems and chosen["term"] > chosen["years"]:
        problems.append(Problem("term", f"the contract term ({chosen['term']:g} years) must not exceed the project "
                                        f"life (years = {chosen['years']:g}); shorten it or lengthen the project"))
    chosen["escalation"] = given.get("escalation", "base")
    if chosen["escalation"] not in ESCALATIONS:
        problems.append(Problem("escalation", f"must be one of {', '.join(ESCALATIONS)}, got {chosen['escalation']!r}"))
    if problems:
        raise InputError(problems)
    return chosen


def finance_structures(run: str | Path, assumptions: dict | None = None, *, root: Path | None = None,
                       out_dir: Path | None = None) -> dict:
    """Every ownership structure's investment case for a stored run, side by side (:func:`finance`).

    Parameters
    ----------
    run : str or Path
        Stored run id (or folder).
    assumptions : dict, optional
        Keys of :data:`FINANCE_ASSUMPTIONS` (plus ``escalation``), as the ``munigrid finance`` options.
    out_dir : Path, optional
        Writes ``<structure>/`` (CSV tables and ``case-<structure>.xlsx``) for each structure
        here; the run folder and its report are left as they are.

    Returns
    -------
    dict
        ``run``, ``assumptions``, ``notes`` and ``structures`` (structure -> the case summary:
        project, municipality and investor NPV [THB], IRR with its status and reason, payback
        [years], LCOE [THB/kWh], DSCR).
    """
    from munigrid.scenarios.finance import ContractTerms

    chosen = finance_assumptions(assumptions)
    stored = run_store.open_run(run, root)
    terms = ContractTerms(term_years=int(chosen["term"]), esco_share_frac=chosen["share"],
                          ppa_discount_frac=chosen["discount"], ppa_escalation_frac_per_year=chosen["ppa_escalation"],
                          debt_frac=chosen["debt_frac"], debt_rate_frac=chosen["debt_rate"],
                          debt_tenor_years=int(chosen["debt_tenor"]))
    outcome = finance(stored.path, "all", years=int(chosen["years"]), escalation=chosen["escalation"], terms=terms,
                      municipality_rate_frac=chosen["municipality_rate"], investor_rate_frac=chosen["investor_rate"],
                      out=out_dir, write=out_dir is not None, report=False, root=root)
    summary = outcome.summary()
    return {"run": stored.run_id, "assumptions": chosen, "notes": summary["notes"],
            "structures": summary["structures"]}


def tariff_list() -> list[dict]:
    """The tariff library: id, name, utility, category, voltage, calendar, demand charge, data version."""
    from dataclasses import asdict

    from munigrid.models.tariffs import list_tariffs

    return [asdict(t) for t in list_tariffs()]


def bill_meter(tariff_id: str, meter_path: Path, assume_tz: str | None = None) -> dict:
    """Month-by-month bill [THB] of a meter CSV under a library tariff (built-in Ft, last known value after it).

    The file is read by the one meter reader (:func:`munigrid.forecasting.meter.read_meter`) at
    the steps a bill allows; naive time stamps are read in ``assume_tz`` (default Asia/Bangkok).
    """
    from munigrid.forecasting.meter import read_meter
    from munigrid.forecasting.meter_format import MeterFormat
    from munigrid.models.tariffs import BILL_STEPS_MIN, FtSchedule, get_tariff

    tariff = get_tariff(tariff_id)
    fmt = MeterFormat(tz=assume_tz) if assume_tz else None
    meter = read_meter(meter_path, fmt, steps_min=BILL_STEPS_MIN, allow_negative=True)
    result = tariff.bill(meter.load_kw.rename("import_kw"), ft=FtSchedule.builtin(fallback="last_known"),
                         kvar=meter.kvar, export_kw=meter.export_kw)
    return result.to_dict()


def _plain(value):
    import math

    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def list_stored(root: Path | None = None, kind: str | None = None, search: str = "",
                refresh: bool = True) -> list[dict]:
    """Runs and sweeps of the store's index, newest first, with the ``total`` key figures of runs.

    ``refresh=False`` reads the index as it is (fast with thousands of runs), without first
    looking for folders added or removed since it was last brought up to date.
    """
    from munigrid.solver_runs.sweeps import index

    root = Path(root or run_store.default_root())
    if refresh:
        index.refresh(root)
    with index.connect(root) as con:
        found = con.execute("SELECT run_id, kind, scenario, status, created, members, failed FROM runs "
                            "ORDER BY run_id DESC").fetchall()
        totals = con.execute("SELECT run_id, name, value FROM kpis WHERE row = 'total'").fetchall()
    kpis: dict[str, dict] = {}
    for run_id, name, value in totals:
        kpis.setdefault(run_id, {})[name] = value
    needle = search.lower()
    return [{"id": run_id, "kind": entry_kind, "scenario": scenario, "status": status, "created": created,
             "members": members, "failed": failed, "kpis": kpis.get(run_id, {})}
            for run_id, entry_kind, scenario, status, created, members, failed in found
            if (kind is None or entry_kind == kind) and needle in f"{run_id} {scenario or ''}".lower()]


def stored_entry(run_id: str, root: Path | None = None):
    """The index entry of exactly ``run_id`` (no prefix matching); InputError when there is none."""
    from munigrid.models.errors import InputError
    from munigrid.solver_runs.sweeps import index

    root = Path(root or run_store.default_root())
    for attempt in range(2):
        if attempt:
            index.refresh(root)
        with index.connect(root) as con:
            row = con.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is not None and Path(row[2]).is_dir():
            return index.Entry(row[0], row[1], Path(row[2]), *row[3:10])
    raise InputError("no run or sweep with this id in the store; list them with `munigrid runs list`", "run")


def stored_info(run_id: str, root: Path | None = None) -> dict:
    """One run (solver outcome, timings, notes, KPIs by row) or sweep (plan, counts, failures, member KPIs)."""
    import json

    from munigrid.solver_runs.sweeps import index
    from munigrid.solver_runs.sweeps.ledger import SweepFolder

    entry = stored_entry(run_id, root)
    info: dict = {"id": entry.run_id, "kind": entry.kind, "scenario": entry.scenario, "status": entry.status,
                  "created": entry.created}
    if entry.kind == "run":
        manifest = json.loads((entry.path / run_store.MANIFEST).read_text(encoding="utf-8"))
        info.update(solver=manifest.get("solver"), timings=manifest.get("timings"), notes=manifest.get("notes", []),
                    uncertainty=manifest.get("uncertainty"), resilience=manifest.get("resilience"))
    else:
        folder = SweepFolder.open(entry.path)
        info.update(parameters=folder.plan.get("parameters"), members=len(folder.plan.get("members", [])),
                    last_pass=folder.status, failures={k: v.get("message") for k, v in folder.failures().items()})
    table = index.kpis(entry.run_id, root)
    info["kpis"] = {str(r): {k: _plain(float(v)) for k, v in row.items()} for r, row in table.iterrows()}
    return info


def compare_stored(run_ids: list[str], root: Path | None = None, rows: list[str] | None = None) -> dict:
    """Key figures of two or more runs (or sweeps' members) side by side, with each one's difference to the first."""
    from munigrid.solver_runs.sweeps import index

    for run_id in run_ids:
        stored_entry(run_id, root)
    side = index.compare(run_ids, root, rows)
    return {"runs": run_ids, "columns": [str(c) for c in side.columns],
            "rows": [{"row": str(r), "kpi": str(k), "values": [_plain(float(v)) for v in values]}
                     for (r, k), values in side.iterrows()]}


def operations_day(scenario: Scenario | str | Path, day: str, folder: Path, base_dir: Path | None = None,
                   meter: str | None = None) -> dict:
    """Yesterday's review and tomorrow's schedule of one meter of the scenario (``meter``, default the
    one its batteries are behind: :func:`munigrid.scenarios.operations.site.choose_meter`).

    Plans and reviews the day before ``day`` (so the review has a committed schedule to replay),
    then plans ``day`` from the reviewed end state; writes the schedule CSV/JSON for the EMS and
    the review JSON into ``folder``.
    """
    import pandas as pd

    from munigrid.scenarios.operations.daily import make_schedule, parse_day
    from munigrid.scenarios.operations.review import review_day, write_review
    from munigrid.scenarios.operations.site import operations_site

    scenario = load(scenario) if not isinstance(scenario, Scenario) else scenario
    site = operations_site(scenario, _base_dir(scenario, base_dir), meter=meter)
    target = parse_day(day, site)
    yesterday = parse_day((target - pd.Timedelta(days=1)).date().isoformat(), site)
    make_schedule(site, yesterday, folder=folder)
    review = review_day(site, yesterday, folder)
    review_file = write_review(review, folder, site.building)
    plan = make_schedule(site, target, folder=folder)
    rows = plan.rows.reset_index()
    rows[rows.columns[0]] = rows[rows.columns[0]].astype(str)
    return {"building": site.building, "day": target.date().isoformat(), "schedule": {
        "header": plan.header, "rows": rows.to_dict("records"), "files": {k: Path(v).name for k, v in plan.paths.items()}},
        "review": {**review.to_json(), "file": review_file.name}}
