"""`mapi-submission replay`: replay regression cases against the model or a variant.

One line per case (pass, or FAIL with the step, expected and actual, rule ids) and a summary;
`--fail-fast` stops at the first failure, `--junit FILE` writes the report as JUnit XML.
Exit 0 when every case passes, 1 when one fails, 2 when a file is not a valid case or a
folder does not match its manifest (one line naming the file and the field or difference).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console

from mapi_submission.checker.cases import CaseError, load_case, replay_case, taken_rows_fingerprint
from mapi_submission.generators.suite_folder import SuiteError, verify_suite
from mapi_submission.harness.adapter_loading import AdapterSpecError, load_factory
from mapi_submission.harness.autonomous import replay_autonomously
from mapi_submission.harness.replay import replay_against

from .common import Failure, OneLineErrors, UsageProblem, variant_option
from .reports import (
    FAILED,
    NOT_FOLLOWED,
    PASSED,
    CaseReport,
    counts,
    echo_report,
    write_junit,
)


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


def junit_option(function: Any) -> Any:
    return click.option("--junit", type=click.Path(dir_okay=False, path_type=Path),
                        default=None,
                        help="Also write the per-case report as JUnit XML to this file.")(
                            function)


def fail_fast_option(function: Any) -> Any:
    return click.option("--fail-fast", is_flag=True,
                        help="Stop at the first case that fails.")(function)


def finish_report(command: str, reports: list[CaseReport], junit: Path | None) -> None:
    """Write --junit (one error line if it cannot be written: the report is on stdout
    already) and fail with exit 1 when a case failed."""
    error = write_junit(junit, command, reports) if junit is not None else None
    failed = [r for r in reports if r.status == FAILED]
    if failed:
        if error is not None:
            click.echo(f"mapi-submission: error: {error}", err=True)
        raise Failure(f"{command}: {len(failed)} case(s) failed (first: {failed[0].file})")
    if error is not None:  # every case passed, the report could not be written
        raise UsageProblem(error)


@click.command("replay", cls=OneLineErrors)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@variant_option
@click.option("--adapter", "adapter_spec", metavar="MODULE:FACTORY", default=None,
              help="Replay on the system this factory builds instead of the model (as "
                   "conform --cases does).")
@fail_fast_option
@junit_option
def command(paths: tuple[Path, ...], variant: str | None, adapter_spec: str | None,
            fail_fast: bool, junit: Path | None) -> None:
    """Replay case files (or folders of them) against the specification, a variant or an
    implementation (--adapter); one line per case and a summary."""
    if adapter_spec is not None:
        if variant is not None:
            raise UsageProblem("replay: --adapter and --variant: give one of them")
        try:
            factory, autonomous = load_factory(adapter_spec)
        except AdapterSpecError as error:
            raise UsageProblem(str(error)) from None
        replay_cases_on(factory, paths, fail_fast, junit, autonomous=autonomous)
        return
    cases = load_cases(paths)
    stale = [str(file) for file, case in cases
             if case["provenance"]["table_hash"] != taken_rows_fingerprint(case)]
    if stale:
        Console(stderr=True).print(
            f"[bold yellow]warning:[/] {len(stale)} case(s) were generated from another "
            f"version of the transition table (first: {stale[0]})", highlight=False,
            soft_wrap=True)
    against = variant or "the specification"
    reports: list[CaseReport] = []
    for file, case in cases:
        mismatch = replay_case(case, variant)
        report = (CaseReport(file, case["id"], PASSED, len(case["steps"])) if mismatch is None
                  else CaseReport(file, case["id"], FAILED, mismatch.step, mismatch.describe()))
        echo_report(report)
        reports.append(report)
        if fail_fast and report.status == FAILED:
            break
    steps = sum(r.steps for r in reports if r.status == PASSED)
    left = len(cases) - len(reports)
    verdict = ("all pass" if all(r.status == PASSED for r in reports)
               else counts(reports)) + (f"; {left} not run (--fail-fast)" if left else "")
    click.echo(f"replayed {len(reports)} case(s), {steps} step(s) against {against}: {verdict}")
    finish_report("replay", reports, junit)


def replay_cases_on(factory: Any, case_paths: tuple[Path, ...], fail_fast: bool,
                    junit: Path | None, *, autonomous: bool = False) -> None:
    """Replay regression cases on the adapter: one line per case (passed, diverged, or not
    followed to the end because the implementation took another allowed branch) and a
    summary; Failure (exit 1) when one diverged. An autonomous system gets the case's
    inputs and takes its own steps (harness/autonomous.py)."""
    cases = load_cases(case_paths)
    reports: list[CaseReport] = []
    replay = replay_autonomously if autonomous else replay_against
    for file, case in cases:
        outcome = replay(case, factory())
        if outcome.verdict == "fail" and outcome.failure is not None:
            report = CaseReport(file, case["id"], FAILED, outcome.steps,
                                outcome.failure.describe())
        elif outcome.verdict == "diverged":
            report = CaseReport(file, case["id"], NOT_FOLLOWED, outcome.steps, outcome.reason)
        else:
            report = CaseReport(file, case["id"], PASSED, outcome.steps)
        echo_report(report)
        reports.append(report)
        if fail_fast and report.status == FAILED:
            break
    left = len(cases) - len(reports)
    click.echo(f"cases: {len(reports)} replayed on the adapter: {counts(reports)}"
               + (f"; {left} not run (--fail-fast)" if left else ""))
    finish_report("conform --cases", reports, junit)
