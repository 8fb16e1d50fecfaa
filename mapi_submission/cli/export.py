"""`mapi-submission export promela`: the model of a bounded configuration as Promela, for
SPIN (multi-core, bitstate and swarm runs beyond what one Python process explores).

Exit 0 on success (with --verify: SPIN found no error), 1 when --verify finds an error, 2 on
bad usage or when spin/gcc cannot run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from mapi_submission.checker.cases import write_case
from mapi_submission.checker.check import describe_counterexample
from mapi_submission.checker.files import write_atomic
from mapi_submission.generators.promela import to_promela
from mapi_submission.generators.spin import (
    PanResult,
    SpinProblem,
    spin_unavailable,
    verify_with_spin,
)
from mapi_submission.generators.spin_trail import TrailError, trail_case, trail_counterexample
from mapi_submission.model.engine import Model

from .common import (
    Failure,
    Interrupted,
    OneLineErrors,
    OneLineGroup,
    UsageProblem,
    build_config,
    config_options,
    os_problem,
    variant_option,
)
from .progress import StatusLine


@click.group("export", cls=OneLineGroup)
def command() -> None:
    """Export the model in another tool's language."""


@command.command("promela", cls=OneLineErrors)
@config_options
@variant_option
@click.option("-o", "--output", "output", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Promela file to write ('-' for standard output).")
@click.option("--verify", is_flag=True,
              help="Also run SPIN on it (spin -a, gcc, pan) and report its verdict.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="With --verify: stop SPIN's translation, gcc or pan after this many "
                   "seconds each (exit 2).")
@click.option("-q", "--quiet", is_flag=True,
              help="With --verify: no progress on stderr (the phase running).")
@click.option("--cases", "cases_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None,
              help="With --verify: keep SPIN's trail of its first error, print it as MAPI "
                   "calls and write it into this folder as a regression case that replay "
                   "--variant reproduces.")
def promela(output: Path, variant: str | None, verify: bool, timeout: float | None,
            quiet: bool, cases_dir: Path | None, **options: Any) -> None:
    """The transition table and the safety properties as a Promela model for SPIN.

    \b
    spin -a FILE.pml && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && ./pan -m1000000
    pan exits 0 even when it finds an error: read its "errors:" line.
    """
    config = build_config(**options)
    if cases_dir is not None and not verify:
        raise UsageProblem("export promela: --cases needs --verify (the trail is SPIN's)")
    if cases_dir is not None and cases_dir.exists() and not cases_dir.is_dir():
        raise UsageProblem(f"--cases {cases_dir}: exists and is not a folder")
    text = to_promela(config, variant)
    if str(output) == "-":
        sys.stdout.write(text)
    else:
        try:
            write_atomic(output, text)
        except OSError as error:
            raise UsageProblem(f"{output}: cannot write: {os_problem(error)}") from None
        click.echo(f"wrote {output} ({len(text.splitlines())} lines)", err=True)
    if not verify:
        return
    reason = spin_unavailable()
    if reason is not None:
        raise UsageProblem(f"export promela --verify: {reason}")
    status = StatusLine("export promela --verify", not quiet)
    phase = ["starting"]

    def on_phase(name: str) -> None:
        phase[0] = name
        status.show(name, phase=True)

    try:
        result = verify_with_spin(text, timeout=timeout, on_phase=on_phase,
                                  keep_trail=cases_dir is not None)
    except SpinProblem as error:
        raise UsageProblem(f"export promela --verify: {error}") from None
    except subprocess.TimeoutExpired:
        raise UsageProblem(f"export promela --verify: --timeout {timeout:g}s reached while "
                           f"{phase[0]}") from None
    except KeyboardInterrupt:
        raise Interrupted(f"export promela --verify: interrupted (Ctrl-C) while "
                          f"{phase[0]}") from None
    finally:
        status.stop()
    verdict = ("holds" if result.holds else
               "VIOLATED: " + ", ".join([*result.violated, *result.other_errors])
               if result.errors else "incomplete search (depth bound or memory)")
    click.echo(f"spin: {result.states:,} states stored, {result.errors} error(s), "
               f"search {result.search_seconds:.2f} s, compile {result.compile_seconds:.2f} s: "
               f"{verdict}", err=True)
    if result.errors and cases_dir is not None and result.trail is not None:
        _write_trail_case(Model(config, variant), text, result, cases_dir)
    if result.errors:
        raise Failure("")
    if not result.complete:
        raise UsageProblem("export promela --verify: SPIN's search was cut short")


def _write_trail_case(model: Model, text: str, result: PanResult, folder: Path) -> None:
    """SPIN's first error as MAPI calls on stdout, then as a regression case in `folder`."""
    assert result.trail is not None
    try:
        example = trail_counterexample(model, text, result.trail, result.trail_property)
    except TrailError as error:
        raise UsageProblem(f"export promela --verify: the trail: {error}") from None
    for line in describe_counterexample(model, example):
        click.echo(line)
    try:
        path = write_case(folder, trail_case(model, example))
    except OSError as error:
        raise UsageProblem(f"--cases {folder}: cannot write the regression case: "
                           f"{os_problem(error)}") from None
    click.echo(f"regression case ({example.property}): {path}")
