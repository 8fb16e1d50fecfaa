"""Bounds of a model instance: sizes, feature switches, explored parameters and the
documented conflicts (reference sections 2.8 and 5), each a named parameter.

Nothing here is a silent choice: where the MAPI documents disagree the configuration says
which reading an instance uses, and the checker can run every reading.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .constants import ADDRESS_TYPES, INBOX, OUTBOX
from .errors import MapiSubmissionError, quoted_field


class ConfigError(MapiSubmissionError, ValueError):
    """A configuration value is out of range or unknown; the message names the field."""


@dataclass(frozen=True)
class Features:
    """Which optional parts of the life-cycle are in the model."""

    preprocessing: bool = True  # R32-R34: transports register preprocessors
    deferral: bool = True  # R72 client "send later"; R51/R52 transport deferral
    abort: bool = True  # R67, R68, R73: IMsgStore::AbortSubmit
    transport_failures: bool = True  # R47, R48, R56, R58: BUSY, NOT_ME, errors, critical
    resend: bool = True  # R74, R75: resend of an undelivered message (MSGFLAG_RESEND)
    save_conflicts: bool = True  # R4, R8: another handle commits first
    #: R8, R9: the store refuses a submit by limits of its own (quota, message size, recipient
    #: count) with an error and no submission side effect. Off unless a configuration says
    #: its store has such limits: the refusal takes any error code, which the store decides.
    store_refusals: bool = False
    #: R29, R40, R55: the spooler's locks are lost between two calls: the store restarted
    #: (the locked state need not survive a shutdown) or the spooler logged off and on, and a
    #: message a transport had deferred when the spooler logged off is queued for the next
    #: session. Each costs a setback of the bounded budget. Off unless a configuration says
    #: its store or spooler may restart during a run.
    restarts: bool = False


@dataclass(frozen=True)
class Conflicts:
    """One parameter per documented conflict the model touches (reference 2.8 and 5).

    Each default is the reading the reference recommends; every other value is a reading
    some document or implementation supports, named after it.
    """

    #: R13/R78: MSGFLAG_UNSENT while submitted. "keep" = MAPI property page and Kopano;
    #: "clear" = MS-OXCMSG and Gromox.
    unsent_while_submitted: str = "keep"
    #: R63: both PR_SENTMAIL_ENTRYID and PR_DELETE_AFTER_SUBMIT set. "delete" = FinishedMsg
    #: page (move, then delete); "move" = property pages (only one should be set; keep the move).
    sentmail_and_delete: str = "delete"
    #: R75: PR_RESPONSIBILITY of MAPI_SUBMITTED rows on resend. "skip" = MS-OXOMSG intended
    #: semantics (already received, never transmitted again); "transmit" = the PrepareSubmit
    #: reference page (FALSE, so they are transmitted again).
    resend_submitted_rows: str = "skip"
    #: R42: meaning of SUBMITFLAG_LOCKED. "locked" = property page; "spooler_route" = the
    #: store pages that set it whenever the spooler will handle the message.
    submitflag_locked: str = "locked"
    #: R47/R52/R55: lock state while waiting for a retry or a transport deferral. "hold"
    #: keeps the spooler's lock through both; "release" unlocks for both (the message stays
    #: queued and abortable); "release_when_deferred" holds it through a retry delay (R47: the
    #: spooler keeps the message) and releases it while the transport has deferred it (R52,
    #: R55: a deferred message can still be cancelled).
    lock_during_retry: str = "hold"
    #: R67: AbortSubmit during a tightly coupled direct send (never queued).
    abort_during_direct_send: str = "not_in_queue"
    #: R21/R23/R26: when a tightly coupled store sends. "after_return" = SubmitMessage returns
    #: once the store has handed the message to its transport, which sends afterwards (servers
    #: on the wire); "before_return" = the store sends every recipient its transport serves and
    #: then finishes the message (R21) or queues it for the rest (R23) before SubmitMessage
    #: returns, as the store-provider pages describe.
    direct_send: str = "after_return"
    #: R47/R53: what follows MAPI_E_CANCEL from IXPLogon::SubmitMessage. "retry" = wait and
    #: resubmit to the same transport; "decline" = the transport is not asked again for this
    #: message (like MAPI_E_NOT_ME).
    after_cancel: str = "decline"
    #: R10/R16 (reference section 5, item 13): SubmitMessage on a message already submitted.
    #: "refused" = the store's test-and-set answers ecAccessDenied (MAPI_E_NO_ACCESS) and
    #: nothing changes (Gromox emsmdb, R9, R16); "forbidden" = the MAPI reference page: the
    #: handle is dead after a successful submit, so the call itself is a protocol violation.
    resubmit: str = "refused"
    #: R56: what becomes of the recipients of a transport that reported
    #: NOTIFY_CRITICAL_ERROR; the documents say only "re-routed or wait". "reroute" = the
    #: critical transport is unavailable: another transport that registered the recipient's
    #: type takes it, or the spooler reports it (NDR); "wait" = the message waits for the
    #: transport to recover (NOTIFY_READYTOSEND), so no NDR while that transport may take it.
    after_critical: str = "reroute"
    #: R71/R72: PR_DEFERRED_SEND_TIME of a message the tightly coupled pair would send alone.
    #: "ignore" = the store holds back only what the spooler will handle and the pair sends
    #: at once (R71 read as covering it: deferral is the messaging system's business);
    #: "honour" = R72 for every message: the store keeps it queued until its send time, then
    #: routes it again, to the pair.
    tight_pair_send_time: str = "ignore"
    #: R70 (reference section 5, item 11): IMAPIFolder::CopyMessages with MESSAGE_MOVE on a
    #: submitted message, which the MAPI documents do not cover. Never a pure change of
    #: location that leaves the message queued (Kopano KC-848: a "send later" message moved to
    #: Deleted Items was sent anyway). "refused" = the store refuses the move with an error and
    #: nothing changes; "abort_first" = the store aborts the submission as AbortSubmit would
    #: and then moves the message (or refuses where the abort would fail); "forbidden" = only
    #: a client that called AbortSubmit first may move it (Outlook), so the call itself is a
    #: client's protocol violation.
    move_submitted: str = "refused"
    #: R12 b (reference section 5, item 3): when the store calls IMAPISupport::PrepareSubmit
    #: inside SubmitMessage, whose errors it returns to the client. "resend_only" = the store
    #: task pages and the PrepareSubmit page (for a message with MSGFLAG_RESEND); "always" =
    #: the page on sending through message store providers, which calls it for every message.
    prepare_submit: str = "resend_only"


CONFLICT_VALUES: dict[str, tuple[str, ...]] = {
    "unsent_while_submitted": ("keep", "clear"),
    "sentmail_and_delete": ("delete", "move"),
    "resend_submitted_rows": ("skip", "transmit"),
    "submitflag_locked": ("locked", "spooler_route"),
    "lock_during_retry": ("hold", "release", "release_when_deferred"),
    "abort_during_direct_send": ("not_in_queue", "unable_to_abort"),
    "direct_send": ("after_return", "before_return"),
    "after_cancel": ("decline", "retry"),
    "resubmit": ("refused", "forbidden"),
    "after_critical": ("reroute", "wait"),
    "tight_pair_send_time": ("ignore", "honour"),
    "move_submitted": ("refused", "abort_first", "forbidden"),
    "prepare_submit": ("resend_only", "always"),
}

#: The conflicts of reference section 2.8 / 5 and the parameter (or catalogue entry) for each.
CONFLICT_RULES: dict[str, tuple[str, ...]] = {
    "unsent_while_submitted": ("R13", "R78"),
    "sentmail_and_delete": ("R63",),
    "resend_submitted_rows": ("R75",),
    "submitflag_locked": ("R42",),
    "lock_during_retry": ("R47", "R52", "R55"),
    "abort_during_direct_send": ("R67",),
    "direct_send": ("R21", "R23", "R26"),
    "after_cancel": ("R47", "R53"),
    "resubmit": ("R10", "R16"),
    "after_critical": ("R56",),
    "tight_pair_send_time": ("R71", "R72"),
    "move_submitted": ("R70",),
    "prepare_submit": ("R12",),
}

COUPLINGS = ("tight", "loose")
ADDRESS_MIXES = ("servable", "mixed")
DISPOSITIONS = ("leave", "move", "delete", "move_and_delete")
INITIAL_FOLDERS = (OUTBOX, INBOX)
PROFILE_MODES = ("shared", "independent")


@dataclass(frozen=True)
class Config:
    """A bounded instance. Tuples list the values explored for undetermined parameters:
    every combination becomes an initial state."""

    messages: int = 2
    recipients: int = 2
    transports: int = 2
    features: Features = field(default_factory=Features)
    conflicts: Conflicts = field(default_factory=Conflicts)
    #: R18: is the store tightly coupled with transport 0?
    coupling: tuple[str, ...] = COUPLINGS
    #: R17(3): "servable" = every recipient has the tight transport's address type;
    #: "mixed" = recipients alternate EX / SMTP, so a tight pair cannot serve them all.
    address_mixes: tuple[str, ...] = ADDRESS_MIXES
    #: R1, R19: the folder a message is composed and submitted in.
    folders: tuple[str, ...] = INITIAL_FOLDERS
    #: R63: PR_SENTMAIL_ENTRYID / PR_DELETE_AFTER_SUBMIT combinations.
    dispositions: tuple[str, ...] = ("leave",)
    #: Transport setbacks (BUSY, NETWORK_ERROR, NOT_ME, CANCEL, critical error, EndMessage
    #: RESEND_*/DONT_RESEND) the whole world may suffer. The reference's liveness properties
    #: assume transports eventually answer (2.7); this bound makes that assumption explicit.
    setbacks: int = 1
    #: "shared": in each initial state every message has the same profile (messages are
    #: interchangeable, so symmetry reduction applies fully); "independent": every
    #: combination of profiles over the messages (much larger).
    profiles: str = "shared"
    #: R43: the address types each transport registered (IXPLogon::AddressTypes), in profile
    #: order: which transports can serve which recipients. Empty: transport i registers EX
    #: when i is even and SMTP when odd. Transport 0 is the tight pair's (R18). Which
    #: transports registered the preprocessors that apply is left abstract (`preprocessors`
    #: counts them): any transport may, the tight pair's included (R17 case 2, R32).
    serves: tuple[tuple[str, ...], ...] = ()
    #: R32-R34: how many registered preprocessors apply to a message that needs
    #: preprocessing (which transports registered them and which match is the profile's,
    #: R32, R33); the spooler runs each once, in registration order, before it calls
    #: IMessage::SubmitMessage to end the round trip.
    preprocessors: int = 1

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        for name, low, high in (
            ("messages", 1, 10), ("recipients", 1, 4), ("transports", 1, 4), ("setbacks", 0, 4),
            ("preprocessors", 1, 3),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ConfigError(
                    f"{name}: expected an integer from {low} to {high}, got {value!r}"
                )
        choices: tuple[tuple[str, tuple[str, ...]], ...] = (
            ("coupling", COUPLINGS),
            ("address_mixes", ADDRESS_MIXES),
            ("folders", INITIAL_FOLDERS),
            ("dispositions", DISPOSITIONS),
        )
        for name, allowed in choices:
            values = getattr(self, name)
            if not isinstance(values, tuple) or not values:
                raise ConfigError(f"{name}: expected a non-empty list of {', '.join(allowed)}")
            for value in values:
                if value not in allowed:
                    raise ConfigError(
                        f"{name}: unknown value {value!r}; expected one of {', '.join(allowed)}"
                    )
            if len(set(values)) != len(values):
                raise ConfigError(f"{name}: repeated value in {values!r}")
        if self.profiles not in PROFILE_MODES:
            raise ConfigError(
                f"profiles: unknown value {self.profiles!r}; expected one of "
                f"{', '.join(PROFILE_MODES)}"
            )
        for name, allowed in CONFLICT_VALUES.items():
            value = getattr(self.conflicts, name)
            if value not in allowed:
                raise ConfigError(
                    f"conflicts.{name}: unknown value {value!r}; "
                    f"expected one of {', '.join(allowed)}"
                )
        for feature in dataclasses.fields(Features):
            if not isinstance(getattr(self.features, feature.name), bool):
                raise ConfigError(f"features.{feature.name}: expected true or false")
        self._validate_serves()

    def _validate_serves(self) -> None:
        if not isinstance(self.serves, tuple):
            raise ConfigError("serves: expected a list with a list of address types per transport")
        if not self.serves:
            return
        if len(self.serves) != self.transports:
            raise ConfigError(f"serves: {len(self.serves)} transport(s) listed, the "
                              f"configuration has {self.transports}")
        for index, types in enumerate(self.serves):
            if not isinstance(types, tuple) or not types or any(
                    t not in ADDRESS_TYPES for t in types) or len(set(types)) != len(types):
                raise ConfigError(f"serves/{index}: expected a non-empty list of distinct "
                                  f"address types from {', '.join(ADDRESS_TYPES)}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (used in regression cases and summaries)."""
        data = dataclasses.asdict(self)
        for key in ("coupling", "address_mixes", "folders", "dispositions"):
            data[key] = list(data[key])
        if self.serves:
            data["serves"] = [list(types) for types in self.serves]
        else:
            del data["serves"]  # the default numbering: cases written before it stay as they were
        if self.preprocessors == 1:
            del data["preprocessors"]  # the default: cases written before it stay as they were
        return data

    @classmethod
    def from_dict(cls, data: Any, where: str = "config") -> Config:
        """Inverse of to_dict; raises ConfigError naming the offending field."""
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected an object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where}.{quoted_field(unknown[0])}: unknown field")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "features":
                kwargs[key] = _sub(Features, value, f"{where}.features")
            elif key == "conflicts":
                kwargs[key] = _sub(Conflicts, value, f"{where}.conflicts")
            elif key in ("coupling", "address_mixes", "folders", "dispositions"):
                if not isinstance(value, list | tuple):
                    raise ConfigError(f"{where}.{key}: expected a list")
                kwargs[key] = tuple(value)
            elif key == "serves":
                if not isinstance(value, list | tuple) or not all(
                        isinstance(types, list | tuple) for types in value):
                    raise ConfigError(f"{where}.serves: expected a list with a list of address "
                                      "types per transport")
                kwargs[key] = tuple(tuple(types) for types in value)
            else:
                kwargs[key] = value
        try:
            return cls(**kwargs)
        except ConfigError as error:
            raise ConfigError(f"{where}.{error}") from None

    def with_changes(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


def _sub(kind: type[Any], value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected an object")
    names = {f.name for f in dataclasses.fields(kind)}
    for key in value:
        if key not in names:
            raise ConfigError(f"{where}.{quoted_field(key)}: unknown field")
    return kind(**value)
