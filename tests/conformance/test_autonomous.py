"""A system whose components act on their own (harness/autonomous.py): the harness gives
inputs, the system reports its calls, the log validator judges them; the harness's verdict
and ``validate-log``'s on the written log are one."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mapi_submission.cli import main
from mapi_submission.harness.adapter import (
    NOT_DUE,
    AutonomousSystem,
    SystemInputs,
    SystemUnderTest,
)
from mapi_submission.harness.autonomous import (
    AUTONOMOUS_METHODS,
    AutonomousFailure,
    AutonomousRun,
    replay_autonomously,
)
from mapi_submission.harness.autonomous_machine import run_autonomous_machine
from mapi_submission.harness.implementation_logs import ExampleLogs, ends_idle
from mapi_submission.harness.lockstep import LockstepDivergence
from mapi_submission.harness.machine import machine_settings, run_machine
from mapi_submission.harness.validate_log import validate_log_text
from mapi_submission.kill_matrix import MACHINE_CONFIG
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.world import World
from mapi_submission.reference import MUTANTS
from mapi_submission.reference.autonomous import (
    Autonomous,
    autonomous_mutant,
    make_autonomous_reference,
)

BASE = Config()
REGRESSION = Path(__file__).parents[1] / "regression"


def one_message(tight: bool, address_types: tuple[str, ...] = ("EX", "EX")
                ) -> tuple[Model, World]:
    """One message of two recipients, two transports (0 registers EX, 1 SMTP)."""
    config = dataclasses.replace(BASE, messages=1)
    model = Model(config)
    start = next(w for w in model.initial_worlds()
                 if w.tight == tight and w.messages[0].profile.address_types == address_types
                 and w.messages[0].profile.folder == "outbox"
                 and not w.messages[0].profile.needs_preprocessing
                 and not w.messages[0].profile.deferred_send
                 and not w.messages[0].profile.resend)
    return model, start


def give(run: AutonomousRun, row: str, message: int = 0, arg: int = -1) -> None:
    """Give an input the model enables now (the test names it by its row)."""
    inputs = run.inputs()
    step = Step(row, message, arg)
    assert step in inputs.steps, [s.row for s in inputs.steps]
    assert run.give(step, sure=step in inputs.sure) is None, run.failure


def settle(run: AutonomousRun) -> list[tuple[str, str]]:
    """Let the system run until idle; the (actor, event) of what it reported."""
    count = len(run.records)
    failure = run.settle()
    assert failure is None, failure.describe()
    return [(r["actor"], r["event"]) for r in run.records[count:]
            if r.get("event") != "IMsgStore::GetOutgoingQueue"]


def test_the_reference_spooler_takes_a_loose_message_to_its_transport_on_its_own() -> None:
    model, start = one_message(tight=False)
    run = AutonomousRun(model, make_autonomous_reference(), start)
    give(run, "add-recipients")
    give(run, "submit")
    assert settle(run) == [("spooler", "IMsgStore::SetLockState"),
                           ("spooler", "present to transport")]
    # the transport (the tester's) hands both recipients on and returns; EndMessage's plain
    # answer; then the spooler finishes the message by itself (R62)
    for recipient in (0, 1):
        give(run, "transmit", 0, recipient)
    give(run, "xp-ok")
    give(run, "end")
    assert settle(run)[-1] == ("spooler", "IMsgStore::FinishedMsg")
    assert run.finish() is None
    assert run.records[-1] == {"end": {}}
    assert validate_log_text(run.log_text("test"), "test").conforms


def test_a_pair_sending_a_message_the_spooler_re_pulls_is_blamed_on_r20() -> None:
    model, start = one_message(tight=True)
    run = AutonomousRun(model, autonomous_mutant("repull-in-flight"), start)
    give(run, "add-recipients")
    give(run, "submit")
    failure = run.settle()
    assert failure is not None
    assert failure.rules[0] == "R20"
    verdict = validate_log_text(run.log_text("test"), "test")
    assert verdict.divergence is not None and verdict.divergence.line == failure.line


def test_a_spooler_idle_with_a_recipient_no_transport_takes_diverges_at_the_end_line() -> None:
    # One transport serves the message's EX recipients and declines it (MAPI_E_NOT_ME): no
    # transport is left, so the spooler owes an NDR (R58) and then FinishedMsg; the mutant
    # believes a transport still takes them and sits idle.
    model, start = one_message(tight=False)
    run = AutonomousRun(model, autonomous_mutant("no-ndr-after-decline"), start)
    give(run, "add-recipients")
    give(run, "submit")
    settle(run)
    give(run, "xp-not-me")
    failure = run.settle()
    assert failure is not None
    assert "R58" in failure.rules
    assert run.records[-1] == {"end": {}}
    verdict = validate_log_text(run.log_text("test"), "test")
    assert verdict.divergence is not None and verdict.divergence.line == failure.line
    # the correct spooler reports the NDRs and finishes
    run = AutonomousRun(model, make_autonomous_reference(), start)
    give(run, "add-recipients")
    give(run, "submit")
    settle(run)
    give(run, "xp-not-me")
    assert ("spooler", "IMsgStore::FinishedMsg") in settle(run)
    assert run.finish() is None


def test_an_input_only_some_consistent_worlds_enable_may_be_declined() -> None:
    # The transport's S_OK with recipients left reads as "not now" (R47) or "not mine" (R49):
    # END_RESEND_LATER fits only the first, and a system in the second may decline it.
    model, start = one_message(tight=False)
    run = AutonomousRun(model, make_autonomous_reference(), start)
    give(run, "add-recipients")
    give(run, "submit")
    settle(run)
    give(run, "xp-ok-not-sent")
    assert len(run.validator.candidates) > 1
    inputs = run.inputs()
    end_later = Step("end-resend-later", 0, -1)
    assert end_later in inputs.steps
    assert end_later not in inputs.sure


@pytest.mark.parametrize("reading", [
    {}, {"lock_during_retry": "release"}, {"lock_during_retry": "release_when_deferred"},
    {"after_critical": "wait"}, {"direct_send": "before_return"}, {"after_cancel": "retry"},
])
def test_the_autonomous_reference_conforms(reading: dict[str, str]) -> None:
    config = dataclasses.replace(BASE, conflicts=dataclasses.replace(BASE.conflicts, **reading))
    run = run_autonomous_machine(Model(config), make_autonomous_reference,
                                 machine_settings_=machine_settings(60, shrink=False))
    assert run.failure is None, run.failure.describe()
    assert run.example_log is not None
    assert validate_log_text(run.example_log, "longest example").conforms


def test_the_autonomous_reference_passes_every_checked_in_case() -> None:
    cases = [json.loads(path.read_text()) for path in sorted(REGRESSION.rglob("*.json"))]
    cases = [case for case in cases if "steps" in case]  # not a suite's manifest
    assert len(cases) > 500
    verdicts = {"pass": 0, "diverged": 0, "fail": 0}
    for case in cases:
        outcome = replay_autonomously(case, make_autonomous_reference())
        verdicts[outcome.verdict] += 1
        assert outcome.verdict != "fail", (case["id"], outcome.failure and
                                           outcome.failure.describe())
    # the system takes its own branch in a few cases; most are followed to the end
    assert verdicts["pass"] > 9 * verdicts["diverged"]


@pytest.mark.parametrize("name", [
    "early-ndr", "finish-with-pending-recipients", "download-granted-in-flight", "yes-man",
    "no-ndr-after-decline", "pair-finishes-alone-after-preprocessing"])
def test_the_machine_kills_a_decision_mutant_and_validate_log_agrees(name: str) -> None:
    run = run_autonomous_machine(Model(BASE), lambda: autonomous_mutant(name),
                                 machine_settings_=machine_settings(100, shrink=False))
    assert run.failure is not None, f"{name} survives the autonomous machine"
    assert run.failure_log is not None
    verdict = validate_log_text(run.failure_log, name)
    assert verdict.divergence is not None
    assert verdict.divergence.line == run.failure.line
    assert tuple(verdict.divergence.rules) == run.failure.rules
    assert isinstance(run.failure, AutonomousFailure) and run.failure.by_validator


def test_conform_runs_an_autonomous_adapter_and_writes_the_failing_log(tmp_path: Path,
                                                                      monkeypatch: Any) -> None:
    (tmp_path / "wrapped.py").write_text(
        "from mapi_submission.reference.autonomous import autonomous_mutant\n"
        "def build():\n    return autonomous_mutant('early-ndr')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(main, ["conform", "--adapter", "wrapped:build", "--quiet",
                                  "--out", str(tmp_path / "out"), "--log",
                                  str(tmp_path / "run.jsonl")])
    assert result.exit_code == 1, result.output
    assert "R58" in result.output
    written = sorted((tmp_path / "out").glob("conform-autonomous-*.jsonl"))
    assert len(written) == 1
    assert written[0].read_text() == (tmp_path / "run.jsonl").read_text()
    check = runner.invoke(main, ["validate-log", str(written[0])])
    assert check.exit_code == 1 and "R58" in check.output


def test_conform_names_the_inputs_an_autonomous_adapter_lacks(tmp_path: Path,
                                                              monkeypatch: Any) -> None:
    (tmp_path / "half.py").write_text(
        "class Half:\n"
        "    def start(self, setup): pass\n"
        "    def observe(self): pass\n"
        "    def advance(self): return []\n"
        "def build():\n    return Half()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = CliRunner().invoke(main, ["conform", "--adapter", "half:build", "--quiet"])
    assert result.exit_code == 2
    assert "is an autonomous system (it has advance) and lacks abort_submit" in result.output
    assert "spooler_lock" not in result.output  # a decision is the system's own, not an input


def test_the_reference_log_of_conform_is_accepted_by_validate_log(tmp_path: Path) -> None:
    runner = CliRunner()
    log = tmp_path / "reference.jsonl"
    result = runner.invoke(main, [
        "conform", "--adapter",
        "mapi_submission.reference.autonomous:make_autonomous_reference", "--quiet",
        "--examples", "20", "--log", str(log)])
    assert result.exit_code == 0, result.output
    header = json.loads(log.read_text().splitlines()[0])["header"]
    assert header["all_steps_logged"] is True
    assert runner.invoke(main, ["validate-log", str(log)]).exit_code == 0


def test_a_steered_spooler_declining_a_due_ndr_writes_a_log_that_ends_there() -> None:
    # Steered, the harness asks the spooler for the NDR a declined recipient needs (R58) and
    # the mutant answers NOT_DUE: nothing but a client could move anything then, so the
    # system is idle for good and its log (conform --log) ends, where the validator judges
    # liveness.
    model = Model(MACHINE_CONFIG)
    logs = ExampleLogs(MUTANTS["no-ndr-after-decline"].build)
    run = run_machine(model, logs.factory, machine_settings_=machine_settings(100, shrink=False))
    assert isinstance(run.failure, LockstepDivergence)
    assert run.failure.actual_result == NOT_DUE
    assert ends_idle(model, run.failure)
    chosen = logs.chosen(diverged=True)
    assert chosen is not None
    verdict = validate_log_text(chosen.log_text(model.config, "test", ended=True), "test")
    assert verdict.divergence is not None
    assert verdict.divergence.record == {"end": {}} and "R58" in verdict.divergence.rules
    # a divergence of another kind leaves the log open: the run stopped, not the system
    run = run_machine(model, MUTANTS["early-ndr"].build,
                      machine_settings_=machine_settings(100, shrink=False))
    assert isinstance(run.failure, LockstepDivergence)
    assert not ends_idle(model, run.failure)


def test_the_autonomous_protocol_asks_exactly_the_inputs_the_table_names() -> None:
    # The protocols are written by hand (the reference reads them, not the table); the
    # methods an autonomous adapter must have are the table's inputs, and no decision.
    def methods(protocol: type) -> set[str]:
        return {name for name in dir(protocol) if not name.startswith("_")}

    assert methods(AutonomousSystem) == AUTONOMOUS_METHODS
    decisions = methods(SystemUnderTest) - methods(SystemInputs)
    assert decisions and not decisions & AUTONOMOUS_METHODS


class _Garbled(Autonomous):
    """A system whose advance reports something that is not a record."""

    def advance(self) -> list[Any]:
        return ["oops"] if super().advance() else []


def test_a_report_that_is_not_a_record_is_a_divergence_of_the_protocol() -> None:
    model, start = one_message(tight=False)
    run = AutonomousRun(model, _Garbled(), start)
    give(run, "add-recipients")
    give(run, "submit")
    failure = run.settle()
    assert failure is not None and not failure.by_validator
    assert failure.describe() == ("not a call-log record: advance returned str 'oops', "
                                  "not a mapping")
