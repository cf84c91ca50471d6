"""The bad-input corpus under ``corpus/``: each entry, the command it runs, and running it.

Every ``corpus/*.yaml`` except ``base.yaml`` is one bad input. Its header says what the
message must name (``# expect: FIELD``) and, for bad CLI options, the command to run
(``# args: ...`` with ``{file}`` the entry, ``{dir}`` the corpus folder and ``{tmp}`` a
scratch folder); without ``# args`` the entry is checked by ``munigrid validate``. Used by
the tests and by ``benchmarks/bench_hardening.py`` for the tally.
"""

from __future__ import annotations

import contextlib
import io
import json
import shlex
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Case:
    """One corpus entry: its file, what the message must name, and the CLI arguments."""

    path: Path
    expect: str
    args: str

    @property
    def name(self) -> str:
        """The entry's file stem."""
        return self.path.stem

    def argv(self, tmp: Path) -> list[str]:
        """The command line, placeholders filled in."""
        text = self.args.format(file=self.path, dir=CORPUS, tmp=tmp)
        return shlex.split(text)


def _header(path: Path, key: str) -> str | None:
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        if line.startswith(f"# {key}: "):
            return line[len(f"# {key}: "):].strip()
    return None


def cases() -> list[Case]:
    """Every corpus entry, sorted by name."""
    out = []
    for path in sorted(CORPUS.glob("*.yaml")):
        if path.name == "base.yaml":
            continue
        out.append(Case(path, _header(path, "expect") or path.name, _header(path, "args") or "validate {file}"))
    return out


def prepare_scratch(tmp: Path) -> None:
    """What entries expect in the scratch folder: ``linked``, a link to a run folder outside the store."""
    outside = tmp.parent / f"{tmp.name}-outside"
    outside.mkdir(exist_ok=True)
    (outside / "manifest.json").write_text(json.dumps({"scenario": "x"}))
    link = tmp / "linked"
    if not link.exists():
        link.symlink_to(outside, target_is_directory=True)


def run_case(case: Case, tmp: Path) -> tuple[int, str]:
    """Run an entry through the CLI entry point in this process; returns (exit code, stdout + stderr)."""
    from munigrid.scenarios.cli import main

    prepare_scratch(tmp)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(case.argv(tmp))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
    return code, out.getvalue() + err.getvalue()
