"""``munigrid runs clean`` and the store notes ``munigrid runs list`` prints under its table."""

from __future__ import annotations

import json
from pathlib import Path

import click


def store_notes(root: Path | None) -> dict[str, list[str]]:
    """Leftover staging folders, broken runs and sweeps, runs without a report, links out of the store."""
    from munigrid.solver_runs.store import default_root, store_problems
    from munigrid.solver_runs.sweeps.ledger import broken_sweeps

    root = Path(root or default_root())
    found = store_problems(root)
    found["broken"] += broken_sweeps(root)
    return found


NOTE_TEXT = {
    "staging": "leftover staging folders of killed runs (not runs; `munigrid runs clean` removes them)",
    "broken": "broken folders left out of the list (remove them, or run the scenario again)",
    "no_report": "runs without report.html (`munigrid runs report ID` writes it)",
    "links": "symbolic links leading out of the store, not followed",
}


def print_store_notes(notes: dict[str, list[str]]) -> None:
    """The notes as lines on stderr, one block per kind (nothing when the store is clean)."""
    for kind, items in notes.items():
        if items:
            click.secho(f"{len(items)} {NOTE_TEXT[kind]}:", fg="yellow", err=True)
            for item in items[:20]:
                click.echo(f"  {item}", err=True)
            if len(items) > 20:
                click.echo(f"  ... {len(items) - 20} more (--json for all)", err=True)


@click.command()
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run store root (default: $MUNIGRID_RUNS or ./runs).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def clean(root, as_json):
    """Remove what killed runs and sweeps left: .staging-* folders and partial sweep members.

    Folders still being written by a live process are kept (each writer holds a lock); runs,
    sweeps and failed-member records are never touched.
    """
    from munigrid.solver_runs.store import clean_staging, default_root
    from munigrid.solver_runs.sweeps.ledger import clean_sweeps

    root = Path(root or default_root())
    removed = [str(p) for p in clean_staging(root) + clean_sweeps(root)]
    if as_json:
        click.echo(json.dumps({"removed": removed}, indent=2, ensure_ascii=False))
        return
    for path in removed:
        click.echo(f"removed {path}")
    click.echo(f"{len(removed)} leftover folder(s) removed from {root}")
