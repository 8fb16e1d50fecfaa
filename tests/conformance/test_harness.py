"""The harness itself: every table row has a call, the model passes its own machine on
configurations larger than exhaustive exploration handles, the conform command's exits."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from hypothesis import Phase, settings

from mapi_submission.cli import main
from mapi_submission.harness.adapter import Observation, SystemUnderTest
from mapi_submission.harness.adapter_calls import CALL_SHAPES
from mapi_submission.harness.implementation_logs import ExampleLogs
from mapi_submission.harness.lockstep import Lockstep
from mapi_submission.harness.machine import machine_settings, run_machine
from mapi_submission.harness.model_system import ModelSystem
from mapi_submission.harness.observations import shadow_world
from mapi_submission.harness.validate_log import validate_log_text
from mapi_submission.model.actors import Actor
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.table import TABLE, Kind
from mapi_submission.properties import PROPERTIES
from mapi_submission.reference import ReferenceSystem
from mapi_submission.reference.mutants import (
    FinishedKeepsSubmitFlag,
    LockIgnoresQueue,
    LockNotExclusive,
)

from .conftest import profile_settings


def test_every_row_is_a_call_or_part_of_submission() -> None:
    internal = sorted(row.name for row in TABLE if CALL_SHAPES[row.name] is None)
    assert internal == sorted(row.name for row in TABLE if row.kind is Kind.INSIDE_CALL)
    assert internal == sorted(row.name for row in TABLE if row.name.startswith("route-"))
    used = {shape.method for shape in CALL_SHAPES.values() if shape is not None}
    # its own methods and those of SystemInputs it extends
    protocol = {name for name in dir(SystemUnderTest)
                if not name.startswith("_") and callable(getattr(SystemUnderTest, name))}
    assert protocol - {"start", "observe"} == used


def test_the_implementation_answers_client_calls_the_spooler_lock_and_yield() -> None:
    answered = {(row.actor, row.event) for row in TABLE
                if (shape := CALL_SHAPES[row.name]) is not None and shape.answers}
    assert {actor for actor, _ in answered} == {Actor.CLIENT, Actor.OTHER_CLIENT,
                                                 Actor.SPOOLER, Actor.TRANSPORT}
    # the store's lock (R41, R81) and the spooler's answer to a transport's SpoolerYield (R54)
    assert {event for actor, event in answered if not actor.is_client} == {
        "IMsgStore::SetLockState", "IMAPISupport::SpoolerYield"}


def test_the_model_passes_its_own_machine_on_a_large_configuration() -> None:
    # Three messages with independent profiles: far beyond what the checker explores in a
    # test, reached here one walk at a time.
    config = Config(messages=3, recipients=2, transports=2, setbacks=2)
    model = Model(config)
    run = run_machine(model, lambda: ModelSystem(config), machine_settings_=profile_settings(10),
                      label="model")
    assert run.failure is None, run.failure and run.failure.describe()
    assert run.steps > 100


def test_properties_judge_the_implementation_observations() -> None:
    model = Model(Config(messages=1, coupling=("loose",)))
    start = next(w for w in model.initial_worlds() if not w.messages[0].profile.deferred_send
                 and not w.messages[0].profile.needs_preprocessing)
    lockstep = Lockstep(model, LockNotExclusive(), start)
    for step in (Step("add-recipients", 0, -1), Step("submit", 0, -1), Step("lock", 0, -1)):
        assert lockstep.take(step) is None
    failure = lockstep.take(Step("lock-refused", 0, -1))
    assert failure is not None
    assert failure.actual_result == "S_OK" and failure.expected_result == "MAPI_E_NOT_IN_QUEUE"
    assert any(p.startswith("I-LOCK1") for p in failure.properties)
    shadow = shadow_world(lockstep.world, lockstep.system.observe())
    assert shadow is not None and PROPERTIES["I-LOCK1"].check(model.config, shadow)


def test_conform_reference_exits_0() -> None:
    result = CliRunner().invoke(main, ["conform", "--adapter",
                                       "mapi_submission.reference:make_reference",
                                       "--examples", "20", "--messages", "1"])
    assert result.exit_code == 0, result.output
    assert "conforms" in result.output


def test_conform_mutant_exits_1_and_writes_the_case(tmp_path: Path) -> None:
    out = tmp_path / "failures"
    result = CliRunner().invoke(main, [
        "conform", "--adapter", "mapi_submission.reference.mutants:DownloadInFlight",
        "--examples", "100", "--messages", "1", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 1, result.output
    written = list(out.glob("*.json"))
    # the case is named by the step where the mutant shows: the tight pair's transmission
    # after which it queued the message it is sending (R20)
    assert len(written) == 1 and "tight-transmit" in written[0].name
    replayed = CliRunner().invoke(main, ["conform", "--adapter",
                                         "mapi_submission.reference:make_reference",
                                         "--examples", "1", "--messages", "1",
                                         "--cases", str(out)])
    assert replayed.exit_code == 0, replayed.output


def test_conform_bad_adapter_specs_exit_2() -> None:
    for spec in ("no-colon", "no.such.module:factory", "mapi_submission.reference:missing",
                 "mapi_submission.reference:MUTANTS", "mapi_submission.reference:Mutant"):
        result = CliRunner().invoke(main, ["conform", "--adapter", spec])
        assert result.exit_code == 2, (spec, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output


def test_an_adapter_module_in_the_current_folder_imports_without_pythonpath(
        tmp_path: Path) -> None:
    # a console script does not put the current folder on the import path as `python -m`
    # does: conform does, so the adapter beside the user's tests is found
    (tmp_path / "my_adapter.py").write_text(
        "from mapi_submission.reference import make_reference\n"
        "def build():\n    return make_reference()\n")
    command = str(Path(sys.executable).parent / "mapi-submission")
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    found = subprocess.run([command, "conform", "--adapter", "my_adapter:build",
                            "--examples", "2", "--messages", "1", "--quiet"],
                           capture_output=True, text=True, cwd=tmp_path, env=env,
                           timeout=300, check=False)
    assert found.returncode == 0, found.stderr
    assert "conforms" in found.stdout
    missing = subprocess.run([command, "conform", "--adapter", "their_adapter:build"],
                             capture_output=True, text=True, cwd=tmp_path, env=env,
                             timeout=300, check=False)
    assert missing.returncode == 2
    (line,) = missing.stderr.strip().splitlines()
    assert "their_adapter" in line and str(tmp_path) in line and "PYTHONPATH" in line


class RaisesOnAbort(ReferenceSystem):
    def abort_submit(self, m: int) -> str:
        raise RuntimeError("store connection lost")


def test_an_exception_from_the_system_is_a_divergence() -> None:
    # whether and how the exception is reported, not how far it shrinks: no shrinking
    run = run_machine(Model(Config(messages=1)), RaisesOnAbort,
                      machine_settings_=settings(profile_settings(100),
                                                 phases=[Phase.explicit, Phase.generate]),
                      label="raises")
    assert run.failure is not None
    assert "raised RuntimeError: store connection lost" in run.failure.describe()
    assert run.failure_case is not None


class StartsInTheWrongFolder(ReferenceSystem):
    """Shows every message in a folder the model never puts it in: wrong before any call."""

    def observe(self) -> Observation:
        seen = super().observe()
        return dataclasses.replace(seen, messages=tuple(
            dataclasses.replace(message, folder="nowhere") for message in seen.messages))


def test_a_divergence_before_any_call_is_reported_and_written_as_a_case() -> None:
    config = Config(messages=1, recipients=1, transports=1)
    model = Model(config)
    run = run_machine(model, StartsInTheWrongFolder, machine_settings_=profile_settings(5),
                      label="wrong-folder")
    assert run.failure is not None and run.failure.at_start
    described = run.failure.describe()
    assert described.startswith("at the start, before any call")
    assert "folder" in described
    assert run.failure_case is not None
    assert run.failure_case["id"].startswith("conform-wrong-folder-start-")
    assert run.failure_case["steps"] == [] and run.failure_case["provenance"]["target"] is None


def test_a_report_names_the_call_flags_and_rules_without_internal_indices() -> None:
    # a spooler whose FinishedMsg leaves MSGFLAG_SUBMIT set (R62, R65)
    # not shrunk: the report's form is the point, and shrinking takes half a minute
    run = run_machine(Model(Config(messages=1)), FinishedKeepsSubmitFlag,
                      machine_settings_=machine_settings(50, shrink=False),
                      label="keeps-submit")
    assert run.failure is not None
    described = run.failure.describe()
    assert "spooler IMsgStore::FinishedMsg on message 0" in described
    assert "message_flags: expected 0, got MSGFLAG_SUBMIT (R2, R13, R65)" in described, \
        described
    assert "arg -1" not in described
    lock = Lockstep(Model(Config(messages=1)), LockIgnoresQueue(),
                    Model(Config(messages=1)).initial_worlds()[0])
    failure = lock.take(Step("lock-not-queued", 0, -1))
    assert failure is not None
    assert "IMsgStore::SetLockState(MSG_LOCKED) on message 0" in failure.describe()
    assert "got SUBMITFLAG_LOCKED (R26, R42)" in failure.describe()


def test_conform_log_records_the_calls_made_as_a_call_log(tmp_path: Path) -> None:
    reference = tmp_path / "reference.jsonl"
    done = CliRunner().invoke(main, ["conform", "--adapter",
                                     "mapi_submission.reference:make_reference", "--examples",
                                     "30", "--messages", "1", "-q", "--log", str(reference)])
    assert done.exit_code == 0, done.output
    assert "call log: " in done.output
    judged = CliRunner().invoke(main, ["validate-log", str(reference)])
    assert judged.exit_code == 0, judged.output
    assert "conforms" in judged.output and "(0 record(s)" not in judged.output
    # a spooler whose FinishedMsg leaves MSGFLAG_SUBMIT set: its log diverges on that rule
    # (the machine in process, not shrunk: the failing example is the last one run)
    config = Config(messages=1)
    logs = ExampleLogs(FinishedKeepsSubmitFlag)
    run = run_machine(Model(config), logs.factory,
                      machine_settings_=machine_settings(50, shrink=False), label="keeps")
    assert run.failure is not None
    chosen = logs.chosen(diverged=True)
    assert chosen is not None
    verdict = validate_log_text(chosen.log_text(config, "test"), "mutant")
    assert verdict.divergence is not None, "the mutant's log conforms"
    assert {"R62", "R65"} <= set(verdict.divergence.rules)


def test_replay_runs_cases_on_an_adapter_as_conform_cases_does() -> None:
    states = str(Path(__file__).resolve().parents[1] / "regression" / "states")
    runner = CliRunner()
    passed = runner.invoke(main, ["replay", "--adapter",
                                  "mapi_submission.reference:make_reference", states])
    assert passed.exit_code == 0, passed.output
    assert "replayed on the adapter: 25 passed, 0 failed" in passed.output
    failed = runner.invoke(main, ["replay", "--adapter",
                                  "mapi_submission.reference.mutants:LocationOnlyRouting",
                                  states, "--fail-fast"])
    assert failed.exit_code == 1 and "R19" in failed.output
    both = runner.invoke(main, ["replay", "--adapter", "x:y", "--variant", "location-only",
                                states])
    assert both.exit_code == 2 and "give one of them" in both.output
