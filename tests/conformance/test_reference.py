"""The reference system conforms under every technique, and stays an independent reading."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, settings

from mapi_submission.harness.adapter import SystemUnderTest
from mapi_submission.harness.implementation_logs import log_verdict
from mapi_submission.harness.lockstep import Lockstep
from mapi_submission.harness.machine import run_machine
from mapi_submission.harness.model_system import ModelSystem
from mapi_submission.harness.replay import replay_against
from mapi_submission.model.config import Config, Conflicts
from mapi_submission.model.engine import Model, Step
from mapi_submission.reference import ReferenceSystem, make_reference
from mapi_submission.reference import store as reference_store

from .conftest import profile_settings

REFERENCE_DIR = Path(reference_store.__file__).resolve().parent
#: What the reference may import from the project: the adapter types and the MAPI constants.
ALLOWED_PROJECT_IMPORTS = {"mapi_submission.harness.adapter", "mapi_submission.model.constants"}


def project_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return [name for name in found if name.split(".")[0] == "mapi_submission"]


def test_reference_reads_no_model_table_guards_effects_or_engine() -> None:
    files = sorted(REFERENCE_DIR.glob("*.py"))
    assert {f.name for f in files} >= {"store.py", "mutants.py", "__init__.py"}
    offending = {f"{f.name}: {name}" for f in files for name in project_imports(f)
                 if name not in ALLOWED_PROJECT_IMPORTS}
    assert not offending, offending


def test_the_import_scan_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from mapi_submission.model.table import TABLE\nimport os\n"
                      "from .store import X\n")
    assert project_imports(sample) == ["mapi_submission.model.table"]


def test_reference_and_model_follow_the_adapter_protocol() -> None:
    assert isinstance(make_reference(), SystemUnderTest)
    assert isinstance(ModelSystem(Config(messages=1)), SystemUnderTest)


def test_reference_conforms_on_the_machine_one_message() -> None:
    run = run_machine(Model(Config(messages=1)), make_reference,
                      machine_settings_=profile_settings(), label="reference")
    assert run.failure is None, run.failure and run.failure.describe()
    assert run.steps > 10 * run.examples // 2  # the runs go somewhere, not only to deletion


def test_reference_conforms_on_the_machine_two_messages() -> None:
    # Two messages reach the queue-order rules (R14, R39) and interleavings.
    config = Config(messages=2, recipients=1, setbacks=2)
    run = run_machine(Model(config), make_reference,
                      machine_settings_=profile_settings(50), label="reference")
    assert run.failure is None, run.failure and run.failure.describe()


def test_reference_passes_every_generated_case(generated_cases: list[dict[str, Any]]) -> None:
    verdicts = {case["id"]: replay_against(case, make_reference()).verdict
                for case in generated_cases}
    assert "fail" not in verdicts.values(), [k for k, v in verdicts.items() if v == "fail"]
    # "diverged": the reference took another branch the model allows (AbortSubmit on a queued
    # message always succeeds here, R69 allows a failure); the rest of such a case is moot.
    passed = sum(v == "pass" for v in verdicts.values())
    assert passed >= 0.95 * len(verdicts)


def test_reference_call_logs_validate(generated_cases: list[dict[str, Any]]) -> None:
    failing = [case["id"] for case in generated_cases
               if not log_verdict(case, make_reference()).conforms]
    assert not failing


class _ReadAndAttachmentBits(ReferenceSystem):
    """A store whose PR_MESSAGE_FLAGS also carries MSGFLAG_READ and MSGFLAG_HASATTACH, and
    whose PR_SUBMIT_FLAGS carries a bit of its own: bits no rule of the send life-cycle
    decides, which a real store shows."""

    def observe(self) -> Any:
        seen = super().observe()
        return dataclasses.replace(seen, messages=tuple(
            dataclasses.replace(m, message_flags=m.message_flags | 0x1 | 0x10,
                                submit_flags=m.submit_flags | 0x100)
            for m in seen.messages))


def test_flag_bits_the_rules_do_not_speak_about_are_no_divergence() -> None:
    run = run_machine(Model(Config(messages=1)), _ReadAndAttachmentBits,
                      machine_settings_=profile_settings(30), label="extra bits")
    assert run.failure is None, run.failure and run.failure.describe()
    assert run.steps > 0


class _RealStoreTable(ReferenceSystem):
    """A store as a wrapper reads it: no recipient rows before ModifyRecipients added them
    (R9), and the folder "gone" for a message the client deleted (R30)."""

    def observe(self) -> Any:
        seen = super().observe()
        shown = []
        for stored, message in zip(self.messages, seen.messages, strict=True):
            if not stored.addressed:
                message = dataclasses.replace(message, recipients=())
            if stored.status == "deleted":
                message = dataclasses.replace(message, folder="gone")
            shown.append(message)
        return dataclasses.replace(seen, messages=tuple(shown))


class _RowsVanishAfterSubmit(_RealStoreTable):
    """The same, but the recipient table is empty once the message was submitted: wrong."""

    def observe(self) -> Any:
        seen = super().observe()
        return dataclasses.replace(seen, messages=tuple(
            dataclasses.replace(m, recipients=()) if m.message_flags & 0x4 else m
            for m in seen.messages))


def test_an_empty_table_before_modify_recipients_and_a_gone_deleted_draft_conform() -> None:
    run = run_machine(Model(Config(messages=2, recipients=1)), _RealStoreTable,
                      machine_settings_=profile_settings(60), label="real table")
    assert run.failure is None, run.failure and run.failure.describe()
    # found, not shrunk: the report names the recipients either way
    wrong = run_machine(Model(Config(messages=1)), _RowsVanishAfterSubmit,
                        machine_settings_=settings(profile_settings(60),
                                                   phases=[Phase.explicit, Phase.generate]),
                        label="rows vanish")
    assert wrong.failure is not None and "recipients" in wrong.failure.describe()


def test_a_finished_run_offers_no_more_steps() -> None:
    model = Model(Config(messages=1))
    start = model.initial_worlds()[0]
    lockstep = Lockstep(model, ReferenceSystem(), start)
    assert lockstep.options()
    assert lockstep.take(Step("delete", 0, -1)) is None
    assert model.is_final(lockstep.world)
    assert lockstep.options() == []


def test_reference_follows_every_other_reading_of_the_conflicts() -> None:
    # Each documented conflict at its non-default reading, every disposition: the reference
    # reads the run's readings from the setup; properties the model itself breaks under a
    # reading (I-P1 when resent rows are transmitted again, R75) are not held against it.
    config = Config(
        messages=1, setbacks=3,
        dispositions=("leave", "move", "delete", "move_and_delete"),
        conflicts=Conflicts(unsent_while_submitted="clear", sentmail_and_delete="move",
                            resend_submitted_rows="transmit", submitflag_locked="spooler_route",
                            lock_during_retry="release",
                            abort_during_direct_send="unable_to_abort",
                            direct_send="before_return", after_cancel="retry"),
    )
    run = run_machine(Model(config), make_reference, machine_settings_=profile_settings(60),
                      label="reference")
    assert run.failure is None, run.failure and run.failure.describe()


@pytest.mark.parametrize("serves", [(("EX", "SMTP"), ("SMTP",)), (("SMTP",), ("EX", "SMTP"))])
def test_reference_follows_a_configured_serving_relation(
        serves: tuple[tuple[str, ...], ...]) -> None:
    # R43: which transport serves which recipient comes from the setup, not the numbering.
    config = Config(messages=1, recipients=2, setbacks=2, serves=serves)
    run = run_machine(Model(config), make_reference, machine_settings_=profile_settings(40),
                      label="reference")
    assert run.failure is None, run.failure and run.failure.describe()
