"""`mapi-submission coverage`: the traceability matrix of a folder of cases.

For every rule of the catalogue: the rows, guards, effects, states and observations that
encode it, and the cases that exercise it; then every encoded rule no case exercises.
Exit 0, or 1 with --strict when an encoded rule is unexercised; 2 on an invalid case file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from mapi_submission.generators.trace import traceability

from .common import Failure, OneLineErrors
from .replay import load_cases

DEFAULT_FOLDER = Path("tests/regression")


def _short(names: list[str], limit: int = 4) -> str:
    if not names:
        return "-"
    return ", ".join(names[:limit]) + (f" (+{len(names) - limit})" if len(names) > limit else "")


def print_matrix(matrix: dict[str, Any]) -> None:
    click.echo(f"traceability: {matrix['cases']} case(s); {matrix['exercised']} of "
               f"{matrix['encoded']} encoded rules exercised")
    for entry in matrix["rules"]:
        if not entry["encoded"]:
            click.echo(f"{entry['rule']:<4} out of scope: {entry['title']}")
            continue
        carriers = "; ".join(f"{kind} {_short(entry[kind])}" for kind in
                             ("rows", "guards", "effects", "states", "observations")
                             if entry[kind])
        click.echo(f"{entry['rule']:<4} {entry['title']}")
        click.echo(f"     {carriers}")
        click.echo(f"     cases {len(entry['cases'])}: {_short(entry['cases'], 3)}")
    if matrix["unexercised"]:
        click.echo(f"encoded rules no case exercises: {', '.join(matrix['unexercised'])}")
    else:
        click.echo("every encoded rule is exercised by at least one case")


@click.command("coverage", cls=OneLineErrors)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the matrix as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when an encoded rule has no case.")
def command(paths: tuple[Path, ...], as_json: bool, strict: bool) -> None:
    """Traceability matrix rule -> rows/guards -> cases (default folder tests/regression)."""
    loaded = load_cases(paths or (DEFAULT_FOLDER,))
    matrix = traceability({str(file): case for file, case in loaded})
    if as_json:
        click.echo(json.dumps(matrix, indent=2, sort_keys=True))
    else:
        print_matrix(matrix)
    if strict and matrix["unexercised"]:
        raise Failure(f"coverage: no case exercises {', '.join(matrix['unexercised'])}")
