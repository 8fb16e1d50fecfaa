"""`mapi-submission mutants`: the kill matrix of the reference system's mutants.

Every mutant (mapi_submission.reference.mutants) against every technique: the generated
regression cases, the Hypothesis machine and call-log validation. Exit 0 when the reference
survives everything and every mutant is killed by every technique, 1 otherwise.
"""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from mapi_submission.checker.stopping import Stop
from mapi_submission.kill_matrix import TECHNIQUES, MatrixRow, default_subjects, kill_matrix

from .common import Failure, Interrupted, OneLineErrors, UsageProblem
from .machine_stops import run_until_stopped, take_stop
from .progress import StatusLine


def problems(rows: list[MatrixRow]) -> list[str]:
    return [problem for row in rows for problem in row.problems()]


@click.command("mutants", cls=OneLineErrors)
@click.option("--examples", type=click.IntRange(1, 100_000), default=100, show_default=True,
              help="Hypothesis examples per mutant.")
@click.option("--seed", type=int, default=None, help="Hypothesis seed (default: derandomized).")
@click.option("--mutant", "names", multiple=True, help="Only this mutant (repeatable).")
@click.option("--technique", "techniques", multiple=True, type=click.Choice(TECHNIQUES),
              help="Only this technique (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the matrix as JSON.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop after this many seconds, printing the rows done (exit 2).")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress on stderr (a live line on a terminal, else a line per "
                   "mutant and every 10 s).")
def command(examples: int, seed: int | None, names: tuple[str, ...],
            techniques: tuple[str, ...], as_json: bool, timeout: float | None,
            quiet: bool) -> None:
    """Print which technique kills which mutant, in how many examples and seconds."""
    try:
        subjects = default_subjects(names)
    except KeyError as error:
        raise UsageProblem(f"--mutant: {error.args[0]}") from None
    chosen = techniques or TECHNIQUES
    status = StatusLine("mutants", not quiet)
    done: list[MatrixRow] = []

    # The stop is taken as a cell or an example of the machine begins (each lasts well under
    # a second): raised inside Hypothesis's draws it would leave its engine inconsistent.
    def stop_if_asked(*_: object) -> None:
        take_stop(stop)

    def on_cell(subject: str, technique: str) -> None:
        stop_if_asked()
        stop.enter(f"{subject} ({technique})")
        status.show(f"{subject}: {technique} ({len(done) + 1} of {len(subjects)})",
                    phase=technique == chosen[0])

    # Ctrl-C and --timeout stop any cell; the rows done are printed either way.
    stop = Stop(timeout)

    def matrix() -> None:
        for row in kill_matrix(subjects, examples=examples, seed=seed, techniques=chosen,
                               on_cell=on_cell, on_example=stop_if_asked):
            done.append(row)
        stop_if_asked()  # asked during the last cell

    try:
        stopped = run_until_stopped(stop, matrix)
    finally:
        status.stop()
    found = problems(done)
    if as_json:
        click.echo(json.dumps({"techniques": list(chosen), "rows": [r.to_json() for r in done],
                               "problems": found, "complete": stopped is None},
                              indent=2, sort_keys=True))
    elif done:
        _print_matrix(done, chosen)
    if stopped is not None:
        message = (f"mutants stopped early: {stopped} ({len(done)} of {len(subjects)} rows "
                   "above)")
        raise Interrupted(message) if stop.interrupted else UsageProblem(message)
    if found:
        raise Failure("; ".join(found))


def _print_matrix(rows: list[MatrixRow], chosen: tuple[str, ...]) -> None:
    table = Table(title="kill matrix (killed: examples to the kill / seconds)")
    table.add_column("mutant")
    table.add_column("rules")
    for technique in chosen:
        table.add_column(technique)
    for row in rows:
        cells = []
        for technique in chosen:
            kill = row.kills[technique]
            verdict = "killed" if kill.killed else (
                "escaped (known)" if technique in row.escapes else "survived")
            cells.append(f"{verdict} {kill.examples} / {kill.seconds:.2f}s")
        table.add_row(row.name, ",".join(row.rules) or "-", *cells)
    console = Console(width=140)
    console.print(table)
    for row in rows:
        for technique, reason in row.escapes.items():
            console.print(f"{row.name} escapes {technique}: {reason}", highlight=False)
