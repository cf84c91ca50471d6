"""``munigrid finance SCENARIO|RUN``: the investment case of an ownership structure.

Year-1 energy and bills come from the optimised dispatch (a stored run, or the scenario run
now without storing); the battery's yearly capacity fade comes from the simulation core's
degradation model applied to the dispatched state of charge.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
import pandas as pd

from munigrid.models.errors import InputError, Problem
from munigrid.models.finance import EnergyYear1, FinanceSettings, Financing, ProjectInputs, evaluate_case
from munigrid.models.finance.defaults import default_components, default_escalation, default_settings
from munigrid.models.finance.fiscal import format_thb
from munigrid.scenarios.tables import wide_console
from munigrid.models.finance.structures import (
    EscoGuaranteedSavings,
    EscoSharedSavings,
    MunicipalOwnership,
    Ppa,
    PppAvailability,
)

HOURS_PER_YEAR = 8760.0


def _results_and_scenario(ref: str):
    """Dispatch results, the scenario and the run folder (None when the scenario is run now)."""
    from munigrid.scenarios import api
    from munigrid.scenarios.library import resolve
    from munigrid.solver_runs import store

    path = Path(ref)
    if path.is_dir() or not (path.suffix in (".yaml", ".yml") or _is_bundled(ref, resolve)):
        run = store.open_run(ref)
        return run.results(), api.load(run.path / "scenario.yaml"), run.path
    scenario = api.load(ref)
    return api.run(scenario, store=False).results, scenario, None


def _sizes(results, scenario) -> tuple[float, float]:
    """PV [kWp] and battery [kWh] the run used: sized ones when the run sized them."""
    if "pv_kwp" in results:
        return float(results["pv_kwp"].sum()), float(results["battery_kwh"].sum())
    pv_kwp = sum(a.capacity_kwp for b in scenario.buildings for a in b.pv_arrays)
    return pv_kwp, (scenario.battery.energy_kwh if scenario.battery else 0.0)


def _write_case(case, inputs, structure, settings, folder: Path, fiscal: bool, notes: list[str]) -> list[str]:
    """Cash-flow tables, workbook, tornado and NPV percentiles, written whole or not at all.

    Files go to a staging folder renamed over ``folder`` at the end, so a killed command never
    leaves a half-written set beside a run.
    """
    import shutil

    from munigrid.models.finance.export import write_csv, write_excel
    from munigrid.models.finance.sensitivity import monte_carlo, tornado

    staging = folder.with_name(f".staging-{folder.name}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    write_csv(case, staging, fiscal=fiscal)
    write_excel(case, staging / "case.xlsx", fiscal=fiscal,
                extra_assumptions={f"note{i}": n for i, n in enumerate(notes)})
    tornado(inputs, structure, settings).to_csv(staging / "tornado.csv", index=False)
    monte_carlo(inputs, structure, settings).percentiles().to_csv(staging / "npv_percentiles.csv", index=False)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return [str(p) for p in sorted(folder.iterdir())]


def _is_bundled(ref: str, resolve) -> bool:
    try:
        resolve(ref)
    except InputError:
        return False
    return True


def _battery_capacity_frac(results, scenario, years: int, step_h: float) -> np.ndarray | None:
    """Remaining capacity after each year [-], the dispatched year repeated (cycle + calendar fade)."""
    from munigrid.models.simulation.degradation import DegradationParams, battery_fade, calendar_fade_frac

    spec = scenario.battery
    if spec is None or spec.energy_kwh <= 0:
        return None
    soc = results["soc_kwh"].sel(building=spec.building).to_numpy()
    fade = battery_fade(soc, spec.energy_kwh, step_h=step_h)
    cycle_per_year = fade.cycle_fade_frac / fade.duration_years
    params = DegradationParams()
    age = np.arange(1, years + 1, dtype=float)
    calendar = np.array([calendar_fade_frac(a, params) for a in age])
    return np.clip(1.0 - cycle_per_year * age - calendar, 0.0, 1.0)


def energy_year1(results, scenario) -> tuple[EnergyYear1, list[str]]:
    """Site totals of the dispatch, annualised, with bills before, after and with PV only [THB]."""
    from munigrid.scenarios import api
    from munigrid.scenarios.runner import ft_schedule

    inputs = api.inputs(scenario)
    ft = ft_schedule(scenario)
    step_h = inputs.step_h
    horizon_h = results.sizes["time"] * step_h
    scale = HOURS_PER_YEAR / horizon_h
    notes = [] if abs(scale - 1.0) < 0.01 else [
        f"the dispatch covers {horizon_h / 24:.0f} days; year-1 energy and bills are scaled by {scale:.3f}"]

    def total_kwh(name: str) -> float:
        return float(results[name].sum()) * step_h * scale

    def bill_thb(import_kw) -> float:
        return scale * sum(float(b.tariff.bill(import_kw.sel(building=b.name).to_series().clip(lower=0.0),
                                               ft=ft).monthly["total_thb"].sum()) for b in inputs.buildings)

    months = pd.PeriodIndex([pd.Period(year=y, month=m, freq="M")
                             for y, m in sorted(set(zip(inputs.index.year, inputs.index.month)))])
    energy = EnergyYear1(
        load_kwh=total_kwh("load_kw"), pv_available_kwh=total_kwh("pv_ac_kw"), pv_used_kwh=total_kwh("pv_used_kw"),
        import_before_kwh=total_kwh("baseline_import_kw"), import_after_kwh=total_kwh("import_kw"),
        bill_before_thb=bill_thb(results["baseline_import_kw"]), bill_after_thb=bill_thb(results["import_kw"]),
        bill_pv_only_thb=bill_thb(results["load_kw"] - results["pv_ac_kw"]) if scenario.battery else None,
        battery_throughput_kwh=total_kwh("discharge_kw"),
        ft_thb_per_kwh=float(np.mean(ft.resolve(months).ft_thb_per_kwh)))
    return energy, notes


def _structure(name: str, opts: dict):
    financing = Financing(opts["debt_frac"], opts["debt_rate"], opts["debt_tenor"]) if opts["debt_frac"] else None
    term = opts["term"]
    builders = {
        "municipal": lambda: MunicipalOwnership(financing),
        "esco": lambda: EscoSharedSavings(term_years=term, esco_share_frac=opts["share"], financing=financing),
        "esco-guaranteed": lambda: EscoGuaranteedSavings(term_years=term, financing=financing),
        "ppa": lambda: Ppa(term_years=term, price_thb_per_kwh=opts["price"], discount_to_grid_frac=opts["discount"],
                           escalation_frac_per_year=opts["ppa_escalation"], buyout_year=opts["buyout_year"],
                           financing=financing),
        "ppp": lambda: PppAvailability(term_years=term, financing=financing),
    }
    return builders[name]()


def _print_case(case, notes: list[str]) -> None:
    from rich.table import Table

    summary = case.summary()
    table = Table(title=f"{case.structure.name}: {summary['years']}-year case (THB)")
    for column in ("", "NPV", "IRR", "payback [y]", "LCOE [THB/kWh]", "net savings", "min DSCR"):
        table.add_column(column, justify="right")
    for party in ("project", "municipality", "investor"):
        m = summary[party]
        irr_text = f"{m['irr_frac']:.1%}" if m.get("irr_frac") is not None else f"none ({m['irr_status']})"
        table.add_row(party, format_thb(m["npv_thb"]), irr_text,
                      "-" if m.get("payback_years") is None else f"{m['payback_years']:.1f}",
                      "-" if m.get("lcoe_thb_per_kwh") is None else f"{m['lcoe_thb_per_kwh']:.2f}",
                      format_thb(m.get("net_savings_thb", m.get("year1_savings_thb"))),
                      "-" if m.get("min_dscr") is None else f"{m['min_dscr']:.2f}")
    console = wide_console()
    console.print(table)
    for note in notes:
        console.print(f"note: {note}")


@click.command()
@click.argument("ref", metavar="SCENARIO|RUN")
@click.option("--structure", type=click.Choice(["municipal", "esco", "esco-guaranteed", "ppa", "ppp"]),
              default="municipal", show_default=True, help="Ownership structure.")
@click.option("--years", type=int, default=20, show_default=True, help="Project life [years].")
@click.option("--term", type=int, default=20, show_default=True, help="Contract term [years] (esco, ppa, ppp).")
@click.option("--escalation", type=click.Choice(["flat", "base", "high"]), default="base", show_default=True,
              help="Tariff and Ft escalation scenario (finance_defaults.yaml).")
@click.option("--share", type=float, default=0.7, show_default=True, help="ESCO share of savings [-].")
@click.option("--price", type=float, default=None, help="PPA fixed price [THB/kWh]; default: a discount to grid.")
@click.option("--discount", type=float, default=0.2, show_default=True, help="PPA discount to the grid [-].")
@click.option("--ppa-escalation", type=float, default=0.0, show_default=True, help="PPA price escalation [-/year].")
@click.option("--buyout-year", type=int, default=None, help="PPA buy-out year.")
@click.option("--debt-frac", type=float, default=0.0, show_default=True, help="Debt share of capex [-].")
@click.option("--debt-rate", type=float, default=0.05, show_default=True, help="Debt interest rate [-/year].")
@click.option("--debt-tenor", type=int, default=10, show_default=True, help="Debt tenor [years].")
@click.option("--municipality-rate", type=float, default=None, help="Municipality discount rate [-].")
@click.option("--investor-rate", type=float, default=None, help="Investor discount rate [-].")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write cash-flow CSVs and case.xlsx into this folder.")
@click.option("--fiscal", is_flag=True, help="Tables by Thai fiscal year (October-September).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def finance(ref, structure, years, out, fiscal, as_json, escalation, municipality_rate, investor_rate, **opts):
    """Investment case of SCENARIO (bundled name or YAML, run now) or RUN (stored run id or folder)."""
    results, scenario, run_dir = _results_and_scenario(ref)
    energy, notes = energy_year1(results, scenario)
    step_h = scenario.time.step_min / 60.0
    pv_kwp, battery_kwh = _sizes(results, scenario)
    degradation = [a.degradation_frac_per_year for b in scenario.buildings for a in b.pv_arrays] or [0.005]
    inputs = ProjectInputs(
        energy=energy, components=default_components(pv_kwp, battery_kwh), years=years,
        pv_degradation_frac_per_year=float(np.mean(degradation)),
        battery_capacity_frac=_battery_capacity_frac(results, scenario, max(years, 1), step_h),
        escalation=default_escalation(escalation), start_date=scenario.time.start)
    base = default_settings()
    settings = FinanceSettings(
        municipality_discount_frac=base.municipality_discount_frac if municipality_rate is None else municipality_rate,
        investor_discount_frac=base.investor_discount_frac if investor_rate is None else investor_rate,
        cit_frac=base.cit_frac, loss_carryforward_years=base.loss_carryforward_years)
    if pv_kwp <= 0:
        raise InputError([Problem("buildings[].pv_arrays", "the scenario has no PV: nothing to finance")])
    chosen = _structure(structure, opts)
    case = evaluate_case(inputs, chosen, settings)
    if out is None and run_dir is not None:
        out = run_dir / "finance"
    written = [] if out is None else _write_case(case, inputs, chosen, settings, Path(out), fiscal, notes)
    if run_dir is not None and (run_dir / "report.html").exists():
        from munigrid.solver_runs.report import write_run_report

        written.append(str(write_run_report(run_dir)))
    if as_json:
        click.echo(json.dumps(case.summary() | {"notes": notes, "files": written}, indent=2, ensure_ascii=False))
        return
    _print_case(case, notes)
    for path in written:
        click.echo(f"wrote {path}")
