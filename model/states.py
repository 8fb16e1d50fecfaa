"""The message life-cycle states, the recipient states and the transport states.

Backbone: draft -> saved -> submitted -> spooled -> in_transport -> delivered. Every other
state exists because a documented rule needs it; each names its rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class State(NamedTuple):
    name: str
    phase_group: str  # composition / submission / spooler / transport / completion
    rules: tuple[str, ...]
    description: str
    #: in the store's outgoing queue (GetOutgoingQueue lists it, R25, R26)
    in_queue: bool = False
    #: in the queue ahead of every later message: the spooler locks only the oldest queued
    #: message (R14, R39), so a later one waits until this one leaves the queue (or waits for
    #: a transport the later one does not need: waits_for_transport)
    ahead_in_order: bool = False
    #: taken by the spooler: it holds, or under one reading of R47/R52 may hold, the lock
    spooler_holds: bool = False
    #: waiting for its transport to be available again (R39: a later message that uses
    #: another transport may be locked before it; one that needs the same may not)
    waits_for_transport: bool = False
    #: the spooler holds the lock here under every reading of the documents (R38, R40)
    always_locked: bool = False
    #: a submission outcome FinishedMsg records (R62)
    finished: bool = False
    #: a state the message never leaves
    terminal: bool = False


MESSAGE_STATES: tuple[State, ...] = (
    State("draft", "composition", ("R1", "R2", "R3"),
          "Created or reopened by the client; uncommitted changes; MSGFLAG_UNSENT."),
    State("saved", "composition", ("R3", "R68"),
          "Committed, not submitted. Also where a successful AbortSubmit leaves a message."),
    State("submitted", "submission", ("R8", "R12", "R17"),
          "Inside IMessage::SubmitMessage: saved and marked (MSGFLAG_SUBMIT, all "
          "PR_RESPONSIBILITY FALSE); the store has not yet routed it. A message never rests "
          "here: the routing row (kind `inside call`) is taken in the same step, before the "
          "call returns (R26)."),
    State("preprocess_queued", "spooler", ("R26", "R34"),
          "In the outgoing queue with SUBMITFLAG_PREPROCESS, waiting for the spooler.",
          in_queue=True, ahead_in_order=True),
    State("preprocessing", "spooler", ("R34", "R35"),
          "Locked by the spooler while the registered preprocessors run.",
          in_queue=True, spooler_holds=True, always_locked=True,
          ahead_in_order=True),
    State("deferred", "spooler", ("R72", "R73"),
          "In the outgoing queue, PR_DEFERRED_SEND_TIME not reached; still abortable.",
          in_queue=True),
    State("spooled", "spooler", ("R17", "R26"),
          "In the outgoing queue, unlocked, waiting for the spooler.", in_queue=True,
          ahead_in_order=True),
    State("direct_sending", "transport", ("R17", "R20", "R21", "R23"),
          "The tightly coupled store+transport is sending it without the spooler."),
    State("locked", "spooler", ("R38", "R39", "R40"),
          "The spooler holds the lock and is choosing a transport, generating NDRs or "
          "finishing.", in_queue=True, spooler_holds=True, always_locked=True,
          ahead_in_order=True),
    State("in_transport", "transport", ("R46", "R47", "R49"),
          "Inside IXPLogon::SubmitMessage on one transport.",
          in_queue=True, spooler_holds=True, always_locked=True,
          ahead_in_order=True),
    State("failing", "transport", ("R47", "R48", "R56"),
          "The transport reported NOTIFY_CRITICAL_ERROR inside IXPLogon::SubmitMessage and "
          "returns an error from it next.",
          in_queue=True, spooler_holds=True, always_locked=True,
          ahead_in_order=True),
    State("cancelling", "transport", ("R53", "R54"),
          "Inside IXPLogon::SubmitMessage, the spooler has told the transport to stop "
          "(TransportNotify NOTIFY_CANCEL_MESSAGE, or MAPI_W_CANCEL_MESSAGE from SpoolerYield): "
          "it hands no further recipient on and returns as soon as it can.",
          in_queue=True, spooler_holds=True, always_locked=True,
          ahead_in_order=True),
    State("awaiting_end", "transport", ("R47", "R51"),
          "IXPLogon::SubmitMessage returned S_OK; the spooler will call EndMessage.",
          in_queue=True, spooler_holds=True, always_locked=True,
          ahead_in_order=True),
    State("retry_wait", "transport", ("R47", "R51"),
          "After MAPI_E_BUSY, MAPI_E_NETWORK_ERROR, MAPI_E_WAIT or END_RESEND_LATER; lock per "
          "conflicts.lock_during_retry.", in_queue=True, spooler_holds=True,
          waits_for_transport=True),
    State("transport_deferred", "transport", ("R51", "R52"),
          "The transport answered END_DONT_RESEND; waits for NOTIFY_SENTDEFERRED.",
          in_queue=True, spooler_holds=True),
    State("completing", "completion", ("R22", "R37"),
          "The tight pair sent every recipient and handed completion to the spooler "
          "(IMAPISupport::CompleteMsg)."),
    State("delivered", "completion", ("R62", "R63", "R65"),
          "Finished: every recipient handed off (or skipped as already received).",
          finished=True, terminal=True),
    State("partially_delivered", "completion", ("R54", "R58", "R62"),
          "Finished: some recipients handed off, the others non-delivered (NDR).",
          finished=True, terminal=True),
    State("non_delivered", "completion", ("R58", "R59", "R62"),
          "Finished: no recipient handed off; every one got an NDR.",
          finished=True, terminal=True),
    State("deleted", "completion", ("R30",),
          "Deleted by the client before it was ever submitted (or after an abort).",
          terminal=True),
    State("moved_out", "completion", ("R70",),
          "Moved out of its folder (IMAPIFolder::CopyMessages with MESSAGE_MOVE) while in "
          "composition, or after the store aborted its submission; outside the send "
          "life-cycle from then on.", terminal=True),
)

STATE_NAMES: tuple[str, ...] = tuple(s.name for s in MESSAGE_STATES)
STATES_BY_NAME: dict[str, State] = {s.name: s for s in MESSAGE_STATES}
#: The state every message starts in (R1).
INITIAL_STATE: str = MESSAGE_STATES[0].name


def _states(test: Callable[[State], bool]) -> tuple[str, ...]:
    return tuple(s.name for s in MESSAGE_STATES if test(s))


# Every set of message states the model, the properties and the tools use, computed from the
# attributes above (in life-cycle order); no other module lists states by name.
#: States a message never leaves.
TERMINAL: frozenset[str] = frozenset(_states(lambda s: s.terminal))
#: Outcomes of a finished submission (R62).
FINISHED: frozenset[str] = frozenset(_states(lambda s: s.finished))
#: Where the client holds (or can get) a writable handle: not yet submitted (R3).
CLIENT_STATES: frozenset[str] = frozenset(_states(lambda s: s.phase_group == "composition"))
#: States of a message inside a submission (MSGFLAG_SUBMIT set), from mark to FinishedMsg.
IN_SUBMISSION_ORDER: tuple[str, ...] = _states(
    lambda s: s.name not in CLIENT_STATES and not s.terminal)
IN_SUBMISSION: frozenset[str] = frozenset(IN_SUBMISSION_ORDER)
#: In the outgoing queue (R25, R26).
IN_QUEUE: tuple[str, ...] = _states(lambda s: s.in_queue)
#: In the queue, waiting for the spooler, not taken (abortable, R67, R73).
QUEUED_WAITING: tuple[str, ...] = _states(lambda s: s.in_queue and not s.spooler_holds)
#: Taken by the spooler.
SPOOLER_HELD: tuple[str, ...] = _states(lambda s: s.spooler_holds)
#: The spooler holds the lock under every reading of the documents.
ALWAYS_LOCKED: tuple[str, ...] = _states(lambda s: s.always_locked)
#: Where the spooler (not the tight pair) routes the message (observed as SUBMITFLAG_LOCKED
#: under the spooler_route reading of R42).
SPOOLER_ROUTE: frozenset[str] = frozenset(IN_QUEUE)
#: Queued ahead of every later message: waiting for the spooler's lock or held by it (R14,
#: R39); a deferred message is queued but waits for its send time instead (R72), and a
#: message waiting for its transport holds back only the messages that need that transport.
AHEAD_IN_ORDER: frozenset[str] = frozenset(_states(lambda s: s.ahead_in_order))
#: Queued, waiting for PR_DEFERRED_SEND_TIME: held by the store, not yet the spooler's (R72).
WAITING_FOR_SEND_TIME: frozenset[str] = frozenset(
    _states(lambda s: s.in_queue and not s.ahead_in_order and not s.spooler_holds))
#: Waiting for its transport to be available again (R39).
WAITING_FOR_TRANSPORT: frozenset[str] = frozenset(_states(lambda s: s.waits_for_transport))
#: Handed to a transport: locked by the spooler from IXPLogon::SubmitMessage until
#: EndMessage (R46, R47, R51).
WITH_A_TRANSPORT: frozenset[str] = frozenset(
    _states(lambda s: s.always_locked and s.phase_group == "transport"))
#: Sent by the tightly coupled store and transport without the spooler (R20, R21): the
#: transport phase outside the outgoing queue.
SENT_DIRECTLY: frozenset[str] = frozenset(
    _states(lambda s: s.phase_group == "transport" and not s.in_queue))
#: Gone without a submission outcome (deleted, R30).
REMOVED: frozenset[str] = TERMINAL - FINISHED
#: Finished outcomes in life-cycle order.
FINISHED_ORDER: tuple[str, ...] = _states(lambda s: s.finished)

#: Recipient life-cycle (reference 2.3) as outcome values of world.Recipient.
RECIPIENT_STATES: tuple[State, ...] = (
    State("pending", "recipient", ("R12", "R58"),
          "PR_RESPONSIBILITY FALSE: no transport has taken it yet."),
    State("sent", "recipient", ("R49", "R51"),
          "A transport transmitted it and set PR_RESPONSIBILITY TRUE (HANDED_OFF)."),
    State("ndr", "recipient", ("R58", "R59"),
          "Conclusively failed or no transport accepts it; an NDR is generated."),
    State("skipped", "recipient", ("R75",),
          "Resend: the recipient already received the original (MAPI_SUBMITTED)."),
)
RECIPIENT_STATE_NAMES: tuple[str, ...] = tuple(s.name for s in RECIPIENT_STATES)

#: Transport session (reference 2.5), reduced to what submission needs (R44, R56).
TRANSPORT_STATES: tuple[State, ...] = (
    State("ready", "transport", ("R44",), "Logged on with outbound enabled."),
    State("critical", "transport", ("R56",),
          "Reported NOTIFY_CRITICAL_ERROR; the spooler makes no calls until it recovers."),
)
TRANSPORT_STATE_NAMES: tuple[str, ...] = tuple(s.name for s in TRANSPORT_STATES)
#: The state a transport session starts in (listed first, as the message states list theirs).
INITIAL_TRANSPORT_STATE: str = TRANSPORT_STATE_NAMES[0]
