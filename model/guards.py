"""Named, side-effect-free guard predicates. Each names the rules it encodes.

A guard is called as ``guard(config, world, message, arg)``: `message` is the message index
(-1 for transport-machine rows) and `arg` the recipient or transport the row is about
(-1 when the row has none).
"""

from __future__ import annotations

from collections.abc import Callable

from .config import Config
from .constants import MSGFLAG_SUBMIT
from .states import AHEAD_IN_ORDER, CLIENT_STATES, WAITING_FOR_TRANSPORT
from .world import Message, World, row_address_type, serves

Guard = Callable[[Config, World, int, int], bool]

GUARDS: dict[str, Guard] = {}
GUARD_RULES: dict[str, tuple[str, ...]] = {}


def guard(*rules: str) -> Callable[[Guard], Guard]:
    def register(function: Guard) -> Guard:
        GUARDS[function.__name__] = function
        GUARD_RULES[function.__name__] = rules
        return function

    return register


# -- helpers (not guards) ------------------------------------------------------------------


def preprocessed(config: Config, message: Message) -> bool:
    """The preprocessing round trip ran every preprocessor that applies (R33, R34)."""
    return message.preprocessors_run >= config.preprocessors


def needs_preprocessing_now(config: Config, message: Message) -> bool:
    return message.profile.needs_preprocessing and not preprocessed(config, message)


def tight_pair_cannot_serve_all(config: Config, world: World, message: Message) -> bool:
    """ExpandRecips' NEEDS_SPOOLER: a recipient the tight transport cannot take (R12, R17)."""
    return world.tight and any(not serves(config, 0, t) for t in message.profile.address_types)


def spooler_needed(config: Config, world: World, message: Message) -> bool:
    """R17: not tightly coupled, or preprocessing needed, or the pair cannot serve all."""
    return ((not world.tight) or needs_preprocessing_now(config, message)
            or tight_pair_cannot_serve_all(config, world, message))


def send_time_pending(message: Message) -> bool:
    return message.profile.deferred_send and not message.send_time_reached


def takes(config: Config, transport: int, message: Message, recipient: int) -> bool:
    """Recipient row `recipient` exists, is still open and is of a type `transport`
    registered (R43, R49)."""
    return is_open(message, recipient) and serves(
        config, transport, row_address_type(message.profile, recipient))


def is_open(message: Message, recipient: int) -> bool:
    """Recipient row `recipient` exists (only a resend has the P1 rows, R74) and no one has
    taken or reported it yet (PR_RESPONSIBILITY FALSE, R49, R58)."""
    if recipient >= len(message.recipients):
        return False
    row = message.recipients[recipient]
    return row.outcome == "pending" and not row.resp


# -- composition -----------------------------------------------------------------------------


@guard("R9")
def has_no_recipient_rows(c: Config, w: World, m: int, a: int) -> bool:
    """The recipient table is empty: SubmitMessage must fail with MAPI_E_NO_RECIPIENTS."""
    return not w.messages[m].addressed


@guard("R9")
def has_recipient_rows(c: Config, w: World, m: int, a: int) -> bool:
    return w.messages[m].addressed


@guard("R4")
def no_save_conflict(c: Config, w: World, m: int, a: int) -> bool:
    """No other handle committed since this one was opened."""
    return not w.messages[m].conflict


@guard("R4", "R8")
def save_conflict(c: Config, w: World, m: int, a: int) -> bool:
    """Another handle committed first: a plain save (or the save inside SubmitMessage) fails."""
    return w.messages[m].conflict


@guard("R4")
def concurrent_edits_enabled(c: Config, w: World, m: int, a: int) -> bool:
    return c.features.save_conflicts and not w.messages[m].conflict


@guard("R9")
def store_refusals_enabled(c: Config, w: World, m: int, a: int) -> bool:
    """The configuration's store has limits of its own it may refuse a submit by."""
    return c.features.store_refusals


@guard("R29", "R55")
def restarts_enabled(c: Config, w: World, m: int, a: int) -> bool:
    """The configuration's store or spooler may restart during a run."""
    return c.features.restarts


@guard("R4", "R16")
def second_handle_open(c: Config, w: World, m: int, a: int) -> bool:
    """A second handle (another session) is open on the message: the save_conflicts
    feature, which also lets that handle commit first."""
    return c.features.save_conflicts


@guard("R10", "R16")
def resubmit_is_refused(c: Config, w: World, m: int, a: int) -> bool:
    """The "refused" reading of a second SubmitMessage (conflicts.resubmit)."""
    return c.conflicts.resubmit == "refused"


@guard("R30")
def message_submitted(c: Config, w: World, m: int, a: int) -> bool:
    """MSGFLAG_SUBMIT is set."""
    return bool(w.messages[m].flags & MSGFLAG_SUBMIT)


@guard("R3", "R30")
def in_composition(c: Config, w: World, m: int, a: int) -> bool:
    """The message is a draft or saved and not submitted: a handle may still hold it open
    read/write (R3: KEEP_OPEN_READWRITE keeps the handle writable after SaveChanges)."""
    return w.messages[m].phase in CLIENT_STATES


@guard("R12")
def store_calls_prepare_submit(c: Config, w: World, m: int, a: int) -> bool:
    """The store calls IMAPISupport::PrepareSubmit inside this SubmitMessage and returns its
    errors (R12 b): for a message with MSGFLAG_RESEND, or for every message under
    conflicts.prepare_submit "always"."""
    return w.messages[m].profile.resend or c.conflicts.prepare_submit == "always"


@guard("R70")
def store_may_refuse_move(c: Config, w: World, m: int, a: int) -> bool:
    """A move of a submitted message is the store's to refuse (every reading of
    conflicts.move_submitted but "forbidden", where the call itself breaks R70)."""
    return c.conflicts.move_submitted != "forbidden"


@guard("R70")
def move_aborts_first(c: Config, w: World, m: int, a: int) -> bool:
    """The "abort_first" reading of conflicts.move_submitted: the store moves a submitted
    message only by aborting its submission first."""
    return c.conflicts.move_submitted == "abort_first"


# -- routing inside SubmitMessage (the seed's rules) ----------------------------------------------


@guard("R17", "R32", "R33", "R34")
def needs_preprocessing(c: Config, w: World, m: int, a: int) -> bool:
    """ExpandRecips reported NEEDS_PREPROCESSING and the round-trip has not run yet."""
    return needs_preprocessing_now(c, w.messages[m])


@guard("R17", "R34")
def no_preprocessing_needed(c: Config, w: World, m: int, a: int) -> bool:
    return not needs_preprocessing_now(c, w.messages[m])


def held_until_send_time(config: Config, world: World, message: Message) -> bool:
    """R72: the store keeps a message whose send time lies ahead in its queue: one the
    spooler will handle, and under conflicts.tight_pair_send_time "honour" also one the
    tight pair would send alone (R71, the other reading: not the store's business)."""
    return send_time_pending(message) and (
        config.conflicts.tight_pair_send_time == "honour"
        or spooler_needed(config, world, message))


@guard("R17", "R71", "R72")
def store_holds_until_send_time(c: Config, w: World, m: int, a: int) -> bool:
    return held_until_send_time(c, w, w.messages[m])


@guard("R17", "R19")
def store_routes_to_spooler(c: Config, w: World, m: int, a: int) -> bool:
    """The store hands the whole message to the spooler: decided on status (coupling), not on
    the folder the message sits in (R19)."""
    return not w.tight


@guard("R17", "R18", "R19", "R23")
def store_routes_to_tight_pair(c: Config, w: World, m: int, a: int) -> bool:
    """A tightly coupled store sends itself what it can (R17); the rest is queued (R23)."""
    return w.tight


@guard("R72")
def send_time_in_future(c: Config, w: World, m: int, a: int) -> bool:
    """PR_DEFERRED_SEND_TIME has not been reached."""
    return send_time_pending(w.messages[m])


@guard("R72")
def send_time_due(c: Config, w: World, m: int, a: int) -> bool:
    return not send_time_pending(w.messages[m])


@guard("R71", "R72")
def not_held_until_send_time(c: Config, w: World, m: int, a: int) -> bool:
    """The store does not hold the message back for its send time (held_until_send_time)."""
    return not held_until_send_time(c, w, w.messages[m])


# -- tightly coupled direct send ---------------------------------------------------------------


@guard("R20")
def in_flight_on_tight_transport(c: Config, w: World, m: int, a: int) -> bool:
    return w.messages[m].inflight


@guard("R20")
def not_in_flight_on_tight_transport(c: Config, w: World, m: int, a: int) -> bool:
    """R20: the tight transport must not ask the spooler to download a message it is sending."""
    return not w.messages[m].inflight


@guard("R23", "R43", "R49")
def recipient_for_tight_transport(c: Config, w: World, m: int, a: int) -> bool:
    return takes(c, 0, w.messages[m], a)


@guard("R23")
def tight_recipients_settled(c: Config, w: World, m: int, a: int) -> bool:
    """The tight pair handled every recipient it can serve."""
    message = w.messages[m]
    return not any(takes(c, 0, message, r) for r in range(len(message.recipients)))


@guard("R17", "R23")
def tight_pair_cannot_serve_every_recipient(c: Config, w: World, m: int, a: int) -> bool:
    return tight_pair_cannot_serve_all(c, w, w.messages[m])


@guard("R21", "R22")
def tight_pair_serves_every_recipient(c: Config, w: World, m: int, a: int) -> bool:
    return not tight_pair_cannot_serve_all(c, w, w.messages[m])


@guard("R21", "R26")
def store_sends_after_return(c: Config, w: World, m: int, a: int) -> bool:
    """conflicts.direct_send "after_return": SubmitMessage returns once the message is
    handed to the tight transport; it sends afterwards."""
    return c.conflicts.direct_send == "after_return"


@guard("R21", "R23", "R26")
def store_sends_before_return(c: Config, w: World, m: int, a: int) -> bool:
    """conflicts.direct_send "before_return": the store sends what its transport serves, and
    finishes or queues the message, before SubmitMessage returns."""
    return c.conflicts.direct_send == "before_return"


@guard("R21", "R37")
def not_preprocessed(c: Config, w: World, m: int, a: int) -> bool:
    """A preprocessed message may not finish without the spooler (R37)."""
    return not preprocessed(c, w.messages[m])


def _pair_owes_completion(config: Config, world: World, message: Message) -> bool:
    """R34, R37: after preprocessing, routing went on to a tightly coupled pair that serves
    every recipient; it sent them inside the spooler's SubmitMessage and must hand the
    message back with CompleteMsg, so the spooler does the post-processing."""
    return (world.tight and preprocessed(config, message)
            and not tight_pair_cannot_serve_all(config, world, message))


@guard("R22", "R34", "R37")
def pair_owes_completion(c: Config, w: World, m: int, a: int) -> bool:
    return _pair_owes_completion(c, w, w.messages[m])


@guard("R37", "R62")
def pair_owes_no_completion(c: Config, w: World, m: int, a: int) -> bool:
    """The spooler finishes a message it locked only when no CompleteMsg is due first."""
    return not _pair_owes_completion(c, w, w.messages[m])


# -- spooler -------------------------------------------------------------------------------


@guard("R19", "R20", "R27")
def spooler_may_lock(c: Config, w: World, m: int, a: int) -> bool:
    """The spooler takes messages by status (queued, not in flight), never by folder."""
    message = w.messages[m]
    return message.in_queue and not message.inflight


@guard("R41", "R81")
def lock_is_free(c: Config, w: World, m: int, a: int) -> bool:
    """SetLockState(MSG_LOCKED) succeeds only when nobody holds the lock."""
    return w.messages[m].lock_holders == 0


@guard("R41", "R81")
def lock_is_held(c: Config, w: World, m: int, a: int) -> bool:
    return w.messages[m].lock_holders > 0


def uses_another_transport(c: Config, w: World, message: Message, transport: int) -> bool:
    """Some open recipient of `message` is one a transport other than `transport` takes."""
    return any(takes(c, other, message, r) for other in range(len(w.transports))
               if other != transport for r in range(len(message.recipients)))


@guard("R14", "R39")
def next_in_submission_order(c: Config, w: World, m: int, a: int) -> bool:
    """FIFO (R14, R39): the spooler locks only the oldest queued message, so no earlier-submitted
    message is still in the queue waiting for the lock or held by the spooler. The one
    exception (R39): an earlier message waiting for its transport to be available again is
    passed by a message that uses a different transport, and only by such a message. A message
    waiting for its send time (R72) or for its transport's NOTIFY_SENTDEFERRED (R52) holds
    nothing back."""
    for other in w.queue:
        if other == m:
            return True
        earlier = w.messages[other]
        if earlier.phase in AHEAD_IN_ORDER:
            return False
        if earlier.phase in WAITING_FOR_TRANSPORT and not uses_another_transport(
                c, w, w.messages[m], earlier.transport):
            return False
    return True


@guard("R34")
def preprocessors_pending(c: Config, w: World, m: int, a: int) -> bool:
    return not preprocessed(c, w.messages[m])


@guard("R34")
def preprocessors_ran(c: Config, w: World, m: int, a: int) -> bool:
    return preprocessed(c, w.messages[m])


@guard("R44", "R56")
def transport_ready(c: Config, w: World, m: int, a: int) -> bool:
    """The transport is logged on for outbound and not in critical error."""
    return w.transports[a] == "ready"


@guard("R47", "R49", "R53")
def transport_not_declined(c: Config, w: World, m: int, a: int) -> bool:
    """The transport has not answered MAPI_E_NOT_ME for this submission (nor a cancel read
    as a decline: conflicts.after_cancel)."""
    return not (w.messages[m].declined >> a) & 1


@guard("R43", "R49")
def transport_has_recipients(c: Config, w: World, m: int, a: int) -> bool:
    """Some recipient with PR_RESPONSIBILITY FALSE has the transport's address type."""
    message = w.messages[m]
    return any(takes(c, a, message, r) for r in range(len(message.recipients)))


def _available(c: Config, w: World, message: Message, transport: int) -> bool:
    """The transport may still take the message's recipients: it has not declined this
    submission (R47) and is ready, or critical while the spooler waits for it to recover
    under conflicts.after_critical "wait" (R56)."""
    return (not (message.declined >> transport) & 1
            and (w.transports[transport] == "ready" or c.conflicts.after_critical == "wait"))


@guard("R43")
def first_in_transport_order(c: Config, w: World, m: int, a: int) -> bool:
    """The transport comes first in the profile's transport order for one of its open
    recipients: no earlier transport that registered that recipient's type is available
    (R43: when several transports register a type, the order decides)."""
    message = w.messages[m]
    return any(takes(c, a, message, r)
               and not any(_available(c, w, message, t) and takes(c, t, message, r)
                           for t in range(a))
               for r in range(len(message.recipients)))


@guard("R56", "R58")
def no_transport_takes_recipient(c: Config, w: World, m: int, a: int) -> bool:
    """Recipient `a` is open and no undeclined transport that registered its address type
    is available: ready, or (under conflicts.after_critical "wait") critical but able to
    recover (R56)."""
    message = w.messages[m]
    if not is_open(message, a):
        return False
    return not any(_available(c, w, message, t) and takes(c, t, message, a)
                   for t in range(len(w.transports)))


@guard("R58", "R62")
def all_recipients_settled(c: Config, w: World, m: int, a: int) -> bool:
    return all(r.outcome != "pending" for r in w.messages[m].recipients)


@guard("R62")
def outcome_all_handed_off(c: Config, w: World, m: int, a: int) -> bool:
    return all(r.outcome in ("sent", "skipped") for r in w.messages[m].recipients)


@guard("R54", "R58", "R62")
def outcome_partly_handed_off(c: Config, w: World, m: int, a: int) -> bool:
    rows = w.messages[m].recipients
    return any(r.outcome == "ndr" for r in rows) and any(
        r.outcome in ("sent", "skipped") for r in rows
    )


@guard("R58", "R59", "R62")
def outcome_none_handed_off(c: Config, w: World, m: int, a: int) -> bool:
    return all(r.outcome == "ndr" for r in w.messages[m].recipients)


# -- transport call --------------------------------------------------------------------------


@guard("R35", "R58")
def recipient_still_open(c: Config, w: World, m: int, a: int) -> bool:
    """Recipient row `a` exists and no one has taken or reported it yet."""
    return is_open(w.messages[m], a)


@guard("R43", "R49")
def recipient_for_this_transport(c: Config, w: World, m: int, a: int) -> bool:
    message = w.messages[m]
    return takes(c, message.transport, message, a)


@guard("R47", "R48", "R56", "R58")
def transport_failures_enabled(c: Config, w: World, m: int, a: int) -> bool:
    return c.features.transport_failures


@guard("R47", "R51")
def setback_available(c: Config, w: World, m: int, a: int) -> bool:
    """Transports eventually answer (reference 2.7): setbacks come from a bounded budget."""
    return w.setbacks_left > 0


@guard("R47")
def nothing_processed_in_call(c: Config, w: World, m: int, a: int) -> bool:
    """MAPI_E_BUSY and MAPI_E_NOT_ME mean nothing was processed."""
    return not w.messages[m].call_progress


@guard("R47", "R49", "R51")
def transport_settled_its_recipients(c: Config, w: World, m: int, a: int) -> bool:
    """Every recipient of the transport's address type is sent or failed (what S_OK from
    SubmitMessage, and an EndMessage without flags, say of the message: R47, R51)."""
    message = w.messages[m]
    return not any(takes(c, message.transport, message, r) for r in range(len(message.recipients)))


@guard("R51")
def transport_left_recipients_open(c: Config, w: World, m: int, a: int) -> bool:
    """The transport returns from SubmitMessage with recipients of its types still open: it
    has not sent the message (yet) and says so in EndMessage (END_RESEND_NOW, END_RESEND_LATER,
    END_DONT_RESEND, R51)."""
    return not transport_settled_its_recipients(c, w, m, a)


@guard("R43", "R49")
def transport_left_recipients_to_others(c: Config, w: World, m: int, a: int) -> bool:
    """The running transport returned S_OK leaving recipients of its types with
    PR_RESPONSIBILITY FALSE because it cannot or should not handle them (R49): it is not
    asked again this submission, and the spooler looks for another transport (R43)."""
    message = w.messages[m]
    return message.transport >= 0 and bool(message.declined >> message.transport & 1)


@guard("R49", "R51")
def transport_done_with_its_recipients(c: Config, w: World, m: int, a: int) -> bool:
    """EndMessage without flags: the transport settled every recipient of its types, or left
    the rest to other transports (R49); otherwise no flag would claim a send that did not
    happen (R51)."""
    return (transport_settled_its_recipients(c, w, m, a)
            or transport_left_recipients_to_others(c, w, m, a))


@guard("R49", "R51")
def transport_keeps_its_recipients(c: Config, w: World, m: int, a: int) -> bool:
    """The transport did not leave its open recipients to others: END_RESEND_NOW,
    END_RESEND_LATER and END_DONT_RESEND are about sending them itself (R51)."""
    return not transport_left_recipients_to_others(c, w, m, a)


@guard("R47", "R51")
def resend_affordable(c: Config, w: World, m: int, a: int) -> bool:
    """A setback is left for an EndMessage that asks to be called again, or was spent when the
    transport returned without sending."""
    return setback_available(c, w, m, a) or transport_left_recipients_open(c, w, m, a)


@guard("R51", "R52", "R72")
def deferral_enabled(c: Config, w: World, m: int, a: int) -> bool:
    return c.features.deferral


@guard("R47", "R52")
def lock_held_during_retry(c: Config, w: World, m: int, a: int) -> bool:
    """The spooler keeps the lock through a retry delay (every reading but "release")."""
    return c.conflicts.lock_during_retry != "release"


@guard("R47", "R52")
def lock_released_during_retry(c: Config, w: World, m: int, a: int) -> bool:
    return c.conflicts.lock_during_retry == "release"


@guard("R47", "R52", "R55")
def lock_released_while_waiting(c: Config, w: World, m: int, a: int) -> bool:
    """The reading has the lock released where the message waits: through a retry delay
    only under "release", while the transport has deferred it also under
    "release_when_deferred"."""
    reading = c.conflicts.lock_during_retry
    if w.messages[m].phase in WAITING_FOR_TRANSPORT:
        return reading == "release"
    return reading != "hold"


@guard("R47", "R53")
def cancel_means_retry(c: Config, w: World, m: int, a: int) -> bool:
    return c.conflicts.after_cancel == "retry"


@guard("R47", "R53")
def cancel_means_decline(c: Config, w: World, m: int, a: int) -> bool:
    return c.conflicts.after_cancel == "decline"


# -- abort, access ----------------------------------------------------------------------------


@guard("R67")
def abort_enabled(c: Config, w: World, m: int, a: int) -> bool:
    return c.features.abort


@guard("R67", "R73")
def in_outgoing_queue(c: Config, w: World, m: int, a: int) -> bool:
    return w.messages[m].in_queue


@guard("R67")
def not_in_outgoing_queue(c: Config, w: World, m: int, a: int) -> bool:
    return not w.messages[m].in_queue


@guard("R41")
def not_locked_by_spooler(c: Config, w: World, m: int, a: int) -> bool:
    """R41: AbortSubmit fails once the spooler has locked the message."""
    return w.messages[m].lock_holders == 0


@guard("R41")
def locked_by_spooler(c: Config, w: World, m: int, a: int) -> bool:
    return w.messages[m].lock_holders > 0


@guard("R67")
def direct_send_abort_not_in_queue(c: Config, w: World, m: int, a: int) -> bool:
    return c.conflicts.abort_during_direct_send == "not_in_queue"


@guard("R67")
def direct_send_abort_unable(c: Config, w: World, m: int, a: int) -> bool:
    return c.conflicts.abort_during_direct_send == "unable_to_abort"


@guard("R28")
def queued_and_unlocked(c: Config, w: World, m: int, a: int) -> bool:
    """R28: a queued message is read-only to clients (when it is also locked, R29 wins)."""
    message = w.messages[m]
    return message.in_queue and message.lock_holders == 0
