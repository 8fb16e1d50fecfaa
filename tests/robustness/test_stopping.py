"""--timeout and Ctrl-C stop every phase of `check` and `generate`: the exploration between
two states, liveness, the criterion and the postman tour where they are, the writing with
the suite's manifest left marked unfinished. Ctrl-C exits 130 within two seconds with the
partial summary; a timeout exits 2."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mapi_submission.checker import files as files_module
from mapi_submission.checker.check import SKIPPED, check
from mapi_submission.checker.stopping import INTERRUPTED, Stop
from mapi_submission.cli import main
from mapi_submission.generators import generate as generate_module
from mapi_submission.generators.spin import spin_unavailable
from mapi_submission.generators.suite_folder import MANIFEST, read_manifest
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model

COMMAND = [str(Path(sys.executable).parent / "mapi-submission")]


def _interrupt_after(args: list[str], seconds: float) -> tuple[int, str, str, float]:
    """Run the command, send SIGINT after `seconds`; (exit code, stdout, stderr, seconds from
    the signal to the exit)."""
    process = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(seconds)
    assert process.poll() is None, "the run ended before the signal: the test shows nothing"
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err, time.monotonic() - sent


def _interrupt_on(args: list[str], marker: str) -> tuple[int, str, str, float]:
    """Run the command, send SIGINT once its progress on stderr shows `marker` (a phase
    begun: unlike a fixed delay, this holds on a loaded machine); as _interrupt_after."""
    process = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if marker in line:
            break
    assert process.poll() is None, "the run ended before the signal: the test shows nothing"
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    out, err = process.communicate(timeout=30)
    return process.returncode, out, "".join(seen) + err, time.monotonic() - sent


def test_ctrl_c_during_the_exploration_of_check() -> None:
    code, out, err, took = _interrupt_after(["check"], 3.0)
    assert code == 130, err
    assert took < 2.0
    assert "result: INCOMPLETE (interrupted (Ctrl-C))" in out
    assert "states " in out and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("mapi-submission: check stopped early")


def test_ctrl_c_during_the_exploration_of_generate(tmp_path: Path) -> None:
    out_dir = tmp_path / "cases"
    code, _, err, took = _interrupt_after(["generate", "--criterion", "tour", "-o",
                                           str(out_dir)], 3.0)
    assert code == 130, err
    assert took < 2.0
    line = err.strip().splitlines()[-1]
    assert "interrupted (Ctrl-C)" in line and "states" in line, err
    assert "Traceback" not in err
    assert not out_dir.exists()


def test_generate_tour_timeout_bounds_the_whole_run(tmp_path: Path) -> None:
    # the run: `generate --criterion tour --timeout 120` took 270 s; here 3 s
    started = time.monotonic()
    done = subprocess.run([*COMMAND, "generate", "--criterion", "tour", "--timeout", "3", "-o",
                           str(tmp_path / "cases")], capture_output=True, text=True,
                          timeout=60, check=False)
    assert time.monotonic() - started < 6
    assert done.returncode == 2
    assert "--timeout 3s reached" in done.stderr


@pytest.mark.parametrize("reason", [INTERRUPTED, "--timeout 1s reached"])
def test_a_stop_during_liveness_keeps_the_safety_verdicts(reason: str) -> None:
    stop = Stop()

    def on_phase(name: str) -> None:
        assert name == "liveness"
        stop.request(reason)  # what the signal handler does, in a phase that cannot be asked

    result = check(Model(Config(messages=1)), on_phase=on_phase, stop=stop)
    assert result.stopped == f"{reason} during liveness"
    assert result.exit_code == 2 and not result.complete
    verdicts = {v.property.id: v for v in result.verdicts}
    assert verdicts["I-ROUTE"].status != SKIPPED
    assert verdicts["L1"].status == SKIPPED and "during liveness" in (verdicts["L1"].note or "")
    assert len(verdicts) == len(result.verdicts)  # every property once


def test_a_timeout_during_the_tour_stops_it(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    real_tour = generate_module.postman_tour

    def slow_tour(exploration: Any) -> Any:
        time.sleep(30)  # a tour far longer than the timeout
        return real_tour(exploration)

    monkeypatch.setattr(generate_module, "postman_tour", slow_tour)
    started = time.monotonic()
    result = CliRunner().invoke(main, ["generate", "--criterion", "tour", "--messages", "1",
                                       "--recipients", "1", "--timeout", "2", "-o",
                                       str(tmp_path / "cases")])
    assert time.monotonic() - started < 5
    assert result.exit_code == 2, result.output
    assert "--timeout 2s reached during the postman tour" in result.stderr
    assert "nothing written" in result.stderr
    assert not (tmp_path / "cases").exists()


def test_ctrl_c_while_writing_leaves_an_unfinished_suite(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "cases"
    real_replace = os.replace
    calls = {"n": 0}

    def interrupted_on_the_fourth(source: str, destination: str) -> None:
        calls["n"] += 1
        real_replace(source, destination)
        if calls["n"] == 4:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler runs here

    monkeypatch.setattr(files_module.os, "replace", interrupted_on_the_fourth)
    result = CliRunner().invoke(main, ["generate", "--criterion", "states", "--messages", "1",
                                       "-o", str(out)])
    monkeypatch.undo()
    assert result.exit_code == 130, result.output
    assert "interrupted (Ctrl-C) during writing" in result.stderr
    assert f"{MANIFEST} says so" in result.stderr
    manifest = read_manifest(out)
    assert manifest is not None and not manifest.complete
    replayed = CliRunner().invoke(main, ["replay", str(out)])
    assert replayed.exit_code == 2 and "did not finish" in replayed.stderr


def _interrupting(real: Any) -> Any:
    """`real`, preceded by a Ctrl-C to this process and a pause far longer than the two
    seconds a stop may take."""

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(30)
        return real(*args, **kwargs)

    return interrupted


class _CriterionInterrupted:
    """A criterion whose finish (the criterion phase) is where Ctrl-C lands."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.finish = _interrupting(real.finish)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.parametrize(("criterion", "target", "phase"), [
    ("states", "criterion_for", "the states criterion"),
    ("states", "build_suite", "building the cases"),
    ("tour", "postman_tour", "the postman tour"),
])
def test_ctrl_c_during_each_later_phase_of_generate(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path, criterion: str,
                                                    target: str, phase: str) -> None:
    real = getattr(generate_module, target)
    if target == "criterion_for":
        monkeypatch.setattr(generate_module, target,
                            lambda *args: _CriterionInterrupted(real(*args)))
    else:
        monkeypatch.setattr(generate_module, target, _interrupting(real))
    started = time.monotonic()
    result = CliRunner().invoke(main, ["generate", "--criterion", criterion, "--messages", "1",
                                       "--recipients", "1", "-o", str(tmp_path / "cases")])
    assert time.monotonic() - started < 10  # the exploration is about a second, the stop 0
    assert result.exit_code == 130, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert f"interrupted (Ctrl-C) during {phase} (" in line and "states explored" in line
    assert "nothing written" in line and "Traceback" not in result.stderr
    assert not (tmp_path / "cases").exists()


# ---- --max-memory ------------------------------------------------------------------------------


def test_max_memory_stops_check_with_its_partial_summary() -> None:
    # the default configuration grows past 150 MiB within seconds (about 900 MiB at its end)
    started = time.monotonic()
    done = subprocess.run([*COMMAND, "check", "--max-memory", "150", "--quiet"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert time.monotonic() - started < 30
    assert done.returncode == 2, done.stderr
    assert "result: INCOMPLETE (--max-memory 150 MiB reached (" in done.stdout
    assert "states " in done.stdout
    assert done.stderr.strip().splitlines()[-1].startswith(
        "mapi-submission: check stopped early: --max-memory 150 MiB reached")


def test_max_memory_stops_generate_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "cases"
    done = subprocess.run([*COMMAND, "generate", "--criterion", "tour", "--max-memory", "150",
                           "-o", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert "--max-memory 150 MiB reached" in line and "Traceback" not in done.stderr
    assert not out.exists()


# ---- conform and mutants ---------------------------------------------------------------------

REFERENCE = "mapi_submission.reference:make_reference"


def test_ctrl_c_during_the_machine_of_conform() -> None:
    code, out, err, took = _interrupt_after(
        ["conform", "--adapter", REFERENCE, "--examples", "100000"], 3.0)
    assert code == 130, err
    assert took < 2.0
    assert "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith("mapi-submission: conform stopped early: interrupted (Ctrl-C)")
    assert "without a divergence" in line and "example(s)" in line


def test_a_timeout_in_conform_keeps_a_divergence_found_while_shrinking(tmp_path: Path) -> None:
    # the machine finds this mutant's bug in a few examples; shrinking it on three messages
    # lasts far longer than the timeout, which cuts it short: the divergence is kept
    done = subprocess.run(
        [*COMMAND, "conform", "--adapter", "mapi_submission.reference.mutants:DownloadInFlight",
         "--messages", "3", "--timeout", "3", "--out", str(tmp_path), "--quiet"],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert "diverges (first seen in example" in done.stdout
    assert "written: " in done.stdout and list(tmp_path.glob("*.json"))


def test_ctrl_c_during_mutants_prints_the_rows_done() -> None:
    # interrupted as the first mutant's row begins, once the reference's row is done (20
    # examples: the reference survives every one, and its row is the wait before the signal)
    code, out, err, took = _interrupt_on(
        ["mutants", "--technique", "hypothesis", "--examples", "20", "--mutant",
         "location-only-routing", "--mutant", "repull-in-flight-while-finishing"],
        "location-only-routing")
    assert code == 130, err
    assert took < 2.0
    assert "reference" in out  # the first row was done
    line = err.strip().splitlines()[-1]
    assert line.startswith("mapi-submission: mutants stopped early: interrupted (Ctrl-C) "
                           "during ")
    assert "rows above" in line


def test_a_timeout_in_mutants_exits_2_with_the_rows_done() -> None:
    result = CliRunner().invoke(main, ["mutants", "--technique", "cases", "--timeout", "3",
                                       "--json"])
    assert result.exit_code == 2, result.output
    assert "mutants stopped early: --timeout 3s reached during " in result.stderr
    assert '"complete": false' in result.stdout


# ---- export promela --verify --------------------------------------------------------------------


@pytest.mark.skipif(spin_unavailable() is not None, reason=str(spin_unavailable()))
def test_a_timeout_bounds_each_command_of_export_verify(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", "promela", "-o", str(tmp_path / "m.pml"),
                                       "--verify", "--timeout", "0.3", "--quiet"])
    assert result.exit_code == 2, result.output
    assert "--timeout 0.3s reached while " in result.stderr


@pytest.mark.skipif(spin_unavailable() is not None, reason=str(spin_unavailable()))
def test_ctrl_c_during_export_verify_exits_130(tmp_path: Path) -> None:
    # gcc compiles pan.c for several seconds: the signal lands while it runs
    code, _, err, took = _interrupt_after(
        ["export", "promela", "-o", str(tmp_path / "m.pml"), "--verify"], 2.5)
    assert code == 130, err
    assert took < 2.0
    assert err.strip().splitlines()[-1].startswith(
        "mapi-submission: export promela --verify: interrupted (Ctrl-C) while ")
