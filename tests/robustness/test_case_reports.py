"""`replay` and `conform --cases` report every case (passed, failed, or not followed to the
end with the reason) and a summary, stop at the first failure with --fail-fast, and write
the report as JUnit XML with --junit FILE."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from click.testing import CliRunner

from mapi_submission.cli import main

REGRESSION = Path(__file__).resolve().parents[1] / "regression"
GUARDS = REGRESSION / "guards"
TOUR = REGRESSION / "tour"
REFERENCE = "mapi_submission.reference:make_reference"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_replay_reports_every_case_and_a_summary(tmp_path: Path) -> None:
    junit = tmp_path / "report.xml"
    code, out, _ = _run("replay", str(GUARDS), "--variant", "abort-ignores-lock", "--junit",
                        str(junit))
    assert code == 1
    cases = sorted(GUARDS.glob("*.json"))
    lines = out.splitlines()
    assert sum(line.startswith(("pass ", "FAIL ")) for line in lines) == len(cases)
    failed = [line for line in lines if line.startswith("FAIL ")]
    assert failed and "step" in failed[0] and "expected" in failed[0]
    assert lines[-1].endswith(f"{len(cases) - len(failed)} passed, {len(failed)} failed")
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == str(len(cases)) and suite.get("failures") == str(len(failed))
    assert len(suite.findall("testcase/failure")) == len(failed)
    # deterministic: the same run gives the same file
    first = junit.read_bytes()
    _run("replay", str(GUARDS), "--variant", "abort-ignores-lock", "--junit", str(junit))
    assert junit.read_bytes() == first


def test_replay_fail_fast_stops_at_the_first_failure() -> None:
    code, out, _ = _run("replay", str(REGRESSION), "--variant", "abort-ignores-lock",
                        "--fail-fast")
    assert code == 1
    lines = out.splitlines()
    assert lines[-2].startswith("FAIL ")
    assert "not run (--fail-fast)" in lines[-1]


def test_conform_cases_names_the_cases_it_could_not_follow(tmp_path: Path) -> None:
    junit = tmp_path / "conform.xml"
    code, out, _ = _run("conform", "--adapter", REFERENCE, "--examples", "1", "--messages", "1",
                        "--cases", str(TOUR), "--junit", str(junit))
    assert code == 0, out
    not_followed = [line for line in out.splitlines() if line.startswith("NOT FOLLOWED ")]
    assert not_followed and "took another branch the model allows" in not_followed[0]
    summary = next(line for line in out.splitlines() if line.startswith("cases: "))
    assert f"{len(not_followed)} not followed to the end" in summary
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("skipped") == str(len(not_followed))


def test_conform_cases_reports_a_failing_case_and_exits_1(tmp_path: Path) -> None:
    code, out, err = _run("conform", "--adapter",
                          "mapi_submission.reference.mutants:AbortIgnoresLock", "--examples",
                          "1", "--messages", "1", "--cases", str(GUARDS))
    assert code == 1
    assert any(line.startswith("FAIL ") for line in out.splitlines())
    assert "failed" in err


def test_an_unwritable_junit_file_keeps_the_report(tmp_path: Path) -> None:
    plain = tmp_path / "a-file"
    plain.write_text("x\n", encoding="utf-8")
    code, out, err = _run("replay", str(REGRESSION / "states"), "--junit", str(plain / "r.xml"))
    assert code == 2
    assert "all pass" in out
    assert err.strip().startswith("mapi-submission: error: --junit") and len(
        err.strip().splitlines()) == 1


def test_an_unwritable_junit_file_is_one_line_and_exit_2_after_the_report(
        tmp_path: Path) -> None:
    # through the console entry point: its exit code is what a CI job sees
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mapi-submission"), "replay", str(GUARDS),
         "--junit", str(blocker / "report.xml")],
        capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 2
    assert "all pass" in done.stdout
    assert done.stderr.splitlines() == [
        f"mapi-submission: error: --junit {blocker / 'report.xml'}: cannot write: "
        f"File exists: {blocker}"]
