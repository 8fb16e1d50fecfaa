"""`mapi-submission coverage`: the traceability matrix of a folder of cases.

For every rule of the catalogue: the rows, guards, effects, states and observations that
encode it, the cases that exercise it (model steps: coverage, not detection), and the
reference's mutants of that rule the cases kill (detection, from the kill matrix's `cases`
technique); then every encoded rule no case exercises. Exit 0, or 1 with --strict when an
encoded rule is unexercised; 2 on an invalid case file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from mapi_submission.generators.trace import traceability
from mapi_submission.kill_matrix import detection_by_rule
from mapi_submission.reference import MUTANTS

from .common import Failure, OneLineErrors
from .replay import load_cases

DEFAULT_FOLDER = Path("tests/regression")


def _short(names: list[str], limit: int = 4) -> str:
    if not names:
        return "-"
    return ", ".join(names[:limit]) + (f" (+{len(names) - limit})" if len(names) > limit else "")


def _detected(mutants: list[dict[str, Any]]) -> str:
    if not mutants:
        return "no mutant of this rule: what the cases detect is not measured"
    killed = [m["mutant"] for m in mutants if m["killed"]]
    missed = [m["mutant"] for m in mutants if not m["killed"]]
    text = f"{len(killed)} of {len(mutants)} mutant(s) of this rule killed"
    if killed:
        text += f": {', '.join(killed)}"
    if missed:
        text += f"; survive: {', '.join(missed)}"
    return text


def print_matrix(matrix: dict[str, Any]) -> None:
    click.echo(f"traceability: {matrix['cases']} case(s); {matrix['exercised']} of "
               f"{matrix['encoded']} encoded rules exercised")
    detection = matrix.get("detection")
    if detection is not None:
        click.echo(f"detection: the cases kill {detection['killed']} of {detection['mutants']} "
                   f"mutants of the reference system; {detection['rules_detected']} rules have a "
                   "killed mutant")
        if detection["reference_fails"]:
            click.echo(f"warning: the reference system fails case {detection['reference_fails']}"
                       ": a kill says nothing while a correct system fails too")
    click.echo("(exercised: cases whose model steps touch the rule, which is coverage; detected: "
               "mutants breaking the rule that the cases kill)")
    for entry in matrix["rules"]:
        if not entry["encoded"]:
            click.echo(f"{entry['rule']:<4} out of scope: {entry['title']}")
            continue
        carriers = "; ".join(f"{kind} {_short(entry[kind])}" for kind in
                             ("rows", "guards", "effects", "states", "observations")
                             if entry[kind])
        click.echo(f"{entry['rule']:<4} {entry['title']}")
        click.echo(f"     {carriers}")
        click.echo(f"     exercised by {len(entry['cases'])} case(s): "
                   f"{_short(entry['cases'], 3)}")
        if "mutants" in entry:
            click.echo(f"     detected: {_detected(entry['mutants'])}")
    if matrix["unexercised"]:
        click.echo(f"encoded rules no case exercises: {', '.join(matrix['unexercised'])}")
    else:
        click.echo("every encoded rule is exercised by at least one case")


@click.command("coverage", cls=OneLineErrors)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the matrix as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when an encoded rule has no case.")
@click.option("--no-mutants", is_flag=True,
              help="Leave out detection: which mutants of each rule the cases kill "
                   "(replaying the cases on every mutant takes some seconds).")
def command(paths: tuple[Path, ...], as_json: bool, strict: bool, no_mutants: bool) -> None:
    """Traceability matrix rule -> rows/guards -> cases -> mutants killed (default folder
    tests/regression)."""
    loaded = load_cases(paths or (DEFAULT_FOLDER,))
    matrix = traceability({str(file): case for file, case in loaded})
    if not no_mutants:
        systems = ["reference", *MUTANTS]

        def progress(name: str) -> None:
            click.echo(f"mapi-submission coverage: replaying the cases on {name} "
                       f"({systems.index(name) + 1} of {len(systems)})", err=True)

        reference, by_rule = detection_by_rule([case for _, case in loaded], progress)
        for entry in matrix["rules"]:
            entry["mutants"] = by_rule.get(entry["rule"], [])
        killed = {m["mutant"] for found in by_rule.values() for m in found if m["killed"]}
        matrix["detection"] = {
            "mutants": len(MUTANTS), "killed": len(killed),
            "rules_detected": sum(1 for found in by_rule.values()
                                  if any(m["killed"] for m in found)),
            "reference_fails": reference.evidence if reference.killed else None}
    if as_json:
        click.echo(json.dumps(matrix, indent=2, sort_keys=True))
    else:
        print_matrix(matrix)
    if strict and matrix["unexercised"]:
        raise Failure(f"coverage: no case exercises {', '.join(matrix['unexercised'])}")
