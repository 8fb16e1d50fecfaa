"""Immutable world state: messages, their recipients, the store's queue and the transports.

Everything is a NamedTuple of plain values so states hash fast, compare by value and can be
explored without copying. Field meanings follow reference section 2.1.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

from .config import Config
from .constants import ADDRESS_TYPES, EX, MSGFLAG_UNSENT, SMTP
from .states import INITIAL_STATE


class Profile(NamedTuple):
    """What the client decided when composing the message; fixed for its whole life."""

    #: per original recipient (R43); a resend's recipient table has more rows than this
    #: (recipient_row_count, row_address_type)
    address_types: tuple[str, ...]
    folder: str  # where it is composed and submitted (R1, R19)
    needs_preprocessing: bool  # a registered preprocessor matches (R32, R33)
    deferred_send: bool  # PR_DEFERRED_SEND_TIME in the future at submit (R72)
    disposition: str  # leave / move / delete / move_and_delete (R63)
    #: MSGFLAG_RESEND (R74, R75): the original went to recipient 0 and failed for the others.
    #: The resend's recipient table (R74) has a MAPI_SUBMITTED row per original recipient,
    #: in order, then a MAPI_P1 copy of each failed one (rows n .. 2n-2 copy recipients
    #: 1 .. n-1).
    resend: bool


#: Counters (transmissions per recipient, lock holders) stop at 2: "more than once" is all the
#: properties need (I-ONCE, I-LOCK1), and it keeps the state space finite.
SATURATION = 2


class Recipient(NamedTuple):
    """One recipient row. `outcome` is the recipient life-cycle (reference 2.3)."""

    resp: bool  # PR_RESPONSIBILITY (R49, R58)
    outcome: str  # pending / sent / ndr / skipped
    transmissions: int  # copies put on the wire this submission, up to SATURATION (I-ONCE)


class Message(NamedTuple):
    phase: str  # life-cycle state, see states.py
    folder: str  # physical location, independent of queue membership (R27)
    in_queue: bool  # member of the store's outgoing queue (R25)
    lock_holders: int  # SetLockState(MSG_LOCKED) holders (R38, R81)
    flags: int  # PR_MESSAGE_FLAGS: MSGFLAG_SUBMIT, MSGFLAG_UNSENT (R2, R13)
    preprocess: bool  # SUBMITFLAG_PREPROCESS (R26, R34)
    inflight: bool  # the tightly coupled transport is sending it (R20)
    transport: int  # transport index of the running call, -1 when none (R46)
    declined: int  # bit set of transports that answered NOT_ME for this submission (R47)
    call_progress: bool  # the running transport call has touched a recipient (R47)
    #: recipients the running transport call marked PR_RESPONSIBILITY TRUE and has not saved
    #: with IMAPIProp::SaveChanges, one bit each: an error return discards them (R48)
    unsaved: int
    addressed: bool  # recipient table is non-empty (R9)
    conflict: bool  # another handle committed since this one opened (R4)
    send_time_reached: bool  # PR_DEFERRED_SEND_TIME has passed (R72)
    recipients: tuple[Recipient, ...]
    profile: Profile
    #: preprocessors run so far, in registration order (R33, R34): the round trip's
    #: preprocessing is done once all of Config.preprocessors have (guards.preprocessed)
    preprocessors_run: int = 0


class World(NamedTuple):
    tight: bool  # store tightly coupled with transport 0 (R18)
    transports: tuple[str, ...]  # per transport: "ready" or "critical" (R44, R56)
    queue: tuple[int, ...]  # outgoing queue in submission order (R14, R25)
    setbacks_left: int  # transport setbacks still possible (Config.setbacks)
    messages: tuple[Message, ...]
    #: the messages inside a submission, in the order of their SubmitMessage calls: the queue
    #: is sorted by submission time (R14, R25), so a message the tight pair queues after the
    #: call returned (R23) still goes ahead of the ones submitted after it
    submission_order: tuple[int, ...] = ()


#: The names by which effects declare what they write and properties what they read: the
#: world-wide fields of a world ("world.queue"), the fields of the message a row acts on or a
#: property judges ("message.phase"; for a step invariant, the step's message before and
#: after), the fields of its recipients ("recipient.resp"), and "messages": any other message.
WORLD_FIELDS = tuple(f"world.{name}" for name in World._fields if name != "messages")
MESSAGE_FIELDS = tuple(f"message.{name}" for name in Message._fields if name != "recipients")
RECIPIENT_FIELDS = tuple(f"recipient.{name}" for name in Recipient._fields)
FIELDS = frozenset([*WORLD_FIELDS, *MESSAGE_FIELDS, *RECIPIENT_FIELDS, "messages"])


class UnknownField(ValueError):
    """A declaration names a field no world has."""


def declared_fields(owner: str, names: tuple[str, ...]) -> frozenset[str]:
    """`names` checked against FIELDS, for the declaration of `owner`."""
    unknown = sorted(set(names) - FIELDS)
    if unknown:
        raise UnknownField(f"{owner}: unknown fields {', '.join(unknown)}")
    return frozenset(names)


PENDING_RECIPIENT = Recipient(False, "pending", 0)


def recipient_row_count(profile: Profile) -> int:
    """The rows of the message's recipient table: one per recipient, and for a resend a
    MAPI_P1 copy of every recipient the original failed to reach (R74)."""
    originals = len(profile.address_types)
    return 2 * originals - 1 if profile.resend else originals


def is_submitted_row(profile: Profile, row: int) -> bool:
    """A resend's MAPI_SUBMITTED row: an original recipient, shown, not the P1 copy (R74)."""
    return profile.resend and row < len(profile.address_types)


def row_address_type(profile: Profile, row: int) -> str:
    """The address type of recipient row `row`: a P1 copy has its original's (R74)."""
    types = profile.address_types
    return types[row] if row < len(types) else types[row - len(types) + 1]


def resends_possible(config: Config) -> bool:
    """A message of `config` may be a resend: the feature is on and there is a recipient
    besides the one that received the original (R74)."""
    return config.features.resend and config.recipients > 1


def max_recipient_rows(config: Config) -> int:
    """The most recipient rows a message of `config` has (a resend's, when resends are on)."""
    return 2 * config.recipients - 1 if resends_possible(config) else config.recipients


def address_types(mix: str, recipients: int) -> tuple[str, ...]:
    if mix == "servable":
        return (EX,) * recipients
    if recipients == 1:
        return (SMTP,)
    return tuple(ADDRESS_TYPES[i % 2] for i in range(recipients))


def transport_address_type(transport: int) -> str:
    """The address type transport `transport` registers by default (R43): EX for even
    indexes, SMTP for odd."""
    return ADDRESS_TYPES[transport % 2]


def serves(config: Config, transport: int, kind: str) -> bool:
    """Whether transport `transport` registered address type `kind` with
    IXPLogon::AddressTypes (R43): `Config.serves`, else the default numbering."""
    if config.serves:
        return kind in config.serves[transport]
    return kind == transport_address_type(transport)


def profiles(config: Config) -> list[Profile]:
    """Every per-message profile the configuration explores, in a fixed order."""
    features = config.features
    result: list[Profile] = []
    for mix in config.address_mixes:
        types = address_types(mix, config.recipients)
        # Any transport may have registered the preprocessor that matches a message, the
        # tight pair's included (R17 case 2, R32, R33): a message the pair could serve alone
        # may need preprocessing too, and then goes through the spooler first (R34, R37).
        can_preprocess = features.preprocessing
        for folder, pre, deferred, disposition, resend in itertools.product(
            config.folders,
            (False, True) if can_preprocess else (False,),
            (False, True) if features.deferral else (False,),
            config.dispositions,
            (False, True) if resends_possible(config) else (False,),
        ):
            result.append(Profile(types, folder, pre, deferred, disposition, resend))
    return result


def new_message(profile: Profile) -> Message:
    """A freshly created message: composed, unsaved, no recipient rows yet (R1, R2)."""
    return Message(
        phase=INITIAL_STATE,
        folder=profile.folder,
        in_queue=False,
        lock_holders=0,
        flags=MSGFLAG_UNSENT,
        preprocess=False,
        inflight=False,
        transport=-1,
        declined=0,
        call_progress=False,
        unsaved=0,
        addressed=False,
        conflict=False,
        send_time_reached=False,
        recipients=(PENDING_RECIPIENT,) * recipient_row_count(profile),
        profile=profile,
    )


def initial_world_count(config: Config) -> int:
    """How many worlds initial_worlds(config) lists, computed without listing them: every
    coupling times every assignment of profiles to messages (independent profiles grow
    exponentially with the messages, so callers refuse a configuration by this count)."""
    assignments = len(profiles(config))
    if config.profiles != "shared":
        assignments **= config.messages
    return assignments * len(config.coupling)


def initial_world(config: Config, coupling: str, assignment: tuple[Profile, ...]) -> World:
    """The initial state with `coupling` whose messages have the profiles of `assignment`."""
    return World(
        tight=coupling == "tight",
        transports=("ready",) * config.transports,
        queue=(),
        setbacks_left=config.setbacks,
        messages=tuple(new_message(p) for p in assignment),
    )


def initial_worlds(config: Config) -> list[World]:
    """All initial states: every coupling times every assignment of profiles to messages."""
    all_profiles = profiles(config)
    if config.profiles == "shared":
        assignments: list[tuple[Profile, ...]] = [(p,) * config.messages for p in all_profiles]
    else:
        assignments = list(itertools.product(all_profiles, repeat=config.messages))
    return [initial_world(config, coupling, assignment)
            for coupling in config.coupling for assignment in assignments]


# The helpers below build tuples directly instead of calling NamedTuple._replace: they run
# for every explored transition, and _replace (keyword parsing, a map over the fields) costs
# several times more than building the tuple.
_MESSAGE_FIELDS: dict[str, int] = {name: i for i, name in enumerate(Message._fields)}
_RECIPIENTS = _MESSAGE_FIELDS["recipients"]


def replace_message(world: World, index: int, message: Message) -> World:
    messages = world.messages
    return tuple.__new__(World, (world[0], world[1], world[2], world[3],
                                 messages[:index] + (message,) + messages[index + 1 :],
                                 world[5]))


def replace_recipient(message: Message, index: int, recipient: Recipient) -> Message:
    rows = message.recipients
    values = list(message)
    values[_RECIPIENTS] = rows[:index] + (recipient,) + rows[index + 1 :]
    return tuple.__new__(Message, values)


def update_message(message: Message, changes: dict[str, object]) -> Message:
    """`message._replace(**changes)`, faster; unknown field names raise KeyError."""
    values = list(message)
    for name, value in changes.items():
        values[_MESSAGE_FIELDS[name]] = value
    return tuple.__new__(Message, values)


def update_world(world: World, queue: tuple[int, ...] | None = None,
                 setbacks_left: int | None = None,
                 transports: tuple[str, ...] | None = None,
                 submission_order: tuple[int, ...] | None = None) -> World:
    """`world._replace(...)` for the world-wide fields effects change, faster."""
    return tuple.__new__(World, (
        world[0],
        world[1] if transports is None else transports,
        world[2] if queue is None else queue,
        world[3] if setbacks_left is None else setbacks_left,
        world[4],
        world[5] if submission_order is None else submission_order,
    ))
