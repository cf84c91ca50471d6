"""A sweep's plan: every (member, site) scenario, checked and keyed by the hash of its inputs.

Member scenarios are built as plain dicts (base or portfolio site, then each parameter set
or scaled, see :mod:`munigrid.scenarios.sweep.paths`), validated by the scenario schema and
the reference checks (tariff ids, files, roof size) here, before any work is sent out. A
member whose inputs are invalid becomes a *failure* with every problem listed; the others
run. Each valid member's key is :func:`munigrid.scenarios.provenance.inputs_hash` (the
canonical scenario and every file it reads), cut to 16 hex digits; members with equal
inputs share one key and are solved once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from munigrid.models.errors import InputError, Problem
from munigrid.scenarios.schema import Scenario, parse_scenario
from munigrid.scenarios.sweep.design import member_values
from munigrid.scenarios.sweep.paths import apply_value, targets
from munigrid.scenarios.sweep.spec import SweepSpec

KEY_HEX = 16


@dataclass(frozen=True)
class MemberJob:
    """One member to solve: its inputs key, scenario (validated dict), the folder its files are
    relative to, and whether its time series are sent back (else KPIs and manifest only)."""

    key: str
    label: str
    scenario: dict
    base_dir: str
    keep_series: bool = True


@dataclass
class SweepPlan:
    """Everything a sweep will do.

    Attributes
    ----------
    sweep_id : str
        ``<name>-<hash8>``, the hash over all member keys: the same sweep gets the same id.
    record : dict
        What ``plan.json`` holds: the spec, the sites, each (member, site) with key and values.
    jobs : dict
        Key -> :class:`MemberJob` for every valid, distinct member.
    invalid : dict
        Key -> failure record of members whose inputs are invalid.
    """

    sweep_id: str
    record: dict
    jobs: dict[str, MemberJob] = field(default_factory=dict)
    invalid: dict[str, dict] = field(default_factory=dict)


def _raw_key(data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:KEY_HEX]


def check_paths(spec: SweepSpec, sites: dict[str, dict]) -> None:
    """Every parameter path must name a field of every site's scenario; all problems at once."""
    problems = []
    for i, p in enumerate(spec.parameters):
        for site, data in sites.items():
            try:
                targets(data, p.path)
            except InputError as err:
                where = f"sweep.parameters[{i}].path" + (f" (site {site})" if len(sites) > 1 else "")
                problems += [Problem(where, f"{p.path}: {e.message}") for e in err.problems]
                break
    if problems:
        raise InputError(problems)


def _member_scenario(data: dict, values: dict[str, Any], applies: dict[str, str]) -> dict:
    for path, value in values.items():
        data = apply_value(data, path, value, applies[path])
    return data


def _validate(data: dict, base_dir: Path) -> Scenario:
    from munigrid.scenarios.inputs import check_references

    scenario = parse_scenario(data, "member")
    check_references(scenario, base_dir)
    return scenario


def build_plan(name: str, sites: dict[str, dict], spec: SweepSpec | None, base_dir: Path) -> SweepPlan:
    """Expand ``spec`` over ``sites`` (site name -> scenario dict) into keyed, checked members.

    Without a spec each site is run once (member 0, no parameter changed).
    """
    from munigrid.scenarios.provenance import inputs_hash

    values = member_values(spec) if spec is not None else [{}]
    parameters = [{"path": p.path, "apply": p.apply} for p in spec.parameters] if spec is not None else []
    applies = {p["path"]: p["apply"] for p in parameters}
    if spec is not None:
        check_paths(spec, sites)
    plan = SweepPlan(sweep_id="", record={})
    members = []
    for m, member in enumerate(values):
        for site, data in sites.items():
            label = f"m{m:04d}/{site}"
            try:
                scenario_data = _member_scenario(data, member, applies)
                scenario = _validate(scenario_data, base_dir)
                key = inputs_hash(scenario, base_dir)[:KEY_HEX]
                plan.jobs.setdefault(key, MemberJob(key, label, scenario.model_dump(mode="json"), str(base_dir)))
            except InputError as err:
                key = _raw_key({"site": site, "base": data, "values": member})
                plan.invalid[key] = {"kind": "input", "label": label, "message": str(err),
                                     "problems": [str(p) for p in err.problems]}
            members.append({"member": m, "site": site, "key": key, "params": member})
    digest = hashlib.sha256("".join(m["key"] for m in members).encode()).hexdigest()[:8]
    plan.sweep_id = f"{name}-{digest}"
    plan.record = {"sweep_id": plan.sweep_id, "name": name,
                   "spec": spec.model_dump(mode="json") if spec is not None else None,
                   "parameters": parameters, "sites": list(sites), "members": members,
                   "base_dir": str(base_dir)}
    return plan
