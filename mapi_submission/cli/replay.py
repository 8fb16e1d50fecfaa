"""`mapi-submission replay`: replay regression cases against the model or a variant.

Exit 0 when every case passes, 1 on the first mismatch (file, step, expected and actual,
rule ids), 2 when a file is not a valid case (one line naming the file and the field).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console

from mapi_submission.checker.cases import CaseError, load_case, replay_case, taken_rows_fingerprint
from mapi_submission.generators.suite import SuiteError, verify_suite

from .common import Failure, OneLineErrors, UsageProblem, variant_option


def case_files(paths: tuple[Path, ...]) -> tuple[list[Path], set[Path]]:
    """The files named, and the *.json files under the folders named, in a stable order; and
    the folders those were found in (each is checked against its manifest)."""
    files: list[Path] = []
    folders: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = sorted(path.rglob("*.json"))
            if not found:
                raise UsageProblem(f"{path}: no *.json case files in this folder")
            files.extend(found)
            folders.update(file.parent for file in found)
        else:
            files.append(path)
    return files, folders


def load_cases(paths: tuple[Path, ...]) -> list[tuple[Path, dict[str, Any]]]:
    """Every case, validated; a folder of generated cases must match its manifest."""
    loaded = []
    files, folders = case_files(paths)
    for file in files:
        try:
            loaded.append((file, load_case(file)))
        except CaseError as error:
            raise UsageProblem(str(error)) from None
    for folder in sorted(folders):
        try:
            verify_suite(folder, [case for file, case in loaded if file.parent == folder])
        except SuiteError as error:
            raise UsageProblem(str(error)) from None
    return loaded


@click.command("replay", cls=OneLineErrors)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@variant_option
def command(paths: tuple[Path, ...], variant: str | None) -> None:
    """Replay case files (or folders of them) against the specification or a variant."""
    cases = load_cases(paths)
    stale = [str(file) for file, case in cases
             if case["provenance"]["table_hash"] != taken_rows_fingerprint(case)]
    if stale:
        Console(stderr=True).print(
            f"[bold yellow]warning:[/] {len(stale)} case(s) were generated from another "
            f"version of the transition table (first: {stale[0]})", highlight=False,
            soft_wrap=True)
    steps = 0
    for file, case in cases:
        mismatch = replay_case(case, variant)
        if mismatch is not None:
            click.echo(f"FAIL {file}: {mismatch.describe()}")
            raise Failure(f"replay: {file} does not hold against "
                          f"{variant or 'the specification'}")
        steps += len(case["steps"])
    click.echo(f"replayed {len(cases)} case(s), {steps} step(s) against "
               f"{variant or 'the specification'}: all pass")
