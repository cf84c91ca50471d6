"""Investment cases of a scenario or stored run, one folder per ownership structure.

Year-1 energy and bills come from the optimised dispatch (a stored run, or the scenario run
now without storing). Later years are simulated year by year (:mod:`munigrid.scenarios.lifetime`:
aged PV, the battery faded by each year's own cycling and replaced, grown load; ``fast`` or
``full``), or, with ``lifetime="scaled"``, year 1 is scaled with the battery's fade from the
dispatched state of charge repeated; a simulated case carries the scaled case's headline
figures beside it for comparison. :func:`evaluate_structures`
evaluates one or more structures on that project; :func:`write_structures` writes each to
``<folder>/<structure>/`` (cash-flow CSVs, ``case-<structure>.xlsx``, tornado, NPV
percentiles), all folders swapped in together, so a killed command leaves the previous set.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from munigrid.models.errors import InputError, Problem
from munigrid.scenarios.connections import battery_specs, meter_of
from munigrid.models.finance import CaseResult, EnergyYear1, FinanceSettings, Financing, ProjectInputs, evaluate_case
from munigrid.models.finance.incentives import Incentives
from munigrid.models.finance.defaults import (
    default_components,
    default_escalation,
    default_settings,
    default_value,
)
from munigrid.models.finance.structures import (
    EscoGuaranteedSavings,
    EscoSharedSavings,
    MunicipalOwnership,
    Ppa,
    PppAvailability,
)

HOURS_PER_YEAR = 8760.0
#: every structure, in the order tables and reports show them
STRUCTURES = ("municipal", "esco", "esco-guaranteed", "ppa", "ppp")
#: what each structure is, one line (screen and report)
STRUCTURE_TITLES = {
    "municipal": "municipal ownership (the municipality invests and keeps the savings)",
    "esco": "ESCO shared savings (the ESCO invests, is paid a share of the savings)",
    "esco-guaranteed": "ESCO guaranteed savings (the municipality invests, the ESCO operates and guarantees)",
    "ppa": "power purchase agreement (the investor owns, sells the PV energy)",
    "ppp": "PPP availability payment (the investor builds and operates for a fixed payment)",
}
PARTIES = ("project", "municipality", "investor")
COMPARISON_FILE = "comparison.csv"
#: per-year table of each structure folder (bill, energy, battery capacity, replacement cost)
LIFETIME_FILE = "lifetime.csv"


@dataclass(frozen=True)
class ContractTerms:
    """Contract and debt terms the structures share (CLI options, API arguments).

    Parameters
    ----------
    term_years : int
        Contract term (esco, esco-guaranteed, ppa, ppp) [years].
    esco_share_frac : float
        ESCO share of the savings [-].
    ppa_price_thb_per_kwh : float or None
        PPA fixed price [THB/kWh]; None: a discount to the grid tariff.
    ppa_discount_frac : float
        PPA discount to the grid [-].
    ppa_escalation_frac_per_year : float
        PPA price escalation [-/year].
    ppa_buyout_year : int or None
        PPA buy-out year.
    debt_frac, debt_rate_frac, debt_tenor_years : float, float, int
        Debt share of capex [-], interest [-/year] and tenor [years] of the party that invests.
    """

    term_years: int = 20
    esco_share_frac: float = 0.7
    ppa_price_thb_per_kwh: float | None = None
    ppa_discount_frac: float = 0.2
    ppa_escalation_frac_per_year: float = 0.0
    ppa_buyout_year: int | None = None
    debt_frac: float = 0.0
    debt_rate_frac: float = 0.05
    debt_tenor_years: int = 10

    def structure(self, name: str):
        """The structure ``name`` (one of :data:`STRUCTURES`) with these terms."""
        financing = (Financing(self.debt_frac, self.debt_rate_frac, self.debt_tenor_years)
                     if self.debt_frac else None)
        term = self.term_years
        builders = {
            "municipal": lambda: MunicipalOwnership(financing),
            "esco": lambda: EscoSharedSavings(term_years=term, esco_share_frac=self.esco_share_frac,
                                              financing=financing),
            "esco-guaranteed": lambda: EscoGuaranteedSavings(term_years=term, financing=financing),
            "ppa": lambda: Ppa(term_years=term, price_thb_per_kwh=self.ppa_price_thb_per_kwh,
                               discount_to_grid_frac=self.ppa_discount_frac,
                               escalation_frac_per_year=self.ppa_escalation_frac_per_year,
                               buyout_year=self.ppa_buyout_year, financing=financing),
            "ppp": lambda: PppAvailability(term_years=term, financing=financing),
        }
        return builders[name]()


def parse_structures(names: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Structure names from ``"all"``, one name, a comma list or a sequence, in :data:`STRUCTURES` order.

    Raises :class:`InputError` naming the valid structures for an unknown one.
    """
    items = names.split(",") if isinstance(names, str) else list(names)
    items = [str(n).strip() for n in items if str(n).strip()]
    if "all" in items:
        return STRUCTURES
    unknown = [n for n in items if n not in STRUCTURES]
    if unknown or not items:
        raise InputError(f"unknown structure {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(STRUCTURES)} or all", "structure")
    return tuple(n for n in STRUCTURES if n in items)


@dataclass
class FinanceOutcome:
    """Investment cases of one project under one or more structures.

    Attributes
    ----------
    cases : dict of str to CaseResult
        By structure name, in :data:`STRUCTURES` order.
    notes : list of str
        Caveats of the project inputs (e.g. a dispatch shorter than a year, scaled).
    run_dir : Path or None
        The stored run the cases come from (None: a scenario run now).
    folders : dict of str to Path
        Where each structure was written (empty when nothing was written).
    replaced : list of str
        Structures whose earlier folder was replaced.
    report_path : Path or None
        The run's ``report.html`` when it was rewritten.
    report_note : str
        Why the report was not rewritten (empty when it was, or when there is no run).
    lifetime : str
        How the years were made: ``fast``, ``full`` or ``scaled``.
    scaled : dict of str to dict
        Per structure, the project's and parties' NPV and IRR with year 1 scaled instead
        (empty when ``lifetime`` is ``scaled``), for comparison.
    """

    cases: dict[str, CaseResult]
    notes: list[str]
    run_dir: Path | None = None
    folders: dict[str, Path] = field(default_factory=dict)
    replaced: list[str] = field(default_factory=list)
    report_path: Path | None = None
    report_note: str = ""
    lifetime: str = "scaled"
    scaled: dict[str, dict] = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready: every structure's headline numbers, the notes and the files written."""
        files = {name: [str(p) for p in sorted(folder.iterdir())] for name, folder in self.folders.items()}
        return {"structures": {name: case.summary() | {"title": STRUCTURE_TITLES[name],
                                                       "folder": str(self.folders[name]) if name in self.folders
                                                       else None, "files": files.get(name, [])}
                               for name, case in self.cases.items()},
                "notes": self.notes, "run": str(self.run_dir) if self.run_dir else None,
                "lifetime": self.lifetime, "year1_scaled": self.scaled,
                "replaced": self.replaced,
                "report": str(self.report_path) if self.report_path else None, "report_note": self.report_note}


def sizes(results, scenario) -> tuple[float, float]:
    """PV [kWp] and battery [kWh] the run used: sized ones when the run sized them."""
    if "pv_kwp" in results:
        return float(results["pv_kwp"].sum()), float(results["battery_kwh"].sum())
    pv_kwp = sum(a.capacity_kwp for b in scenario.buildings for a in b.pv_arrays)
    return pv_kwp, (scenario.battery.energy_kwh if scenario.battery else 0.0)


def store_thb(results) -> float:
    """Price of the run's thermal stores, tanks and chillers [THB] (0 without one)."""
    return float(results["store_capex_thb"].sum()) if "store_capex_thb" in results else 0.0


def battery_capacity_frac(results, scenario, years: int, step_h: float) -> np.ndarray | None:
    """Remaining capacity after each year [-], the dispatched year repeated (cycle + calendar fade)."""
    from munigrid.models.simulation.degradation import DegradationParams, battery_fade, calendar_fade_frac

    spec = scenario.battery
    if spec is None or spec.energy_kwh <= 0:
        return None
    soc = results["soc_kwh"].sel(building=meter_of(scenario, spec.building)).to_numpy()
    fade = battery_fade(soc, spec.energy_kwh, step_h=step_h)
    cycle_per_year = fade.cycle_fade_frac / fade.duration_years
    params = DegradationParams()
    age = np.arange(1, years + 1, dtype=float)
    calendar = np.array([calendar_fade_frac(a, params) for a in age])
    return np.clip(1.0 - cycle_per_year * age - calendar, 0.0, 1.0)


def energy_year1(results, scenario, site_inputs=None) -> tuple[EnergyYear1, list[str]]:
    """Site totals of the dispatch, annualised, with bills before, after and with PV only [THB]."""
    from munigrid.scenarios import api
    from munigrid.scenarios.inputs import ft_schedule

    site_inputs = site_inputs or api.inputs(scenario)
    ft = ft_schedule(scenario)
    step_h = site_inputs.step_h
    horizon_h = results.sizes["time"] * step_h
    scale = HOURS_PER_YEAR / horizon_h
    notes = [] if abs(scale - 1.0) < 0.01 else [
        f"the dispatch covers {horizon_h / 24:.0f} days; year-1 energy and bills are scaled by {scale:.3f}"]

    def total_kwh(name: str) -> float:
        return float(results[name].sum()) * step_h * scale

    def bill_thb(import_kw) -> float:
        return scale * sum(float(b.tariff.bill(import_kw.sel(building=b.name).to_series().clip(lower=0.0),
                                               ft=ft).monthly["total_thb"].sum()) for b in site_inputs.buildings)

    index = site_inputs.index
    months = pd.PeriodIndex([pd.Period(year=y, month=m, freq="M")
                             for y, m in sorted(set(zip(index.year, index.month)))])
    energy = EnergyYear1(
        load_kwh=total_kwh("load_kw"), pv_available_kwh=total_kwh("pv_ac_kw"), pv_used_kwh=total_kwh("pv_used_kw"),
        import_before_kwh=total_kwh("baseline_import_kw"), import_after_kwh=total_kwh("import_kw"),
        bill_before_thb=bill_thb(results["baseline_import_kw"]), bill_after_thb=bill_thb(results["import_kw"]),
        bill_pv_only_thb=bill_thb(results["load_kw"] - results["pv_ac_kw"]) if battery_specs(scenario) else None,
        battery_throughput_kwh=total_kwh("discharge_kw"),
        ft_thb_per_kwh=float(np.mean(ft.resolve(months).ft_thb_per_kwh)))
    if "import_flex_baseline_kw" in results:  # scenarios with flexible_loads (munigrid.scenarios.flex_value)
        notes.append(f"the year-1 bill savings include {bill_thb(results['import_flex_baseline_kw']) - energy.bill_after_thb:,.0f} "
                     "THB from optimising the flexible loads (against running them as today); no investment is counted for them")
    return energy, notes


def project_inputs(results, scenario, years: int, escalation: str, lifetime: str = "scaled",
                   load_growth_frac_per_year: float = 0.0, incentives: Incentives | None = None,
                   battery_upkeep: str = "replace") -> tuple[ProjectInputs, list[str], pd.DataFrame | None]:
    """The project of a dispatch: year-1 energy, default components at the run's sizes, fades,
    and (``lifetime`` ``fast`` or ``full``) every project year simulated.

    Returns
    -------
    inputs : ProjectInputs
    notes : list of str
    lifetime_table : pandas.DataFrame or None
        The simulated years (:class:`munigrid.scenarios.lifetime.Lifetime` ``table``); None when scaled.
    """
    from munigrid.scenarios.api import _base_dir
    from munigrid.scenarios.lifetime import check_options, simulate_lifetime
    from munigrid.scenarios.runner import prepare

    check_options(lifetime, years, load_growth_frac_per_year, battery_upkeep)
    prepared = prepare(scenario, _base_dir(scenario, None)) if lifetime != "scaled" else None
    energy, notes = energy_year1(results, scenario, prepared.inputs if prepared else None)
    pv_kwp, battery_kwh = sizes(results, scenario)
    if pv_kwp <= 0:
        raise InputError([Problem("buildings[].pv_arrays", "the scenario has no PV: nothing to finance")])
    degradation = float(np.mean([a.degradation_frac_per_year for b in scenario.buildings for a in b.pv_arrays]
                                or [0.005]))
    simulated, table = None, None
    if prepared is not None:
        horizon_h = results.sizes["time"] * prepared.inputs.step_h
        life = simulate_lifetime(results, scenario, prepared, energy, years=years, method=lifetime,
                                 load_growth_frac_per_year=load_growth_frac_per_year,
                                 pv_degradation_frac_per_year=degradation, scale=HOURS_PER_YEAR / horizon_h,
                                 augment=battery_upkeep == "augment")
        simulated, table = life.energy, life.table
        notes += life.notes
    inputs = ProjectInputs(
        energy=energy, components=default_components(pv_kwp, battery_kwh, store_thb(results)), years=years,
        pv_degradation_frac_per_year=degradation, load_growth_frac_per_year=load_growth_frac_per_year,
        battery_capacity_frac=battery_capacity_frac(results, scenario, max(years, 1), scenario.time.step_min / 60.0),
        battery_eol_frac=float(default_value("lives", "battery_end_of_life_capacity_frac")),
        escalation=default_escalation(escalation), start_date=scenario.time.start, lifetime=simulated,
        incentives=incentives)
    return inputs, notes, table


def scaled_comparison(inputs: ProjectInputs, cases: dict[str, CaseResult]) -> dict[str, dict]:
    """Per structure, NPV and IRR of the project and both parties with year 1 scaled instead of
    the simulated years (same contract terms), for comparison [THB, -]."""
    from dataclasses import replace

    scaled = replace(inputs, lifetime=None)
    out = {}
    for name, case in cases.items():
        other = evaluate_case(scaled, case.structure, case.settings, base=case.project)
        metrics = {"project": other.project_metrics(), "municipality": other.municipality.metrics().as_dict(),
                   "investor": other.investor.metrics().as_dict()}
        out[name] = {party: {k: m[k] for k in ("npv_thb", "irr_frac")} for party, m in metrics.items()}
    return out


def lifetime_table(case: CaseResult, simulated: pd.DataFrame | None) -> pd.DataFrame:
    """Per project year: bills (escalated), energy, battery capacity, replacement cost [THB, kWh, -];
    with the simulation's own columns (capacity at the start and end of the year, cycle fade,
    bills at year-1 prices) when the years were simulated."""
    frame = case.project.to_frame().loc[1:, ["load_kwh", "pv_used_kwh", "import_before_kwh", "import_after_kwh",
                                             "battery_capacity_frac", "ft_thb_per_kwh", "bill_before_thb",
                                             "bill_after_thb", "bill_savings_thb", "replacements_thb"]]
    frame["replacements_thb"] = -frame["replacements_thb"]
    frame = frame.rename(columns={"replacements_thb": "replacement_cost_thb"})
    if simulated is not None:
        extra = simulated.drop(columns=[c for c in simulated.columns if c in frame.columns or c.endswith("_kwh")])
        frame = frame.join(extra)
    frame.insert(0, "structure", case.structure.name)
    return frame


def settings_with(municipality_rate_frac: float | None, investor_rate_frac: float | None) -> FinanceSettings:
    """The default finance settings with the discount rates given (None keeps a default)."""
    base = default_settings()
    return FinanceSettings(
        municipality_discount_frac=(base.municipality_discount_frac if municipality_rate_frac is None
                                    else municipality_rate_frac),
        investor_discount_frac=base.investor_discount_frac if investor_rate_frac is None else investor_rate_frac,
        cit_frac=base.cit_frac, loss_carryforward_years=base.loss_carryforward_years)


def evaluate_structures(inputs: ProjectInputs, structures: tuple[str, ...], terms: ContractTerms,
                        settings: FinanceSettings) -> dict[str, CaseResult]:
    """Every structure on the same project; all problems of all structures raised at once (a
    structure's own terms prefixed with its name, project and settings problems listed once)."""
    cases, problems = {}, {}
    for name in structures:
        try:
            cases[name] = evaluate_case(inputs, terms.structure(name), settings)
        except InputError as err:
            for problem in err.problems:
                path = f"{name}: {problem.path}" if problem.path.startswith("structure") else problem.path
                problems.setdefault((path, problem.message), Problem(path, problem.message))
    if problems:
        raise InputError(list(problems.values()))
    return cases


def _write_one(case: CaseResult, inputs: ProjectInputs, terms: ContractTerms, folder: Path, fiscal: bool,
               notes: list[str], simulated: pd.DataFrame | None) -> None:
    """One structure's cash-flow tables, workbook, tornado and NPV percentiles into ``folder``."""
    from munigrid.models.finance.export import write_csv, write_excel
    from munigrid.models.finance.sensitivity import monte_carlo, tornado

    name = case.structure.name
    structure = terms.structure(name)
    folder.mkdir(parents=True)
    write_csv(case, folder, fiscal=fiscal)
    write_excel(case, folder / f"case-{name}.xlsx", fiscal=fiscal,
                extra_assumptions={f"note{i}": n for i, n in enumerate(notes)})
    lifetime_table(case, simulated).to_csv(folder / LIFETIME_FILE)
    for table_name, table in (("tornado", tornado(inputs, structure, case.settings)),
                              ("npv_percentiles", monte_carlo(inputs, structure, case.settings).percentiles())):
        table.insert(0, "structure", name)
        table.to_csv(folder / f"{table_name}.csv", index=False)


def write_comparison(folder: Path) -> Path | None:
    """``comparison.csv``: the metrics of every structure folder under ``folder``, one row per
    structure and party; rebuilt from the folders, so it never shows a case that is gone."""
    tables = [pd.read_csv(sub / "metrics.csv") for sub in structure_folders(folder).values()]
    path = folder / COMPARISON_FILE
    if not tables:
        path.unlink(missing_ok=True)
        return None
    tmp = folder / f".{COMPARISON_FILE}.tmp-{os.getpid()}"
    pd.concat(tables, ignore_index=True).to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


def structure_folders(folder: Path) -> dict[str, Path]:
    """Complete structure folders (with ``metrics.csv``) under ``folder``, in :data:`STRUCTURES` order."""
    found = {p.parent.name: p.parent for p in Path(folder).glob("*/metrics.csv") if not p.parent.name.startswith(".")}
    order = {name: i for i, name in enumerate(STRUCTURES)}
    return {name: found[name] for name in sorted(found, key=lambda n: (order.get(n, len(order)), n))}


def write_structures(cases: dict[str, CaseResult], inputs: ProjectInputs, terms: ContractTerms, folder: Path,
                     fiscal: bool = False, notes: list[str] | None = None,
                     progress: Callable[[str], None] | None = None,
                     simulated: pd.DataFrame | None = None) -> tuple[dict[str, Path], list[str]]:
    """Write each case to ``folder/<structure>/`` and refresh ``folder/comparison.csv``.

    Every structure is first written whole into a hidden staging folder; only when all are
    written are they swapped in (old folder aside, staging renamed, old removed), so a failed
    or killed command leaves the previous cases, never a half-written one. Other structures'
    folders are left as they are.

    Returns
    -------
    folders : dict of str to Path
        Written folder of each structure.
    replaced : list of str
        Structures whose earlier folder was replaced.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for name, case in cases.items():
            if progress:
                progress(f"{name}: tables, workbook, tornado, NPV percentiles")
            _write_one(case, inputs, terms, staging / name, fiscal, notes or [], simulated)
        replaced = []
        for name in cases:
            target, old = folder / name, staging / f".old-{name}"
            if target.exists():
                target.rename(old)
                replaced.append(name)
            (staging / name).rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    write_comparison(folder)
    return {name: folder / name for name in cases}, replaced
