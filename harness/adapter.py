"""The adapter protocols: how the conformance harness reaches a system under test.

A system under test is a MAPI message store with its spooler and transports, or a test
double of one. The harness plays every actor the implementation does not decide for itself:
the client (SaveChanges, SubmitMessage, AbortSubmit, ...), the transports (what
IXPLogon::SubmitMessage returns, which recipients they transmit or fail) and the clock (send
time reached, retry delay elapsed). A system whose components act on their own
(`AutonomousSystem`, at the end) gets those inputs and reports the calls its spooler, store
and tight pair make. A system with steering hooks (`SystemUnderTest`) is asked for its
spooler's and tight pair's steps one at a time as well, so that interleavings are chosen by
the harness and every one the model allows can be reached.

Every call returns the result code the implementation answers (``S_OK`` or a MAPI error name
from `mapi_submission.model.constants`). After each call the harness reads `observe()` and
compares it with the model. Messages are numbered 0..n-1 in the order of `Setup.messages`,
recipients 0..r-1 in recipient-table order and transports 0..t-1 in profile order (transport
0 is the one a tightly coupled store is paired with, R18).

Nothing here imports the model's table, guards or effects: an implementation written against
this protocol stays an independent reading of the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

#: The answer of a component that was asked to take a step it does not think is due (for
#: example the spooler asked to generate an NDR for a recipient a transport still accepts).
NOT_DUE = "NOT_DUE"


@dataclass(frozen=True)
class MessageSetup:
    """What the client decided when composing one message (fixed for its whole life)."""

    address_types: tuple[str, ...]  # per recipient: "EX" or "SMTP" (R43)
    folder: str  # "outbox" or "inbox": where it is composed and submitted (R1, R19)
    needs_preprocessing: bool  # a registered preprocessor matches it (R32, R33)
    deferred_send: bool  # PR_DEFERRED_SEND_TIME lies in the future at submit (R72)
    disposition: str  # "leave", "move", "delete" or "move_and_delete" (R63)
    #: MSGFLAG_RESEND (R74, R75): the original reached recipient 0 and failed for the others.
    #: The resend's recipient table, which modify_recipients builds and observe() reports, is
    #: a MAPI_SUBMITTED row per recipient above, then a MAPI_P1 copy of recipients 1..n-1.
    resend: bool


@dataclass(frozen=True)
class Setup:
    """The world a run starts from.

    `readings` names, for each documented conflict, the reading the run follows (the keys
    and values of `mapi_submission.model.config.CONFLICT_VALUES`, for example
    ``{"lock_during_retry": "hold"}``); an implementation that supports only one reading may
    refuse others by raising `UnsupportedSetup`.
    """

    tight: bool  # the store is tightly coupled with transport 0 (R18)
    transports: int  # transport i registers "EX" when i is even, "SMTP" when odd (R43)
    messages: tuple[MessageSetup, ...]
    readings: Mapping[str, str] = field(default_factory=dict)
    #: per transport, the address types it registers (R43), when they are not the default
    #: numbering above (Config.serves); empty: the default
    serves: tuple[tuple[str, ...], ...] = ()
    #: how many registered preprocessors apply to a message that needs preprocessing: the
    #: spooler runs each once, in registration order (R33, R34), one `preprocess` call each
    preprocessors: int = 1


class UnsupportedSetup(Exception):
    """The implementation cannot run this setup (for example a conflict reading it does not
    follow); the harness reports it instead of a failure."""


@dataclass(frozen=True)
class RecipientObservation:
    responsibility: bool  # PR_RESPONSIBILITY (R49, R58)
    state: str  # "pending", "sent", "ndr" (an NDR is owed or sent) or "skipped" (R58, R75)
    transmissions: int  # copies put on the wire in the current submission (I-ONCE)


@dataclass(frozen=True)
class MessageObservation:
    folder: str  # "outbox", "inbox", "sent" or "gone" (deleted after submission, R63)
    message_flags: int  # PR_MESSAGE_FLAGS: MSGFLAG_SUBMIT 0x4, MSGFLAG_UNSENT 0x8 (R2, R13)
    submit_flags: int  # PR_SUBMIT_FLAGS: SUBMITFLAG_LOCKED 0x1, SUBMITFLAG_PREPROCESS 0x2 (R42)
    in_queue: bool  # member of the store's outgoing queue (R25)
    lock_holders: int  # holders of the SetLockState(MSG_LOCKED) lock (R38, R81)
    in_direct_send: bool  # the tightly coupled transport is sending it itself (R20)
    recipients: tuple[RecipientObservation, ...]

    @property
    def locked(self) -> bool:
        return self.lock_holders > 0


@dataclass(frozen=True)
class Observation:
    messages: tuple[MessageObservation, ...]
    queue: tuple[int, ...]  # the outgoing queue in submission order (R14, R25)
    transports: tuple[str, ...]  # per transport: "ready" or "critical" (R44, R56)


@runtime_checkable
class SystemInputs(Protocol):
    """What reaches a store + spooler + transports from outside: set-up and observation, the
    client's calls, the store's clock and restarts, what the transports (the tester's) do and
    answer, the timers and the cancels a client's abort makes the spooler send. Every system
    under test takes these; `start` is called before every run, and the factory given to
    ``mapi-submission conform --adapter module:factory`` builds the object."""

    def start(self, setup: Setup) -> None:
        """Forget everything and create the messages of `setup` as new drafts (R1, R2)."""

    def observe(self) -> Observation:
        """The observable state now (the harness compares it with the model's)."""

    # ---- client (IMessage, IMAPIProp, IMsgStore, IMAPIFolder) --------------------------------
    def modify_recipients(self, message: int) -> str:
        """IMessage::ModifyRecipients: add the recipient rows of the setup (R9)."""

    def other_handle_save(self, message: int) -> str:
        """IMAPIProp::SaveChanges through a second handle opened on the same message (R4)."""

    def other_handle_submit(self, message: int) -> str:
        """IMessage::SubmitMessage through a second handle (another session) opened on the
        same message before it was submitted: the store's test-and-set lets only the first
        submit succeed (R16)."""

    def set_props(self, message: int) -> str:
        """IMessage::SetProps on the client's writable handle: uncommitted changes (R3, R9)."""

    def save_changes(self, message: int, force: bool) -> str:
        """IMAPIProp::SaveChanges, with FORCE_SAVE when `force` (R3, R4)."""

    def submit_message(self, message: int) -> str:
        """IMessage::SubmitMessage, including the store's routing decision (R8-R26, R72)."""

    def open_for_write(self, message: int) -> str:
        """IMsgStore::OpenEntry with MAPI_MODIFY (R3, R28, R29)."""

    def open_best_access(self, message: int) -> str:
        """IMsgStore::OpenEntry with MAPI_BEST_ACCESS: read-only on a queued message, writable
        on a saved one (R3, R28, R29)."""

    def delete_message(self, message: int) -> str:
        """IMAPIFolder::DeleteMessages (R30)."""

    def empty_folder(self, message: int) -> str:
        """IMAPIFolder::EmptyFolder on the folder holding the message, answered for that
        message: deleted, or left (submitted, or open read/write) with
        MAPI_W_PARTIAL_COMPLETION (R30)."""

    def move_message(self, message: int) -> str:
        """IMAPIFolder::CopyMessages with MESSAGE_MOVE, out of the folder the message is in
        (R70)."""

    def copy_message(self, message: int) -> str:
        """IMAPIFolder::CopyMessages without MESSAGE_MOVE: a copy in another folder (R70)."""

    def abort_submit(self, message: int) -> str:
        """IMsgStore::AbortSubmit (R41, R67, R68)."""

    def client_finished_msg(self, message: int) -> str:
        """IMsgStore::FinishedMsg called by a client, not the spooler (R31)."""

    # ---- store clock -------------------------------------------------------------------------
    def send_time_reached(self, message: int) -> str:
        """PR_DEFERRED_SEND_TIME has passed: the store routes the message again (R72)."""

    def locks_lost(self, message: int) -> str:
        """The spooler's lock on the locked message is gone between two calls: the store
        restarted (a lock need not survive a shutdown) or the spooler logged off; the message
        stays queued, unlocked, with what was saved (R29, R40)."""

    # ---- tightly coupled store + transport 0: its transport's failures -----------------------
    def tight_fail_recipient(self, message: int, recipient: int) -> str:
        """The tightly coupled transport fails the recipient conclusively and calls
        IMAPISupport::StatusRecips, so an NDR is built (R58, R59)."""

    # ---- spooler: what it is told or waits for -----------------------------------------------
    def spooler_logs_on_again(self, message: int) -> str:
        """The spooler logged off while a transport held the message deferred (it passed
        NOTIFY_ABORT_DEFERRED alone) and logs on again: the message is queued, unlocked, for
        the new session (R55)."""

    def preprocess(self, message: int, recipient: int = -1) -> str:
        """The registered preprocessors run on the locked message (R33-R35); with
        `recipient`, they return it as undeliverable, and it gets an NDR (R35, R58)."""

    def end_message(self, message: int, flags: str) -> str:
        """IXPLogon::EndMessage returned `flags`: "0", "END_RESEND_NOW", "END_RESEND_LATER"
        or "END_DONT_RESEND" (R51, R52)."""

    def retry_elapsed(self, message: int) -> str:
        """The retry delay after a transport setback elapsed (R47, R52)."""

    # ---- transports (the harness decides what they answer) -----------------------------------
    def transport_transmit(self, message: int, recipient: int) -> str:
        """The transport in the running call transmits one recipient (R49, R57)."""

    def transport_fail_recipient(self, message: int, recipient: int) -> str:
        """IMAPISupport::StatusRecips: the transport fails one recipient conclusively (R58)."""

    def transport_yield(self, message: int) -> str:
        """The transport calls IMAPISupport::SpoolerYield during long work inside
        IXPLogon::SubmitMessage; the result is the spooler's answer: S_OK lets it go on and
        nothing changes, MAPI_W_CANCEL_MESSAGE tells it to stop (R54)."""

    def transport_save(self, message: int) -> str:
        """The transport holding the message calls IMAPIProp::SaveChanges on it: the marks it
        made so far survive an error it returns later (R48)."""

    def transport_returns(self, message: int, code: str) -> str:
        """IXPLogon::SubmitMessage returns `code`: S_OK, MAPI_E_BUSY, MAPI_E_NETWORK_ERROR,
        MAPI_E_NOT_ME or MAPI_E_CANCEL (R47, R48, R53)."""

    def transport_critical_error(self, message: int) -> str:
        """The transport in the running call reports NOTIFY_CRITICAL_ERROR (R56)."""

    def transport_sent_deferred(self, message: int) -> str:
        """The transport holding the message deferred reports NOTIFY_SENTDEFERRED (R52)."""

    def spooler_cancel(self, message: int) -> str:
        """IXPLogon::TransportNotify(NOTIFY_CANCEL_MESSAGE) by the spooler while a transport's
        SubmitMessage or EndMessage runs on the message: the transport stops handing
        recipients on and returns as soon as it can (R53)."""

    def spooler_abort_deferred(self, message: int) -> str:
        """IXPLogon::TransportNotify(NOTIFY_ABORT_DEFERRED) by the spooler: a message the
        transport deferred was aborted by its client (with NOTIFY_CANCEL_MESSAGE), or the
        spooler logs off while it is still deferred (R55)."""

    def flush_queues(self, transport: int) -> str:
        """The spooler's IXPLogon::FlushQueues on a ready transport (a user's "send now"): it
        speeds the spooler up and changes no outcome (R45)."""

    def transport_recovers(self, transport: int) -> str:
        """A transport in critical error reports NOTIFY_READYTOSEND (R56)."""


@runtime_checkable
class SystemUnderTest(SystemInputs, Protocol):
    """A system with steering hooks: the harness also asks its spooler, preprocessors and
    tight pair for each of their own decisions, one step at a time (and for those the model
    says are not due, expecting NOT_DUE)."""

    # ---- tightly coupled store + transport 0: its own decisions ------------------------------
    def tight_transmit(self, message: int, recipient: int) -> str:
        """The tight transport puts one recipient on the wire (R23, R49)."""

    def tight_request_download(self, message: int) -> str:
        """The tight transport asks the spooler to download the message (R20)."""

    def tight_finish(self, message: int) -> str:
        """The tight pair finishes the message without the spooler (R21)."""

    def tight_complete(self, message: int) -> str:
        """IMAPISupport::CompleteMsg: completion is handed to the spooler (R22, R37)."""

    def tight_queue_rest(self, message: int) -> str:
        """The tight pair queues what it cannot send for the spooler (R23, R26)."""

    # ---- spooler: its own decisions ----------------------------------------------------------
    def spooler_lock(self, message: int) -> str:
        """IMsgStore::SetLockState(MSG_LOCKED) by a spooler (R38-R41, R81)."""

    def spooler_unlock(self, message: int) -> str:
        """IMsgStore::SetLockState(MSG_UNLOCKED) by a spooler while the message waits: to be
        resubmitted, under conflicts.lock_during_retry "release"; for the transport's
        NOTIFY_SENTDEFERRED, under "release" or "release_when_deferred" (R40, R47, R52, R55)."""

    def spooler_submit_after_preprocess(self, message: int) -> str:
        """The spooler's IMessage::SubmitMessage that ends the preprocessing round trip (R34)."""

    def present(self, message: int, transport: int) -> str:
        """The spooler hands the locked message to a transport (R43, R44, R46)."""

    def spooler_ndr(self, message: int, recipient: int) -> str:
        """The spooler generates an NDR for a recipient no transport accepts (R58)."""

    def finished_msg(self, message: int) -> str:
        """IMsgStore::FinishedMsg by the spooler (R36, R62, R63, R65)."""


@runtime_checkable
class AutonomousSystem(SystemInputs, Protocol):
    """A system whose spooler, store and tight pair act on their own, as a real one does: the
    harness gives it only inputs (`SystemInputs`: the client's calls, what the transports
    answer and fail, the timers, restarts), never asks for a decision, and lets it run.

    `advance` lets it go on until it has made at least one call of its own or has nothing
    left to do without an input, and returns the records of the calls it made, in the order
    they returned, in the call-log format (docs/log-format.md) with two differences: no
    ``seq`` (the harness numbers the log) and ``message`` the message's index in
    `Setup.messages` (the harness writes its log id). An empty list means idle. The harness
    judges the records with the log validator, the same judge as ``validate-log``.

    `logs_every_step`, when the system has it and it is true, says the records cover every
    step the model knows, its internal ones too (an instrumented build's log:
    ``all_steps_logged``); otherwise only MAPI calls are expected, and the validator fills in
    the steps a log does not show."""

    def advance(self) -> Sequence[Mapping[str, Any]]:
        """The calls the system's own components made since the last input or advance."""
