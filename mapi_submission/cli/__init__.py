"""The `mapi-submission` command. Each subcommand lives in its own module of this package
and exposes `command`; nothing else imports the command line.

May import: model, properties, checker, generators, harness, reference, kill_matrix.
"""

from __future__ import annotations

import importlib
import sys

import click

from mapi_submission import __version__
from mapi_submission.checker.stopping import Stopped

from .common import DEBUG_FLAG, OneLineGroup, debug_first

#: Subcommand modules, in the order `--help` lists them.
COMMAND_MODULES = [
    "rules",
    "check",
    "generate",
    "replay",
    "coverage",
    "validate_log",
    "export",
    "diagram",
    "conform",
    "mutants",
]


@click.group(cls=OneLineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mapi-submission")
@click.option("--debug", is_flag=True, help="Show a traceback for unexpected errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Executable specification of MAPI outgoing-message submission: check the model,
    generate and replay regression cases, render diagrams, validate implementations."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


for _name in COMMAND_MODULES:
    main.add_command(importlib.import_module(f".{_name}", __name__).command)


def run() -> None:
    """Console entry point: unexpected errors become one line on stderr and exit 2."""
    try:
        # outside standalone mode click returns (does not raise) the code of a ctx.exit()
        code = main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("mapi-submission: interrupted", err=True)
        sys.exit(130)
    except Stopped as cut:  # a stop no command caught: still one line
        click.echo(f"mapi-submission: stopped early: {cut}", err=True)
        sys.exit(130 if cut.reason.startswith("interrupted") else 2)
    except click.UsageError as error:
        # usage errors raised outside option parsing (click prints them over several lines)
        where = error.ctx.command_path if error.ctx is not None else "mapi-submission"
        click.echo(f"mapi-submission: error: {where}: {error.format_message()} "
                   f"(see '{where} --help')", err=True)
        sys.exit(2)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as error:
        sys.exit(error.exit_code)
    except Exception as error:
        if DEBUG_FLAG in debug_first(sys.argv[1:])[:1]:
            raise
        click.echo(f"mapi-submission: internal error: {type(error).__name__}: {error} "
                   "(run with --debug for a traceback)", err=True)
        sys.exit(2)
    if isinstance(code, int) and code:
        sys.exit(code)
