"""The transition table: the single source of truth.

One row per transition. The `transitions` runtime, the explorer, the diagrams and the
generators are all derived from these rows. Rows whose `result` is an error code change
nothing (`dest` is None): they state what a call returns where the documents forbid it.
`arg` says what a row ranges over besides the message: a recipient or a transport.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .actors import Actor
from .constants import (
    EC_NO_DEL_SUBMIT_MSG,
    MAPI_E_BUSY,
    MAPI_E_CALL_FAILED,
    MAPI_E_CANCEL,
    MAPI_E_CORRUPT_DATA,
    MAPI_E_NETWORK_ERROR,
    MAPI_E_NO_ACCESS,
    MAPI_E_NO_RECIPIENTS,
    MAPI_E_NO_SUPPORT,
    MAPI_E_NOT_IN_QUEUE,
    MAPI_E_NOT_ME,
    MAPI_E_OBJECT_CHANGED,
    MAPI_E_STORE_FULL,
    MAPI_E_SUBMITTED,
    MAPI_E_UNABLE_TO_ABORT,
    MAPI_E_USER_CANCEL,
    MAPI_E_WAIT,
    MAPI_W_CANCEL_MESSAGE,
    MAPI_W_PARTIAL_COMPLETION,
    S_OK,
)
from .states import ALWAYS_LOCKED, FINISHED_ORDER, IN_QUEUE, IN_SUBMISSION_ORDER, QUEUED_WAITING


class Kind(StrEnum):
    """What kind of step a row is; the harness, the validator, the log writer and the negative
    cases read this instead of guessing from the event's spelling."""

    #: A MAPI method one component calls on another (or the preprocessor entry point): a
    #: component's call log records it, the adapter makes it.
    CALL = "call"
    #: A step no MAPI call marks (a timer, the wire, a spooler decision): no log record; the
    #: harness asks the component to take it.
    INTERNAL = "internal"
    #: The store's routing decision, taken inside the step that put the message in its source
    #: state (SubmitMessage, or its send time being reached: R17, R26, R72): no log record and
    #: no adapter call of its own.
    INSIDE_CALL = "inside call"


#: A MAPI call as a caller makes it: who calls, which method, and the arguments that select
#: among its rows (flags, lock state). The rows answering one call share one key.
CallKey = tuple[Actor, str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class Row:
    name: str  # unique, stable id (used in cases, diagrams, coverage)
    event: str  # the MAPI method of a call, or a plain description of an internal step
    actor: Actor
    sources: tuple[str, ...]  # message states (transport states for machine="transport")
    dest: str | None  # None: the state does not change
    guards: tuple[str, ...]
    effect: str
    result: str  # S_OK or the MAPI error the call returns
    rules: tuple[str, ...]
    #: what the row ranges over besides the message: "recipient", "transport" or nothing
    ranges_over: str | None = None
    machine: str = "message"  # "message" or "transport"
    #: the call's arguments that select this row among the call's rows (flags, lock state)
    call_arguments: tuple[tuple[str, str], ...] = ()
    #: the recipient state change the row causes (from, to), if any
    recipient_change: tuple[str, str] | None = None
    kind: Kind = Kind.CALL
    #: for an internal step a component marks with a MAPI call of its own: that call's
    #: method, as its log names it (the transport's IMessage::ModifyRecipients setting
    #: PR_RESPONSIBILITY TRUE for the recipient it has handled, R49)
    logged_as: str | None = None
    #: the documents name no code for this error: any error a component returns is this row
    #: (`result` is the code the model's own runs and cases use)
    any_error: bool = False

    @property
    def is_error(self) -> bool:
        return self.result != S_OK

    def answers_with(self, code: str) -> bool:
        """Whether a call returning `code` took this row."""
        return code == self.result or (self.any_error and code != S_OK)

    @property
    def is_call(self) -> bool:
        return self.kind is Kind.CALL

    @property
    def call(self) -> CallKey:
        """The call this row answers (for an internal step: the step's own description)."""
        return (self.actor, self.event, self.call_arguments)

    @property
    def flags(self) -> str:
        """The call's flags argument as a log writes it ("0" when the row selects none)."""
        return dict(self.call_arguments).get("flags", "0")

    def target(self, message: int, arg: int) -> str:
        """What a step of this row acts on, as reports print it: "message 0, recipient 1",
        "message 0", "transport 1" (a transport-machine step), never an internal index."""
        over = f"{self.ranges_over} {arg}" if self.ranges_over and arg >= 0 else ""
        if message < 0:
            return over or "the transport"
        return f"message {message}, {over}" if over else f"message {message}"

    def fingerprint_data(self) -> list[Any]:
        """What the row does (`logged_as` left out: it names the step in a log, and a case
        replays the same whatever the log calls it; `any_error` only where set, so the other
        rows keep their fingerprints)."""
        data = [self.name, self.event, str(self.actor), list(self.sources), self.dest,
                list(self.guards), self.effect, self.result, list(self.rules), self.ranges_over,
                self.machine, [list(a) for a in self.call_arguments], str(self.kind)]
        return data + ["any error"] if self.any_error else data


CLIENT = Actor.CLIENT
OTHER_CLIENT = Actor.OTHER_CLIENT
STORE = Actor.STORE
TIGHT_PAIR = Actor.TIGHT_PAIR
SPOOLER = Actor.SPOOLER
PREPROCESSOR = Actor.PREPROCESSOR
TRANSPORT = Actor.TRANSPORT
INTERNAL = Kind.INTERNAL
INSIDE_CALL = Kind.INSIDE_CALL

TABLE: tuple[Row, ...] = (
    # ---- composition (client) ---------------------------------------------------------------
    Row("add-recipients", "IMessage::ModifyRecipients", CLIENT, ("draft",), "draft",
        ("has_no_recipient_rows",), "add_recipient_rows", S_OK, ("R9",)),
    Row("concurrent-commit", "IMAPIProp::SaveChanges (other handle)", OTHER_CLIENT,
        ("draft",), "draft", ("concurrent_edits_enabled",), "record_concurrent_commit", S_OK,
        ("R4",)),
    # R3: a handle SaveChanges kept open (KEEP_OPEN_READWRITE) may save again, and SetProps
    # on it makes the message a draft with uncommitted changes without reopening it; so does
    # SetProps after a submit that failed (R9: the message stays open and usable)
    Row("save", "IMAPIProp::SaveChanges", CLIENT, ("draft", "saved"), "saved",
        ("no_save_conflict",), "none", S_OK, ("R2", "R3")),
    Row("set-props", "IMessage::SetProps", CLIENT, ("draft", "saved"), "draft", (), "none",
        S_OK, ("R3", "R9")),
    Row("save-conflict", "IMAPIProp::SaveChanges", CLIENT, ("draft",), None,
        ("save_conflict",), "none", MAPI_E_OBJECT_CHANGED, ("R3", "R4")),
    Row("save-data-lost", "IMAPIProp::SaveChanges", CLIENT, ("draft",), None,
        ("in_composition", "store_refusals_enabled"), "none", MAPI_E_CORRUPT_DATA,
        ("R3", "R7")),
    Row("force-save", "IMAPIProp::SaveChanges", CLIENT, ("draft",), "saved",
        ("save_conflict",), "overwrite_concurrent_commit", S_OK, ("R3", "R4"),
        call_arguments=(("flags", "FORCE_SAVE"),)),
    Row("reopen", "IMsgStore::OpenEntry", CLIENT, ("saved",), "draft", (), "none", S_OK,
        ("R3", "R68"), call_arguments=(("flags", "MAPI_MODIFY"),)),
    Row("reopen-best-access", "IMsgStore::OpenEntry", CLIENT, ("saved",), "draft", (), "none",
        S_OK, ("R3", "R28"), call_arguments=(("flags", "MAPI_BEST_ACCESS"),)),
    Row("delete", "IMAPIFolder::DeleteMessages", CLIENT, ("draft", "saved"), "deleted", (),
        "none", S_OK, ("R30",)),
    # R30: DeleteMessages cannot delete a message open read/write. The model does not see a
    # client release its handle (IUnknown::Release is no MAPI call a log records), so in
    # composition both answers are legal: the delete above (every write handle released) and
    # this refusal (a handle, the client's own kept open by KEEP_OPEN_READWRITE or another
    # session's, still writes it). What a refusal may not do is delete the message.
    Row("delete-open-refused", "IMAPIFolder::DeleteMessages", CLIENT, ("draft", "saved"), None,
        ("in_composition",), "none", MAPI_W_PARTIAL_COMPLETION, ("R30",)),
    Row("submit-no-recipients", "IMessage::SubmitMessage", CLIENT, ("draft", "saved"), None,
        ("has_no_recipient_rows",), "none", MAPI_E_NO_RECIPIENTS, ("R9",)),
    Row("submit-save-fails", "IMessage::SubmitMessage", CLIENT, ("draft",), None,
        ("has_recipient_rows", "save_conflict"), "none", MAPI_E_OBJECT_CHANGED,
        ("R4", "R8")),
    # R7, R8: the internal save finds the data lost (a client/server store that lost its
    # connection): MAPI_E_CORRUPT_DATA, no submission side effect; the client writes its
    # properties again and saves (the content is not modelled, so the message stays as it
    # was). The same loss may meet a plain SaveChanges.
    Row("submit-data-lost", "IMessage::SubmitMessage", CLIENT, ("draft", "saved"), None,
        ("in_composition", "has_recipient_rows", "store_refusals_enabled"), "none",
        MAPI_E_CORRUPT_DATA, ("R7", "R8")),
    # R12 b: the store calls IMAPISupport::PrepareSubmit inside SubmitMessage (for a resend, or
    # for every message: conflicts.prepare_submit) and returns its errors (the documents name
    # none); nothing else of the submission has happened yet
    Row("submit-prepare-fails", "IMessage::SubmitMessage", CLIENT, ("draft", "saved"), None,
        ("in_composition", "has_recipient_rows", "no_save_conflict", "store_calls_prepare_submit"),
        "none", MAPI_E_CALL_FAILED, ("R8", "R12"), any_error=True),
    # R8, R9: the store refuses the submit by limits of its own (Gromox: quota, size, too many
    # recipients; Kopano: store full): an error, the message unchanged and still open
    Row("submit-refused-by-store", "IMessage::SubmitMessage", CLIENT, ("draft", "saved"), None,
        ("in_composition", "has_recipient_rows", "no_save_conflict", "store_refusals_enabled"),
        "none", MAPI_E_STORE_FULL, ("R8", "R9"), any_error=True),
    Row("submit", "IMessage::SubmitMessage", CLIENT, ("draft", "saved"), "submitted",
        ("has_recipient_rows", "no_save_conflict"), "save_and_mark", S_OK,
        ("R8", "R10", "R12", "R13", "R75"), recipient_change=("pending", "pending")),
    # R10, R16 (reference section 5, item 13): SubmitMessage on a message already inside a
    # submission. Under the "refused" reading the store's atomic test-and-set of
    # MSGFLAG_SUBMIT refuses it as Gromox does (ecAccessDenied, R9) and nothing changes; under
    # "forbidden" the client's handle is dead after its submit (R10), no row answers and any
    # record of the call diverges.
    Row("resubmit-refused", "IMessage::SubmitMessage", CLIENT, IN_SUBMISSION_ORDER, None,
        ("message_submitted", "resubmit_is_refused"), "none", MAPI_E_NO_ACCESS,
        ("R9", "R10", "R16")),
    # R16: a second session's handle, opened before the submit, calls SubmitMessage too: the
    # test-and-set lets exactly one of the two succeed, the other gets ecAccessDenied. (The
    # other handle winning is the same race with the sessions' names swapped.)
    Row("other-submit-refused", "IMessage::SubmitMessage (other handle)", OTHER_CLIENT,
        IN_SUBMISSION_ORDER, None, ("message_submitted", "second_handle_open"), "none",
        MAPI_E_NO_ACCESS, ("R4", "R16")),
    # ---- routing inside SubmitMessage (store) -------------------------------------------------
    Row("route-preprocess", "queue for preprocessing", STORE, ("submitted",),
        "preprocess_queued", ("needs_preprocessing", "send_time_due"),
        "enqueue_for_preprocessing", S_OK, ("R17", "R26", "R34"), kind=INSIDE_CALL),
    Row("route-defer", "queue until send time", STORE, ("submitted",), "deferred",
        ("send_time_in_future", "store_holds_until_send_time"), "enqueue_until_send_time", S_OK,
        ("R17", "R72"), kind=INSIDE_CALL),
    Row("route-spooler", "queue for spooler", STORE, ("submitted",), "spooled",
        ("no_preprocessing_needed", "store_routes_to_spooler", "send_time_due"),
        "enqueue_for_spooler", S_OK, ("R17", "R19", "R26"), kind=INSIDE_CALL),
    Row("route-direct", "send through tight pair", STORE, ("submitted",), "direct_sending",
        ("no_preprocessing_needed", "store_routes_to_tight_pair", "not_held_until_send_time",
         "store_sends_after_return"),
        "start_direct_send", S_OK, ("R17", "R19", "R20", "R71"), kind=INSIDE_CALL),
    Row("route-direct-finish", "send and finish through tight pair", STORE, ("submitted",),
        "delivered",
        ("no_preprocessing_needed", "store_routes_to_tight_pair", "not_held_until_send_time",
         "store_sends_before_return", "tight_pair_serves_every_recipient"),
        "send_and_finish_directly", S_OK, ("R17", "R19", "R20", "R21", "R63", "R71"),
        kind=INSIDE_CALL),
    Row("route-direct-partial", "send own recipients, queue the rest", STORE, ("submitted",),
        "spooled",
        ("no_preprocessing_needed", "store_routes_to_tight_pair", "not_held_until_send_time",
         "store_sends_before_return", "tight_pair_cannot_serve_every_recipient"),
        "send_own_and_queue_rest", S_OK, ("R17", "R19", "R20", "R23", "R26"),
        kind=INSIDE_CALL),
    Row("send-time-reached", "send time reached", STORE, ("deferred",), "submitted",
        (), "release_at_send_time", S_OK, ("R72",), kind=INTERNAL),
    # ---- tightly coupled store + transport --------------------------------------------------
    Row("tight-transmit", "transmit recipient (tight pair)", TIGHT_PAIR,
        ("direct_sending",), "direct_sending",
        ("in_flight_on_tight_transport", "recipient_for_tight_transport"), "tight_transmit",
        S_OK, ("R23", "R49"), ranges_over="recipient", recipient_change=("pending", "sent"),
        kind=INTERNAL),
    # R58, R59: the pair's transport fails a recipient conclusively on the direct path: it
    # sets PR_RESPONSIBILITY TRUE and calls StatusRecips, and MAPI builds the NDR, as a
    # transport under the spooler does
    Row("tight-fail-recipient", "IMAPISupport::StatusRecips", TIGHT_PAIR,
        ("direct_sending",), "direct_sending",
        ("in_flight_on_tight_transport", "transport_failures_enabled",
         "recipient_for_tight_transport"), "tight_fails_recipient", S_OK,
        ("R58", "R59", "R60"), ranges_over="recipient", recipient_change=("pending", "ndr")),
    Row("tight-request-download", "IMAPISupport::SpoolerNotify", TIGHT_PAIR,
        ("direct_sending",), "spooled", ("not_in_flight_on_tight_transport",),
        "enqueue_in_flight", S_OK, ("R20",), call_arguments=(("flags", "NOTIFY_READYTOSEND"),)),
    Row("tight-finish", "finish without spooler", TIGHT_PAIR, ("direct_sending",),
        "delivered",
        ("in_flight_on_tight_transport", "tight_recipients_settled",
         "tight_pair_serves_every_recipient", "not_preprocessed", "outcome_all_handed_off"),
        "finish_without_spooler", S_OK, ("R21", "R37", "R63"), kind=INTERNAL),
    Row("tight-finish-partial", "finish without spooler", TIGHT_PAIR, ("direct_sending",),
        "partially_delivered",
        ("in_flight_on_tight_transport", "tight_recipients_settled",
         "tight_pair_serves_every_recipient", "not_preprocessed", "outcome_partly_handed_off"),
        "finish_without_spooler", S_OK, ("R21", "R58", "R59", "R63"), kind=INTERNAL),
    Row("tight-finish-none", "finish without spooler", TIGHT_PAIR, ("direct_sending",),
        "non_delivered",
        ("in_flight_on_tight_transport", "tight_recipients_settled",
         "tight_pair_serves_every_recipient", "not_preprocessed", "outcome_none_handed_off"),
        "finish_without_spooler", S_OK, ("R21", "R58", "R59", "R63"), kind=INTERNAL),
    Row("tight-complete", "IMAPISupport::CompleteMsg", TIGHT_PAIR, ("direct_sending",),
        "completing",
        ("in_flight_on_tight_transport", "tight_recipients_settled",
         "tight_pair_serves_every_recipient"),
        "hand_completion_to_spooler", S_OK, ("R22", "R37")),
    # R34, R37: a preprocessed message routed on to a pair that serves every recipient was
    # sent inside the spooler's SubmitMessage; the pair hands it back with CompleteMsg and the
    # spooler, which kept its lock, finishes it
    Row("tight-complete-preprocessed", "IMAPISupport::CompleteMsg", TIGHT_PAIR, ("locked",),
        "completing", ("pair_owes_completion", "tight_recipients_settled"),
        "hand_completion_to_spooler", S_OK, ("R22", "R34", "R37")),
    Row("tight-queue-rest", "queue remaining recipients", TIGHT_PAIR, ("direct_sending",),
        "spooled",
        ("in_flight_on_tight_transport", "tight_recipients_settled",
         "tight_pair_cannot_serve_every_recipient"),
        "queue_remaining_recipients", S_OK, ("R23", "R26"), kind=INTERNAL),
    # ---- spooler: lock, preprocess -----------------------------------------------------------
    Row("lock-preprocess", "IMsgStore::SetLockState", SPOOLER, ("preprocess_queued",),
        "preprocessing", ("spooler_may_lock", "lock_is_free", "next_in_submission_order"),
        "take_lock", S_OK, ("R14", "R34", "R39", "R40"), call_arguments=(("lock", "MSG_LOCKED"),)),
    Row("preprocess", "PreprocessMessage", PREPROCESSOR, ("preprocessing",),
        "preprocessing", ("preprocessors_pending",), "run_preprocessors", S_OK,
        ("R33", "R34", "R35")),
    # R35: the preprocessors return a recipient they found undeliverable (StatusRecips
    # material): it gets an NDR and no transport is asked for it
    Row("preprocess-undeliverable", "PreprocessMessage", PREPROCESSOR, ("preprocessing",),
        "preprocessing", ("preprocessors_pending", "recipient_still_open"),
        "preprocessors_report_undeliverable", S_OK, ("R35", "R58"), ranges_over="recipient",
        recipient_change=("pending", "ndr")),
    Row("preprocess-done", "IMessage::SubmitMessage", SPOOLER, ("preprocessing",), "locked",
        ("preprocessors_ran",), "finish_preprocessing", S_OK, ("R34", "R37")),
    Row("lock", "IMsgStore::SetLockState", SPOOLER, ("spooled",), "locked",
        ("spooler_may_lock", "lock_is_free", "next_in_submission_order"), "take_lock", S_OK,
        ("R14", "R20", "R38", "R39", "R40"), call_arguments=(("lock", "MSG_LOCKED"),)),
    Row("lock-again", "IMsgStore::SetLockState", SPOOLER, ALWAYS_LOCKED, None,
        ("lock_is_free",), "take_lock", S_OK, ("R81",), call_arguments=(("lock", "MSG_LOCKED"),)),
    Row("lock-refused", "IMsgStore::SetLockState", SPOOLER, ALWAYS_LOCKED, None,
        ("lock_is_held",), "none", MAPI_E_NOT_IN_QUEUE, ("R41", "R81"),
        call_arguments=(("lock", "MSG_LOCKED"),)),
    # The spooler read the queue, then the client's AbortSubmit (or the message's end) took the
    # message out before the spooler's SetLockState: the store answers that it is not queued
    # (R81), and nothing changes. A message the tight pair is sending is not queued either
    # (R20).
    Row("lock-not-queued", "IMsgStore::SetLockState", SPOOLER,
        ("draft", "saved", "direct_sending", *FINISHED_ORDER), None,
        ("not_in_outgoing_queue",), "none", MAPI_E_NOT_IN_QUEUE, ("R20", "R67", "R68", "R81"),
        call_arguments=(("lock", "MSG_LOCKED"),)),
    # ---- spooler <-> transport ----------------------------------------------------------------
    Row("present", "present to transport", SPOOLER, ("locked",), "in_transport",
        ("transport_ready", "transport_not_declined", "transport_has_recipients",
         "first_in_transport_order"),
        "present_to_transport", S_OK, ("R38", "R43", "R44", "R46"), ranges_over="transport",
        kind=INTERNAL),
    Row("transmit", "transmit recipient", TRANSPORT, ("in_transport",), "in_transport",
        ("recipient_for_this_transport",), "transport_transmit", S_OK, ("R49", "R57"),
        ranges_over="recipient", recipient_change=("pending", "sent"), kind=INTERNAL,
        logged_as="IMessage::ModifyRecipients"),
    Row("fail-recipient", "IMAPISupport::StatusRecips", TRANSPORT, ("in_transport",),
        "in_transport", ("transport_failures_enabled", "recipient_for_this_transport"),
        "transport_fails_recipient", S_OK, ("R58", "R59", "R60"), ranges_over="recipient",
        recipient_change=("pending", "ndr")),
    Row("xp-save", "save transport changes", TRANSPORT,
        ("in_transport", "cancelling", "awaiting_end"), None,
        (), "save_transport_changes", S_OK, ("R46", "R48"), kind=INTERNAL,
        logged_as="IMAPIProp::SaveChanges"),
    # R54: a transport doing long work inside IXPLogon::SubmitMessage yields to the spooler;
    # S_OK lets it go on and changes nothing; MAPI_W_CANCEL_MESSAGE says the spooler decided
    # the message is no longer to be sent: the transport stops handing recipients on
    Row("xp-yield", "IMAPISupport::SpoolerYield", TRANSPORT, ("in_transport",), None, (),
        "none", S_OK, ("R54",)),
    Row("xp-yield-cancelled", "IMAPISupport::SpoolerYield", TRANSPORT, ("in_transport",),
        "cancelling", ("transport_failures_enabled", "setback_available"), "request_cancel",
        MAPI_W_CANCEL_MESSAGE, ("R54",)),
    # R53: the spooler cancels the transfer, from another thread while the transport's
    # SubmitMessage or EndMessage runs; the transport returns as soon as it can. During
    # EndMessage the message is already back with the spooler's decision to make: nothing
    # the model tracks changes.
    Row("cancel-transfer", "IXPLogon::TransportNotify", SPOOLER, ("in_transport",),
        "cancelling", ("transport_failures_enabled", "setback_available"), "request_cancel",
        S_OK, ("R53",), call_arguments=(("flags", "NOTIFY_CANCEL_MESSAGE"),)),
    Row("cancel-at-end", "IXPLogon::TransportNotify", SPOOLER, ("awaiting_end",), None,
        (), "none", S_OK, ("R53",), call_arguments=(("flags", "NOTIFY_CANCEL_MESSAGE"),)),
    # R55: the spooler tells the transport that a message it deferred is cancelled: after the
    # client's AbortSubmit of it (NOTIFY_ABORT_DEFERRED with NOTIFY_CANCEL_MESSAGE; the
    # message is saved again by then), or at logoff while it is still deferred (the flag
    # alone; it stays queued for the next session). The model does not remember that a saved
    # message was deferred, so it takes the call on any saved message.
    Row("abort-deferred-notified", "IXPLogon::TransportNotify", SPOOLER,
        ("saved", "transport_deferred"), None, (), "none", S_OK, ("R55",),
        call_arguments=(("flags", "NOTIFY_ABORT_DEFERRED"),)),
    # R53, R54: the transport told to stop returns MAPI_E_USER_CANCEL (what the spooler does
    # next is undocumented, as after MAPI_E_CANCEL: conflicts.after_cancel), or S_OK when it
    # had handed on every recipient of its own already
    Row("xp-user-cancel-retry", "IXPLogon::SubmitMessage", TRANSPORT, ("cancelling",),
        "retry_wait", ("cancel_means_retry",), "wait_after_cancel", MAPI_E_USER_CANCEL,
        ("R47", "R48", "R53", "R54")),
    Row("xp-user-cancel-decline", "IXPLogon::SubmitMessage", TRANSPORT, ("cancelling",),
        "locked", ("cancel_means_decline",), "decline_after_cancel", MAPI_E_USER_CANCEL,
        ("R47", "R48", "R53", "R54")),
    Row("xp-ok", "IXPLogon::SubmitMessage", TRANSPORT, ("in_transport", "cancelling"),
        "awaiting_end",
        ("transport_settled_its_recipients",), "save_transport_changes", S_OK,
        ("R47", "R48", "R49")),
    Row("xp-ok-not-sent", "IXPLogon::SubmitMessage", TRANSPORT, ("in_transport",),
        "awaiting_end", ("deferral_enabled", "setback_available", "transport_left_recipients_open"),
        "not_sending_now", S_OK, ("R47", "R51")),
    # R49: the transport returns S_OK leaving recipients of its types with PR_RESPONSIBILITY
    # FALSE (it cannot or should not handle them); after EndMessage the spooler looks for
    # another transport (R43) or reports them (R58)
    Row("xp-ok-leaves-recipients", "IXPLogon::SubmitMessage", TRANSPORT, ("in_transport",),
        "awaiting_end", ("setback_available", "transport_left_recipients_open"),
        "leave_recipients_to_others", S_OK,
        ("R43", "R47", "R49")),
    Row("xp-busy", "IXPLogon::SubmitMessage", TRANSPORT, ("in_transport",), "retry_wait",
        ("transport_failures_enabled", "setback_available", "nothing_processed_in_call"),
        "wait_after_error", MAPI_E_BUSY, ("R47",)),
    Row("xp-network-error", "IXPLogon::SubmitMessage", TRANSPORT, ("in_transport",),
        "retry_wait", ("transport_failures_enabled", "setback_available"),
        "wait_after_error", MAPI_E_NETWORK_ERROR, ("R47", "R48")),
    # MAPI_E_WAIT is the other temporary problem R47 names beside MAPI_E_NETWORK_ERROR: the
    # same retry after the delay the transport puts in lpulReturnParm
    Row("xp-wait", "IXPLogon::SubmitMessage", TRANSPORT, ("in_transport",),
        "retry_wait", ("transport_failures_enabled", "setback_available"),
        "wait_after_error", MAPI_E_WAIT, ("R47", "R48")),
    Row("xp-not-me", "IXPLogon::SubmitMessage", TRANSPORT, ("in_transport",), "locked",
        ("transport_failures_enabled", "setback_available", "nothing_processed_in_call"),
        "decline_transport", MAPI_E_NOT_ME, ("R47", "R49")),
    Row("xp-cancel-retry", "IXPLogon::SubmitMessage", TRANSPORT, ("in_transport",),
        "retry_wait",
        ("transport_failures_enabled", "setback_available", "cancel_means_retry"),
        "wait_after_error", MAPI_E_CANCEL, ("R47", "R53")),
    Row("xp-cancel-decline", "IXPLogon::SubmitMessage", TRANSPORT, ("in_transport",),
        "locked",
        ("transport_failures_enabled", "setback_available", "cancel_means_decline"),
        "decline_transport", MAPI_E_CANCEL, ("R47", "R53")),
    Row("xp-critical", "IMAPISupport::SpoolerNotify", TRANSPORT, ("in_transport",), "failing",
        ("transport_failures_enabled", "setback_available"), "report_critical_error",
        S_OK, ("R47", "R56"), call_arguments=(("flags", "NOTIFY_CRITICAL_ERROR"),)),
    # R47: after NOTIFY_CRITICAL_ERROR the transport "returns an error immediately"; the
    # documents name no code, so any error is this row (the model's runs use the generic
    # MAPI_E_CALL_FAILED)
    Row("xp-critical-return", "IXPLogon::SubmitMessage", TRANSPORT, ("failing",), "locked",
        (), "return_after_critical_error", MAPI_E_CALL_FAILED, ("R47", "R48", "R56"),
        any_error=True),
    Row("end", "IXPLogon::EndMessage", SPOOLER, ("awaiting_end",), "locked",
        ("transport_done_with_its_recipients",), "end_message", S_OK, ("R49", "R51"),
        call_arguments=(("flags", "0"),)),
    Row("end-resend-now", "IXPLogon::EndMessage", SPOOLER, ("awaiting_end",), "in_transport",
        ("deferral_enabled", "transport_keeps_its_recipients", "resend_affordable"), "resend_now",
        S_OK, ("R51",),
        call_arguments=(("flags", "END_RESEND_NOW"),)),
    Row("end-resend-later", "IXPLogon::EndMessage", SPOOLER, ("awaiting_end",), "retry_wait",
        ("deferral_enabled", "transport_keeps_its_recipients", "resend_affordable"),
        "wait_keeping_progress", S_OK, ("R51",),
        call_arguments=(("flags", "END_RESEND_LATER"),)),
    Row("end-dont-resend", "IXPLogon::EndMessage", SPOOLER, ("awaiting_end",),
        "transport_deferred",
        ("deferral_enabled", "transport_keeps_its_recipients", "resend_affordable"),
        "defer_keeping_progress",
        S_OK,
        ("R51", "R52"), call_arguments=(("flags", "END_DONT_RESEND"),)),
    Row("sent-deferred", "IMAPISupport::SpoolerNotify", TRANSPORT, ("transport_deferred",),
        "in_transport", (), "resume_deferred", S_OK, ("R52",),
        call_arguments=(("flags", "NOTIFY_SENTDEFERRED"),)),
    # The spooler's own SetLockState(MSG_UNLOCKED) while it waits (R40: lock and unlock are
    # commit points). Under the "release" reading the lock was let go when the wait began, so
    # the call is that release as the spooler makes it: it succeeds and changes nothing more.
    # Under "hold" no row answers it: unlocking contradicts the reading.
    Row("unlock-for-retry", "IMsgStore::SetLockState", SPOOLER,
        ("retry_wait", "transport_deferred"), None, ("lock_released_while_waiting",), "none",
        S_OK, ("R38", "R40", "R47", "R52", "R55", "R80"),
        call_arguments=(("lock", "MSG_UNLOCKED"),)),
    Row("retry-held", "retry delay elapsed", SPOOLER, ("retry_wait",), "locked",
        ("lock_held_during_retry",), "retry_delay_elapsed", S_OK, ("R47",), kind=INTERNAL),
    Row("retry-released", "retry delay elapsed", SPOOLER, ("retry_wait",), "spooled",
        ("lock_released_during_retry",), "retry_delay_elapsed", S_OK, ("R47", "R52"),
        kind=INTERNAL),
    # R29: the locked state need not survive a store shutdown, and a spooler that logs off
    # lets its locks go. Between two calls the lock is lost and the message waits in the
    # queue, unlocked and openable read-only (R28), for the spooler to lock it again (R38) in
    # queue order (R14); what was saved survives (R40).
    Row("locks-lost", "locks lost (store restart or spooler logoff)", STORE, ("locked",),
        "spooled", ("restarts_enabled", "setback_available"), "locks_lost", S_OK,
        ("R29", "R38", "R40"), kind=INTERNAL),
    # R55: the spooler logged off while a transport held the message deferred (it told the
    # transport NOTIFY_ABORT_DEFERRED alone); the message stayed queued, and the spooler's
    # next session takes it from the queue like any other
    Row("deferred-requeued-at-logon", "spooler logs on again", SPOOLER, ("transport_deferred",),
        "spooled", ("restarts_enabled", "setback_available"), "locks_lost", S_OK,
        ("R29", "R55"), kind=INTERNAL),
    # ---- spooler: NDR and completion ---------------------------------------------------------
    Row("spooler-ndr", "spooler NDR", SPOOLER, ("locked",), "locked",
        ("no_transport_takes_recipient",), "spooler_ndr", S_OK, ("R58", "R59"),
        ranges_over="recipient", recipient_change=("pending", "ndr"), kind=INTERNAL),
    Row("finished-delivered", "IMsgStore::FinishedMsg", SPOOLER, ("locked",), "delivered",
        ("all_recipients_settled", "pair_owes_no_completion", "outcome_all_handed_off"),
        "finish_message", S_OK, ("R36", "R62", "R63", "R65")),
    Row("finished-partial", "IMsgStore::FinishedMsg", SPOOLER, ("locked",),
        "partially_delivered",
        ("all_recipients_settled", "pair_owes_no_completion", "outcome_partly_handed_off"),
        "finish_message", S_OK, ("R54", "R58", "R62", "R63", "R65")),
    Row("finished-none", "IMsgStore::FinishedMsg", SPOOLER, ("locked",), "non_delivered",
        ("all_recipients_settled", "pair_owes_no_completion", "outcome_none_handed_off"),
        "finish_message", S_OK, ("R58", "R59", "R62", "R63", "R65")),
    Row("completed", "IMsgStore::FinishedMsg", SPOOLER, ("completing",), "delivered",
        ("all_recipients_settled", "outcome_all_handed_off"), "finish_message", S_OK,
        ("R22", "R62", "R63", "R65")),
    Row("completed-partial", "IMsgStore::FinishedMsg", SPOOLER, ("completing",),
        "partially_delivered", ("all_recipients_settled", "outcome_partly_handed_off"),
        "finish_message", S_OK, ("R22", "R58", "R59", "R62", "R63", "R65")),
    Row("completed-none", "IMsgStore::FinishedMsg", SPOOLER, ("completing",),
        "non_delivered", ("all_recipients_settled", "outcome_none_handed_off"),
        "finish_message", S_OK, ("R22", "R58", "R59", "R62", "R63", "R65")),
    # ---- abort and access (client) ---------------------------------------------------------
    Row("abort", "IMsgStore::AbortSubmit", CLIENT, IN_QUEUE, "saved",
        ("abort_enabled", "in_outgoing_queue", "not_locked_by_spooler"), "abort_submission",
        S_OK, ("R41", "R55", "R67", "R68", "R73")),
    Row("abort-refused", "IMsgStore::AbortSubmit", CLIENT, QUEUED_WAITING, None,
        ("abort_enabled", "in_outgoing_queue", "not_locked_by_spooler"), "none",
        MAPI_E_UNABLE_TO_ABORT, ("R67", "R69")),
    Row("abort-locked", "IMsgStore::AbortSubmit", CLIENT, IN_QUEUE + ("completing",), None,
        ("abort_enabled", "locked_by_spooler"), "none", MAPI_E_UNABLE_TO_ABORT,
        ("R41", "R67")),
    Row("abort-not-queued", "IMsgStore::AbortSubmit", CLIENT,
        ("saved",) + FINISHED_ORDER, None, ("abort_enabled", "not_in_outgoing_queue"), "none",
        MAPI_E_NOT_IN_QUEUE, ("R67",)),
    Row("abort-direct-not-queued", "IMsgStore::AbortSubmit", CLIENT,
        ("direct_sending", "completing"), None,
        ("abort_enabled", "not_locked_by_spooler", "direct_send_abort_not_in_queue"), "none",
        MAPI_E_NOT_IN_QUEUE, ("R67",)),
    Row("abort-direct-unable", "IMsgStore::AbortSubmit", CLIENT,
        ("direct_sending", "completing"), None,
        ("abort_enabled", "not_locked_by_spooler", "direct_send_abort_unable"), "none",
        MAPI_E_UNABLE_TO_ABORT, ("R67",)),
    Row("open-queued", "IMsgStore::OpenEntry", CLIENT, IN_QUEUE, None,
        ("queued_and_unlocked",), "none", MAPI_E_SUBMITTED, ("R28",),
        call_arguments=(("flags", "MAPI_MODIFY"),)),
    Row("open-locked", "IMsgStore::OpenEntry", CLIENT, IN_QUEUE + ("completing",), None,
        ("locked_by_spooler",), "none", MAPI_E_NO_ACCESS, ("R29",),
        call_arguments=(("flags", "MAPI_MODIFY"),)),
    Row("open-queued-read-only", "IMsgStore::OpenEntry", CLIENT, IN_QUEUE, None,
        ("queued_and_unlocked",), "none", S_OK, ("R28",),
        call_arguments=(("flags", "MAPI_BEST_ACCESS"),)),
    Row("open-locked-best-access", "IMsgStore::OpenEntry", CLIENT, IN_QUEUE + ("completing",), None,
        ("locked_by_spooler",), "none", MAPI_E_NO_ACCESS, ("R29",),
        call_arguments=(("flags", "MAPI_BEST_ACCESS"),)),
    Row("finished-by-client", "IMsgStore::FinishedMsg", CLIENT, IN_SUBMISSION_ORDER, None,
        (), "none", MAPI_E_NO_SUPPORT, ("R31", "R62")),
    Row("delete-submitted", "IMAPIFolder::DeleteMessages", CLIENT, IN_SUBMISSION_ORDER, None,
        ("message_submitted",), "none", EC_NO_DEL_SUBMIT_MSG, ("R30",)),
    # R30: EmptyFolder deletes what it may and leaves submitted messages (and ones open
    # read/write) alone, answering MAPI_W_PARTIAL_COMPLETION; it never aborts a submission.
    # A folder-wide call: a log records it once per message it follows in the folder.
    Row("empty-folder", "IMAPIFolder::EmptyFolder", CLIENT, ("draft", "saved"), "deleted", (),
        "none", S_OK, ("R30",)),
    Row("empty-folder-skips-open", "IMAPIFolder::EmptyFolder", CLIENT, ("draft", "saved"),
        None, ("in_composition",), "none", MAPI_W_PARTIAL_COMPLETION, ("R30",)),
    Row("empty-folder-skips-submitted", "IMAPIFolder::EmptyFolder", CLIENT,
        IN_SUBMISSION_ORDER, None, ("message_submitted",), "none", MAPI_W_PARTIAL_COMPLETION,
        ("R30",)),
    # R70: moving a submitted message out of its folder (conflicts.move_submitted). Never a
    # change of location alone: the message leaves the queue with it or stays where it was.
    Row("move-submitted-aborts", "IMAPIFolder::CopyMessages", CLIENT, IN_QUEUE, "moved_out",
        ("move_aborts_first", "in_outgoing_queue", "not_locked_by_spooler"),
        "abort_and_move", S_OK, ("R67", "R68", "R70"),
        call_arguments=(("flags", "MESSAGE_MOVE"),)),
    Row("move-submitted-refused", "IMAPIFolder::CopyMessages", CLIENT, IN_SUBMISSION_ORDER,
        None, ("message_submitted", "store_may_refuse_move"), "none", MAPI_E_NO_ACCESS,
        ("R70",), call_arguments=(("flags", "MESSAGE_MOVE"),), any_error=True),
    # R70: a message in composition moved out of its folder (the client that aborted a
    # submission first, as Outlook does) leaves the send life-cycle the model follows; a copy
    # of one is a new message, and the original stays as it was
    Row("move-composed", "IMAPIFolder::CopyMessages", CLIENT, ("draft", "saved"), "moved_out",
        (), "move_out", S_OK, ("R70",), call_arguments=(("flags", "MESSAGE_MOVE"),)),
    Row("copy-composed", "IMAPIFolder::CopyMessages", CLIENT, ("draft", "saved"), None, (),
        "none", S_OK, ("R70",)),
    # A copy is a new message that was never submitted, which the model does not follow; the
    # original keeps its submission whatever the store answers (R70: the documents are silent).
    Row("copy-submitted", "IMAPIFolder::CopyMessages", CLIENT, IN_SUBMISSION_ORDER, None,
        ("message_submitted",), "none", S_OK, ("R70",)),
    Row("copy-submitted-refused", "IMAPIFolder::CopyMessages", CLIENT, IN_SUBMISSION_ORDER,
        None, ("message_submitted",), "none", MAPI_E_NO_ACCESS, ("R70",), any_error=True),
    # ---- transport session machine -------------------------------------------------------------
    # R45: on a user's "send now" the spooler calls each transport's FlushQueues in transport
    # order; it only speeds the spooler up (the model lets it act at any time already) and
    # changes no outcome. A critical transport gets no call but its release (R56).
    Row("flush-queues", "IXPLogon::FlushQueues", SPOOLER, ("ready",), None, (), "none", S_OK,
        ("R45",), ranges_over="transport", machine="transport"),
    Row("transport-recovers", "IMAPISupport::SpoolerNotify", TRANSPORT, ("critical",),
        "ready", (), "transport_recovers", S_OK, ("R56",), ranges_over="transport",
        machine="transport", call_arguments=(("flags", "NOTIFY_READYTOSEND"),)),
)

ROWS_BY_NAME: dict[str, Row] = {row.name: row for row in TABLE}


def _calls() -> dict[CallKey, tuple[Row, ...]]:
    grouped: dict[CallKey, list[Row]] = {}
    for row in TABLE:
        if row.is_call:
            grouped.setdefault(row.call, []).append(row)
    return {key: tuple(rows) for key, rows in grouped.items()}


#: The one index of calls: each MAPI call a caller can make, with the rows that answer it in
#: table order (its documented outcomes; which one happens is up to the guards). The runtime,
#: the negative cases, the harness and the log validator all look calls up here.
CALLS: dict[CallKey, tuple[Row, ...]] = _calls()
#: States a message never rests in: the store leaves them inside the step that led there
#: (the sources of Kind.INSIDE_CALL rows: "submitted", routed inside SubmitMessage, R26).
INSIDE_CALL_SOURCES: frozenset[str] = frozenset(
    state for row in TABLE if row.kind is Kind.INSIDE_CALL for state in row.sources)


#: Rows no MAPI call marks (Kind.INTERNAL and Kind.INSIDE_CALL), by name.
INTERNAL_ROWS: frozenset[str] = frozenset(row.name for row in TABLE if not row.is_call)

#: Rows of the system's own components that are not their decision but an input from outside
#: the system, which a tester controls: the transport's answer a spooler's EndMessage carries
#: (R51), a transport failing a recipient (R58), a preprocessor's verdict on a recipient (R35),
#: a timer (the retry delay, R47), a spooler logon (R55), a user's "send now" (R45) and the
#: cancels a user's or client's abort makes the spooler send (R53, R55).
_COMPONENT_INPUTS: frozenset[str] = frozenset({
    "tight-fail-recipient", "preprocess-undeliverable", "end", "end-resend-now",
    "end-resend-later", "end-dont-resend", "retry-held", "retry-released",
    "deferred-requeued-at-logon", "flush-queues", "cancel-transfer", "cancel-at-end",
    "abort-deferred-notified"})
#: The rows a component of the system takes of its own accord: the spooler's scheduling and
#: calls (which message to lock, R14, R39; which transport, R43, R56; when to NDR, R58; when to
#: finish, R62), the preprocessors' run (R33, R34) and the tight pair's sending (R20-R23). A
#: harness that steers a system may ask for one of these where the model enables none, and the
#: component must decline (the adapter's NOT_DUE) and change nothing.
SYSTEM_DECISIONS: frozenset[str] = frozenset(
    row.name for row in TABLE
    if row.actor in (SPOOLER, TIGHT_PAIR, PREPROCESSOR) and row.name not in _COMPONENT_INPUTS)

#: Decisions a component may take but never owes, so a system that does not take them is not
#: stuck: the store's refusal of a lock the spooler asked for (R41, R81), and the tight
#: pair's request that the spooler download a message it has not begun to send (R20): a pair
#: may as well send it itself. Every other decision a fair component (`Actor.fair`) owes
#: once it stays enabled; the liveness properties rest on that.
OPTIONAL_DECISIONS: frozenset[str] = frozenset(
    {name for name in SYSTEM_DECISIONS if ROWS_BY_NAME[name].is_error}
    | {"tight-request-download"})


def rows_fingerprint(names: Iterable[str]) -> str:
    """A short hash of the named rows' content: a regression case records the fingerprint of
    the rows its steps take, so it changes exactly when one of those rows does."""
    rows = [ROWS_BY_NAME[name].fingerprint_data() for name in sorted(set(names))]
    text = json.dumps(rows, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def table_fingerprint() -> str:
    """The fingerprint of the whole table."""
    return rows_fingerprint(ROWS_BY_NAME)
