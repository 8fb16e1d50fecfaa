"""Which model message a log's message id stands for, in one consistent model world.

A log may name any number of messages; the model has `Config.messages` message slots. An id
is bound to a slot the first time the log names it. When the slot's message reaches a state
it never leaves (finished or deleted, `TERMINAL`) its id is released: the slot may be taken
by a new id, which then stands for a fresh message in its initial state. So the bound is on
the messages alive at once, not on the ids of the whole log.

Released lazily: a finished message keeps its id until a new id needs the slot, because a
client may still call AbortSubmit on a message that has just finished (MAPI_E_NOT_IN_QUEUE,
R67) and that call is judged against the finished message. A new id takes a never-used slot
first, else the slot whose message finished longest ago (so the most recently finished ids
are remembered longest). A finished id named again may be that finished message or a new
message with the same id (implementations that reuse ids); both readings are kept.

Which slot a new message takes does not change what the model allows: every guard and effect
reads the world-wide fields and its own message (model/engine.py), and the queue keeps
submission order by position, not by slot number.
"""

from __future__ import annotations

from typing import NamedTuple

from mapi_submission.checker.compact import CompactWorld, CompactWorlds
from mapi_submission.model.config import Config
from mapi_submission.model.states import TERMINAL
from mapi_submission.model.world import Profile, new_message, profiles


class Binding(NamedTuple):
    """The log ids of one world's message slots."""

    #: the log id bound to each slot; None for a slot no id has been bound to yet
    ids: tuple[str | None, ...]
    #: slots whose message has reached a terminal state and that still hold their id, in the
    #: order they got there: the first is the next one a new id takes
    finished: tuple[int, ...] = ()


#: A model message slot the record is about (-1: a transport session), the world it is judged
#: in (with a fresh message in a slot a new id took over) and the binding that implies.
Target = tuple[int, CompactWorld, Binding]


def unbound(slots: int) -> Binding:
    return Binding((None,) * slots)


class IdBinder:
    """Binds a record's message id to model message slots, world by world. Worlds are in the
    compact form of `worlds` (checker/compact.py): slot i's message is interned id
    `world[1 + i]`, equal ids are equal messages."""

    def __init__(self, config: Config, worlds: CompactWorlds) -> None:
        self.slots = config.messages
        self._worlds = worlds
        #: the phase of each interned message (the list grows as `worlds` interns more)
        self._phases = worlds.phases
        #: "shared" profiles: every message of a world has the same profile, so a new message
        #: takes the profile of the one before it; otherwise any profile (as an initial world)
        self._shared_profile = config.profiles == "shared"
        self._fresh = tuple(worlds.intern_message(new_message(profile))
                            for profile in profiles(config))
        self._fresh_by_profile: dict[Profile, int] = {}

    def targets(self, world: CompactWorld, binding: Binding, message: str | None
                ) -> list[Target]:
        """Every slot the log id may stand for in `world`, with the world and binding each
        choice implies; empty when the id is new and every slot holds a live message."""
        if message is None:
            return [(-1, world, binding)]
        ids = binding.ids
        if message in ids:
            index = ids.index(message)
            if self._phases[world[1 + index]] not in TERMINAL:
                return [(index, world, binding)]
            # The finished message itself, or a new message reusing its id in its slot.
            renewed = Binding(ids, tuple(i for i in binding.finished if i != index))
            return [(index, world, binding)] + [
                (index, fresh, renewed) for fresh in self._renewed(world, index)]
        if None in ids:
            return self._never_used(world, binding, message)
        if binding.finished:
            index = binding.finished[0]
            taken = Binding(_rebound(ids, index, message), binding.finished[1:])
            return [(index, fresh, taken) for fresh in self._renewed(world, index)]
        return []

    def finishes(self, before: CompactWorld, after: CompactWorld, index: int) -> bool:
        """Whether a step of slot `index` (-1: a transport session) takes its message into a
        terminal state: a fact of the two worlds, so callers cache it with the step."""
        return (index >= 0 and self._phases[after[1 + index]] in TERMINAL
                and self._phases[before[1 + index]] not in TERMINAL)

    def finished(self, binding: Binding, index: int) -> Binding:
        """The binding after a step that `finishes` slot `index`'s message: the slot joins
        those a new id may take (when an id holds it)."""
        if binding.ids[index] is not None:
            return Binding(binding.ids, binding.finished + (index,))
        return binding

    def has_room(self, binding: Binding) -> bool:
        """Whether a new id can be bound: a never-used slot, or a finished message's."""
        return None in binding.ids or bool(binding.finished)

    def _never_used(self, world: CompactWorld, binding: Binding, message: str) -> list[Target]:
        targets: list[Target] = []
        seen_values: set[int] = set()
        queue = self._worlds.context_of(world[0])[2]
        for index, bound in enumerate(binding.ids):
            if bound is not None:
                continue
            # Unbound messages with the same value are interchangeable (the log has said
            # nothing that tells them apart): bind to the first only. A queued message is
            # told apart by its queue position, so it is always tried.
            value = world[1 + index]
            if index not in queue:
                if value in seen_values:
                    continue
                seen_values.add(value)
            targets.append((index, world, Binding(_rebound(binding.ids, index, message),
                                                  binding.finished)))
        return targets

    def _renewed(self, world: CompactWorld, index: int) -> list[CompactWorld]:
        """`world` with a fresh message in slot `index`, one world per profile it may have."""
        if self._shared_profile:
            fresh: tuple[int, ...] = (self._fresh_of(world[1 + index]),)
        else:
            fresh = self._fresh
        return [world[:1 + index] + (mid,) + world[2 + index:] for mid in fresh]

    def _fresh_of(self, mid: int) -> int:
        """The interned fresh message with the profile of message `mid`."""
        profile = self._worlds.message_of(mid).profile
        fresh = self._fresh_by_profile.get(profile)
        if fresh is None:
            fresh = self._fresh_by_profile[profile] = self._worlds.intern_message(
                new_message(profile))
        return fresh


def _rebound(ids: tuple[str | None, ...], index: int, message: str) -> tuple[str | None, ...]:
    return ids[:index] + (message,) + ids[index + 1:]
