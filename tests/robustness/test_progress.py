"""A long `check` or `generate` shows its progress when stderr is not a terminal (CI, a
redirected log): plain lines, no escape codes, with states, rate and elapsed time, and a line
per phase; --quiet silences them. stdout carries only the summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mapi_submission.cli import main
from mapi_submission.cli import progress as progress_module
from mapi_submission.generators.spin import spin_unavailable

COMMAND = [str(Path(sys.executable).parent / "mapi-submission")]
# about 51,000 states: a few seconds, so the first line (after one second) is due
LONG_ENOUGH = ["check", "--messages", "2", "--recipients", "1"]


def test_plain_progress_lines_on_a_pipe() -> None:
    done = subprocess.run([*COMMAND, *LONG_ENOUGH], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("mapi-submission check:")]
    assert any("exploring:" in line and "states/s" in line and "elapsed" in line
               for line in lines), done.stderr
    assert any("checking liveness" in line for line in lines), done.stderr
    assert "\x1b" not in done.stderr
    assert "mapi-submission check:" not in done.stdout.splitlines()[1]


def test_quiet_silences_the_progress() -> None:
    done = subprocess.run([*COMMAND, *LONG_ENOUGH, "--quiet"], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0
    assert done.stderr == ""


def test_mutants_and_conform_show_plain_progress_on_a_pipe() -> None:
    # 20 examples: the reference's row alone (it survives every example) takes over a second
    mutants = subprocess.run([*COMMAND, "mutants", "--technique", "hypothesis", "--mutant",
                              "double-submit", "--examples", "20"], capture_output=True,
                             text=True, timeout=300, check=False)
    assert mutants.returncode == 0, mutants.stderr
    assert "mapi-submission mutants: double-submit: hypothesis (2 of 2)" in mutants.stderr
    conform = subprocess.run([*COMMAND, "conform", "--adapter",
                              "mapi_submission.reference:make_reference", "--examples", "30"],
                             capture_output=True, text=True, timeout=300, check=False)
    assert conform.returncode == 0, conform.stderr
    lines = [line for line in conform.stderr.splitlines()
             if line.startswith("mapi-submission conform: example ")]
    assert lines and all("steps" in line and "elapsed" in line for line in lines)
    assert "\x1b" not in conform.stderr + mutants.stderr


def test_generate_shows_each_phase_on_a_pipe(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    # a one-message run lasts under the second before which nothing is shown: show at once
    monkeypatch.setattr(progress_module, "QUIET_START", 0.0)
    result = CliRunner().invoke(main, ["generate", "--criterion", "tour", "--messages", "1",
                                       "-o", str(tmp_path / "cases")])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines()
             if line.startswith("mapi-submission generate:")]
    assert any("exploring:" in line and "states/s" in line for line in lines), result.stderr
    for phase in ("the tour criterion (", "the postman tour (", "writing "):
        assert any(phase in line and "elapsed" in line for line in lines), (phase,
                                                                            result.stderr)
    assert "\x1b" not in result.stderr
    assert "mapi-submission generate:" not in result.stdout.splitlines()[1]


@pytest.mark.skipif(spin_unavailable() is not None, reason=str(spin_unavailable()))
def test_export_verify_names_its_phases_on_a_pipe(tmp_path: Path) -> None:
    # gcc takes seconds on pan.c, so the search begins after the first second: it is shown
    done = subprocess.run([*COMMAND, "export", "promela", "--messages", "1", "-o",
                           str(tmp_path / "m.pml"), "--verify"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert any(line.startswith("mapi-submission export promela --verify: searching")
               and "elapsed" in line for line in done.stderr.splitlines()), done.stderr
    assert "\x1b" not in done.stderr
