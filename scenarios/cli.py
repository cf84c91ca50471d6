"""The ``munigrid`` command line: a thin layer over the Python API.

Exit codes: 0 success, 2 bad input (message, no traceback), 3 the solver gave no usable
answer (with a diagnosis), 1 a bug. ``--debug`` shows tracebacks. Commands are imported
lazily so that ``munigrid --help`` and quick commands stay fast.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import traceback

import click

from munigrid.models.errors import InputError, NoSolutionError

# command name -> "module:attribute" of a click command
COMMANDS: dict[str, str] = {
    "run": "munigrid.scenarios.commands.run_cmds:run",
    "validate": "munigrid.scenarios.commands.run_cmds:validate",
    "scenarios": "munigrid.scenarios.commands.run_cmds:scenarios",
    "tariffs": "munigrid.scenarios.commands.tariff_cmds:tariffs",
    "bill": "munigrid.scenarios.commands.tariff_cmds:bill",
    "sweep": "munigrid.scenarios.commands.sweep_cmds:sweep",
    "runs": "munigrid.scenarios.commands.runs_cmds:runs",
    "finance": "munigrid.scenarios.commands.finance_cmds:finance",
    "schedule": "munigrid.scenarios.commands.ops_cmds:schedule",
    "review": "munigrid.scenarios.commands.ops_cmds:review",
    "operations": "munigrid.scenarios.commands.ops_cmds:operations",
    "ems": "munigrid.scenarios.commands.ems_cmds:ems",
    "simulate": "munigrid.scenarios.commands.simulate_cmds:simulate",
    "forecast": "munigrid.scenarios.commands.forecast_cmds:forecast",
}

EXIT_BAD_INPUT = 2
EXIT_NO_SOLUTION = 3


@contextlib.contextmanager
def solver_output_to_stderr():
    """Send what native libraries write to stdout (HiGHS prints a banner on construction,
    whatever its options) to stderr, so that stdout carries only munigrid's own output
    (``--json`` stays parseable)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when used.

    ``lazy_commands`` maps a subcommand name to ``"module:attribute"`` of a click command
    (default: the top-level :data:`COMMANDS`).
    """

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = COMMANDS if lazy_commands is None else lazy_commands

    def list_commands(self, ctx):  # noqa: D102
        return sorted(self.lazy_commands)

    def get_command(self, ctx, name):  # noqa: D102
        target = self.lazy_commands.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx, debug):
    """munigrid: PV, battery and generator planning and dispatch for Thai municipal buildings."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _report_input_error(err: InputError) -> None:
    click.secho(f"error: {len(err.problems)} problem(s) in the input:", fg="red", err=True)
    for problem in err.problems:
        click.echo(f"  - {problem}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and map domain errors to exit codes."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="munigrid", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(EXIT_BAD_INPUT if err.exit_code in (1, 2) else err.exit_code)
    except InputError as err:
        if debug:
            traceback.print_exc()
        _report_input_error(err)
        sys.exit(EXIT_BAD_INPUT)
    except NoSolutionError as err:
        if debug:
            traceback.print_exc()
        click.secho(f"error: {err}", fg="red", err=True)
        sys.exit(EXIT_NO_SOLUTION)
    except Exception as err:  # a bug: say so plainly, traceback only on request
        if debug:
            traceback.print_exc()
        click.secho(f"internal error ({type(err).__name__}): {err}\n"
                    "run again with --debug for the traceback", fg="red", err=True)
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
