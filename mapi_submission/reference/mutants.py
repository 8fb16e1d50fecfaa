"""Mutants of the reference system: each reproduces a bug class real MAPI stores, spoolers or
transports have shipped, names the rule it breaks, and must be caught by the conformance
harness (``mapi-submission mutants`` prints which technique catches which)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mapi_submission.harness.adapter import NOT_DUE
from mapi_submission.model.constants import (
    MAPI_E_NETWORK_ERROR,
    MAPI_E_OBJECT_CHANGED,
    MAPI_E_WAIT,
    MSGFLAG_SUBMIT,
    MSGFLAG_UNSENT,
    OUTBOX,
    S_OK,
)

from .store import ReferenceSystem, StoredMessage


class LocationOnlyRouting(ReferenceSystem):
    """R19 (seed): the tightly coupled store decides from the folder alone; a message
    submitted outside the Outbox always goes to the spooler."""

    def _tight_pair_routes(self, message: StoredMessage) -> bool:
        return self.tight and message.folder == OUTBOX


class DownloadInFlight(ReferenceSystem):
    """R20: the tight transport asks the spooler to download a message it is already
    sending (SpoolerNotify NOTIFY_READYTOSEND after its first transmission), so the spooler
    may pull it and transmit the same recipients again."""

    def tight_transmit(self, m: int, recipient: int) -> str:
        result = super().tight_transmit(m, recipient)
        if result == S_OK:
            self._enqueue(m)
        return result


class AbortIgnoresLock(ReferenceSystem):
    """R41 (Kopano's server-side abortSubmit): AbortSubmit removes a message from the queue
    without consulting the lock manager, even while the spooler holds the lock."""

    def abort_submit(self, m: int) -> str:
        message = self.messages[m]
        if m in self.queue and message.lock_holders and not message.in_direct_send:
            self._abort(m)
            return S_OK
        return super().abort_submit(m)


class LockNotExclusive(ReferenceSystem):
    """R81 (Gromox's no-op lstLock): SetLockState(MSG_LOCKED) succeeds for a second caller
    while the lock is held."""

    def spooler_lock(self, m: int) -> str:
        message = self.messages[m]
        if message.lock_holders:
            message.lock_holders += 1
            return S_OK
        return super().spooler_lock(m)


#: The results R47 calls a temporary problem, answered by a retry after a delay.
TEMPORARY_ERRORS = frozenset({MAPI_E_NETWORK_ERROR, MAPI_E_WAIT})


class ErrorDropsSavedProgress(ReferenceSystem):
    """R48: after a temporary error (MAPI_E_NETWORK_ERROR or MAPI_E_WAIT, R47) the spooler
    throws away the recipient progress the transport saved before returning, so the
    recipients already sent are sent again on the retry (duplicate delivery)."""

    def transport_returns(self, m: int, code: str) -> str:
        message = self.messages[m]
        transport = message.transport
        result = super().transport_returns(m, code)
        if result == S_OK and code in TEMPORARY_ERRORS and transport >= 0:
            for row in message.recipients:
                if self._serves(transport, row.address_type) and row.outcome in ("sent", "ndr"):
                    row.responsible, row.outcome = False, "pending"
        return result


class FinishedKeepsSubmitFlag(ReferenceSystem):
    """R62, R65: FinishedMsg unlocks and dequeues the message but leaves MSGFLAG_SUBMIT set, so
    the finished message still looks submitted (cannot be deleted or edited)."""

    def _finish(self, m: int) -> None:
        super()._finish(m)
        self.messages[m].flags |= MSGFLAG_SUBMIT


class PreprocessResubmitIsNew(ReferenceSystem):
    """R34: the spooler's second SubmitMessage, which ends the preprocessing round trip, is
    treated as a new submission: the message is unlocked and queued again at the end, as if
    the client had just submitted it."""

    def spooler_submit_after_preprocess(self, m: int) -> str:
        message = self.messages[m]
        if message.status != "preprocessing" or not message.preprocessed:
            return NOT_DUE
        message.preprocess_flag = False
        message.lock_holders = 0
        self._dequeue(m)
        self._enqueue(m)
        message.status = "waiting"
        return S_OK


class NoNdrAfterDecline(ReferenceSystem):
    """R58: the spooler thinks a transport that answered MAPI_E_NOT_ME still accepts the
    recipient, so it never generates the NDR and the message never finishes."""

    def _some_transport_accepts(self, message: StoredMessage, recipient: int) -> bool:
        kind = message.recipients[recipient].address_type
        return any(state == "ready" and self._serves(t, kind)
                   for t, state in enumerate(self.transport_states))


class DeferredSentEarly(ReferenceSystem):
    """R72: the store ignores PR_DEFERRED_SEND_TIME and hands the message to the spooler at
    once, so it is sent before its time."""

    def _route(self, m: int) -> None:
        message = self.messages[m]
        passed = message.send_time_passed
        message.send_time_passed = True
        super()._route(m)
        message.send_time_passed = passed


class DeleteSubmitted(ReferenceSystem):
    """R30: DeleteMessages removes a submitted message instead of failing with
    ecNoDelSubmitMsg."""

    def delete_message(self, m: int) -> str:
        message = self.messages[m]
        if message.flags & MSGFLAG_SUBMIT:
            self._dequeue(m)
            message.lock_holders = 0
            message.in_direct_send = False
            message.status = "deleted"
            return S_OK
        return super().delete_message(m)


class ErrorKeepsUnsavedProgress(ReferenceSystem):
    """R48: when the transport returns an error, the spooler saves the message with the
    transport's changes although the transport never saved them, so a recipient it marked but
    did not hand on stays PR_RESPONSIBILITY TRUE and is never sent."""

    def _release_without_saving(self, message: StoredMessage) -> None:
        message.unsaved_marks.clear()


class AbortLeavesQueued(ReferenceSystem):
    """R68: AbortSubmit clears MSGFLAG_SUBMIT but forgets the outgoing-queue entry, so the
    spooler can still pick up the aborted message."""

    def _abort(self, m: int) -> None:
        super()._abort(m)
        self._enqueue(m)


class RetryResendsEveryone(ReferenceSystem):
    """R48, R49: when the retry delay after a transport setback elapses, the spooler rebuilds
    the recipient list from the original submission and forgets which recipients the
    transport already took (PR_RESPONSIBILITY back to FALSE), so the retry transmits them a
    second time."""

    def retry_elapsed(self, m: int) -> str:
        result = super().retry_elapsed(m)
        if result == S_OK:
            for row in self.messages[m].recipients:
                if row.outcome == "sent":
                    row.responsible, row.outcome = False, "pending"
        return result


class LockIgnoresQueue(ReferenceSystem):
    """R81, R67, R68: SetLockState(MSG_LOCKED) checks only that nobody else holds the lock,
    not that the message is still in the outgoing queue, so a spooler that read the queue
    before the client's AbortSubmit locks the aborted message (and one the tight pair is
    sending, or one already finished)."""

    def spooler_lock(self, m: int) -> str:
        message = self.messages[m]
        if not message.lock_holders and m not in self.queue:
            message.lock_holders = 1
            return S_OK
        return super().spooler_lock(m)


class TightPairDropsFailedRecipient(ReferenceSystem):
    """R58, R59: when the tightly coupled transport fails a recipient on the direct path, the
    pair marks it PR_RESPONSIBILITY TRUE as handled but never calls StatusRecips, so the
    recipient silently gets nothing and the sender no NDR."""

    def tight_fail_recipient(self, m: int, recipient: int) -> str:
        result = super().tight_fail_recipient(m, recipient)
        if result == S_OK:
            self.messages[m].recipients[recipient].outcome = "sent"  # no NDR
        return result


class ResendTransmitsDisplayRows(ReferenceSystem):
    """R74, R75: on a resend the store clears PR_RESPONSIBILITY on the MAPI_SUBMITTED rows as
    well as on the MAPI_P1 copies, so the display rows are transmitted too: the recipient
    that already received the original gets it again, and each failed one gets two copies."""

    def _mark(self, message: StoredMessage) -> None:
        super()._mark(message)
        for row in message.recipients:
            if row.resend_type:
                row.responsible, row.outcome = False, "pending"


class SubmitErrorStillQueues(ReferenceSystem):
    """R8: when the SaveChanges inside SubmitMessage fails (another handle committed first,
    MAPI_E_OBJECT_CHANGED), the store returns the error but has already marked and queued
    the message, so a submit the client was told failed is sent anyway."""

    def submit_message(self, m: int) -> str:
        message = self.messages[m]
        result = super().submit_message(m)
        if result == MAPI_E_OBJECT_CHANGED:
            self._mark(message)
            self._route(m)
        return result


class DoubleSubmit(ReferenceSystem):
    """R16: the store checks MSGFLAG_SUBMIT and then sets it in two steps instead of one
    atomic test-and-set, so a second session's SubmitMessage that raced the first also
    succeeds: a message nobody has taken yet is marked and routed a second time (every
    recipient open again), one the spooler or the tight pair is sending is sent on as if
    the second submit had been merged into it."""

    def other_handle_submit(self, m: int) -> str:
        message = self.messages[m]
        if not message.flags & MSGFLAG_SUBMIT:
            return super().other_handle_submit(m)
        if not message.lock_holders and not message.in_direct_send:
            self._dequeue(m)
            self._mark(message)
            self._route(m)
        return S_OK


class LeftRecipientsCountedSent(ReferenceSystem):
    """R49, R51: the spooler reads EndMessage without flags as "every recipient handled" and
    marks the rows the transport left with PR_RESPONSIBILITY FALSE as sent, so no other
    transport is asked for them and their senders never get an NDR."""

    def end_message(self, m: int, flags: str) -> str:
        message = self.messages[m]
        left = (self._open_rows_for(message, message.transport)
                if message.status == "awaiting_end" and flags == "0" else [])
        result = super().end_message(m, flags)
        if result == S_OK:
            for index in left:
                row = message.recipients[index]
                row.responsible, row.outcome = True, "sent"
        return result


# ---- decision bugs: a component that takes a step its rules say is not due ---------------------
# A harness that only asks for the steps the model enables never offers these a chance to go
# wrong; they are caught by asking for the decisions the model does not enable
# (harness/decision_probes.py).


class OutOfOrderLock(ReferenceSystem):
    """R14, R39: the spooler's scan locks whichever queued message it reaches, not the oldest,
    so a later submission is sent before an earlier one nothing holds back."""

    def _held_back(self, m: int) -> bool:
        return False


class CriticalTransportPresented(ReferenceSystem):
    """R43, R56: the spooler presents messages to a transport that reported
    NOTIFY_CRITICAL_ERROR, or to one that declined this message with MAPI_E_NOT_ME, as if
    every registered transport were ready."""

    def present(self, m: int, transport: int) -> str:
        message = self.messages[m]
        if (message.status == "locked" and self._open_rows_for(message, transport)
                and (self.transport_states[transport] != "ready"
                     or transport in message.declined)):
            message.transport = transport
            message.call_touched_recipients = False
            message.status = "in_transport"
            return S_OK
        return super().present(m, transport)


class EarlyNdr(ReferenceSystem):
    """R43, R58: the spooler generates an NDR for a recipient as soon as the first transport
    it tried cannot take it, although another ready transport registered its address type."""

    def spooler_ndr(self, m: int, recipient: int) -> str:
        message = self.messages[m]
        row = message.recipients[recipient]
        if message.status == "locked" and row.outcome == "pending" and not row.responsible:
            row.outcome = "ndr"
            return S_OK
        return super().spooler_ndr(m, recipient)


class FinishWithPendingRecipients(ReferenceSystem):
    """R58, R62: the spooler calls FinishedMsg as soon as the transports are done, with
    recipients no transport took and no NDR reported: they silently get nothing."""

    def finished_msg(self, m: int) -> str:
        message = self.messages[m]
        if (message.status in ("locked", "completing") and not self._owes_completion(message)
                and any(r.outcome == "pending" for r in message.recipients)):
            self._finish(m)
            message.status = self._outcome(message)
            return S_OK
        return super().finished_msg(m)


class PairFinishesAloneAfterPreprocessing(ReferenceSystem):
    """R34, R37: after the spooler's SubmitMessage ends preprocessing and the tight pair has
    sent the message, the pair files it itself instead of handing it back with CompleteMsg,
    so the spooler, which still holds its lock, never finishes it."""

    def tight_finish(self, m: int) -> str:
        message = self.messages[m]
        if self._owes_completion(message):
            message.flags &= ~(MSGFLAG_SUBMIT | MSGFLAG_UNSENT)
            message.folder = self._finished_folder(message)
            message.status = self._outcome(message)
            return S_OK
        return super().tight_finish(m)


class DownloadGrantedInFlight(ReferenceSystem):
    """R20: the tight transport asks the spooler to download a message it is still sending
    (SpoolerNotify NOTIFY_READYTOSEND) and the message is queued for the spooler while the
    pair goes on sending it."""

    def tight_request_download(self, m: int) -> str:
        if self.messages[m].in_direct_send:
            self._enqueue(m)
            return S_OK
        return super().tight_request_download(m)


class RepullInFlight(ReferenceSystem):
    """R20 (the seed page's bug): the spooler's pick-up scan, run at every spooler step, also
    takes a message the tight pair is sending: it queues and locks it, so the spooler can
    present it to a transport and its recipients go out twice."""

    def _scan(self) -> None:
        for index, message in enumerate(self.messages):
            if message.in_direct_send and not message.lock_holders:
                self._enqueue(index)
                message.lock_holders = 1

    def spooler_lock(self, m: int) -> str:
        self._scan()
        return super().spooler_lock(m)

    def present(self, m: int, transport: int) -> str:
        self._scan()
        return super().present(m, transport)

    def spooler_ndr(self, m: int, recipient: int) -> str:
        self._scan()
        return super().spooler_ndr(m, recipient)

    def finished_msg(self, m: int) -> str:
        self._scan()
        return super().finished_msg(m)


class RepullInFlightWhileFinishing(RepullInFlight):
    """R20 (the seed page's bug, the form that hides): the pick-up scan that takes a message
    the tight pair is sending runs only when the spooler has just finished another message,
    so it fires only when a spooler-sent message ends while a directly sent one is on the
    wire."""

    def spooler_lock(self, m: int) -> str:
        return ReferenceSystem.spooler_lock(self, m)

    def present(self, m: int, transport: int) -> str:
        return ReferenceSystem.present(self, m, transport)

    def spooler_ndr(self, m: int, recipient: int) -> str:
        return ReferenceSystem.spooler_ndr(self, m, recipient)

    def finished_msg(self, m: int) -> str:
        result = ReferenceSystem.finished_msg(self, m)
        if result == S_OK:
            self._scan()
        return result


class YesMan(OutOfOrderLock, CriticalTransportPresented, EarlyNdr, FinishWithPendingRecipients,
             PairFinishesAloneAfterPreprocessing, DownloadGrantedInFlight):
    """R14, R20, R34, R39, R43, R56, R58, R62: every decision wrong whenever asked: locks out
    of order, presents to critical and declining transports, NDRs early, finishes with
    recipients pending, lets the pair finish alone after preprocessing and grants the pair's
    download of a message in flight."""


@dataclass(frozen=True)
class Mutant:
    name: str
    rules: tuple[str, ...]
    kind: type[ReferenceSystem]
    #: technique of the kill matrix -> why the mutant is known to escape it
    escapes: Mapping[str, str] = field(default_factory=dict)

    @property
    def description(self) -> str:
        return " ".join((self.kind.__doc__ or "").split())

    def build(self) -> ReferenceSystem:
        return self.kind()


#: Why a store bug in answering the spooler's lock requests escapes a system whose own
#: spooler makes them: the bug shows only when someone asks for a lock of a message that is
#: locked already, or not in the queue, and the system's spooler never asks for one (it
#: locks what GetOutgoingQueue lists and it does not hold). A steering harness asks.
OWN_SPOOLER_ASKS_ONLY_DUE_LOCKS = (
    "the system's own spooler never asks the store to lock a message it holds or one not in "
    "the outgoing queue, the only requests the store answers wrongly; a steered run asks")

MUTANTS: dict[str, Mutant] = {
    mutant.name: mutant
    for mutant in (
        Mutant("location-only-routing", ("R19",), LocationOnlyRouting),
        Mutant("download-in-flight", ("R20",), DownloadInFlight),
        Mutant("abort-ignores-lock", ("R41",), AbortIgnoresLock),
        Mutant("lock-not-exclusive", ("R81",), LockNotExclusive, {
            "autonomous": OWN_SPOOLER_ASKS_ONLY_DUE_LOCKS}),
        Mutant("lock-ignores-queue", ("R67", "R68", "R81"), LockIgnoresQueue, {
            "autonomous": OWN_SPOOLER_ASKS_ONLY_DUE_LOCKS}),
        Mutant("error-drops-saved-progress", ("R48",), ErrorDropsSavedProgress),
        Mutant("error-keeps-unsaved-progress", ("R48",), ErrorKeepsUnsavedProgress),
        Mutant("finished-keeps-submit-flag", ("R62", "R65"), FinishedKeepsSubmitFlag),
        Mutant("preprocess-resubmit-is-new", ("R34",), PreprocessResubmitIsNew),
        Mutant("no-ndr-after-decline", ("R58",), NoNdrAfterDecline),
        Mutant("deferred-sent-early", ("R72",), DeferredSentEarly),
        Mutant("delete-submitted", ("R30",), DeleteSubmitted),
        Mutant("abort-leaves-queued", ("R68",), AbortLeavesQueued),
        Mutant("submit-error-still-queues", ("R8",), SubmitErrorStillQueues),
        Mutant("resend-transmits-display-rows", ("R74", "R75"), ResendTransmitsDisplayRows),
        Mutant("tight-drops-failed-recipient", ("R58", "R59"), TightPairDropsFailedRecipient),
        Mutant("double-submit", ("R16",), DoubleSubmit),
        Mutant("left-recipients-counted-sent", ("R49", "R51"), LeftRecipientsCountedSent),
        Mutant("out-of-order-lock", ("R14", "R39"), OutOfOrderLock),
        Mutant("critical-transport-presented", ("R43", "R56"), CriticalTransportPresented),
        Mutant("early-ndr", ("R43", "R58"), EarlyNdr),
        Mutant("finish-with-pending-recipients", ("R58", "R62"), FinishWithPendingRecipients),
        Mutant("pair-finishes-alone-after-preprocessing", ("R34", "R37"),
               PairFinishesAloneAfterPreprocessing, {
                   "logs": "a log of a case asks the pair only for the steps the case lists "
                           "and the decisions its refusal steps name; no case names the "
                           "pair's finish of a message the spooler holds, a state the finish "
                           "has no row from (case replay and the machine ask for it there)",
               }),
        Mutant("download-granted-in-flight", ("R20",), DownloadGrantedInFlight),
        Mutant("repull-in-flight", ("R20",), RepullInFlight),
        Mutant("repull-in-flight-while-finishing", ("R20",), RepullInFlightWhileFinishing),
        Mutant("yes-man", ("R14", "R20", "R34", "R39", "R43", "R56", "R58", "R62"), YesMan),
        Mutant("retry-resends-everyone", ("R48", "R49"), RetryResendsEveryone, {
            "logs": "the only case with a retry after progress (tour-011) asks on the way "
                    "for a copy of the submitted message the model lets the store refuse or "
                    "make; the reference makes it, and a log of blind calls stops there, "
                    "before the retry (case replay follows the branch the system takes)",
        }),
    )
}
