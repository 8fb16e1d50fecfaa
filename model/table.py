"""The transition table: the single source of truth.

One row per transition. The `transitions` runtime, the explorer, the diagrams and the
generators are all derived from these rows. Rows whose `result` is an error code change
nothing (`dest` is None): they state what a call returns where the documents forbid it.
`arg` says what a row ranges over besides the message: a recipient or a transport.
"""

from __future__ import annotations

from dataclasses import dataclass

from .constants import (
    EC_NO_DEL_SUBMIT_MSG,
    MAPI_E_BUSY,
    MAPI_E_CANCEL,
    MAPI_E_NETWORK_ERROR,
    MAPI_E_NO_ACCESS,
    MAPI_E_NO_RECIPIENTS,
    MAPI_E_NO_SUPPORT,
    MAPI_E_NOT_IN_QUEUE,
    MAPI_E_NOT_ME,
    MAPI_E_OBJECT_CHANGED,
    MAPI_E_SUBMITTED,
    MAPI_E_UNABLE_TO_ABORT,
    S_OK,
)


@dataclass(frozen=True)
class Row:
    name: str  # unique, stable id (used in cases, diagrams, coverage)
    event: str  # the MAPI method, or a plain name for an internal step
    actor: str  # client, other client, store, tight pair, spooler, preprocessor, transport
    sources: tuple[str, ...]  # message states (transport states for machine="transport")
    dest: str | None  # None: the state does not change
    guards: tuple[str, ...]
    effect: str
    result: str  # S_OK or the MAPI error the call returns
    rules: tuple[str, ...]
    arg: str | None = None  # "recipient" or "transport"
    machine: str = "message"  # "message" or "transport"
    args: tuple[tuple[str, str], ...] = ()  # call arguments that select this row (flags)
    recipient: tuple[str, str] | None = None  # recipient state change it causes, if any

    @property
    def is_error(self) -> bool:
        return self.result != S_OK


QUEUED = ("spooled", "preprocess_queued", "deferred")
SPOOLER_HELD = ("preprocessing", "locked", "in_transport", "awaiting_end", "retry_wait",
                "transport_deferred")
#: States in which the spooler holds the lock under every reading of the documents.
ALWAYS_LOCKED = ("preprocessing", "locked", "in_transport", "awaiting_end")
IN_QUEUE_STATES = QUEUED + SPOOLER_HELD
FINISHED_STATES = ("delivered", "partially_delivered", "non_delivered")
SUBMITTED_STATES = ("submitted",) + IN_QUEUE_STATES + ("direct_sending", "completing")

TABLE: tuple[Row, ...] = (
    # ---- composition (client) ---------------------------------------------------------------
    Row("add-recipients", "IMessage::ModifyRecipients", "client", ("draft",), "draft",
        ("has_no_recipient_rows",), "add_recipient_rows", S_OK, ("R9",)),
    Row("concurrent-commit", "IMAPIProp::SaveChanges (other handle)", "other client",
        ("draft",), "draft", ("concurrent_edits_enabled",), "record_concurrent_commit", S_OK,
        ("R4",)),
    Row("save", "IMAPIProp::SaveChanges", "client", ("draft",), "saved",
        ("no_save_conflict",), "none", S_OK, ("R2", "R3")),
    Row("save-conflict", "IMAPIProp::SaveChanges", "client", ("draft",), None,
        ("save_conflict",), "none", MAPI_E_OBJECT_CHANGED, ("R3", "R4")),
    Row("force-save", "IMAPIProp::SaveChanges", "client", ("draft",), "saved",
        ("save_conflict",), "overwrite_concurrent_commit", S_OK, ("R3", "R4"),
        args=(("flags", "FORCE_SAVE"),)),
    Row("reopen", "IMsgStore::OpenEntry", "client", ("saved",), "draft", (), "none", S_OK,
        ("R3", "R68"), args=(("flags", "MAPI_MODIFY"),)),
    Row("delete", "IMAPIFolder::DeleteMessages", "client", ("draft", "saved"), "deleted", (),
        "none", S_OK, ("R30",)),
    Row("submit-no-recipients", "IMessage::SubmitMessage", "client", ("draft", "saved"), None,
        ("has_no_recipient_rows",), "none", MAPI_E_NO_RECIPIENTS, ("R9",)),
    Row("submit-save-fails", "IMessage::SubmitMessage", "client", ("draft",), None,
        ("has_recipient_rows", "save_conflict"), "none", MAPI_E_OBJECT_CHANGED,
        ("R4", "R8")),
    Row("submit", "IMessage::SubmitMessage", "client", ("draft", "saved"), "submitted",
        ("has_recipient_rows", "no_save_conflict"), "save_and_mark", S_OK,
        ("R8", "R10", "R12", "R13", "R75"), recipient=("pending", "pending")),
    # ---- routing inside SubmitMessage (store) -------------------------------------------------
    Row("route-preprocess", "queue for preprocessing", "store", ("submitted",),
        "preprocess_queued", ("needs_preprocessing", "send_time_due"),
        "enqueue_for_preprocessing", S_OK, ("R17", "R26", "R34")),
    Row("route-defer", "queue until send time", "store", ("submitted",), "deferred",
        ("send_time_in_future", "spooler_required"), "enqueue_until_send_time", S_OK,
        ("R17", "R72")),
    Row("route-spooler", "queue for spooler", "store", ("submitted",), "spooled",
        ("no_preprocessing_needed", "store_routes_to_spooler", "send_time_due"),
        "enqueue_for_spooler", S_OK, ("R17", "R19", "R26")),
    Row("route-direct", "send through tight pair", "store", ("submitted",), "direct_sending",
        ("no_preprocessing_needed", "store_routes_to_tight_pair", "no_spooler_deferral"),
        "start_direct_send", S_OK, ("R17", "R19", "R20", "R71")),
    Row("send-time-reached", "send time reached", "store", ("deferred",), "submitted",
        (), "release_at_send_time", S_OK, ("R72",)),
    # ---- tightly coupled store + transport --------------------------------------------------
    Row("tight-transmit", "transmit recipient (tight pair)", "tight pair",
        ("direct_sending",), "direct_sending",
        ("in_flight_on_tight_transport", "recipient_for_tight_transport"), "tight_transmit",
        S_OK, ("R23", "R49"), arg="recipient", recipient=("pending", "sent")),
    Row("tight-request-download", "IMAPISupport::SpoolerNotify", "tight pair",
        ("direct_sending",), "spooled", ("not_in_flight_on_tight_transport",),
        "enqueue_in_flight", S_OK, ("R20",), args=(("flags", "NOTIFY_READYTOSEND"),)),
    Row("tight-finish", "finish without spooler", "tight pair", ("direct_sending",),
        "delivered",
        ("in_flight_on_tight_transport", "tight_recipients_settled",
         "tight_pair_serves_every_recipient", "not_preprocessed", "outcome_all_handed_off"),
        "finish_without_spooler", S_OK, ("R21", "R37", "R63")),
    Row("tight-complete", "IMAPISupport::CompleteMsg", "tight pair", ("direct_sending",),
        "completing",
        ("in_flight_on_tight_transport", "tight_recipients_settled",
         "tight_pair_serves_every_recipient"),
        "hand_completion_to_spooler", S_OK, ("R22", "R37")),
    Row("tight-queue-rest", "queue remaining recipients", "tight pair", ("direct_sending",),
        "spooled",
        ("in_flight_on_tight_transport", "tight_recipients_settled",
         "tight_pair_cannot_serve_every_recipient"),
        "queue_remaining_recipients", S_OK, ("R23", "R26")),
    # ---- spooler: lock, preprocess -----------------------------------------------------------
    Row("lock-preprocess", "IMsgStore::SetLockState", "spooler", ("preprocess_queued",),
        "preprocessing", ("spooler_may_lock", "lock_is_free", "first_waiting_in_queue"),
        "take_lock", S_OK, ("R14", "R34", "R39", "R40"), args=(("lock", "MSG_LOCKED"),)),
    Row("preprocess", "PreprocessMessage", "preprocessor", ("preprocessing",),
        "preprocessing", ("preprocessors_pending",), "run_preprocessors", S_OK,
        ("R33", "R34", "R35")),
    Row("preprocess-done", "IMessage::SubmitMessage", "spooler", ("preprocessing",), "locked",
        ("preprocessors_ran",), "finish_preprocessing", S_OK, ("R34", "R37")),
    Row("lock", "IMsgStore::SetLockState", "spooler", ("spooled",), "locked",
        ("spooler_may_lock", "lock_is_free", "first_waiting_in_queue"), "take_lock", S_OK,
        ("R14", "R20", "R38", "R39", "R40"), args=(("lock", "MSG_LOCKED"),)),
    Row("lock-again", "IMsgStore::SetLockState", "spooler", ALWAYS_LOCKED, None,
        ("lock_is_free",), "take_lock", S_OK, ("R81",), args=(("lock", "MSG_LOCKED"),)),
    Row("lock-refused", "IMsgStore::SetLockState", "spooler", ALWAYS_LOCKED, None,
        ("lock_is_held",), "none", MAPI_E_NOT_IN_QUEUE, ("R41", "R81"),
        args=(("lock", "MSG_LOCKED"),)),
    # ---- spooler <-> transport ----------------------------------------------------------------
    Row("present", "present to transport", "spooler", ("locked",), "in_transport",
        ("transport_ready", "transport_not_declined", "transport_has_recipients"),
        "present_to_transport", S_OK, ("R38", "R43", "R44", "R46"), arg="transport"),
    Row("transmit", "transmit recipient", "transport", ("in_transport",), "in_transport",
        ("recipient_for_this_transport",), "transport_transmit", S_OK, ("R49", "R57"),
        arg="recipient", recipient=("pending", "sent")),
    Row("fail-recipient", "IMAPISupport::StatusRecips", "transport", ("in_transport",),
        "in_transport", ("transport_failures_enabled", "recipient_for_this_transport"),
        "transport_fails_recipient", S_OK, ("R58", "R59", "R60"), arg="recipient",
        recipient=("pending", "ndr")),
    Row("xp-ok", "IXPLogon::SubmitMessage", "transport", ("in_transport",), "awaiting_end",
        ("transport_settled_its_recipients",), "none", S_OK, ("R47", "R49")),
    Row("xp-busy", "IXPLogon::SubmitMessage", "transport", ("in_transport",), "retry_wait",
        ("transport_failures_enabled", "setback_available", "nothing_processed_in_call"),
        "wait_after_error", MAPI_E_BUSY, ("R47",)),
    Row("xp-network-error", "IXPLogon::SubmitMessage", "transport", ("in_transport",),
        "retry_wait", ("transport_failures_enabled", "setback_available"),
        "wait_after_error", MAPI_E_NETWORK_ERROR, ("R47", "R48")),
    Row("xp-not-me", "IXPLogon::SubmitMessage", "transport", ("in_transport",), "locked",
        ("transport_failures_enabled", "setback_available", "nothing_processed_in_call"),
        "decline_transport", MAPI_E_NOT_ME, ("R47", "R49")),
    Row("xp-cancel-retry", "IXPLogon::SubmitMessage", "transport", ("in_transport",),
        "retry_wait",
        ("transport_failures_enabled", "setback_available", "cancel_means_retry"),
        "wait_after_error", MAPI_E_CANCEL, ("R47", "R53")),
    Row("xp-cancel-decline", "IXPLogon::SubmitMessage", "transport", ("in_transport",),
        "locked",
        ("transport_failures_enabled", "setback_available", "cancel_means_decline"),
        "decline_transport", MAPI_E_CANCEL, ("R47", "R53")),
    Row("xp-critical", "IMAPISupport::SpoolerNotify", "transport", ("in_transport",), "locked",
        ("transport_failures_enabled", "setback_available"), "transport_critical_error",
        S_OK, ("R47", "R56"), args=(("flags", "NOTIFY_CRITICAL_ERROR"),)),
    Row("end", "IXPLogon::EndMessage", "spooler", ("awaiting_end",), "locked", (),
        "end_message", S_OK, ("R51",), args=(("flags", "0"),)),
    Row("end-resend-now", "IXPLogon::EndMessage", "spooler", ("awaiting_end",), "in_transport",
        ("deferral_enabled", "setback_available"), "resend_now", S_OK, ("R51",),
        args=(("flags", "END_RESEND_NOW"),)),
    Row("end-resend-later", "IXPLogon::EndMessage", "spooler", ("awaiting_end",), "retry_wait",
        ("deferral_enabled", "setback_available"), "wait_keeping_progress", S_OK, ("R51",),
        args=(("flags", "END_RESEND_LATER"),)),
    Row("end-dont-resend", "IXPLogon::EndMessage", "spooler", ("awaiting_end",),
        "transport_deferred", ("deferral_enabled", "setback_available"), "wait_keeping_progress",
        S_OK,
        ("R51", "R52"), args=(("flags", "END_DONT_RESEND"),)),
    Row("sent-deferred", "IMAPISupport::SpoolerNotify", "transport", ("transport_deferred",),
        "in_transport", (), "resume_deferred", S_OK, ("R52",),
        args=(("flags", "NOTIFY_SENTDEFERRED"),)),
    Row("retry-held", "retry delay elapsed", "spooler", ("retry_wait",), "locked",
        ("lock_held_during_retry",), "retry_delay_elapsed", S_OK, ("R47",)),
    Row("retry-released", "retry delay elapsed", "spooler", ("retry_wait",), "spooled",
        ("lock_released_during_retry",), "retry_delay_elapsed", S_OK, ("R47", "R52")),
    # ---- spooler: NDR and completion ---------------------------------------------------------
    Row("spooler-ndr", "spooler NDR", "spooler", ("locked",), "locked",
        ("no_transport_takes_recipient",), "spooler_ndr", S_OK, ("R58", "R59"),
        arg="recipient", recipient=("pending", "ndr")),
    Row("finished-delivered", "IMsgStore::FinishedMsg", "spooler", ("locked",), "delivered",
        ("all_recipients_settled", "outcome_all_handed_off"), "finish_message", S_OK,
        ("R36", "R62", "R63", "R65")),
    Row("finished-partial", "IMsgStore::FinishedMsg", "spooler", ("locked",),
        "partially_delivered", ("all_recipients_settled", "outcome_partly_handed_off"),
        "finish_message", S_OK, ("R54", "R58", "R62", "R63", "R65")),
    Row("finished-none", "IMsgStore::FinishedMsg", "spooler", ("locked",), "non_delivered",
        ("all_recipients_settled", "outcome_none_handed_off"), "finish_message", S_OK,
        ("R58", "R59", "R62", "R63", "R65")),
    Row("completed", "IMsgStore::FinishedMsg", "spooler", ("completing",), "delivered",
        ("all_recipients_settled", "outcome_all_handed_off"), "finish_message", S_OK,
        ("R22", "R62", "R63", "R65")),
    # ---- abort and access (client) ---------------------------------------------------------
    Row("abort", "IMsgStore::AbortSubmit", "client", IN_QUEUE_STATES, "saved",
        ("abort_enabled", "in_outgoing_queue", "not_locked_by_spooler"), "abort_submission",
        S_OK, ("R41", "R55", "R67", "R68", "R73")),
    Row("abort-refused", "IMsgStore::AbortSubmit", "client", QUEUED, None,
        ("abort_enabled", "in_outgoing_queue", "not_locked_by_spooler"), "none",
        MAPI_E_UNABLE_TO_ABORT, ("R67", "R69")),
    Row("abort-locked", "IMsgStore::AbortSubmit", "client", IN_QUEUE_STATES, None,
        ("abort_enabled", "locked_by_spooler"), "none", MAPI_E_UNABLE_TO_ABORT,
        ("R41", "R67")),
    Row("abort-not-queued", "IMsgStore::AbortSubmit", "client",
        ("saved",) + FINISHED_STATES, None, ("abort_enabled", "not_in_outgoing_queue"), "none",
        MAPI_E_NOT_IN_QUEUE, ("R67",)),
    Row("abort-direct-not-queued", "IMsgStore::AbortSubmit", "client",
        ("direct_sending", "completing"), None,
        ("abort_enabled", "direct_send_abort_not_in_queue"), "none", MAPI_E_NOT_IN_QUEUE,
        ("R67",)),
    Row("abort-direct-unable", "IMsgStore::AbortSubmit", "client",
        ("direct_sending", "completing"), None,
        ("abort_enabled", "direct_send_abort_unable"), "none", MAPI_E_UNABLE_TO_ABORT,
        ("R67",)),
    Row("open-queued", "IMsgStore::OpenEntry", "client", IN_QUEUE_STATES, None,
        ("queued_and_unlocked",), "none", MAPI_E_SUBMITTED, ("R28",),
        args=(("flags", "MAPI_MODIFY"),)),
    Row("open-locked", "IMsgStore::OpenEntry", "client", IN_QUEUE_STATES, None,
        ("locked_by_spooler",), "none", MAPI_E_NO_ACCESS, ("R29",),
        args=(("flags", "MAPI_MODIFY"),)),
    Row("finished-by-client", "IMsgStore::FinishedMsg", "client", SUBMITTED_STATES, None,
        (), "none", MAPI_E_NO_SUPPORT, ("R31", "R62")),
    Row("delete-submitted", "IMAPIFolder::DeleteMessages", "client", SUBMITTED_STATES, None,
        ("message_submitted",), "none", EC_NO_DEL_SUBMIT_MSG, ("R30",)),
    # ---- transport session machine -------------------------------------------------------------
    Row("transport-recovers", "IMAPISupport::SpoolerNotify", "transport", ("critical",),
        "ready", (), "transport_recovers", S_OK, ("R56",), arg="transport",
        machine="transport", args=(("flags", "NOTIFY_READYTOSEND"),)),
)

ROWS_BY_NAME: dict[str, Row] = {row.name: row for row in TABLE}


def table_fingerprint() -> str:
    """A short hash of the table's content: regression cases record it so a case generated
    from an older table is recognisable."""
    import hashlib
    import json

    rows = [
        [r.name, r.event, r.actor, list(r.sources), r.dest, list(r.guards), r.effect, r.result,
         list(r.rules), r.arg, r.machine, [list(a) for a in r.args]]
        for r in TABLE
    ]
    text = json.dumps(rows, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
