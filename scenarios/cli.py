"""The ``munigrid`` command line: a thin layer over the Python API.

Exit codes: 0 success, 2 bad input (message, no traceback), 3 the solver gave no usable
answer (with a diagnosis), 4 a sweep finished but some of its members failed, 1 a bug.
``--debug`` shows tracebacks. Commands are imported lazily so that ``munigrid --help`` and
quick commands stay fast: the command list of ``--help`` reads each command's one-line help
from its source file (:func:`short_help`) instead of importing it, and this module imports
nothing of the numerical stack (``tests/scenarios/test_cli_startup.py`` checks it).
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import inspect
import os
import sys
import traceback
from pathlib import Path

import click
from click.utils import make_default_short_help

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
    "size": "munigrid.scenarios.commands.size_cmds:size",
    "forecast": "munigrid.scenarios.commands.forecast_cmds:forecast",
    "pv": "munigrid.scenarios.commands.pv_cmds:pv",
    "serve": "munigrid.scenarios.commands.serve_cmds:serve",
}

EXIT_BAD_INPUT = 2
EXIT_NO_SOLUTION = 3
EXIT_MEMBERS_FAILED = 4


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

    def format_commands(self, ctx, formatter):
        """The command list of ``--help``, without importing the commands (see :func:`short_help`)."""
        limit = formatter.width - 6 - max(len(name) for name in self.lazy_commands)
        rows = []
        for name in self.list_commands(ctx):
            text = short_help(self.lazy_commands[name], limit)
            if text is None:  # not a plain decorated function: import it and ask click
                command = self.get_command(ctx, name)
                if command.hidden:
                    continue
                text = command.get_short_help_str(limit)
            rows.append((name, text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def short_help(target: str, limit: int = 45) -> str | None:
    """The one-line help click would show for the command ``"module:attribute"``, read from the
    module's source (the ``short_help``/``help`` of its decorator, else its docstring).

    Returns None when the source does not define ``attribute`` as a decorated function (the
    caller then imports the command).
    """
    module_name, attr = target.split(":")
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    function = next((node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == attr), None)
    if function is None:
        return None
    makers = [dec for dec in function.decorator_list if _decorator_name(dec) in ("command", "group")]
    if not makers:
        return None
    keywords = {kw.arg: kw.value for dec in makers if isinstance(dec, ast.Call) for kw in dec.keywords}
    if any(isinstance(keywords.get(k), ast.Constant) and keywords[k].value for k in ("hidden", "deprecated")):
        return None
    for key in ("short_help", "help"):
        if key in keywords:
            if not isinstance(keywords[key], ast.Constant):
                return None
            text = keywords[key].value
            return inspect.cleandoc(text) if key == "short_help" else make_default_short_help(text, limit)
    doc = ast.get_docstring(function, clean=True)
    return make_default_short_help(doc, limit) if doc else ""


def _decorator_name(node: ast.expr) -> str | None:
    """``command`` for ``@click.command(...)``, ``@forecast.command`` or ``@command()``."""
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else None


def _version(ctx: click.Context, _param, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    click.echo(f"munigrid {version('munigrid')}")
    ctx.exit(0)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Print the installed munigrid version and exit.")
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
