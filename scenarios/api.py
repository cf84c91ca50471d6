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

__all__ = ["Scenario", "SiteInputs", "RunOutcome", "load", "inputs", "run", "check_references", "parse_document",
           "validate", "sweep", "finance_structures", "tariff_list", "bill_meter", "list_stored", "stored_info",
           "compare_stored", "operations_day"]


def load(ref: str | Path) -> Scenario:
    """A validated scenario from a bundled name (``"tha-yang"``) or a YAML file path."""
    scenario, path = load_scenario(ref)
    scenario._base_dir = path.parent  # where its relative file paths point
    return scenario


def _base_dir(scenario: Scenario, base_dir: Path | None) -> Path:
    return Path(base_dir or getattr(scenario, "_base_dir", None) or Path.cwd())


def inputs(scenario: Scenario | str | Path, base_dir: Path | None = None) -> SiteInputs:
    """Weather, PV, loads and tariffs of a scenario on its time grid."""
    scenario = load(scenario) if not isinstance(scenario, Scenario) else scenario
    return build_inputs(scenario, _base_dir(scenario, base_dir))


def run(scenario: Scenario | str | Path, *, store: bool = True, root: Path | None = None,
        report: bool = True, samples: int = 0, progress: Progress | None = None,
        base_dir: Path | None = None, run_tag: str = "") -> RunOutcome:
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
    run_tag : str
        Appended to the run id (``<time>-<scenario>-<hash8>-<tag>``), so that identical runs
        finishing in the same second (e.g. jobs of a server) get distinct folders.
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
        run_store.new_run_id(scenario.name, outcome.manifest["inputs_hash"]) + (f"-{run_tag}" if run_tag else ""),
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


# --- The service layer's calls (``munigrid serve`` and other programs): plain data in and out ---

#: Ownership structures of :func:`finance_structures`, in the order a page shows them.
FINANCE_STRUCTURES = ("municipal", "esco", "esco-guaranteed", "ppa", "ppp")
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

    Raises
    ------
    InputError
        Every problem at once, each with its path (the messages of ``munigrid validate``).
    """
    from munigrid.models.errors import InputError
    from munigrid.scenarios.schema import parse_scenario

    if isinstance(document, str):
        import yaml

        try:
            document = yaml.safe_load(document)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f"{source}:{mark.line + 1}" if mark is not None else source
            raise InputError(f"not valid YAML: {getattr(err, 'problem', err)}", where) from None
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
    """Every ownership structure's investment case for a stored run, side by side.

    Parameters
    ----------
    run : str or Path
        Stored run id (or folder).
    assumptions : dict, optional
        Keys of :data:`FINANCE_ASSUMPTIONS` (plus ``escalation``), as the ``munigrid finance`` options.
    out_dir : Path, optional
        Writes ``<structure>/case.xlsx`` for each structure here.

    Returns
    -------
    dict
        ``run``, ``assumptions``, ``notes`` and ``structures`` (structure -> the case summary:
        project, municipality and investor NPV [THB], IRR, payback [years], LCOE [THB/kWh], DSCR).
    """
    import numpy as np

    from munigrid.models.errors import InputError, Problem
    from munigrid.models.finance import FinanceSettings, ProjectInputs, evaluate_case
    from munigrid.models.finance.defaults import default_components, default_escalation, default_settings
    from munigrid.models.finance.export import write_excel
    from munigrid.scenarios.commands import finance_cmds

    chosen = finance_assumptions(assumptions)
    stored = run_store.open_run(run, root)
    results, scenario = stored.results(), load(stored.path / "scenario.yaml")
    energy, notes = finance_cmds.energy_year1(results, scenario)
    pv_kwp, battery_kwh = finance_cmds._sizes(results, scenario)
    if pv_kwp <= 0:
        raise InputError([Problem("buildings[].pv_arrays", "the run has no PV: nothing to finance")])
    years = int(chosen["years"])
    degradation = [a.degradation_frac_per_year for b in scenario.buildings for a in b.pv_arrays]
    inputs = ProjectInputs(
        energy=energy, components=default_components(pv_kwp, battery_kwh), years=years,
        pv_degradation_frac_per_year=float(np.mean(degradation)),
        battery_capacity_frac=finance_cmds._battery_capacity_frac(results, scenario, years,
                                                                  scenario.time.step_min / 60.0),
        escalation=default_escalation(chosen["escalation"]), start_date=scenario.time.start)
    base = default_settings()
    settings = FinanceSettings(
        municipality_discount_frac=chosen["municipality_rate"] if chosen["municipality_rate"] is not None
        else base.municipality_discount_frac,
        investor_discount_frac=chosen["investor_rate"] if chosen["investor_rate"] is not None
        else base.investor_discount_frac,
        cit_frac=base.cit_frac, loss_carryforward_years=base.loss_carryforward_years)
    options = {**chosen, "price": None, "buyout_year": None, "term": int(chosen["term"]),
               "debt_tenor": int(chosen["debt_tenor"])}
    structures = {}
    for name in FINANCE_STRUCTURES:
        case = evaluate_case(inputs, finance_cmds._structure(name, options), settings)
        structures[name] = case.summary()
        if out_dir is not None:
            (Path(out_dir) / name).mkdir(parents=True, exist_ok=True)
            write_excel(case, Path(out_dir) / name / "case.xlsx", fiscal=False,
                        extra_assumptions={f"note{i}": n for i, n in enumerate(notes)})
    return {"run": stored.run_id, "assumptions": chosen, "notes": notes, "structures": structures}


def tariff_list() -> list[dict]:
    """The tariff library: id, name, utility, category, voltage, calendar, demand charge, data version."""
    from dataclasses import asdict

    from munigrid.models.tariffs import list_tariffs

    return [asdict(t) for t in list_tariffs()]


def bill_meter(tariff_id: str, meter_path: Path, assume_tz: str | None = None) -> dict:
    """Month-by-month bill [THB] of a meter CSV under a library tariff (built-in Ft, last known value after it)."""
    from munigrid.models.tariffs import FtSchedule, get_tariff, read_meter_csv

    tariff = get_tariff(tariff_id)
    import_kw, kvar, export_kw = read_meter_csv(meter_path, assume_tz)
    result = tariff.bill(import_kw, ft=FtSchedule.builtin(fallback="last_known"), kvar=kvar, export_kw=export_kw)
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
                    uncertainty=manifest.get("uncertainty"))
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


def operations_day(scenario: Scenario | str | Path, day: str, folder: Path, base_dir: Path | None = None) -> dict:
    """Yesterday's review and tomorrow's schedule of the scenario's battery building.

    Plans and reviews the day before ``day`` (so the review has a committed schedule to replay),
    then plans ``day`` from the reviewed end state; writes the schedule CSV/JSON for the EMS and
    the review JSON into ``folder``.
    """
    import pandas as pd

    from munigrid.scenarios.operations.daily import make_schedule, parse_day
    from munigrid.scenarios.operations.review import review_day, write_review
    from munigrid.scenarios.operations.site import operations_site

    scenario = load(scenario) if not isinstance(scenario, Scenario) else scenario
    site = operations_site(scenario, _base_dir(scenario, base_dir))
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
