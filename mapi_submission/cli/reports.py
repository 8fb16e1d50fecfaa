"""Per-case reports of `replay` and `conform --cases`: one line per case (passed, failed, or
not followed to the end, with the reason), a summary line, and the same as JUnit XML for CI
(`--junit FILE`, deterministic: no times, no host names)."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import click

from mapi_submission.checker.files import write_atomic

from .common import os_problem

PASSED = "passed"
FAILED = "failed"
NOT_FOLLOWED = "not followed to the end"


@dataclass(frozen=True)
class CaseReport:
    file: Path
    case_id: str
    status: str  # PASSED, FAILED or NOT_FOLLOWED
    steps: int
    detail: str = ""


def echo_report(report: CaseReport) -> None:
    label = {PASSED: "pass", FAILED: "FAIL", NOT_FOLLOWED: "NOT FOLLOWED"}[report.status]
    detail = f": {report.detail}" if report.detail else f" ({report.steps} step(s))"
    click.echo(f"{label} {report.file}{detail}")


def counts(reports: list[CaseReport]) -> str:
    by_status = {status: sum(r.status == status for r in reports)
                 for status in (PASSED, FAILED, NOT_FOLLOWED)}
    return ", ".join(f"{count} {status}" for status, count in by_status.items()
                     if count or status != NOT_FOLLOWED)


def junit_xml(suite: str, reports: list[CaseReport]) -> str:
    """The reports as one JUnit <testsuite>: failures as <failure>, cases not followed to
    the end as <skipped> with the reason."""
    root = ElementTree.Element("testsuites")
    element = ElementTree.SubElement(root, "testsuite", {
        "name": suite,
        "tests": str(len(reports)),
        "failures": str(sum(r.status == FAILED for r in reports)),
        "errors": "0",
        "skipped": str(sum(r.status == NOT_FOLLOWED for r in reports)),
    })
    for report in reports:
        case = ElementTree.SubElement(element, "testcase", {
            "classname": str(report.file.parent), "name": report.file.name,
            "file": str(report.file)})
        if report.status == FAILED:
            failure = ElementTree.SubElement(case, "failure",
                                             {"message": report.detail.splitlines()[0]})
            failure.text = report.detail
        elif report.status == NOT_FOLLOWED:
            ElementTree.SubElement(case, "skipped", {"message": report.detail})
    ElementTree.indent(root)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            + ElementTree.tostring(root, encoding="unicode") + "\n")


def write_junit(path: Path, suite: str, reports: list[CaseReport]) -> str | None:
    """Write the JUnit file; the error line when it cannot be written (the verdict is on
    stdout already, so the caller keeps its exit code)."""
    try:
        write_atomic(path, junit_xml(suite, reports))
    except OSError as error:
        return f"--junit {path}: cannot write: {os_problem(error)}"
    return None
