"""One unit test per encoded rule of the minimum set: each drives the runtime face of the
table through a short scenario and checks what the rule documents. Test names carry the rule
id, so `pytest -k R41` runs the tests of one rule."""

from __future__ import annotations

import pytest

from mapi_submission.model.config import Config, Conflicts, Features
from mapi_submission.model.constants import MSGFLAG_SUBMIT, MSGFLAG_UNSENT, S_OK
from mapi_submission.model.engine import Step, StepNotEnabled
from mapi_submission.model.guards import preprocessed
from mapi_submission.model.runtime import CallNotAllowed, Submission
from mapi_submission.model.table import ROWS_BY_NAME

from .scenarios import drive, rows_enabled, submission

ONE = Config(messages=1, recipients=2, transports=2)
TWO = Config(messages=2, recipients=1, transports=2, profiles="shared")

PLAIN = {"folder": "outbox", "needs_preprocessing": False, "deferred_send": False,
         "resend": False}


def spooled() -> Submission:
    runtime = submission(ONE, tight=False, **PLAIN)
    drive(runtime, "add-recipients", "submit")
    return runtime


def test_R3_failed_save_changes_nothing_and_successful_save_commits() -> None:
    runtime = submission(ONE, tight=False, **PLAIN)
    drive(runtime, "add-recipients", ("concurrent-commit", 0, -1))
    before = runtime.world
    assert runtime.call("IMAPIProp::SaveChanges", 0).result == "MAPI_E_OBJECT_CHANGED"
    assert runtime.world == before
    assert runtime.call("IMAPIProp::SaveChanges", 0, flags="FORCE_SAVE").result == S_OK
    assert runtime.message(0).phase == "saved"


def test_R8_submit_saves_first_and_a_failed_save_leaves_no_submission() -> None:
    runtime = submission(ONE, tight=False, **PLAIN)
    drive(runtime, "add-recipients", "concurrent-commit")
    result = runtime.call("IMessage::SubmitMessage", 0)
    assert result.result == "MAPI_E_OBJECT_CHANGED" and "R8" in result.rules
    message = runtime.message(0)
    assert message.phase == "draft" and not message.in_queue
    assert not message.flags & MSGFLAG_SUBMIT


def test_R9_submit_without_recipients_fails_and_leaves_the_message_usable() -> None:
    runtime = submission(ONE, tight=False, **PLAIN)
    assert runtime.call("IMessage::SubmitMessage", 0).result == "MAPI_E_NO_RECIPIENTS"
    assert runtime.message(0).phase == "draft"
    assert runtime.call("IMessage::ModifyRecipients", 0).result == S_OK
    assert runtime.call("IMessage::SubmitMessage", 0).result == S_OK


def test_R10_after_submit_only_abort_remains_for_the_client() -> None:
    runtime = spooled()
    client_rows = {s.row for s in runtime.enabled()
                   if runtime.model.rows[s.row].actor == "client"
                   and runtime.model.rows[s.row].result == S_OK}
    # a read-only open (R28) and a copy (R70: a new message) succeed but change nothing; only
    # the abort changes the message
    assert client_rows <= {"abort", "open-queued-read-only", "copy-submitted"}
    for name in client_rows - {"abort"}:
        assert runtime.model.rows[name].dest is None, name
        assert runtime.model.rows[name].effect == "none", name
    with pytest.raises(CallNotAllowed):
        runtime.call("IMAPIProp::SaveChanges", 0)


def test_R28_R29_best_access_opens_a_queued_message_read_only_not_a_locked_one() -> None:
    runtime = spooled()
    before = runtime.world
    assert runtime.call("IMsgStore::OpenEntry", 0, flags="MAPI_BEST_ACCESS").result == S_OK
    assert runtime.world == before, "read-only: nothing changes"
    drive(runtime, "lock")
    assert runtime.call("IMsgStore::OpenEntry", 0, flags="MAPI_BEST_ACCESS").result == \
        "MAPI_E_NO_ACCESS"


def test_R12_submit_marks_the_message_and_clears_every_responsibility() -> None:
    runtime = submission(ONE, tight=False, **PLAIN)
    drive(runtime, "add-recipients", "submit")
    message = runtime.message(0)
    assert message.flags & MSGFLAG_SUBMIT
    assert [r.resp for r in message.recipients] == [False, False]
    assert all(r.outcome == "pending" for r in message.recipients)


def test_R14_spooler_locks_messages_in_submission_order() -> None:
    runtime = submission(TWO, tight=False, **PLAIN)
    drive(runtime, ("add-recipients", 1, -1), ("submit", 1, -1),
          ("add-recipients", 0, -1), ("submit", 0, -1))
    assert runtime.world.queue == (1, 0)
    locks = {s.message for s in runtime.enabled() if s.row == "lock"}
    assert locks == {1}



def test_R14_a_message_the_tight_pair_queues_late_keeps_its_submission_place() -> None:
    # both go to the tight pair first (R17, R23); the later one's rest is queued first, yet
    # the queue is sorted by submission time (R25), so the older one is ahead and locked first
    config = Config(messages=2, recipients=2, transports=2, profiles="shared",
                    address_mixes=("mixed",))
    runtime = submission(config, tight=True, **PLAIN)
    drive(runtime, ("add-recipients", 0, -1), ("submit", 0, -1),
          ("add-recipients", 1, -1), ("submit", 1, -1))
    assert runtime.world.submission_order == (0, 1)
    for m in (1, 0):
        served = next(s.arg for s in runtime.enabled()
                      if s.row == "tight-transmit" and s.message == m)
        drive(runtime, ("tight-transmit", m, served), ("tight-queue-rest", m, -1))
    assert runtime.world.queue == (0, 1)
    assert {s.message for s in runtime.enabled() if s.row == "lock"} == {0}

@pytest.mark.parametrize(("tight", "mix", "preprocessing", "expected"), [
    (False, "servable", False, "route-spooler"),   # (1) not tightly coupled
    (True, "mixed", True, "route-preprocess"),     # (2) preprocessing needed
    (True, "servable", False, "route-direct"),     # none of (1)-(3): the tight pair sends
])
def test_R17_spooler_involvement(tight: bool, mix: str, preprocessing: bool,
                                 expected: str) -> None:
    config = Config(messages=1, recipients=2, transports=2, address_mixes=(mix,))
    runtime = submission(config, tight=tight, **{**PLAIN, "needs_preprocessing": preprocessing})
    drive(runtime, "add-recipients", "submit")
    # the store routes inside SubmitMessage (R26): the call returns with the message routed
    assert runtime.message(0).phase == ROWS_BY_NAME[expected].dest


def test_R17_R23_tight_pair_queues_what_it_cannot_serve() -> None:
    config = Config(messages=1, recipients=2, transports=2, address_mixes=("mixed",))
    runtime = submission(config, tight=True, **PLAIN)
    drive(runtime, "add-recipients", "submit")
    tight_recipients = {s.arg for s in runtime.enabled() if s.row == "tight-transmit"}
    assert len(tight_recipients) == 1
    (served,) = tight_recipients
    drive(runtime, ("tight-transmit", 0, served))
    assert "tight-finish" not in rows_enabled(runtime)
    drive(runtime, "tight-queue-rest")
    message = runtime.message(0)
    assert message.phase == "spooled" and message.in_queue
    assert message.recipients[served].resp
    assert not message.recipients[1 - served].resp


@pytest.mark.parametrize(("mix", "phase", "queued"), [
    ("servable", "delivered", False),  # R21: the flow is complete when SubmitMessage returns
    ("mixed", "spooled", True),        # R23, R26: own recipients sent, the rest queued
])
def test_R21_R23_a_store_may_send_before_submit_returns(mix: str, phase: str,
                                                       queued: bool) -> None:
    before = Config(messages=1, recipients=2, transports=2, address_mixes=(mix,),
                    conflicts=Conflicts(direct_send="before_return"))
    runtime = submission(before, tight=True, **PLAIN)
    drive(runtime, "add-recipients", "submit")
    message = runtime.message(0)
    assert (message.phase, message.in_queue) == (phase, queued)
    served = [r for r in message.recipients if r.outcome == "sent"]
    assert served and all(r.resp and r.transmissions == 1 for r in served)
    assert not {"tight-transmit", "tight-finish", "tight-queue-rest"} & rows_enabled(runtime)
    after = submission(before.with_changes(conflicts=Conflicts()), tight=True, **PLAIN)
    drive(after, "add-recipients", "submit")
    assert after.message(0).phase == "direct_sending", "after_return: the pair sends later"


@pytest.mark.parametrize(("serves", "takes"), [
    ((), {0: {0}, 1: {1}}),                                # EX even, SMTP odd
    ((("EX", "SMTP"), ("SMTP",)), {0: {0, 1}, 1: {1}}),    # transport 0 registered both
])
def test_R43_R49_a_transport_processes_the_recipients_of_the_types_it_registered(
        serves: tuple[tuple[str, ...], ...], takes: dict[int, set[int]]) -> None:
    config = Config(messages=1, recipients=2, transports=2, address_mixes=("mixed",),
                    serves=serves)
    for transport, recipients in takes.items():
        runtime = submission(config, tight=False, **PLAIN)
        drive(runtime, "add-recipients", "submit", "lock")
        if transport == 1 and serves:
            # transport 0 comes first for the SMTP recipient too (R43): it declines first
            drive(runtime, ("present", 0, 0), "xp-not-me")
        drive(runtime, ("present", 0, transport))
        sendable = {s.arg for s in runtime.enabled() if s.row == "transmit"}
        assert sendable == recipients, (serves, transport)


def test_R19_routing_ignores_the_folder() -> None:
    for folder in ("outbox", "inbox"):
        runtime = submission(ONE, tight=True, **{**PLAIN, "folder": folder})
        drive(runtime, "add-recipients", "submit")
        assert runtime.message(0).phase == ROWS_BY_NAME["route-direct"].dest, folder


def test_R19_location_only_variant_routes_an_inbox_message_to_the_spooler() -> None:
    runtime = submission(ONE, tight=True, variant="location-only", **{**PLAIN, "folder": "inbox"})
    drive(runtime, "add-recipients", "submit")
    assert runtime.message(0).phase == ROWS_BY_NAME["route-spooler"].dest


def test_R20_tight_transport_never_asks_to_download_a_message_it_is_sending() -> None:
    runtime = submission(ONE, tight=True, **PLAIN)
    drive(runtime, "add-recipients", "submit")
    assert runtime.message(0).inflight
    assert "tight-request-download" not in rows_enabled(runtime)
    with pytest.raises(StepNotEnabled, match="tight-request-download"):
        runtime.fire(Step("tight-request-download", 0, -1))


def test_R25_R26_spooler_path_queues_without_the_preprocess_bit() -> None:
    runtime = spooled()
    message = runtime.message(0)
    assert message.in_queue and runtime.world.queue == (0,)
    assert not message.preprocess


def test_R26_R34_preprocessing_path_queues_with_the_preprocess_bit() -> None:
    config = Config(messages=1, recipients=2, transports=2, address_mixes=("mixed",))
    runtime = submission(config, tight=False, **{**PLAIN, "needs_preprocessing": True})
    drive(runtime, "add-recipients", "submit")
    assert runtime.message(0).preprocess and runtime.message(0).in_queue


def test_R27_queue_membership_and_folder_are_independent() -> None:
    runtime = submission(ONE, tight=False, **{**PLAIN, "folder": "inbox"})
    drive(runtime, "add-recipients", "submit")
    message = runtime.message(0)
    assert message.folder == "inbox" and message.in_queue


def test_R28_queued_unlocked_message_cannot_be_opened_for_writing() -> None:
    runtime = spooled()
    result = runtime.call("IMsgStore::OpenEntry", 0, flags="MAPI_MODIFY")
    assert result.result == "MAPI_E_SUBMITTED"


def test_R29_locked_message_cannot_be_opened() -> None:
    runtime = spooled()
    drive(runtime, "lock")
    result = runtime.call("IMsgStore::OpenEntry", 0, flags="MAPI_MODIFY")
    assert result.result == "MAPI_E_NO_ACCESS"


def test_R34_preprocessing_round_trip_keeps_one_queue_entry_and_the_lock() -> None:
    config = Config(messages=1, recipients=2, transports=2, address_mixes=("mixed",))
    runtime = submission(config, tight=False, **{**PLAIN, "needs_preprocessing": True})
    drive(runtime, "add-recipients", "submit", "lock-preprocess",
          "preprocess", "preprocess-done")
    message = runtime.message(0)
    assert message.phase == "locked" and message.lock_holders == 1
    assert runtime.world.queue == (0,)
    assert not message.preprocess and preprocessed(config, message)


def test_R33_R34_every_applicable_preprocessor_runs_once_before_the_round_trip_ends() -> None:
    config = Config(messages=1, recipients=2, transports=2, address_mixes=("mixed",),
                    preprocessors=2)
    runtime = submission(config, tight=False, **{**PLAIN, "needs_preprocessing": True})
    drive(runtime, "add-recipients", "submit", "lock-preprocess", "preprocess")
    # one of two ran: the spooler may not end the round trip yet (R34)
    assert not any(s.row == "preprocess-done" for s in runtime.enabled())
    assert runtime.message(0).preprocessors_run == 1
    drive(runtime, "preprocess")
    assert not any(s.row.startswith("preprocess") and s.row != "preprocess-done"
                   for s in runtime.enabled())  # each runs once
    drive(runtime, "preprocess-done")
    assert preprocessed(config, runtime.message(0)) and runtime.message(0).phase == "locked"


def test_R38_spooler_locks_before_presenting_to_a_transport() -> None:
    runtime = spooled()
    assert not any(s.row == "present" for s in runtime.enabled())
    drive(runtime, "lock")
    assert any(s.row == "present" for s in runtime.enabled())


@pytest.mark.parametrize(("serves", "lockable"), [
    ((), set()),                                  # only the busy transport 0 takes EX
    ((("EX",), ("EX", "SMTP")), {0}),             # transport 1 takes EX too
])
def test_R39_a_later_message_passes_one_waiting_for_its_transport_only_through_another(
        serves: tuple[tuple[str, ...], ...], lockable: set[int]) -> None:
    config = TWO.with_changes(serves=serves)
    runtime = submission(config, tight=False, **PLAIN)
    drive(runtime, ("add-recipients", 1, -1), ("submit", 1, -1),
          ("add-recipients", 0, -1), ("submit", 0, -1))
    assert {s.message for s in runtime.enabled() if s.row == "lock"} == {1}
    drive(runtime, ("lock", 1, -1), ("present", 1, 0), ("xp-busy", 1, -1))
    assert runtime.message(1).phase == "retry_wait"
    assert {s.message for s in runtime.enabled() if s.row == "lock"} == lockable
    # the delay passed: message 1 is to be resent, still the oldest queued message, and the
    # spooler locks only that one (R14, R39)
    drive(runtime, ("retry-held", 1, -1))
    assert not {s.message for s in runtime.enabled() if s.row == "lock"}


def test_R40_lock_is_taken_exactly_once() -> None:
    runtime = spooled()
    drive(runtime, "lock")
    assert runtime.message(0).lock_holders == 1
    assert runtime.call("IMsgStore::SetLockState", 0, lock="MSG_LOCKED").result == \
        "MAPI_E_NOT_IN_QUEUE"
    assert runtime.message(0).lock_holders == 1


def test_R41_locked_message_cannot_be_aborted() -> None:
    runtime = spooled()
    drive(runtime, "lock")
    result = runtime.call("IMsgStore::AbortSubmit", 0)
    assert result.result == "MAPI_E_UNABLE_TO_ABORT" and "R41" in result.rules
    assert runtime.message(0).phase == "locked"


def test_R41_abort_ignores_lock_variant_aborts_a_locked_message() -> None:
    runtime = submission(ONE, tight=False, variant="abort-ignores-lock", **PLAIN)
    drive(runtime, "add-recipients", "submit", "lock")
    assert drive(runtime, "abort") == [S_OK]
    assert runtime.message(0).phase == "saved"


def _present(runtime: Submission) -> int:
    """Present the message to the first transport that may take it; returns that transport."""
    step = next(s for s in runtime.enabled() if s.row == "present")
    runtime.fire(step)
    return step.arg


def _presented(runtime: Submission) -> int:
    drive(runtime, "lock")
    return _present(runtime)


def _transmit_all(runtime: Submission) -> None:
    for step in [s for s in runtime.enabled() if s.row == "transmit"]:
        runtime.fire(step)


def test_R47_busy_means_nothing_processed_and_a_retry() -> None:
    runtime = spooled()
    _presented(runtime)
    assert runtime.fire(Step("xp-busy", 0, -1)).result == "MAPI_E_BUSY"
    message = runtime.message(0)
    assert message.phase == "retry_wait"
    assert all(r.transmissions == 0 for r in message.recipients)
    assert "end" not in rows_enabled(runtime)


def test_R47_not_me_sends_the_spooler_to_another_transport() -> None:
    runtime = spooled()
    transport = _presented(runtime)
    assert runtime.fire(Step("xp-not-me", 0, -1)).result == "MAPI_E_NOT_ME"
    assert runtime.message(0).phase == "locked"
    again = {s.arg for s in runtime.enabled() if s.row == "present"}
    assert transport not in again


def test_R49_transport_sets_responsibility_only_for_recipients_it_handles() -> None:
    runtime = spooled()
    transport = _presented(runtime)
    takes = sorted(s.arg for s in runtime.enabled() if s.row == "transmit")
    assert takes
    drive(runtime, ("transmit", 0, takes[0]))
    message = runtime.message(0)
    assert message.recipients[takes[0]].resp and message.recipients[takes[0]].transmissions == 1
    assert message.transport == transport
    assert ("transmit", takes[0]) not in {(s.row, s.arg) for s in runtime.enabled()}


def test_R51_end_message_flags_choose_the_next_state() -> None:
    expected = {"end": "locked", "end-resend-now": "in_transport",
                "end-resend-later": "retry_wait", "end-dont-resend": "transport_deferred"}
    for row, state in expected.items():
        runtime = spooled()
        _presented(runtime)
        _transmit_all(runtime)
        drive(runtime, "xp-ok", row)
        assert runtime.message(0).phase == state, row


def test_R58_spooler_ndrs_a_recipient_no_transport_takes() -> None:
    config = Config(messages=1, recipients=2, transports=1, address_mixes=("mixed",))
    runtime = submission(config, tight=False, **PLAIN)
    drive(runtime, "add-recipients", "submit", "lock")
    orphans = [s.arg for s in runtime.enabled() if s.row == "spooler-ndr"]
    assert len(orphans) == 1
    drive(runtime, ("spooler-ndr", 0, orphans[0]))
    assert runtime.message(0).recipients[orphans[0]].outcome == "ndr"


def _deliver(runtime: Submission) -> None:
    """Lock, then hand the message to transports until none has a recipient left."""
    drive(runtime, "lock")
    while any(s.row == "present" for s in runtime.enabled()):
        _present(runtime)
        _transmit_all(runtime)
        drive(runtime, "xp-ok", "end")


def test_R62_finished_msg_unlocks_dequeues_and_clears_submit() -> None:
    runtime = spooled()
    _deliver(runtime)
    assert runtime.call("IMsgStore::FinishedMsg", 0, actor="spooler").result == S_OK
    message = runtime.message(0)
    assert message.phase == "delivered"
    assert not message.in_queue and message.lock_holders == 0
    assert not message.flags & MSGFLAG_SUBMIT


def test_R62_client_cannot_call_finished_msg() -> None:
    runtime = spooled()
    assert runtime.call("IMsgStore::FinishedMsg", 0, actor="client").result == \
        "MAPI_E_NO_SUPPORT"


@pytest.mark.parametrize(("disposition", "folder"), [
    ("leave", "outbox"), ("move", "sent"), ("delete", "gone")])
def test_R63_disposition_of_the_sent_message(disposition: str, folder: str) -> None:
    config = Config(messages=1, recipients=2, transports=2, dispositions=(disposition,))
    runtime = submission(config, tight=False, **PLAIN)
    drive(runtime, "add-recipients", "submit")
    _deliver(runtime)
    drive(runtime, "finished-delivered")
    assert runtime.message(0).folder == folder


def test_R67_R68_abort_of_a_queued_message_makes_it_unsent_and_writable() -> None:
    runtime = spooled()
    # Success is one documented outcome; a messaging system may also refuse (R69).
    outcomes = {s.row for s in runtime.enabled() if s.row.startswith("abort")}
    assert outcomes == {"abort", "abort-refused"}
    assert drive(runtime, "abort") == [S_OK]
    message = runtime.message(0)
    assert message.phase == "saved" and not message.in_queue
    assert not message.flags & MSGFLAG_SUBMIT and message.flags & MSGFLAG_UNSENT
    assert runtime.call("IMsgStore::OpenEntry", 0, flags="MAPI_MODIFY").result == S_OK


def test_R67_abort_after_delivery_is_not_in_queue() -> None:
    runtime = spooled()
    _deliver(runtime)
    drive(runtime, "finished-delivered")
    assert runtime.call("IMsgStore::AbortSubmit", 0).result == "MAPI_E_NOT_IN_QUEUE"


@pytest.mark.parametrize(("reading", "code"), [
    ("not_in_queue", "MAPI_E_NOT_IN_QUEUE"), ("unable_to_abort", "MAPI_E_UNABLE_TO_ABORT")])
def test_R67_abort_during_a_direct_send_follows_the_named_parameter(reading: str,
                                                                    code: str) -> None:
    config = Config(messages=1, recipients=2, transports=2,
                    conflicts=Conflicts(abort_during_direct_send=reading))
    runtime = submission(config, tight=True, **PLAIN)
    drive(runtime, "add-recipients", "submit")
    assert runtime.call("IMsgStore::AbortSubmit", 0).result == code


def test_R72_deferred_message_waits_for_its_send_time() -> None:
    runtime = submission(ONE, tight=False, **{**PLAIN, "deferred_send": True})
    drive(runtime, "add-recipients", "submit")
    # queued inside SubmitMessage, but held until its send time (R72)
    assert runtime.message(0).phase == "deferred" and runtime.message(0).in_queue
    assert "lock" not in rows_enabled(runtime)
    drive(runtime, "send-time-reached")
    assert runtime.message(0).phase == "spooled"


@pytest.mark.parametrize("reading", ["refused", "forbidden"])
def test_R10_R16_a_second_submit_follows_the_named_parameter(reading: str) -> None:
    config = Config(messages=1, recipients=2, transports=2,
                    conflicts=Conflicts(resubmit=reading))
    runtime = submission(config, tight=False, **PLAIN)
    drive(runtime, "add-recipients", "submit")
    before = runtime.world
    if reading == "refused":
        result = runtime.call("IMessage::SubmitMessage", 0)
        assert result.result == "MAPI_E_NO_ACCESS" and "R16" in result.rules
        assert runtime.world == before
    else:
        with pytest.raises(CallNotAllowed):
            runtime.call("IMessage::SubmitMessage", 0)


def test_R16_a_second_sessions_submit_loses_the_test_and_set() -> None:
    runtime = spooled()
    before = runtime.world
    assert drive(runtime, "other-submit-refused") == ["MAPI_E_NO_ACCESS"]
    assert runtime.world == before
    drive(runtime, "lock")
    assert "other-submit-refused" in rows_enabled(runtime)
    # before the first submit there is nothing for the test-and-set to find
    fresh = submission(ONE, tight=False, **PLAIN)
    drive(fresh, "add-recipients")
    assert "other-submit-refused" not in rows_enabled(fresh)


def test_R58_R59_the_tight_pair_reports_a_recipient_its_transport_fails() -> None:
    runtime = submission(ONE, tight=True, address_types=("EX", "EX"), **PLAIN)
    drive(runtime, "add-recipients", "submit")
    assert runtime.message(0).phase == "direct_sending"
    drive(runtime, ("tight-fail-recipient", 0, 1), ("tight-transmit", 0, 0))
    recipient = runtime.message(0).recipients[1]
    assert (recipient.resp, recipient.outcome, recipient.transmissions) == (True, "ndr", 0)
    assert {"tight-finish-partial", "tight-complete"} <= rows_enabled(runtime)
    assert "tight-finish" not in rows_enabled(runtime)
    drive(runtime, "tight-complete", "completed-partial")
    assert runtime.message(0).phase == "partially_delivered"


def test_R47_any_error_after_a_critical_error_is_the_critical_return() -> None:
    critical_return = ROWS_BY_NAME["xp-critical-return"]
    assert critical_return.answers_with("MAPI_E_CALL_FAILED")
    assert critical_return.answers_with("MAPI_E_NETWORK_ERROR")
    assert not critical_return.answers_with(S_OK)
    busy = ROWS_BY_NAME["xp-busy"]
    assert busy.answers_with("MAPI_E_BUSY") and not busy.answers_with("MAPI_E_NETWORK_ERROR")


@pytest.mark.parametrize("reading, ndr", [("reroute", True), ("wait", False)])
def test_R56_a_critical_transports_recipients_follow_the_named_parameter(
        reading: str, ndr: bool) -> None:
    config = Config(messages=1, recipients=1, transports=1, setbacks=1,
                    conflicts=Conflicts(after_critical=reading))
    runtime = submission(config, tight=False, **PLAIN)
    drive(runtime, "add-recipients", "submit", "lock", ("present", 0, 0), "xp-critical",
          "xp-critical-return")
    assert runtime.world.transports == ("critical",)
    assert ("spooler-ndr" in rows_enabled(runtime)) is ndr
    drive(runtime, ("transport-recovers", -1, 0))
    assert "present" in rows_enabled(runtime) and "spooler-ndr" not in rows_enabled(runtime)


@pytest.mark.parametrize("reading, sent_rows", [("skip", {2}), ("transmit", {0, 1})])
def test_R74_R75_a_resend_shows_every_recipient_and_sends_per_the_named_parameter(
        reading: str, sent_rows: set[int]) -> None:
    config = Config(messages=1, recipients=2, transports=1,
                    conflicts=Conflicts(resend_submitted_rows=reading))
    runtime = submission(config, tight=False, address_types=("EX", "EX"),
                         **{**PLAIN, "resend": True})
    # a MAPI_SUBMITTED row per original recipient, a MAPI_P1 copy of the failed one
    assert len(runtime.message(0).recipients) == 3
    drive(runtime, "add-recipients", "submit", "lock", ("present", 0, 0))
    _transmit_all(runtime)
    sent = {i for i, r in enumerate(runtime.message(0).recipients) if r.transmissions}
    assert sent == sent_rows


def test_R43_the_profiles_transport_order_decides_among_transports_of_a_type() -> None:
    config = Config(messages=1, recipients=1, transports=2, address_mixes=("servable",),
                    serves=(("EX",), ("EX",)), setbacks=1)
    runtime = submission(config, tight=False, **PLAIN)
    drive(runtime, "add-recipients", "submit", "lock")
    assert {s.arg for s in runtime.enabled() if s.row == "present"} == {0}
    # the first is no longer available: the next of the type comes first now (R56 reroute)
    drive(runtime, ("present", 0, 0), "xp-critical", "xp-critical-return")
    assert {s.arg for s in runtime.enabled() if s.row == "present"} == {1}


@pytest.mark.parametrize("reading, phase", [("ignore", "direct_sending"), ("honour", "deferred")])
def test_R71_R72_the_tight_pairs_send_time_follows_the_named_parameter(reading: str,
                                                                        phase: str) -> None:
    config = Config(messages=1, recipients=1, transports=1,
                    conflicts=Conflicts(tight_pair_send_time=reading))
    runtime = submission(config, tight=True, address_types=("EX",),
                         **{**PLAIN, "deferred_send": True})
    drive(runtime, "add-recipients", "submit")
    assert runtime.message(0).phase == phase
    if reading == "honour":
        drive(runtime, "send-time-reached")
        assert runtime.message(0).phase == "direct_sending"


def test_R8_R9_a_store_with_limits_refuses_a_submit_with_an_error_of_its_own() -> None:
    refusal = ROWS_BY_NAME["submit-refused-by-store"]
    assert refusal.answers_with("MAPI_E_STORE_FULL") and refusal.answers_with("ecQuotaExceeded")
    limited = Config(messages=1, recipients=1, transports=1,
                     features=Features(store_refusals=True))
    runtime = submission(limited, tight=False, **PLAIN)
    drive(runtime, "add-recipients")
    before = runtime.world
    assert drive(runtime, "submit-refused-by-store") == ["MAPI_E_STORE_FULL"]
    assert runtime.world == before  # no submission side effect, the message still usable
    assert "submit" in rows_enabled(runtime)
    plain = submission(Config(messages=1, recipients=1, transports=1), tight=False, **PLAIN)
    drive(plain, "add-recipients")
    assert "submit-refused-by-store" not in rows_enabled(plain)


@pytest.mark.parametrize("reading, locked_in_retry, locked_when_deferred", [
    ("hold", True, True), ("release", False, False), ("release_when_deferred", True, False)])
def test_R47_R52_R55_the_lock_while_waiting_follows_the_named_parameter(
        reading: str, locked_in_retry: bool, locked_when_deferred: bool) -> None:
    config = Config(messages=1, recipients=1, transports=1, setbacks=2,
                    conflicts=Conflicts(lock_during_retry=reading))
    retried = submission(config, tight=False, address_types=("EX",), **PLAIN)
    drive(retried, "add-recipients", "submit", "lock", ("present", 0, 0), "xp-busy")
    assert (retried.message(0).lock_holders > 0) is locked_in_retry
    assert ("unlock-for-retry" in rows_enabled(retried)) is not locked_in_retry
    deferred = submission(config, tight=False, address_types=("EX",), **PLAIN)
    drive(deferred, "add-recipients", "submit", "lock", ("present", 0, 0), "xp-ok-not-sent",
          "end-dont-resend")
    assert deferred.message(0).phase == "transport_deferred"
    assert (deferred.message(0).lock_holders > 0) is locked_when_deferred
    assert ("abort" in rows_enabled(deferred)) is not locked_when_deferred


def test_R45_a_flush_reaches_every_ready_transport_and_changes_no_outcome() -> None:
    runtime = spooled()
    before = runtime.world
    assert {s.arg for s in runtime.enabled() if s.row == "flush-queues"} == {0, 1}
    drive(runtime, ("flush-queues", -1, 0), ("flush-queues", -1, 1))
    assert runtime.world == before
