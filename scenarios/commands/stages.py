"""A spinner naming the current stage of a long command, on stderr.

Off with ``--json`` (stdout stays one JSON object) and when stderr is not a terminal (logs and
pipes get no control characters).
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator


@contextlib.contextmanager
def stage_spinner(first_stage: str, quiet: bool) -> Iterator[Callable[[str], None]]:
    """Show a spinner with ``first_stage`` and yield a callback that names the next stage.

    Parameters
    ----------
    first_stage : str
        Text shown until the callback is first called.
    quiet : bool
        True (e.g. ``--json``) shows nothing; the callback still works.
    """
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True, disable=quiet or not console.is_terminal) as bar:
        task = bar.add_task(first_stage, total=None)
        yield lambda stage: bar.update(task, description=stage)
