"""Run the ``munigrid`` entry point in-process (imported by name; not a conftest)."""

from __future__ import annotations

import pytest

from munigrid.scenarios.cli import main


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``munigrid ARGS`` (the entry point always exits)."""
    with pytest.raises(SystemExit) as code:
        main(list(args))
    out, err = capsys.readouterr()
    return code.value.code, out, err
