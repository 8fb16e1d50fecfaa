"""The reference system: an in-memory message store, its outgoing queue and lock manager, the
MAPI spooler, the tightly coupled transport half and the transports' bookkeeping.

Each message keeps an explicit `status` (the implementation's own word for where it is);
every call checks its preconditions against it and answers the MAPI code the rules name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mapi_submission.harness.adapter import (
    NOT_DUE,
    MessageObservation,
    MessageSetup,
    Observation,
    RecipientObservation,
    Setup,
)
from mapi_submission.model.constants import (
    EC_NO_DEL_SUBMIT_MSG,
    EX,
    GONE,
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
    MAPI_E_USER_CANCEL,
    MAPI_E_WAIT,
    MAPI_W_PARTIAL_COMPLETION,
    MOVED,
    MSGFLAG_SUBMIT,
    MSGFLAG_UNSENT,
    S_OK,
    SENT_ITEMS,
    SMTP,
    SUBMITFLAG_LOCKED,
    SUBMITFLAG_PREPROCESS,
)

#: Readings of the documented conflicts this implementation follows unless told otherwise.
DEFAULT_READINGS: dict[str, str] = {
    "unsent_while_submitted": "keep",
    "sentmail_and_delete": "delete",
    "resend_submitted_rows": "skip",
    "submitflag_locked": "locked",
    "lock_during_retry": "hold",
    "abort_during_direct_send": "not_in_queue",
    "direct_send": "after_return",
    "after_cancel": "decline",
    "resubmit": "refused",
    "after_critical": "reroute",
    "tight_pair_send_time": "ignore",
    "move_submitted": "refused",
    "prepare_submit": "resend_only",
}

#: Statuses in which the spooler is responsible for the message (R42's second reading).
SPOOLER_STATUSES = frozenset({"waiting_preprocessing", "preprocessing", "waiting", "deferred",
                              "locked", "in_transport", "cancelling", "failing", "awaiting_end",
                              "retry_wait", "transport_deferred"})
QUEUED_WAITING = frozenset({"waiting", "waiting_preprocessing"})
#: Statuses of a queued message that the spooler must finish with before it locks a later one
#: (R14, R39: it locks only the oldest queued message); a message waiting for its send time
#: or for its transport's NOTIFY_SENTDEFERRED holds nothing back, and one waiting out a retry
#: delay only the messages that need its transport.
AHEAD_OF_LATER = frozenset({"waiting", "waiting_preprocessing", "preprocessing", "locked",
                            "in_transport", "cancelling", "failing", "awaiting_end"})


def transport_type(transport: int) -> str:
    """The address type transport `transport` registers (R43): EX for even, SMTP for odd."""
    return EX if transport % 2 == 0 else SMTP


@dataclass
class Recipient:
    address_type: str
    #: PR_RECIPIENT_TYPE's resend bits (R74): "" for an ordinary row, MAPI_SUBMITTED for a
    #: resend's row of an original recipient, MAPI_P1 for its copy of a failed one
    resend_type: str = ""
    responsible: bool = False  # PR_RESPONSIBILITY (R58)
    outcome: str = "pending"
    transmissions: int = 0


@dataclass
class StoredMessage:
    setup: MessageSetup
    folder: str
    status: str = "draft"
    flags: int = MSGFLAG_UNSENT  # R2: a new message is unsent
    addressed: bool = False
    other_handle_committed: bool = False
    lock_holders: int = 0
    preprocess_flag: bool = False
    preprocessed: bool = False
    preprocessors_run: int = 0
    in_direct_send: bool = False
    send_time_passed: bool = False
    transport: int = -1  # the transport of the running call
    declined: set[int] = field(default_factory=set)
    call_touched_recipients: bool = False
    #: recipients the transport marked in the running call and has not saved (R48)
    unsaved_marks: set[int] = field(default_factory=set)
    #: when its latest SubmitMessage marked it, as a sequence number (PR_CLIENT_SUBMIT_TIME)
    submit_time: int = 0
    recipients: list[Recipient] = field(default_factory=list)


class ReferenceSystem:
    """The reference store + spooler + transports behind the adapter protocol."""

    def __init__(self) -> None:
        self.readings: dict[str, str] = dict(DEFAULT_READINGS)
        self.tight = False
        self.serves: tuple[tuple[str, ...], ...] = ()
        self.preprocessors = 1
        self.transport_states: list[str] = []
        self.messages: list[StoredMessage] = []
        self.queue: list[int] = []
        self.submissions = 0  # SubmitMessage calls that marked a message: the submit clock

    # ---- set-up and observation -------------------------------------------------------------

    def start(self, setup: Setup) -> None:
        self.readings = {**DEFAULT_READINGS, **setup.readings}
        self.tight = setup.tight
        self.serves = setup.serves
        self.preprocessors = setup.preprocessors
        self.transport_states = ["ready"] * setup.transports
        self.queue = []
        self.submissions = 0
        self.messages = [
            StoredMessage(setup=spec, folder=spec.folder, recipients=self._recipient_table(spec))
            for spec in setup.messages
        ]

    @staticmethod
    def _recipient_table(spec: MessageSetup) -> list[Recipient]:
        """R74: a resend marks every original recipient MAPI_SUBMITTED and adds a MAPI_P1
        copy of each one the original failed to reach (all but the first, in this setup)."""
        if not spec.resend:
            return [Recipient(kind) for kind in spec.address_types]
        return ([Recipient(kind, "MAPI_SUBMITTED") for kind in spec.address_types]
                + [Recipient(kind, "MAPI_P1") for kind in spec.address_types[1:]])

    def observe(self) -> Observation:
        return Observation(
            messages=tuple(self._observe_message(m) for m in self.messages),
            queue=tuple(self.queue),
            transports=tuple(self.transport_states),
        )

    def _observe_message(self, message: StoredMessage) -> MessageObservation:
        submit_flags = SUBMITFLAG_PREPROCESS if message.preprocess_flag else 0
        # R42: SUBMITFLAG_LOCKED means "locked", or under the other reading "the spooler
        # handles it".
        if self.readings["submitflag_locked"] == "locked":
            held = message.lock_holders > 0
        else:
            held = message.status in SPOOLER_STATUSES
        if held:
            submit_flags |= SUBMITFLAG_LOCKED
        return MessageObservation(
            folder=message.folder,
            message_flags=message.flags,
            submit_flags=submit_flags,
            in_queue=self._index(message) in self.queue,
            lock_holders=message.lock_holders,
            in_direct_send=message.in_direct_send,
            recipients=tuple(
                RecipientObservation(r.responsible, r.outcome, r.transmissions)
                for r in message.recipients
            ),
        )

    def _index(self, message: StoredMessage) -> int:
        return next(i for i, m in enumerate(self.messages) if m is message)

    # ---- queue helpers ----------------------------------------------------------------------

    def _enqueue(self, m: int) -> None:
        """R25, R26: the outgoing queue is sorted by submission time (R14), also for a
        message the tight pair queues after SubmitMessage returned."""
        if m not in self.queue:
            self.queue.append(m)
            self.queue.sort(key=lambda index: self.messages[index].submit_time)

    def _dequeue(self, m: int) -> None:
        if m in self.queue:
            self.queue.remove(m)

    def _serves(self, transport: int, kind: str) -> bool:
        """R43: the address types the transport registered: the setup's, else EX for even
        transports and SMTP for odd."""
        return kind in self.serves[transport] if self.serves else kind == transport_type(transport)

    def _spooler_needed(self, message: StoredMessage) -> bool:
        """R17: not tightly coupled, or preprocessing due, or a recipient the tight pair
        (transport 0) cannot serve."""
        preprocessing_due = message.setup.needs_preprocessing and not message.preprocessed
        unservable = any(not self._serves(0, r.address_type) for r in message.recipients)
        return (not self.tight) or preprocessing_due or unservable

    def _tight_pair_routes(self, message: StoredMessage) -> bool:
        """R19: a tightly coupled store decides on status (coupling), not on the folder."""
        return self.tight

    def _route(self, m: int) -> None:
        """The store's decision at the end of SubmitMessage (R17, R19, R26, R34, R72)."""
        message = self.messages[m]
        waiting_for_send_time = message.setup.deferred_send and not message.send_time_passed
        preprocessing_due = message.setup.needs_preprocessing and not message.preprocessed
        honour = self.readings["tight_pair_send_time"] == "honour"
        if waiting_for_send_time and (honour or self._spooler_needed(message)):
            # R72: held in the queue until the send time; a message the tight pair would send
            # alone too when the run's reading honours it there (R71 otherwise)
            message.status = "deferred"
            self._enqueue(m)
        elif preprocessing_due:
            message.status = "waiting_preprocessing"  # R26, R34
            message.preprocess_flag = True
            self._enqueue(m)
        elif not self._tight_pair_routes(message):
            message.status = "waiting"
            self._enqueue(m)
        else:
            # R17, R23: the tight pair sends what it can itself; R71: deferred delivery of a
            # message the pair sends alone is the messaging system's job, not the store's.
            message.status = "direct_sending"
            message.in_direct_send = True
            self._dequeue(m)  # R20: a message the pair sends is not queued for the spooler
            if self.readings["direct_send"] == "before_return":
                self._send_before_returning(m)

    def _send_before_returning(self, m: int) -> None:
        """R21, R23, R26 read as the store-provider pages describe them: the pair sends every
        recipient it serves, then files the message itself or queues it for the spooler to
        send the rest, all before SubmitMessage returns."""
        message = self.messages[m]
        for recipient in self._tight_open_rows(message):
            self.tight_transmit(m, recipient)
        if self._tight_serves_all(message):
            self.tight_finish(m)
        else:
            self.tight_queue_rest(m)

    def _finished_folder(self, message: StoredMessage) -> str:
        """R63: PR_SENTMAIL_ENTRYID moves, PR_DELETE_AFTER_SUBMIT deletes; with both set the
        run's reading decides."""
        disposition = message.setup.disposition
        if disposition == "move_and_delete":
            disposition = "delete" if self.readings["sentmail_and_delete"] == "delete" else "move"
        if disposition == "move":
            return SENT_ITEMS
        if disposition == "delete":
            return GONE
        return message.folder

    def _lock_after_wait(self, message: StoredMessage) -> int:
        """R47, R52: the lock is kept or released while waiting, per the run's reading."""
        return 0 if self.readings["lock_during_retry"] == "release" else message.lock_holders

    def _lock_while_deferred(self, message: StoredMessage) -> int:
        """R52, R55: the lock while the transport has deferred the message: kept only under
        the "hold" reading."""
        return message.lock_holders if self.readings["lock_during_retry"] == "hold" else 0

    # ---- client ------------------------------------------------------------------------------

    def modify_recipients(self, m: int) -> str:
        message = self.messages[m]
        if message.status != "draft":
            return MAPI_E_NO_ACCESS
        message.addressed = True  # R9
        return S_OK

    def other_handle_save(self, m: int) -> str:
        message = self.messages[m]
        if message.status != "draft":
            return MAPI_E_NO_ACCESS
        message.other_handle_committed = True  # R4
        return S_OK

    def set_props(self, m: int) -> str:
        """R3, R9: a writable handle (kept open by KEEP_OPEN_READWRITE, or after a failed
        submit) takes changes; they stay uncommitted until SaveChanges."""
        message = self.messages[m]
        if message.status not in ("draft", "saved"):
            return MAPI_E_NO_ACCESS
        message.status = "draft"
        return S_OK

    def save_changes(self, m: int, force: bool) -> str:
        message = self.messages[m]
        if message.status not in ("draft", "saved"):
            return MAPI_E_NO_ACCESS
        if message.other_handle_committed and not force:
            return MAPI_E_OBJECT_CHANGED  # R4: another handle committed first
        message.other_handle_committed = False
        message.status = "saved"  # R3
        return S_OK

    def submit_message(self, m: int) -> str:
        message = self.messages[m]
        if message.flags & MSGFLAG_SUBMIT:
            return MAPI_E_NO_ACCESS  # R16: the test-and-set finds it submitted (R9, R10)
        if message.status not in ("draft", "saved"):
            return MAPI_E_NO_ACCESS
        if not message.addressed:
            return MAPI_E_NO_RECIPIENTS  # R9
        if message.other_handle_committed:
            return MAPI_E_OBJECT_CHANGED  # R8: the implied SaveChanges fails
        self._mark(message)
        self._route(m)
        return S_OK

    def other_handle_submit(self, m: int) -> str:
        """R16: a second session's SubmitMessage meets the same test-and-set."""
        return self.submit_message(m)

    def _mark(self, message: StoredMessage) -> None:
        """R12, R13, R75: MSGFLAG_SUBMIT set, PR_RESPONSIBILITY FALSE for every row (a
        resend's rows that already received the original stay TRUE and are skipped)."""
        message.flags |= MSGFLAG_SUBMIT
        if self.readings["unsent_while_submitted"] == "clear":
            message.flags &= ~MSGFLAG_UNSENT
        else:
            message.flags |= MSGFLAG_UNSENT
        # R75: the intended reading sends only the P1 rows; the PrepareSubmit page's clears
        # the MAPI_SUBMITTED rows for sending and gives the others (the P1 rows) TRUE
        skipped = ("MAPI_SUBMITTED" if self.readings["resend_submitted_rows"] == "skip"
                   else "MAPI_P1")
        for row in message.recipients:
            if row.resend_type == skipped:
                row.responsible, row.outcome = True, "skipped"
            else:
                row.responsible, row.outcome = False, "pending"
            row.transmissions = 0
        message.declined = set()
        message.preprocessed = False
        message.preprocessors_run = 0
        message.preprocess_flag = False
        message.transport = -1
        message.call_touched_recipients = False
        self.submissions += 1
        message.submit_time = self.submissions
        message.status = "submitted"

    def open_for_write(self, m: int) -> str:
        message = self.messages[m]
        if message.lock_holders:
            return MAPI_E_NO_ACCESS  # R29
        if m in self.queue:
            return MAPI_E_SUBMITTED  # R28
        if message.status != "saved":
            return MAPI_E_NO_ACCESS
        message.status = "draft"  # R3, R68
        return S_OK

    def open_best_access(self, m: int) -> str:
        message = self.messages[m]
        if message.lock_holders:
            return MAPI_E_NO_ACCESS  # R29: any open of a locked message
        if m in self.queue:
            return S_OK  # R28: a read-only handle; nothing changes
        if message.status != "saved":
            return MAPI_E_NO_ACCESS
        message.status = "draft"  # R3: the best access to a saved message is read/write
        return S_OK

    def delete_message(self, m: int) -> str:
        message = self.messages[m]
        if message.flags & MSGFLAG_SUBMIT:
            return EC_NO_DEL_SUBMIT_MSG  # R30
        if message.status not in ("draft", "saved"):
            return MAPI_E_NO_ACCESS
        message.status = "deleted"
        return S_OK

    def empty_folder(self, m: int) -> str:
        """R30: EmptyFolder leaves a submitted message alone (and never aborts it)."""
        message = self.messages[m]
        if message.flags & MSGFLAG_SUBMIT:
            return MAPI_W_PARTIAL_COMPLETION
        if message.status not in ("draft", "saved"):
            return MAPI_E_NO_ACCESS
        message.status = "deleted"
        return S_OK

    def move_message(self, m: int) -> str:
        """R70: a submitted message is moved only with its submission aborted, or not at
        all; never moved while it stays queued. One in composition just moves."""
        message = self.messages[m]
        if not message.flags & MSGFLAG_SUBMIT:
            if message.status not in ("draft", "saved"):
                return MAPI_E_NO_ACCESS
            message.folder = MOVED
            message.status = "moved_out"
            return S_OK
        if self.readings["move_submitted"] != "abort_first":
            return MAPI_E_NO_ACCESS
        result = self.abort_submit(m)  # the move fails the way the abort would
        if result == S_OK:
            message.folder = MOVED
            message.status = "moved_out"
        return result

    def copy_message(self, m: int) -> str:
        """R70: the copy is a new message, never submitted; the original keeps its
        submission."""
        message = self.messages[m]
        return S_OK if message.flags & MSGFLAG_SUBMIT or message.status in (
            "draft", "saved") else MAPI_E_NO_ACCESS

    def abort_submit(self, m: int) -> str:
        message = self.messages[m]
        if message.lock_holders:
            return MAPI_E_UNABLE_TO_ABORT  # R41 (also after a CompleteMsg the spooler awaits)
        if message.in_direct_send or message.status == "completing":
            # R67: a message the tight pair sends was never queued.
            if self.readings["abort_during_direct_send"] == "unable_to_abort":
                return MAPI_E_UNABLE_TO_ABORT
            return MAPI_E_NOT_IN_QUEUE
        if m not in self.queue:
            return MAPI_E_NOT_IN_QUEUE  # R67
        self._abort(m)
        return S_OK

    def _abort(self, m: int) -> None:
        """R68: out of the queue, MSGFLAG_SUBMIT cleared, MSGFLAG_UNSENT set, a saved message
        again; a transport holding it deferred is told NOTIFY_ABORT_DEFERRED (R55, R73)."""
        message = self.messages[m]
        self._dequeue(m)
        message.lock_holders = 0
        message.preprocess_flag = False
        message.transport = -1
        message.in_direct_send = False
        message.call_touched_recipients = False
        message.flags = (message.flags & ~MSGFLAG_SUBMIT) | MSGFLAG_UNSENT
        message.status = "saved"

    def client_finished_msg(self, m: int) -> str:
        return MAPI_E_NO_SUPPORT  # R31: FinishedMsg is for the spooler only

    # ---- store clock -------------------------------------------------------------------------

    def send_time_reached(self, m: int) -> str:
        message = self.messages[m]
        if message.status != "deferred":
            return NOT_DUE
        # R72: routed as if just submitted; it keeps its place in the queue, which is ordered
        # by submission time (R14, R25, R73).
        message.send_time_passed = True
        message.status = "submitted"
        self._route(m)
        return S_OK

    # ---- tight pair --------------------------------------------------------------------------

    def _tight_open_rows(self, message: StoredMessage) -> list[int]:
        return [i for i, r in enumerate(message.recipients)
                if r.outcome == "pending" and not r.responsible
                and self._serves(0, r.address_type)]

    def tight_transmit(self, m: int, recipient: int) -> str:
        message = self.messages[m]
        if not message.in_direct_send or recipient not in self._tight_open_rows(message):
            return NOT_DUE
        row = message.recipients[recipient]
        row.responsible, row.outcome = True, "sent"  # R23, R49
        row.transmissions += 1
        return S_OK

    def tight_fail_recipient(self, m: int, recipient: int) -> str:
        message = self.messages[m]
        if not message.in_direct_send or recipient not in self._tight_open_rows(message):
            return NOT_DUE
        row = message.recipients[recipient]
        row.responsible, row.outcome = True, "ndr"  # R58, R59: StatusRecips builds the NDR
        return S_OK

    def tight_request_download(self, m: int) -> str:
        # R20: the pair asks the spooler to download only a message it holds and has not
        # begun to send, never one it is sending; this pair begins sending every message it
        # takes at once, so it has no message to ask for.
        return NOT_DUE

    def _tight_done(self, message: StoredMessage) -> bool:
        return message.in_direct_send and not self._tight_open_rows(message)

    def _tight_serves_all(self, message: StoredMessage) -> bool:
        return all(self._serves(0, r.address_type) for r in message.recipients)

    def tight_finish(self, m: int) -> str:
        message = self.messages[m]
        if not (self._tight_done(message) and self._tight_serves_all(message)
                and not message.preprocessed):
            return NOT_DUE
        # R21, R63, R65: the pair files the message itself and the submission is over; the
        # recipients it failed have their NDRs (R58, R59).
        message.in_direct_send = False
        message.flags &= ~(MSGFLAG_SUBMIT | MSGFLAG_UNSENT)
        message.folder = self._finished_folder(message)
        message.status = self._outcome(message)
        return S_OK

    @staticmethod
    def _outcome(message: StoredMessage) -> str:
        """R54, R58: delivered when every recipient was handed off (or skipped as already
        received), non-delivered when none was, partially delivered otherwise."""
        handed_off = [r.outcome in ("sent", "skipped") for r in message.recipients]
        if all(handed_off):
            return "delivered"
        return "partially_delivered" if any(handed_off) else "non_delivered"

    def _owes_completion(self, message: StoredMessage) -> bool:
        """R34, R37: a preprocessed message the pair could send whole was sent inside the
        spooler's SubmitMessage; the pair hands it back with CompleteMsg before the spooler,
        which kept its lock, finishes it."""
        return (self.tight and message.status == "locked" and message.preprocessed
                and self._tight_serves_all(message) and not self._tight_open_rows(message))

    def tight_complete(self, m: int) -> str:
        message = self.messages[m]
        if self._owes_completion(message):
            message.status = "completing"
            return S_OK
        if not (self._tight_done(message) and self._tight_serves_all(message)):
            return NOT_DUE
        message.in_direct_send = False  # R22: CompleteMsg, the spooler finishes
        message.status = "completing"
        return S_OK

    def tight_queue_rest(self, m: int) -> str:
        message = self.messages[m]
        if not self._tight_done(message) or self._tight_serves_all(message):
            return NOT_DUE
        message.in_direct_send = False  # R23: what the pair cannot send goes to the spooler
        message.status = "waiting"
        self._enqueue(m)
        return S_OK

    # ---- spooler -----------------------------------------------------------------------------

    def _held_back(self, m: int) -> bool:
        """R14, R39: the spooler locks only the oldest queued message; it may pass one that
        waits for its transport to be available again only with a message that can go through
        another transport."""
        message = self.messages[m]
        for index in self.queue:
            if index == m:
                return False
            earlier = self.messages[index]
            if earlier.status in AHEAD_OF_LATER:
                return True
            if earlier.status == "retry_wait" and not any(
                    self._open_rows_for(message, t) for t in range(len(self.transport_states))
                    if t != earlier.transport):
                return True
        return False

    def spooler_lock(self, m: int) -> str:
        message = self.messages[m]
        if message.lock_holders:
            return MAPI_E_NOT_IN_QUEUE  # R41, R81: the lock is exclusive
        if m not in self.queue or message.in_direct_send:
            return MAPI_E_NOT_IN_QUEUE  # R20, R27: by status, never by folder
        if message.status not in QUEUED_WAITING or self._held_back(m):
            return NOT_DUE
        message.lock_holders = 1  # R38, R40
        message.status = ("preprocessing" if message.status == "waiting_preprocessing"
                          else "locked")
        return S_OK

    def spooler_unlock(self, m: int) -> str:
        message = self.messages[m]
        if message.status not in ("retry_wait", "transport_deferred"):
            return NOT_DUE
        reading = self.readings["lock_during_retry"]
        if reading == "hold" or (reading != "release" and message.status == "retry_wait"):
            return NOT_DUE  # the reading keeps the lock here
        message.lock_holders = 0  # R40: released while it waits (already, under this reading)
        return S_OK

    def locks_lost(self, m: int) -> str:
        message = self.messages[m]
        if message.status != "locked":
            return NOT_DUE  # between two calls only: no transport call is running
        message.lock_holders = 0  # R29: a lock need not survive a store restart
        message.transport = -1
        message.status = "waiting"  # still queued, where it was (R25)
        return S_OK

    def spooler_logs_on_again(self, m: int) -> str:
        message = self.messages[m]
        if message.status != "transport_deferred":
            return NOT_DUE
        # R55: NOTIFY_ABORT_DEFERRED at logoff; the next session finds it queued
        message.lock_holders = 0
        message.transport = -1
        message.status = "waiting"
        return S_OK

    def preprocess(self, m: int, recipient: int = -1) -> str:
        message = self.messages[m]
        if message.status != "preprocessing" or message.preprocessed:
            return NOT_DUE
        if recipient >= 0:
            # R35: returned as undeliverable: the spooler reports it (an NDR, R58)
            if recipient >= len(message.recipients):
                return NOT_DUE
            row = message.recipients[recipient]
            if row.responsible or row.outcome != "pending":
                return NOT_DUE
            row.responsible, row.outcome = True, "ndr"
        # R33, R34: the next preprocessor in registration order ran; the round trip may end
        # once every one that applies has
        message.preprocessors_run += 1
        message.preprocessed = message.preprocessors_run >= self.preprocessors
        return S_OK

    def spooler_submit_after_preprocess(self, m: int) -> str:
        message = self.messages[m]
        if message.status != "preprocessing" or not message.preprocessed:
            return NOT_DUE
        # R34: not a new submission: no new mark, same queue entry, the lock is kept. Routing
        # goes on: a tight store's pair sends what it serves now, the spooler the rest (R23).
        message.preprocess_flag = False
        message.status = "locked"
        if self.tight:
            for row in self._tight_open_rows(message):
                recipient = message.recipients[row]
                recipient.responsible, recipient.outcome = True, "sent"
                recipient.transmissions += 1
        return S_OK

    def _open_rows_for(self, message: StoredMessage, transport: int) -> list[int]:
        return [i for i, r in enumerate(message.recipients)
                if r.outcome == "pending" and not r.responsible
                and self._serves(transport, r.address_type)]

    def present(self, m: int, transport: int) -> str:
        message = self.messages[m]
        if (message.status != "locked" or self.transport_states[transport] != "ready"
                or transport in message.declined or not self._open_rows_for(message, transport)):
            return NOT_DUE  # R43, R44, R47
        if all(self._earlier_transport_takes(message, transport, row)
               for row in self._open_rows_for(message, transport)):
            return NOT_DUE  # R43: the profile's transport order decides
        message.transport = transport  # R46
        message.call_touched_recipients = False
        message.status = "in_transport"
        return S_OK

    def _may_take(self, message: StoredMessage, transport: int, row: int) -> bool:
        """The transport registered the row's type (R43) and may still take it: it has not
        declined this submission (R47) and is ready, or critical while the run's reading of
        R56 has the spooler wait for it to recover."""
        return (transport not in message.declined
                and self._serves(transport, message.recipients[row].address_type)
                and (self.transport_states[transport] == "ready"
                     or self.readings["after_critical"] == "wait"))

    def _earlier_transport_takes(self, message: StoredMessage, transport: int,
                                 row: int) -> bool:
        """R43: a transport earlier in the profile's order may take the row."""
        return any(self._may_take(message, t, row) for t in range(transport))

    def transport_transmit(self, m: int, recipient: int) -> str:
        message = self.messages[m]
        if (message.status != "in_transport"
                or recipient not in self._open_rows_for(message, message.transport)):
            return NOT_DUE
        row = message.recipients[recipient]
        row.responsible, row.outcome = True, "sent"  # R49, R57
        row.transmissions += 1
        message.call_touched_recipients = True
        message.unsaved_marks.add(recipient)  # R48: not saved until SaveChanges or S_OK
        return S_OK

    def transport_yield(self, m: int) -> str:
        if self.messages[m].status != "in_transport":
            return NOT_DUE
        return S_OK  # R54: the spooler lets the transport go on

    def spooler_cancel(self, m: int) -> str:
        """R53: TransportNotify(NOTIFY_CANCEL_MESSAGE) while the transport has the message:
        inside SubmitMessage it stops handing recipients on; during EndMessage nothing is
        left for it to stop."""
        message = self.messages[m]
        if message.status == "in_transport":
            message.status = "cancelling"
            return S_OK
        return S_OK if message.status == "awaiting_end" else NOT_DUE

    def spooler_abort_deferred(self, m: int) -> str:
        """R55: NOTIFY_ABORT_DEFERRED for a message the transport deferred and the client
        aborted, or that is still deferred when the spooler logs off."""
        return S_OK if self.messages[m].status in ("saved", "transport_deferred") else NOT_DUE

    def transport_save(self, m: int) -> str:
        message = self.messages[m]
        if message.status not in ("in_transport", "cancelling", "awaiting_end"):
            return NOT_DUE  # R46: the transport has the message only while it holds it
        message.unsaved_marks.clear()  # R48
        return S_OK

    def transport_fail_recipient(self, m: int, recipient: int) -> str:
        message = self.messages[m]
        if (message.status != "in_transport"
                or recipient not in self._open_rows_for(message, message.transport)):
            return NOT_DUE
        row = message.recipients[recipient]
        row.responsible, row.outcome = True, "ndr"  # R58, R59: StatusRecips builds the NDR
        message.call_touched_recipients = True
        return S_OK

    def transport_returns(self, m: int, code: str) -> str:
        message = self.messages[m]
        if message.status == "failing" and code != S_OK:
            # R47, R48: the error after NOTIFY_CRITICAL_ERROR; released without saving
            self._release_without_saving(message)
            message.transport = -1
            message.status = "locked"
            return S_OK
        if message.status == "cancelling":
            return self._return_after_cancel(message, code)
        if message.status != "in_transport":
            return NOT_DUE
        if code == S_OK:
            # R47, R51: S_OK with recipients of its types still open means "not sent (yet)":
            # EndMessage will say whether to call again now, later, or wait for the transport.
            message.status = "awaiting_end"
            message.unsaved_marks.clear()  # R51: kept open; the spooler saves the changes
            return S_OK
        cancel_declines = code == MAPI_E_CANCEL and self.readings["after_cancel"] == "decline"
        if code in (MAPI_E_BUSY, MAPI_E_NOT_ME) and message.call_touched_recipients:
            return NOT_DUE  # R47: BUSY and NOT_ME mean nothing was processed
        if code == MAPI_E_NOT_ME or cancel_declines:
            self._decline(message)
            return S_OK
        if code in (MAPI_E_BUSY, MAPI_E_NETWORK_ERROR, MAPI_E_WAIT, MAPI_E_CANCEL):
            # R47: BUSY, and WAIT / NETWORK_ERROR with their delay: retry later
            self._wait_after_error(message)
            return S_OK
        return NOT_DUE

    def _return_after_cancel(self, message: StoredMessage, code: str) -> str:
        """R53, R54: told to stop, the transport returns S_OK if it had handed on all its
        recipients, else MAPI_E_USER_CANCEL, which the spooler treats as MAPI_E_CANCEL."""
        if code == S_OK and not self._open_rows_for(message, message.transport):
            message.status = "awaiting_end"
            message.unsaved_marks.clear()
            return S_OK
        if code != MAPI_E_USER_CANCEL:
            return NOT_DUE
        if self.readings["after_cancel"] == "decline":
            self._decline(message)
        else:
            self._wait_after_error(message)
        return S_OK

    def _release_without_saving(self, message: StoredMessage) -> None:
        """R48: on an error the spooler releases the message without saving, so every mark
        the transport did not save is gone; the recipient is open again (a transport that
        had handed it on would have saved first)."""
        for index in sorted(message.unsaved_marks):
            row = message.recipients[index]
            row.responsible, row.outcome = False, "pending"
            row.transmissions -= 1
        message.unsaved_marks.clear()

    def _decline(self, message: StoredMessage) -> None:
        """R47, R53: the spooler looks for another transport for this submission."""
        self._release_without_saving(message)
        message.declined.add(message.transport)
        message.transport = -1
        message.status = "locked"

    def _wait_after_error(self, message: StoredMessage) -> None:
        """R47, R48: the spooler releases the message without saving; what the transport
        saved before returning (PR_RESPONSIBILITY of recipients it handled) persists."""
        self._release_without_saving(message)
        message.lock_holders = self._lock_after_wait(message)
        message.status = "retry_wait"

    def transport_critical_error(self, m: int) -> str:
        message = self.messages[m]
        if message.status != "in_transport":
            return NOT_DUE
        self.transport_states[message.transport] = "critical"  # R56
        message.status = "failing"  # R47: it returns an error from SubmitMessage next
        return S_OK

    def end_message(self, m: int, flags: str) -> str:
        message = self.messages[m]
        if message.status != "awaiting_end":
            return NOT_DUE
        if flags == "0":
            if self._open_rows_for(message, message.transport):
                # R49: no flag, yet rows of its types still have PR_RESPONSIBILITY FALSE: the
                # transport left them to others, so the spooler looks for another one (R43)
                message.declined.add(message.transport)
            message.transport = -1  # R51: the spooler saves the transport's changes
            message.status = "locked"
        elif flags == "END_RESEND_NOW":
            message.call_touched_recipients = False
            message.status = "in_transport"
        elif flags == "END_RESEND_LATER":
            message.lock_holders = self._lock_after_wait(message)
            message.status = "retry_wait"
        elif flags == "END_DONT_RESEND":
            message.lock_holders = self._lock_while_deferred(message)  # R52
            message.status = "transport_deferred"
        else:
            return NOT_DUE
        return S_OK

    def transport_sent_deferred(self, m: int) -> str:
        message = self.messages[m]
        if message.status != "transport_deferred":
            return NOT_DUE
        # R52: SubmitMessage again with BEGIN_DEFERRED, relocking first if released.
        message.lock_holders = max(message.lock_holders, 1)
        message.call_touched_recipients = False
        message.status = "in_transport"
        return S_OK

    def retry_elapsed(self, m: int) -> str:
        message = self.messages[m]
        if message.status != "retry_wait":
            return NOT_DUE
        message.transport = -1
        # R47, R52: with the lock kept the spooler goes on; released, it waits in the queue.
        message.status = "locked" if message.lock_holders else "waiting"
        return S_OK

    def spooler_ndr(self, m: int, recipient: int) -> str:
        message = self.messages[m]
        row = message.recipients[recipient]
        if message.status != "locked" or row.outcome != "pending" or row.responsible:
            return NOT_DUE
        if self._some_transport_accepts(message, recipient):
            return NOT_DUE
        row.outcome = "ndr"  # R58, R59: no transport takes it, the spooler reports it
        return S_OK

    def _some_transport_accepts(self, message: StoredMessage, recipient: int) -> bool:
        """R58: some transport may still take the recipient."""
        return any(self._may_take(message, t, recipient)
                   for t in range(len(self.transport_states)))

    def finished_msg(self, m: int) -> str:
        message = self.messages[m]
        if message.status not in ("locked", "completing") or self._owes_completion(message):
            return NOT_DUE
        outcomes = [r.outcome for r in message.recipients]
        if "pending" in outcomes:
            return NOT_DUE  # R58: every recipient handed off or reported first
        self._finish(m)
        message.status = self._outcome(message)
        return S_OK

    def _finish(self, m: int) -> None:
        """R36, R62, R63, R65: unlock, leave the queue, clear MSGFLAG_SUBMIT and
        MSGFLAG_UNSENT, file the message."""
        message = self.messages[m]
        self._dequeue(m)
        message.lock_holders = 0
        message.preprocess_flag = False
        message.transport = -1
        message.declined = set()
        message.preprocessed = False
        message.preprocessors_run = 0
        message.call_touched_recipients = False
        message.flags &= ~(MSGFLAG_SUBMIT | MSGFLAG_UNSENT)
        message.folder = self._finished_folder(message)

    # ---- transports ---------------------------------------------------------------------------

    def flush_queues(self, transport: int) -> str:
        if self.transport_states[transport] != "ready":
            return NOT_DUE  # R56: no call to a critical transport but its release
        return S_OK  # R45: the queue is sent sooner, in the same order, nothing else changes

    def transport_recovers(self, transport: int) -> str:
        if self.transport_states[transport] != "critical":
            return NOT_DUE
        self.transport_states[transport] = "ready"  # R56
        return S_OK


def make_reference() -> ReferenceSystem:
    """The factory ``mapi-submission conform --adapter
    mapi_submission.reference:make_reference`` uses."""
    return ReferenceSystem()
