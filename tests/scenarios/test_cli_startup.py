"""Start-up of the CLI: quick commands import no numerical stack, and say what they should.

Each check runs in a new process, because the test process itself has long imported pandas.
"""

from __future__ import annotations

import copy
import importlib
import json
import subprocess
import sys
from importlib.metadata import version

import pytest
import yaml

from munigrid.scenarios import cli
from munigrid.scenarios.library import bundled, read_yaml

HEAVY = ("pandas", "sklearn", "pyomo", "highspy", "numba", "xarray")

# runs ARGV through the CLI in a fresh process and reports, at exit, which heavy modules it loaded
PROBE = """
import atexit, json, sys
HEAVY = {heavy!r}
atexit.register(lambda: print("LOADED=" + json.dumps([m for m in HEAVY if m in sys.modules]), file=sys.stderr))
from munigrid.scenarios.cli import main
main({argv!r})
"""


def _probe(*argv: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY, argv=list(argv))],
                          capture_output=True, text=True, timeout=120)
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("LOADED=")]
    assert line, done.stderr
    return done, json.loads(line[-1][len("LOADED="):])


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "munigrid.scenarios.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_importing_the_cli_loads_no_numerical_stack():
    code = f"import sys, munigrid.scenarios.cli; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["tariffs"], ["validate", "--quick", "tha-yang"],
                                  ["scenarios"], ["runs", "--help"], ["validate", "--help"]])
def test_quick_commands_load_no_numerical_stack(argv):
    done, loaded = _probe(*argv)
    assert done.returncode == 0, done.stderr
    assert loaded == [], f"munigrid {' '.join(argv)} imported {loaded}"


def test_help_lists_every_command_with_its_own_short_help():
    """The source-read one-line help is what click itself would print, for every lazy command."""
    from munigrid.scenarios.commands.runs_cmds import runs

    for table in (cli.COMMANDS, runs.lazy_commands):
        for name, target in table.items():
            module, attr = target.split(":")
            command = getattr(importlib.import_module(module), attr)
            for limit in (40, 70):
                # None would make --help import the command: define commands as decorated functions
                assert cli.short_help(target, limit) == command.get_short_help_str(limit), name
    done = _cli("--help")
    assert done.returncode == 0
    for name in cli.COMMANDS:
        assert f"\n  {name} " in done.stdout
    assert "List the tariff library" in done.stdout


def test_version_prints_the_installed_version():
    done = _cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"munigrid {version('munigrid')}"


def _bad_scenario(tmp_path):
    data = copy.deepcopy(read_yaml(bundled()["tha-yang"]))
    data["site"]["latitud_deg"] = data["site"].pop("latitude_deg")   # schema: unknown key + missing field
    data["buildings"][1]["tariff"] = "pea-3.2-lt22kvx"               # reference: tariff id
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_validate_lists_tariff_ids_with_schema_problems(tmp_path):
    done = _cli("validate", str(_bad_scenario(tmp_path)))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "site.latitud_deg: unknown key" in done.stderr
    assert "docs/inputs.md#scenario-fields" in done.stderr
    assert "site.latitude_deg: required field is missing" in done.stderr
    assert "buildings[1].tariff: unknown tariff 'pea-3.2-lt22kvx'; did you mean pea-3.2-lt22kv" in done.stderr


def test_validate_json(tmp_path):
    done = _cli("validate", str(_bad_scenario(tmp_path)), "--json")
    assert done.returncode == 2
    report = json.loads(done.stdout)
    assert report["valid"] is False
    paths = {p["path"] for p in report["problems"]}
    assert paths == {"site.latitud_deg", "site.latitude_deg", "buildings[1].tariff"}

    done = _cli("validate", "tha-yang", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["valid"] is True and report["problems"] == []
    assert (report["buildings"], report["days"], report["step_min"]) == (5, 365, 60)

    done = _cli("validate", "no-such-scenario", "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout)["problems"][0]["path"] == "no-such-scenario"


def test_validate_reports_missing_files_and_oversized_pv(tmp_path):
    data = read_yaml(bundled()["tha-yang"])
    data["buildings"][0]["load_csv"] = "meter.csv"
    data["buildings"][0]["pv_arrays"][0]["capacity_kwp"] = 10_000
    path = tmp_path / "refs.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    report = json.loads(_cli("validate", str(path), "--json").stdout)
    messages = {p["path"]: p["message"] for p in report["problems"]}
    assert messages["buildings[0].load_csv"].startswith("no such file")
    assert "roof" in messages["buildings[0].pv_arrays"]


def test_scenarios_json_lists_the_bundled_scenarios():
    done = _cli("scenarios", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)["scenarios"]}
    assert set(rows) == set(bundled())
    assert rows["tha-yang-sizing"]["mode"] == "sizing" and rows["tha-yang"]["buildings"] == 5
    assert all(row["description"] for row in rows.values())
