"""Each behaviour a correct store, spooler or transport shows, with the corpus logs that show it
done right (the validator accepts them) and done wrong (the validator names the line and the
rules): the behaviours the model had to learn to stop rejecting correct components. The logs'
verdicts themselves are judged by test_corpus.py; this checks that every behaviour has both
kinds, none of them a known gap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

LOGS = Path(__file__).resolve().parent / "logs"

#: behaviour -> (logs of a correct component, logs of a buggy one)
BEHAVIOURS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "a transport returns S_OK before transmitting every recipient (END_RESEND_NOW, "
    "END_RESEND_LATER, END_DONT_RESEND then NOTIFY_SENTDEFERRED; R51, R52)": (
        ("xp-resend-now", "xp-resend-later", "xp-dont-resend-sentdeferred",
         "xp-ok-unsent-ended-leaves-recipient"),
        ("xp-sentdeferred-without-deferral", "xp-leaves-recipient-finished-as-sent")),
    "a transport leaves a recipient for another; the serving relation is configuration "
    "(R43, R49)": (
        ("xp-leaves-recipient-next-transport", "serve-configured-relation-in-order",
         "xp-leaves-recipient-spooler-ndr"),
        ("xp-leaves-recipient-presented-again", "serve-transport-takes-unregistered-type",
         "xp-wrong-address-type")),
    "MAPI_E_WAIT with its retry delay (R47)": (
        ("xp-wait-then-retry-after-delay",),
        ("xp-wait-then-endmessage", "time-retry-before-delay")),
    "an error returned from the same IXPLogon::SubmitMessage after NOTIFY_CRITICAL_ERROR "
    "(R47, R56)": (
        ("xp-critical-return-other-error", "xp-critical-return-discards-unsaved-mark"),
        ("xp-critical-return-success", "xp-critical-return-keeps-unsaved-mark")),
    "the transport's own calls inside IXPLogon::SubmitMessage; what it did not save is lost "
    "on an error (R48, R57)": (
        ("nested-transport-marks-saves-reports-inside-submit",
         "nested-unsaved-mark-discarded-on-error", "xp-network-error-saved-progress"),
        ("nested-unsaved-mark-kept-every-step-logged", "nested-saved-mark-lost-on-error",
         "xp-network-error-duplicate-send")),
    "the spooler's SetLockState(MSG_UNLOCKED) (R38, R40, R80)": (
        ("lock-explicit-unlock-during-retry",),
        ("lock-explicit-unlock-while-holding", "end-lock-never-released")),
    "SetLockState on a message no longer queued returns MAPI_E_NOT_IN_QUEUE (R67, R68, R81)": (
        ("lock-after-abort-not-in-queue",),
        ("lock-after-abort-granted",)),
    "TransportNotify cancelling a transfer (R53, R55)": (
        ("cancel-notify-retry-same-transport", "cancel-notify-decline-next-transport",
         "abort-deferred-cancel-notify-after-abort"),
        ("cancel-notify-on-queued-message", "abort-deferred-notify-during-transfer")),
    "SpoolerYield (R54)": (
        ("nested-transport-yields-during-long-send", "cancel-yield-saved-recipient-kept-partial"),
        ("nested-transport-yields-after-end", "cancel-yield-transport-goes-on")),
    "FlushQueues (R45)": (
        ("xp-flush-queues-then-send",),
        ("xp-flush-queues-critical-transport",)),
    "the spooler's logoff and logon, a store restart that loses the locks (R29, R40, R55)": (
        ("restart-logoff-deferred-requeued", "restart-lock-lost-locked-again"),
        ("restart-logoff-deferred-then-sentdeferred", "restart-lock-lost-without-restart",
         "restart-transport-without-lock-again")),
    "OpenEntry with MAPI_BEST_ACCESS gives read-only access; a locked message gives "
    "MAPI_E_NO_ACCESS (R28, R29)": (
        ("access-best-access-read-only", "access-queued-read-only-locked-no-access"),
        ("access-queued-open-for-write", "access-locked-wrong-error",
         "access-best-access-locked-granted")),
    "SetProps on an open message, a handle kept open by KEEP_OPEN_READWRITE, a message still "
    "usable after a failed submit (R3, R9)": (
        ("compose-set-props-on-kept-open-handle", "compose-set-props-after-no-recipients"),
        ("compose-set-props-on-dead-handle",
         "compose-set-props-after-no-recipients-still-unaddressed")),
    "SubmitMessage failing without a submission side effect: its SaveChanges, PrepareSubmit, "
    "the store's own refusals (R3, R7, R8, R9, R12)": (
        ("submit-corrupt-data-then-resubmit", "submit-resend-prepare-fails-then-retry",
         "routing-store-quota-refusal", "routing-failed-save-then-force-save"),
        ("submit-corrupt-data-still-queued", "submit-resend-prepare-fails-still-queued",
         "routing-store-refusal-still-queued", "routing-failed-save-still-queued",
         "submit-unnamed-error-marks-submitted")),
    "resubmitting a submitted message (R10, R16)": (
        ("access-resubmit-refused",),
        ("access-resubmit-submitted", "access-resubmit-forbidden-reading")),
    "moving or copying a submitted message, emptying its folder (R30, R70)": (
        ("copy-submitted-keeps-submission", "move-submitted-refused",
         "move-submitted-aborts-first", "empty-folder-leaves-submitted"),
        ("copy-submitted-original-dequeued", "move-submitted-forbidden",
         "empty-folder-deletes-submitted", "empty-folder-aborts-queued")),
    "two sessions submit the same message: exactly one succeeds (R4, R16)": (
        ("access-second-session-submit-refused",),
        ("access-second-session-submit-succeeds",)),
    "the tight pair fails a recipient on the direct path and it gets an NDR (R58, R59)": (
        ("tight-status-recips-ndr",),
        ("tight-failed-recipient-dropped",)),
    "a preprocessed message goes back to the tight pair and finishes through CompleteMsg "
    "(R17, R34, R37)": (
        ("pre-tight-complete-msg-after-preprocessing",
         "pre-tight-routes-again-after-preprocessing"),
        ("pre-tight-pair-finishes-alone", "pre-tight-finished-without-complete-msg",
         "pre-tight-leaves-own-recipient-after-preprocessing")),
    "every registered preprocessor runs once, in registration order (R33, R34)": (
        ("pre-two-preprocessors-in-order", "pre-two-preprocessors-unnamed"),
        ("pre-preprocessors-out-of-order", "pre-preprocessor-runs-twice",
         "pre-spooler-submit-before-every-preprocessor")),
    "a preprocessor marks a recipient undeliverable (R35)": (
        ("preprocess-undeliverable-ndr",),
        ("preprocess-undeliverable-still-sent",)),
    "a resend transmits only the MAPI_P1 rows (R74, R75)": (
        ("resend-skips-received", "resend-transmit-reading"),
        ("resend-transmits-display-row-of-failed", "resend-transmits-received")),
    "the outgoing queue is ordered by submission time (R14, R25, R73)": (
        ("queue-read-in-submission-order", "order-tight-pair-queues-in-submission-order",
         "long-deferred-queue-reads-nested-calls"),
        ("queue-read-deferred-out-of-order", "queue-read-tight-pair-late-message-behind-newer",
         "long-deferred-queue-read-misordered")),
    "the profile's transport order decides among transports of one address type (R43)": (
        ("serve-configured-relation-in-order",),
        ("serve-later-transport-first",)),
    "the spooler skips an oldest message waiting for an unavailable transport; a critical "
    "transport's recipients are re-routed or wait (R39, R56)": (
        ("order-skip-blocked-oldest-hold", "order-skip-blocked-oldest-release",
         "serve-next-transport-after-critical", "xp-critical-reroute-spooler-ndr"),
        ("order-skip-blocked-oldest-same-transport", "serve-next-transport-while-waiting",
         "xp-critical-wait-spooler-ndr")),
    "DeleteMessages on a draft open read/write returns MAPI_W_PARTIAL_COMPLETION (R30)": (
        ("delete-open-message-partial-then-submit",),
        ("delete-open-message-partial-but-gone", "delete-open-message-partial-state-deleted")),
    "the tight pair and PR_DEFERRED_SEND_TIME, both readings (R71, R72)": (
        ("time-tight-pair-holds-until-send-time", "time-tight-pair-send-time-ignored"),
        ("time-tight-pair-sends-before-send-time",)),
    "the lock held through a retry delay and released while a transport defers (R47, R52, "
    "R55)": (
        ("lock-released-while-deferred-then-abort", "lock-abort-during-released-retry"),
        ("lock-released-during-retry-delay-split",)),
    "AbortSubmit after CompleteMsg (R37, R67)": (
        ("pre-tight-abort-refused-after-complete-msg",),
        ("pre-tight-abort-succeeds-after-complete-msg",)),
    "FinishedMsg after CompleteMsg (R22, R62)": (
        ("tight-complete-msg-outbox", "routing-tight-inbox-complete-via-spooler"),
        ("tight-finished-without-completemsg", "pre-tight-filed-without-finished-msg")),
}


def _sidecar(name: str) -> dict[str, object]:
    path = LOGS / f"{name}.expect.json"
    assert path.is_file(), f"no corpus log {name}"
    data: dict[str, object] = json.loads(path.read_text())
    return data


@pytest.mark.parametrize("behaviour", sorted(BEHAVIOURS))
def test_each_behaviour_has_a_correct_and_a_buggy_log_the_validator_judges(
        behaviour: str) -> None:
    correct, buggy = BEHAVIOURS[behaviour]
    assert correct and buggy
    for names, verdict in ((correct, "conforms"), (buggy, "diverges")):
        for name in names:
            sidecar = _sidecar(name)
            assert sidecar["verdict"] == verdict, f"{name}: {sidecar['verdict']}"
            assert "known_gap" not in sidecar, f"{name} is a known gap"
