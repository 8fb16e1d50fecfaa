"""Named effects: pure functions from a world to the next world. Each names its rules.

An effect is called as ``effect(config, world, message, arg)`` and returns the new world;
the destination state of the row is applied afterwards by the engine. What an effect does
not mention stays as it was (the frame condition).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .config import Config
from .constants import GONE, MOVED, MSGFLAG_SUBMIT, MSGFLAG_UNSENT, SENT_ITEMS
from .guards import takes, transport_left_recipients_open
from .world import (
    SATURATION,
    Message,
    Recipient,
    World,
    declared_fields,
    is_submitted_row,
    replace_message,
    replace_recipient,
    update_message,
    update_world,
)

Effect = Callable[[Config, World, int, int], World]

EFFECTS: dict[str, Effect] = {}
EFFECT_RULES: dict[str, tuple[str, ...]] = {}
#: effect name -> the fields it may write; a variant's replacement of an effect writes
#: within the replaced effect's declaration (the same test runs the variants)
EFFECT_WRITES: dict[str, frozenset[str]] = {}


def effect(*rules: str, writes: tuple[str, ...]) -> Callable[[Effect], Effect]:
    """Register an effect with its rules and the fields it may write (model.world.FIELDS;
    a test runs every effect on reachable worlds and fails on a write it does not declare)."""

    def register(function: Effect) -> Effect:
        EFFECTS[function.__name__] = function
        EFFECT_RULES[function.__name__] = rules
        EFFECT_WRITES[function.__name__] = declared_fields(f"effect {function.__name__}", writes)
        return function

    return register


def _update(w: World, m: int, **changes: Any) -> World:
    return replace_message(w, m, update_message(w.messages[m], changes))


def _enqueue(w: World, m: int, **changes: Any) -> World:
    """Into the outgoing queue at its place in submission order (R14, R25: sorted by
    submission time); a message already queued keeps its place. Every row that queues a
    message is inside its submission, so the message is in submission_order."""
    w = _update(w, m, in_queue=True, **changes)
    if m in w.queue:
        return w
    queued = w.queue
    return update_world(w, queue=tuple(i for i in w.submission_order if i == m or i in queued))


def _leave_submission(w: World, m: int) -> World:
    """The submission ended (finished or aborted): the message no longer has a place in
    submission order."""
    return update_world(w, submission_order=tuple(i for i in w.submission_order if i != m))


def _dequeue(w: World, m: int, **changes: Any) -> World:
    w = _update(w, m, in_queue=False, **changes)
    return update_world(w, queue=tuple(i for i in w.queue if i != m))


def _transmit(row: Recipient) -> Recipient:
    return Recipient(True, "sent", min(row.transmissions + 1, SATURATION))


def _spend_setback(w: World) -> World:
    return update_world(w, setbacks_left=w.setbacks_left - 1)


def _lock_after_wait(c: Config, message: Message) -> int:
    """R47: the lock through a retry delay (released only under "release")."""
    return 0 if c.conflicts.lock_during_retry == "release" else message.lock_holders


def _lock_while_deferred(c: Config, message: Message) -> int:
    """R52, R55: the lock while the transport has deferred the message (kept only under
    "hold")."""
    return message.lock_holders if c.conflicts.lock_during_retry == "hold" else 0


def _finished_folder(c: Config, message: Message) -> str:
    disposition = message.profile.disposition
    if disposition == "move_and_delete":
        disposition = "delete" if c.conflicts.sentmail_and_delete == "delete" else "move"
    if disposition == "move":
        return SENT_ITEMS
    if disposition == "delete":
        return GONE
    return message.folder


@effect(writes=())
def none(c: Config, w: World, m: int, a: int) -> World:
    """Only the state changes (or, for an error row, nothing)."""
    return w


# -- composition -----------------------------------------------------------------------------


@effect("R9", writes=("message.addressed",))
def add_recipient_rows(c: Config, w: World, m: int, a: int) -> World:
    return _update(w, m, addressed=True)


@effect("R4", writes=("message.conflict",))
def record_concurrent_commit(c: Config, w: World, m: int, a: int) -> World:
    return _update(w, m, conflict=True)


@effect("R4", writes=("message.conflict",))
def overwrite_concurrent_commit(c: Config, w: World, m: int, a: int) -> World:
    """FORCE_SAVE: this handle's changes win."""
    return _update(w, m, conflict=False)


@effect("R8", "R10", "R12", "R13", "R14", "R74", "R75", "R78",
        writes=("message.declined", "message.flags", "message.preprocessors_run",
                "recipient.outcome", "recipient.resp", "recipient.transmissions",
                "world.submission_order"))
def save_and_mark(c: Config, w: World, m: int, a: int) -> World:
    """SaveChanges, then mark: MSGFLAG_SUBMIT set, PR_RESPONSIBILITY FALSE for every row
    (TRUE for rows a resend already delivered), a fresh submission."""
    message = w.messages[m]
    flags = message.flags | MSGFLAG_SUBMIT
    if c.conflicts.unsent_while_submitted == "clear":
        flags &= ~MSGFLAG_UNSENT
    else:
        flags |= MSGFLAG_UNSENT
    # R75: under "skip" a resend's MAPI_SUBMITTED rows are shown, never transmitted, and its
    # P1 copies are sent; under "transmit" (the PrepareSubmit page) the MAPI_SUBMITTED rows
    # are cleared and sent again, and the rows without it become P1 with responsibility TRUE
    submitted_rows_skipped = c.conflicts.resend_submitted_rows == "skip"
    profile = message.profile
    rows = tuple(
        Recipient(True, "skipped", 0)
        if profile.resend and is_submitted_row(profile, i) is submitted_rows_skipped
        else Recipient(False, "pending", 0)
        for i in range(len(message.recipients))
    )
    w = replace_message(
        w,
        m,
        message._replace(
            flags=flags, recipients=rows, declined=0, preprocessors_run=0, preprocess=False,
            transport=-1, call_progress=False,
        ),
    )
    # the latest SubmitMessage is the last in submission order (R14)
    w = _leave_submission(w, m)
    return update_world(w, submission_order=w.submission_order + (m,))


# -- routing ------------------------------------------------------------------------------------


@effect("R25", "R26", "R34", writes=("message.in_queue", "message.preprocess", "world.queue"))
def enqueue_for_preprocessing(c: Config, w: World, m: int, a: int) -> World:
    return _enqueue(w, m, preprocess=True)


@effect("R17", "R25", "R26", writes=("message.in_queue", "world.queue"))
def enqueue_for_spooler(c: Config, w: World, m: int, a: int) -> World:
    return _enqueue(w, m)


@effect("R72", writes=("message.in_queue", "world.queue"))
def enqueue_until_send_time(c: Config, w: World, m: int, a: int) -> World:
    return _enqueue(w, m)


@effect("R72", writes=("message.send_time_reached",))
def release_at_send_time(c: Config, w: World, m: int, a: int) -> World:
    """The send time passed: the message is routed again as if just submitted. It keeps its
    place in the queue: the queue is ordered by submission time, not by when the message
    became due (R14, R25, R73)."""
    return _update(w, m, send_time_reached=True)


@effect("R17", "R20", writes=("message.in_queue", "message.inflight", "world.queue"))
def start_direct_send(c: Config, w: World, m: int, a: int) -> World:
    """The tight pair takes the message; one that was queued until its send time leaves the
    queue (R20: never in flight and queued for the spooler at once)."""
    return _dequeue(w, m, inflight=True) if m in w.queue else _update(w, m, inflight=True)


@effect("R20", writes=("message.in_queue", "world.queue"))
def enqueue_in_flight(c: Config, w: World, m: int, a: int) -> World:
    """The tight transport asks the spooler to download the message (forbidden by R20)."""
    return _enqueue(w, m)


# -- tight pair --------------------------------------------------------------------------------


@effect("R23", "R49", writes=("recipient.outcome", "recipient.resp", "recipient.transmissions"))
def tight_transmit(c: Config, w: World, m: int, a: int) -> World:
    message = w.messages[m]
    return replace_message(w, m, replace_recipient(message, a, _transmit(message.recipients[a])))


@effect("R58", "R59", writes=("recipient.outcome", "recipient.resp"))
def tight_fails_recipient(c: Config, w: World, m: int, a: int) -> World:
    """The pair's transport fails the recipient conclusively: PR_RESPONSIBILITY TRUE and
    StatusRecips builds the NDR (no transport call of the spooler's is running, so there is
    no unsaved progress to track)."""
    message = w.messages[m]
    row = message.recipients[a]
    return replace_message(w, m, replace_recipient(message, a, Recipient(True, "ndr",
                                                                         row.transmissions)))


@effect("R21", "R63", "R65",
        writes=("message.declined", "message.flags", "message.folder", "message.inflight",
                "message.preprocessors_run", "world.submission_order"))
def finish_without_spooler(c: Config, w: World, m: int, a: int) -> World:
    message = w.messages[m]
    w = _update(
        w, m, inflight=False, flags=message.flags & ~(MSGFLAG_SUBMIT | MSGFLAG_UNSENT),
        folder=_finished_folder(c, message), declined=0, preprocessors_run=0,
    )
    return _leave_submission(w, m)


def _tight_pair_transmits(c: Config, w: World, m: int) -> World:
    """The tight pair puts every open recipient its transport serves on the wire (R23)."""
    for recipient in range(len(w.messages[m].recipients)):
        if takes(c, 0, w.messages[m], recipient):
            w = tight_transmit(c, w, m, recipient)
    return w


def _send_own_recipients(c: Config, w: World, m: int) -> World:
    """The tight pair takes the message and sends what its transport serves."""
    return _tight_pair_transmits(c, start_direct_send(c, w, m, -1), m)


@effect("R20", "R21", "R49", "R63", "R65",
        writes=("message.declined", "message.flags", "message.folder", "message.in_queue",
                "message.inflight", "message.preprocessors_run", "recipient.outcome",
                "recipient.resp", "recipient.transmissions", "world.queue",
                "world.submission_order"))
def send_and_finish_directly(c: Config, w: World, m: int, a: int) -> World:
    """Inside SubmitMessage: send every recipient, then finish as the store does alone."""
    return finish_without_spooler(c, _send_own_recipients(c, w, m), m, a)


@effect("R20", "R23", "R26", "R49",
        writes=("message.in_queue", "message.inflight", "recipient.outcome", "recipient.resp",
                "recipient.transmissions", "world.queue"))
def send_own_and_queue_rest(c: Config, w: World, m: int, a: int) -> World:
    """Inside SubmitMessage: send the recipients the pair serves, queue the message for the
    spooler to take the rest."""
    return queue_remaining_recipients(c, _send_own_recipients(c, w, m), m, a)


@effect("R22", "R37", writes=("message.inflight",))
def hand_completion_to_spooler(c: Config, w: World, m: int, a: int) -> World:
    return _update(w, m, inflight=False)


@effect("R23", "R26", writes=("message.in_queue", "message.inflight", "world.queue"))
def queue_remaining_recipients(c: Config, w: World, m: int, a: int) -> World:
    return _enqueue(w, m, inflight=False)


# -- spooler -------------------------------------------------------------------------------------


@effect("R38", "R40", "R81", writes=("message.lock_holders",))
def take_lock(c: Config, w: World, m: int, a: int) -> World:
    return _update(w, m, lock_holders=min(w.messages[m].lock_holders + 1, SATURATION))


def _next_preprocessor_ran(c: Config, w: World, m: int) -> World:
    """One more preprocessor ran, the next in registration order (R33, R34): the round trip
    is done once every one of Config.preprocessors has."""
    return _update(w, m, preprocessors_run=w.messages[m].preprocessors_run + 1)


@effect("R33", "R34", "R35", writes=("message.preprocessors_run",))
def run_preprocessors(c: Config, w: World, m: int, a: int) -> World:
    return _next_preprocessor_ran(c, w, m)


@effect("R33", "R35", "R58",
        writes=("message.preprocessors_run", "recipient.outcome", "recipient.resp"))
def preprocessors_report_undeliverable(c: Config, w: World, m: int, a: int) -> World:
    """The next preprocessor ran and returned recipient `a` as undeliverable:
    PR_RESPONSIBILITY TRUE and an NDR, as StatusRecips would give it."""
    w = _next_preprocessor_ran(c, w, m)
    message = w.messages[m]
    row = message.recipients[a]
    return replace_message(w, m, replace_recipient(message, a, row._replace(
        resp=True, outcome="ndr")))


@effect("R23", "R34",
        writes=("message.preprocess", "recipient.outcome", "recipient.resp",
                "recipient.transmissions"))
def finish_preprocessing(c: Config, w: World, m: int, a: int) -> World:
    """The spooler's SubmitMessage: clear SUBMITFLAG_PREPROCESS and go on from the routing
    step (R34). Not a new submission: no new mark, no second queue entry, the lock is kept.
    A tightly coupled store's pair sends the recipients it serves there and then (R17, R23):
    the spooler holds the message, so the pair cannot take it later (R20); the spooler goes
    on with the rest, or completes the message when the pair sent them all (R22, R37)."""
    w = _update(w, m, preprocess=False)
    return _tight_pair_transmits(c, w, m) if w.tight else w


@effect("R43", "R46", writes=("message.call_progress", "message.transport"))
def present_to_transport(c: Config, w: World, m: int, a: int) -> World:
    return _update(w, m, transport=a, call_progress=False)


@effect("R58", "R59", writes=("recipient.outcome",))
def spooler_ndr(c: Config, w: World, m: int, a: int) -> World:
    """No transport takes the recipient: the spooler generates the NDR itself."""
    message = w.messages[m]
    row = message.recipients[a]
    return replace_message(w, m, replace_recipient(message, a, row._replace(outcome="ndr")))


@effect("R36", "R62", "R63", "R65",
        writes=("message.call_progress", "message.declined", "message.flags", "message.folder",
                "message.in_queue", "message.lock_holders", "message.preprocessors_run",
                "world.queue", "world.submission_order"))
def finish_message(c: Config, w: World, m: int, a: int) -> World:
    """FinishedMsg: unlock, leave the queue, clear MSGFLAG_SUBMIT/UNSENT, file per R63
    (RemovePreprocessInfo ran before, R36)."""
    message = w.messages[m]
    w = _dequeue(
        w, m, lock_holders=0, preprocess=False, transport=-1, declined=0, preprocessors_run=0,
        call_progress=False, flags=message.flags & ~(MSGFLAG_SUBMIT | MSGFLAG_UNSENT),
        folder=_finished_folder(c, message),
    )
    return _leave_submission(w, m)


# -- transport call ------------------------------------------------------------------------------


@effect("R48", "R49", "R57",
        writes=("message.call_progress", "message.unsaved", "recipient.outcome", "recipient.resp",
                "recipient.transmissions"))
def transport_transmit(c: Config, w: World, m: int, a: int) -> World:
    """The transport hands the recipient on and marks it (IMessage::ModifyRecipients,
    PR_RESPONSIBILITY TRUE): a change to the message it has not saved yet (R48)."""
    message = w.messages[m]
    message = replace_recipient(message, a, _transmit(message.recipients[a]))
    return replace_message(w, m, message._replace(call_progress=True,
                                                  unsaved=message.unsaved | (1 << a)))


@effect("R48", "R51", writes=("message.unsaved",))
def save_transport_changes(c: Config, w: World, m: int, a: int) -> World:
    """What the transport marked so far is saved: by its own IMAPIProp::SaveChanges, or by the
    spooler when IXPLogon::SubmitMessage returns S_OK (it keeps the message open and saves the
    transport's changes with it, R51); either way it survives a later error (R48)."""
    return _update(w, m, unsaved=0) if w.messages[m].unsaved else w


def _discard_unsaved(w: World, m: int) -> World:
    """R48: the spooler releases the message without saving: every mark the transport did not
    save is gone, and with it the hand-off it recorded (a transport that handed a recipient on
    saves before it returns an error, so an unsaved mark is a recipient not handed on)."""
    message = w.messages[m]
    if not message.unsaved:
        return w
    for r, row in enumerate(message.recipients):
        if message.unsaved >> r & 1:
            message = replace_recipient(
                message, r, Recipient(False, "pending", max(row.transmissions - 1, 0)))
    return replace_message(w, m, message._replace(unsaved=0))


@effect("R58", "R59", writes=("message.call_progress", "recipient.outcome", "recipient.resp"))
def transport_fails_recipient(c: Config, w: World, m: int, a: int) -> World:
    """Conclusive failure: PR_RESPONSIBILITY TRUE and StatusRecips builds the NDR."""
    message = w.messages[m]
    row = message.recipients[a]
    message = replace_recipient(message, a, Recipient(True, "ndr", row.transmissions))
    return replace_message(w, m, message._replace(call_progress=True))


@effect("R51", writes=("message.transport",))
def end_message(c: Config, w: World, m: int, a: int) -> World:
    """EndMessage returned: the spooler saves the transport's changes."""
    return _update(w, m, transport=-1)


@effect("R51", writes=("message.call_progress", "world.setbacks_left"))
def resend_now(c: Config, w: World, m: int, a: int) -> World:
    return _update(_spend_unless_paid(c, w, m), m, call_progress=False)


@effect("R47", "R51", writes=("message.lock_holders", "world.setbacks_left"))
def wait_keeping_progress(c: Config, w: World, m: int, a: int) -> World:
    message = w.messages[m]
    return _update(_spend_unless_paid(c, w, m), m, lock_holders=_lock_after_wait(c, message))


@effect("R51", "R52", "R55", writes=("message.lock_holders", "world.setbacks_left"))
def defer_keeping_progress(c: Config, w: World, m: int, a: int) -> World:
    """END_DONT_RESEND: the transport keeps the message until its NOTIFY_SENTDEFERRED."""
    message = w.messages[m]
    return _update(_spend_unless_paid(c, w, m), m,
                   lock_holders=_lock_while_deferred(c, message))


def _spend_unless_paid(c: Config, w: World, m: int) -> World:
    """An EndMessage that asks to be called again is a setback, unless the transport already
    returned from SubmitMessage without sending (not_sending_now spent it then)."""
    return w if transport_left_recipients_open(c, w, m, -1) else _spend_setback(w)


@effect("R47", "R48", "R51", writes=("message.unsaved", "world.setbacks_left"))
def not_sending_now(c: Config, w: World, m: int, a: int) -> World:
    """IXPLogon::SubmitMessage returns S_OK without sending: a setback of the bounded budget
    (the EndMessage that follows asks to be called again and spends no more); what the
    transport marked is kept, as after every S_OK."""
    return save_transport_changes(c, _spend_setback(w), m, a)


@effect("R43", "R49", writes=("message.declined", "message.unsaved", "world.setbacks_left"))
def leave_recipients_to_others(c: Config, w: World, m: int, a: int) -> World:
    """S_OK with recipients of the transport's types still open, left with PR_RESPONSIBILITY
    FALSE for another transport (R49): what it marked is saved, as after every S_OK (R51),
    and the transport is not asked again this submission; it keeps the message until
    EndMessage. A setback of the bounded budget, as a decline is (R47)."""
    w = save_transport_changes(c, _spend_setback(w), m, a)
    message = w.messages[m]
    declined = message.declined | 1 << message.transport
    return replace_message(w, m, message._replace(declined=declined))


@effect("R47", "R48",
        writes=("message.lock_holders", "message.unsaved", "recipient.outcome", "recipient.resp",
                "recipient.transmissions", "world.setbacks_left"))
def wait_after_error(c: Config, w: World, m: int, a: int) -> World:
    """The spooler releases the message without saving; what the transport saved before
    returning the error (R48 obliges it to save what must persist) is kept, the rest is
    discarded."""
    return _wait(c, _spend_setback(w), m)


def _wait(c: Config, w: World, m: int) -> World:
    message = w.messages[m]
    w = _discard_unsaved(w, m)
    return _update(w, m, lock_holders=_lock_after_wait(c, message))


@effect("R47", "R48",
        writes=("message.declined", "message.transport", "message.unsaved", "recipient.outcome",
                "recipient.resp", "recipient.transmissions", "world.setbacks_left"))
def decline_transport(c: Config, w: World, m: int, a: int) -> World:
    return _decline(_spend_setback(w), m)


def _decline(w: World, m: int) -> World:
    w = _discard_unsaved(w, m)
    message = w.messages[m]
    declined = message.declined | (1 << message.transport)
    return replace_message(w, m, message._replace(declined=declined, transport=-1))


@effect("R53", "R54", writes=("world.setbacks_left",))
def request_cancel(c: Config, w: World, m: int, a: int) -> World:
    """The spooler tells the transport to stop: a setback of the bounded budget, spent here so
    that the transport's MAPI_E_USER_CANCEL can always follow."""
    return _spend_setback(w)


@effect("R47", "R48", "R53",
        writes=("message.lock_holders", "message.unsaved", "recipient.outcome", "recipient.resp",
                "recipient.transmissions"))
def wait_after_cancel(c: Config, w: World, m: int, a: int) -> World:
    """MAPI_E_USER_CANCEL read as a retry (conflicts.after_cancel): as after an error (R48)."""
    return _wait(c, w, m)


@effect("R47", "R48", "R53",
        writes=("message.declined", "message.transport", "message.unsaved", "recipient.outcome",
                "recipient.resp", "recipient.transmissions"))
def decline_after_cancel(c: Config, w: World, m: int, a: int) -> World:
    """MAPI_E_USER_CANCEL read as a decline: the transport is not asked again (R48 as after
    an error)."""
    return _decline(w, m)


@effect("R47", "R56", writes=("world.setbacks_left", "world.transports"))
def report_critical_error(c: Config, w: World, m: int, a: int) -> World:
    """NOTIFY_CRITICAL_ERROR inside IXPLogon::SubmitMessage: the transport is critical (the
    spooler makes no more calls to it until it recovers); the call has not returned yet."""
    transports = list(w.transports)
    transports[w.messages[m].transport] = "critical"
    return update_world(_spend_setback(w), transports=tuple(transports))


@effect("R47", "R48",
        writes=("message.transport", "message.unsaved", "recipient.outcome", "recipient.resp",
                "recipient.transmissions"))
def return_after_critical_error(c: Config, w: World, m: int, a: int) -> World:
    """The error the transport returns after NOTIFY_CRITICAL_ERROR (R47): the spooler
    releases the message without saving, so its unsaved marks are gone (R48)."""
    w = _discard_unsaved(w, m)
    return replace_message(w, m, w.messages[m]._replace(transport=-1))


@effect("R51", "R52", writes=("message.call_progress", "message.lock_holders"))
def resume_deferred(c: Config, w: World, m: int, a: int) -> World:
    """NOTIFY_SENTDEFERRED: the spooler calls SubmitMessage with BEGIN_DEFERRED, relocking
    the message first if the lock was released meanwhile."""
    return _update(w, m, lock_holders=max(w.messages[m].lock_holders, 1), call_progress=False)


@effect("R47", writes=("message.transport",))
def retry_delay_elapsed(c: Config, w: World, m: int, a: int) -> World:
    return _update(w, m, transport=-1)


@effect("R29", "R40", "R55",
        writes=("message.call_progress", "message.lock_holders", "message.unsaved",
                "world.setbacks_left"))
def locks_lost(c: Config, w: World, m: int, a: int) -> World:
    """The spooler's lock is gone (a store restart, or the spooler's logoff): the message is
    queued and unlocked where it was in the queue, with what was saved (R40: locking and
    unlocking commit, and no transport call is running). A setback of the bounded budget."""
    return _update(_spend_setback(w), m, lock_holders=0, transport=-1, call_progress=False,
                   unsaved=0)


@effect("R56", writes=("world.transports",))
def transport_recovers(c: Config, w: World, m: int, a: int) -> World:
    transports = list(w.transports)
    transports[a] = "ready"
    return w._replace(transports=tuple(transports))


# -- abort ---------------------------------------------------------------------------------------


@effect("R55", "R67", "R68", "R73",
        writes=("message.call_progress", "message.flags", "message.in_queue", "message.inflight",
                "message.lock_holders", "message.preprocess", "message.transport", "world.queue",
                "world.submission_order"))
def abort_submission(c: Config, w: World, m: int, a: int) -> World:
    """Out of the queue, MSGFLAG_SUBMIT cleared, MSGFLAG_UNSENT set: a draft again (R68). A
    transport holding it deferred is told NOTIFY_ABORT_DEFERRED (R55)."""
    message = w.messages[m]
    w = _dequeue(
        w, m, lock_holders=0, preprocess=False, transport=-1, inflight=False,
        call_progress=False, flags=(message.flags & ~MSGFLAG_SUBMIT) | MSGFLAG_UNSENT,
    )
    return _leave_submission(w, m)


@effect("R67", "R68", "R70",
        writes=("message.call_progress", "message.flags", "message.folder", "message.in_queue",
                "message.lock_holders", "message.preprocess", "message.transport", "world.queue",
                "world.submission_order"))
def abort_and_move(c: Config, w: World, m: int, a: int) -> World:
    """CopyMessages(MESSAGE_MOVE) of a submitted message under "abort_first": the store aborts
    the submission as AbortSubmit does, then moves the message out of its folder (R70)."""
    return _update(abort_submission(c, w, m, a), m, folder=MOVED)


@effect("R70", writes=("message.folder",))
def move_out(c: Config, w: World, m: int, a: int) -> World:
    """CopyMessages(MESSAGE_MOVE) of a message in composition: only its folder changes."""
    return _update(w, m, folder=MOVED)
