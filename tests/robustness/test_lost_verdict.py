"""A found verdict is never lost: `check --out` and `conform --out` print the summary, the
verdict and the counterexample before they write; a write that fails afterwards is one error
line on stderr and the exit code stays the verdict's (1).

The unwritable folder is a path under a regular file: the write fails for every user, root
included (chmod does not stop root)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

#: the console script installed beside the interpreter running the tests
COMMAND = [str(Path(sys.executable).parent / "mapi-submission")]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.fixture()
def unwritable(tmp_path: Path) -> Path:
    plain = tmp_path / "a-file"
    plain.write_text("not a folder\n", encoding="utf-8")
    return plain / "out"


def _one_error_line(stderr: str, out: Path) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("mapi-submission")]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert str(out) in errors[0] and "cannot write" in errors[0], errors[0]
    return errors[0]


def test_check_prints_the_violation_before_a_failing_write(unwritable: Path) -> None:
    done = _run("check", "--variant", "location-only", "--messages", "1", "--recipients", "1",
                "--transports", "1", "--no-liveness", "--out", str(unwritable))
    assert done.returncode == 1, done.stderr
    assert "result: VIOLATED (I-ROUTE" in done.stdout
    assert "counterexample, 2 steps from an initial world" in done.stdout
    _one_error_line(done.stderr, unwritable)


def test_check_json_keeps_the_verdict_and_names_the_write_error(unwritable: Path) -> None:
    done = _run("check", "--variant", "location-only", "--messages", "1", "--recipients", "1",
                "--transports", "1", "--no-liveness", "--json", "--out", str(unwritable))
    assert done.returncode == 1, done.stderr
    assert '"result": "violated"' in done.stdout
    assert '"write_error": "--out' in done.stdout
    _one_error_line(done.stderr, unwritable)


def test_check_writes_the_case_after_the_verdict(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _run("check", "--variant", "location-only", "--messages", "1", "--recipients", "1",
                "--transports", "1", "--no-liveness", "--out", str(out))
    assert done.returncode == 1
    verdict = done.stdout.index("result: VIOLATED")
    written = done.stdout.index("regression case (I-ROUTE): ")
    assert verdict < written
    assert len(list(out.glob("*.json"))) == 2  # I-ROUTE and DEADLOCK


def test_conform_prints_the_divergence_before_a_failing_write(unwritable: Path) -> None:
    done = _run("conform", "--adapter", "mapi_submission.reference.mutants:DownloadInFlight",
                "--examples", "100", "--messages", "1", "--seed", "3", "--quiet", "--out",
                str(unwritable))
    assert done.returncode == 1, done.stderr
    assert "diverges (first seen in example" in done.stdout
    assert "tight-transmit" in done.stdout
    _one_error_line(done.stderr, unwritable)
