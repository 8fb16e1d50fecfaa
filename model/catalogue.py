"""The rule catalogue: every rule of the reference (R1..R83), and for each rule the model does
not encode, why. Which rules are encoded is computed from the rule ids the table rows,
guards, effects, states and observations carry, so the catalogue cannot drift from the code.
"""

from __future__ import annotations

from typing import NamedTuple

from .effects import EFFECT_RULES
from .guards import GUARD_RULES
from .observe import OBSERVATION_RULES
from .states import MESSAGE_STATES, RECIPIENT_STATES, TRANSPORT_STATES
from .table import TABLE

TITLES: dict[str, str] = {
    "R1": "Where an outgoing message lives",
    "R2": "Which message flags the client may touch, and when",
    "R3": "SaveChanges semantics",
    "R4": "Concurrent edits and FORCE_SAVE",
    "R5": "Entry identifier availability",
    "R6": "Attachments and message save order",
    "R7": "MAPI_E_CORRUPT_DATA on save or submit",
    "R8": "SubmitMessage saves first",
    "R9": "Pre-conditions checked at submit",
    "R10": "After a successful submit the client's handles are dead",
    "R11": "FORCE_SUBMIT",
    "R12": "What the store does inside SubmitMessage (ordered)",
    "R13": "MSGFLAG_UNSENT during submission (conflict)",
    "R14": "Submission order",
    "R15": "ExpandRecips changes the recipient list",
    "R16": "Implementation pre-guards that return without side effects",
    "R17": "When the spooler must be involved",
    "R18": "What \"tightly coupled\" means",
    "R19": "Decide on status, not on location",
    "R20": "No spooler download for a message in flight",
    "R21": "Tight pair finishes alone",
    "R22": "Tight pair hands completion to the spooler (CompleteMsg)",
    "R23": "Partial handling by the tight pair",
    "R24": "Sessions without the spooler",
    "R25": "The outgoing queue",
    "R26": "Putting the message in the queue",
    "R27": "Queue membership is not folder membership",
    "R28": "No write access to queued messages",
    "R29": "Locked messages cannot be opened by clients",
    "R30": "Submitted messages cannot be deleted",
    "R31": "Spooler-only store methods",
    "R32": "Preprocessors are registered by transports",
    "R33": "Preprocessing follows transport order",
    "R34": "The preprocessing round-trip",
    "R35": "Preprocessor obligations",
    "R36": "Cleaning up after preprocessing",
    "R37": "Preprocessed + tightly coupled ⇒ spooler completes",
    "R38": "The spooler's main loop for a queued message",
    "R39": "Which message gets locked",
    "R40": "SetLockState saves pending changes",
    "R41": "Lock ⇒ AbortSubmit fails",
    "R42": "SUBMITFLAG_LOCKED",
    "R43": "Choosing transports; transport order",
    "R44": "Transport session must be enabled for outbound",
    "R45": "Flushing queues",
    "R46": "IXPLogon::SubmitMessage contract",
    "R47": "IXPLogon::SubmitMessage return values",
    "R48": "Errors discard the transport's unsaved changes",
    "R49": "Which recipients a transport processes",
    "R50": "Nontransmittable properties and P1 recipients",
    "R51": "EndMessage",
    "R52": "Transport-deferred messages",
    "R53": "Cancelling an in-progress transfer",
    "R54": "SpoolerYield can order a stop",
    "R55": "Aborting transport-deferred messages",
    "R56": "Critical transport errors and recovery",
    "R57": "Properties set by the transport",
    "R58": "PR_RESPONSIBILITY life-cycle",
    "R59": "Non-delivery and delivery reports on the send side",
    "R60": "One report per recipient",
    "R61": "Recipient table after submission",
    "R62": "FinishedMsg",
    "R63": "Disposition of the sent message",
    "R64": "Who moves: FinishedMsg or DoSentMail?",
    "R65": "Flags after completion",
    "R66": "Sent-items copy identity",
    "R67": "IMsgStore::AbortSubmit",
    "R68": "State after a successful abort",
    "R69": "RopAbortSubmit details",
    "R70": "Moving a submitted message out of the Outbox",
    "R71": "PR_DEFERRED_DELIVERY_TIME is not MAPI's job",
    "R72": "PR_DEFERRED_SEND_TIME (client-side \"send later\")",
    "R73": "Deferred messages are still abortable",
    "R74": "Building a resend message",
    "R75": "PrepareSubmit on resend (conflicting texts)",
    "R76": "RopSubmitMessage flags and server delivery",
    "R77": "Properties the server reads/sets at submission",
    "R78": "Message flags on the wire",
    "R79": "Client acting as spooler",
    "R80": "Lock must be closed",
    "R81": "Server handling of RopSpoolerLockMessage",
    "R82": "RopTransportSend",
    "R83": "Reports come back through inbound processing",
}

OUT_OF_SCOPE: dict[str, str] = {
    "R5": "Not observable as behaviour: whether PR_ENTRYID exists before the first save is a "
          "property of one provider, and a client that did not keep the id simply cannot "
          "call AbortSubmit, which leaves no record; the model names messages by index, so "
          "every message is addressable.",
    "R6": "Message content and attachments carry no submission state: no rule of the send "
          "life-cycle depends on them.",
    "R11": "FORCE_SUBMIT is documented as not in use: there is no behaviour to encode.",
    "R15": "Not observable: ExpandRecips runs inside the store's SubmitMessage, before "
           "routing, and no MAPI call shows the table before it; what every later call sees "
           "is the expanded table, which is the recipient list a configuration gives.",
    "R24": "No behaviour to check: in a MAPI_NO_MAIL session a message that needs the spooler "
           "never moves and the documents give no error for it, while the tight pair's own "
           "path (the part that still works) is R17's, which the model has.",
    "R50": "Message content (and so the P1 projection of it) carries no submission state; "
           "which rows a resend transmits is encoded through R74/R75.",
    "R64": "Not observable: the order of DoSentMail, the hooks and the move happens inside "
           "one FinishedMsg call, which returns once, so no log can show it.",
    "R66": "Informational: the identity stamped on the sent copy changes no state and no "
           "call's outcome.",
    "R76": "Wire encoding of R17's decision (RopSubmitMessage flags) on Exchange's protocol; "
           "the store-level rule is encoded as R17 and a server's log maps the flags onto it.",
    "R77": "Server-side stamping (submit time, spam level, locale) changes no call's outcome; "
           "the disposition part is encoded as R63 and optimizing send mode is a server's "
           "copy, not a MAPI message the provider interfaces show.",
    "R79": "Exchange's wire protocol (RopSetSpooler): a client in the spooler role is the "
           "spooler actor (lstLock, lstFinished, lstUnlock are SetLockState, FinishedMsg and "
           "the unlock), so its obligations are the spooler rows' (R38, R62); the ROP layer "
           "itself is not a MAPI provider interface.",
    "R82": "Exchange's wire protocol (RopTransportSend): a server-side send of a transport "
           "folder copy, below the MAPI provider interfaces the model and its logs speak.",
    "R83": "Inbound processing (IXPLogon::StartMessage) comes after the send life-cycle ends; "
           "a report it brings changes no state of the submitted message.",
}


class RuleEntry(NamedTuple):
    rule: str
    title: str
    encoded: bool
    reason: str  # empty when encoded


def encoded_rules() -> frozenset[str]:
    rules: set[str] = set()
    for row in TABLE:
        rules.update(row.rules)
    for group in (GUARD_RULES, EFFECT_RULES, OBSERVATION_RULES):
        for ids in group.values():
            rules.update(ids)
    for state in MESSAGE_STATES + RECIPIENT_STATES + TRANSPORT_STATES:
        rules.update(state.rules)
    return frozenset(rules)


def _catalogue() -> tuple[RuleEntry, ...]:
    encoded = encoded_rules()
    return tuple(
        RuleEntry(rule, title, rule in encoded, OUT_OF_SCOPE.get(rule, ""))
        for rule, title in TITLES.items()
    )


CATALOGUE: tuple[RuleEntry, ...] = _catalogue()
