"""The explorer's cache: worlds as short tuples of interned ids, and their successors
computed once per distinct message and context.

A world in compact form is a tuple of small integers: one interned *context* (the world-wide
fields: coupling, transport states, queue, setbacks left, submission order) followed by one
interned message per message slot. Such a tuple is cheap to hash and to store, and equal
messages share one id and one object across every world of an exploration.

The successors of one message depend only on that message, the context and the phases of the
queued messages: each guard and effect reads the world-wide fields and its own message, and
the one guard that reads others, next_in_submission_order, reads only the phase and transport of
messages queued before it (`queued_view`). So the moves of a message slot are computed once
per distinct (slot, message, context, queued views) and reused for every world that repeats
them. Two things are
never reused, because the key would not capture them: a transition whose effect touched
another message (detected when the moves are first computed), and every transition of a model
whose guards or effects are not the registered ones (KNOWN_FUNCTIONS), whose reads are
unknown.

`Model.successors(world)` stays the reference semantics: `CompactWorlds.successors` yields the
same steps in the same order, and `slot_successors` those of one message or transport (a test
compares them on every variant).
"""

from __future__ import annotations

from collections.abc import Container

from mapi_submission.model.effects import EFFECTS
from mapi_submission.model.engine import CompiledRow, Model, Step
from mapi_submission.model.guards import GUARDS
from mapi_submission.model.table import INSIDE_CALL_SOURCES
from mapi_submission.model.variants import VARIANTS
from mapi_submission.model.world import Message, World

#: A world in compact form: (context id, message id per slot); see the module docstring.
CompactWorld = tuple[int, ...]
#: (coupling, transports, queue, setbacks_left, submission_order): the world-wide fields of a
#: World.
Context = tuple[bool, tuple[str, ...], tuple[int, ...], int, tuple[int, ...]]
#: The steps of one slot from one (message, context): (step, new message id, new context id);
#: the message id is -1 for a transport slot, whose steps change no message.
Moves = list[tuple[Step, int, int]]
#: What a slot's moves are cached under: (slot, message id or -1, context id, the queued
#: messages' views where the message's rows read them, else ()).
SlotKey = tuple[int, int, int, tuple[tuple[str, int], ...]]

#: Guards and effects known to read only what the cache keys on (module docstring).
KNOWN_FUNCTIONS: frozenset[object] = frozenset(
    [*GUARDS.values(), *EFFECTS.values()]
    + [f for v in VARIANTS.values() for f in (*v.guard_overrides.values(),
                                              *v.effect_overrides.values())]
)

#: The one registered guard that reads other messages (the phase and transport of those queued
#: before its message, R14/R39); the cache keys on them only where a row uses it.
READS_QUEUED_PHASES: frozenset[object] = frozenset([GUARDS["next_in_submission_order"]])

def queued_view(message: Message) -> tuple[str, int]:
    """What next_in_submission_order reads of a queued message: its phase (ahead of it in
    order, or waiting for a transport) and the transport it waits for (R14, R39)."""
    return (message.phase, message.transport)


def world_context(world: World) -> Context:
    """The world-wide fields of a world, the part of the cache key every slot shares."""
    return (world.tight, world.transports, world.queue, world.setbacks_left,
            world.submission_order)


def caching_is_sound(model: Model) -> bool:
    """Whether every guard and effect of the model is one known to read only what the cache
    keys on (a variant's replacements included); otherwise nothing is cached."""
    every_row = [compiled for rows in (*model.message_rows.values(),
                                       *model.transport_rows.values()) for compiled in rows]
    return all(function in KNOWN_FUNCTIONS for compiled in every_row
               for function in (*compiled.guards, compiled.effect))


def phases_reading_queue(model: Model) -> dict[str, bool]:
    """Per message state: whether a step from it reads the phases of queued messages, the
    rows taken inside the same call (routing from the state a row leads to) included."""
    rows = model.message_rows

    def reachable_rows(phase: str) -> list[CompiledRow]:
        found = list(rows.get(phase, ()))
        return found + [inside for compiled in found if compiled.row.dest in INSIDE_CALL_SOURCES
                        for inside in rows.get(compiled.row.dest, ())]

    return {phase: any(g in READS_QUEUED_PHASES for compiled in reachable_rows(phase)
                       for g in compiled.guards)
            for phase in rows}


#: Marks a slot whose moves cannot be cached (an effect touched another message); compared
#: by identity.
_UNCACHEABLE: Moves = []


class CompactWorlds:
    """The compact form of one model's worlds and the successor function on it. One instance
    serves one exploration; its tables grow as the exploration meets new messages and
    contexts."""

    def __init__(self, model: Model, max_cached_moves: int | None = None) -> None:
        self.model = model
        #: bound on cached slot moves (None: none); past it the cache starts over, so a
        #: caller meeting worlds without end (the log validator) keeps its memory flat
        self._max_cached_moves = max_cached_moves
        self._cacheable = caching_is_sound(model)
        #: per phase: whether a step from it reads the phases of queued messages
        self._reads_queue = phases_reading_queue(model)
        self._messages: list[Message] = []
        self._message_ids: dict[Message, int] = {}
        self._phases: list[str] = []  # per message id: its phase
        self._views: list[tuple[str, int]] = []  # per message id: its queued_view
        self._queue_readers: list[bool] = []  # per message id: its rows read queued phases
        self._contexts: list[Context] = []
        self._context_ids: dict[Context, int] = {}
        #: (slot, message id, context id, queued views or ()) -> the slot's moves; slot m >= 0
        #: is message m, slot -1 - t is transport t
        self._moves: dict[SlotKey, Moves] = {}
        #: one Step object per distinct step, shared by every cached move that takes it
        self._steps: dict[Step, Step] = {}
        #: per compact-world length: the slots in `Model.successors` order
        self._slots: dict[int, tuple[int, ...]] = {}

    # ---- interning ---------------------------------------------------------------------------

    def intern_message(self, message: Message) -> int:
        mid = self._message_ids.get(message)
        if mid is None:
            mid = self._message_ids[message] = len(self._messages)
            self._messages.append(message)
            self._phases.append(message.phase)
            self._views.append(queued_view(message))
            self._queue_readers.append(self._reads_queue.get(message.phase, False))
        return mid

    def intern_context(self, context: Context) -> int:
        cid = self._context_ids.get(context)
        if cid is None:
            cid = self._context_ids[context] = len(self._contexts)
            self._contexts.append(context)
        return cid

    def message_of(self, mid: int) -> Message:
        """The interned message with id `mid` (equal messages share one id and one object)."""
        return self._messages[mid]

    @property
    def messages(self) -> list[Message]:
        """The interned messages by id; the list grows in place as exploration goes on, so a
        caller may keep it and index it by the ids of later states."""
        return self._messages

    @property
    def phases(self) -> list[str]:
        """The phase of each interned message by id (grows in place, as `messages`)."""
        return self._phases

    def context_of(self, cid: int) -> Context:
        return self._contexts[cid]

    # ---- conversion --------------------------------------------------------------------------

    def compact(self, world: World) -> CompactWorld:
        cid = self.intern_context(world_context(world))
        return (cid, *map(self.intern_message, world.messages))

    def expand(self, state: CompactWorld) -> World:
        tight, transports, queue, setbacks, order = self._contexts[state[0]]
        messages = self._messages
        return World(tight, transports, queue, setbacks, tuple([messages[i] for i in state[1:]]),
                     order)

    # ---- successors --------------------------------------------------------------------------

    def successors(self, state: CompactWorld) -> list[tuple[Step, CompactWorld]]:
        """`Model.successors` on compact worlds: the same steps in the same order, each with
        the compact form of the world it leads to."""
        if not self._cacheable:
            return [(step, self.compact(after))
                    for step, after in self.model.successors(self.expand(state))]
        cid = state[0]
        queue = self._contexts[cid][2]
        views = self._views
        queued = tuple([views[state[1 + i]] for i in queue]) if queue else ()
        moves_cache = self._moves
        readers = self._queue_readers
        world: World | None = None  # expanded only when some slot misses the cache
        result: list[tuple[Step, CompactWorld]] = []
        append = result.append
        for slot in self._slots_of(state):
            if slot >= 0:
                mid = state[1 + slot]
                key = (slot, mid, cid, queued if readers[mid] else ())
            else:
                key = (slot, -1, cid, ())
            moves = moves_cache.get(key)
            if moves is None:
                if world is None:
                    world = self.expand(state)
                moves = self._cache_moves(key, world, slot)
            if moves is _UNCACHEABLE:
                if world is None:
                    world = self.expand(state)
                result += [(step, self.compact(after))
                           for step, after in self._slot_successors(world, slot)]
                continue
            if slot >= 0:
                head = state[1:1 + slot]
                tail = state[2 + slot:]
                for step, mid, ncid in moves:
                    append((step, (ncid, *head, mid, *tail)))
            else:
                rest = state[1:]
                for step, _, ncid in moves:
                    append((step, (ncid, *rest)))
        return result

    @property
    def cacheable(self) -> bool:
        """Whether slot moves are cached (every guard and effect is a registered one)."""
        return self._cacheable

    def message_slot_keys(self, state: CompactWorld) -> list[tuple[int, SlotKey]]:
        """Per message slot of `state`, in `Model.successors` order: the slot and the key its
        moves are cached under (`moves_for`), so that a caller keeping something of its own
        per key looks it up without looking up the moves. A transport's moves depend on the
        world-wide fields only: its key is (-1 - t, -1, context id, ())."""
        cid = state[0]
        queue = self._contexts[cid][2]
        views, readers = self._views, self._queue_readers
        queued = tuple([views[state[1 + i]] for i in queue]) if queue else ()
        return [(slot, (slot, mid, cid, queued if readers[mid] else ()))
                for slot, mid in enumerate(state[1:])]

    def moves_for(self, state: CompactWorld, slot: int, key: SlotKey) -> Moves | None:
        """The moves of `slot` of `state` (cached under `key`, from `message_slot_keys`); None
        where an effect touched another message, so that `slot_successors` must compute them
        world by world. Only for a cacheable model."""
        moves = self._moves.get(key)
        if moves is None:
            moves = self._cache_moves(key, self.expand(state), slot)
        return None if moves is _UNCACHEABLE else moves

    def slot_successors(self, state: CompactWorld, slot: int,
                        rows: Container[str] | None = None) -> list[tuple[Step, CompactWorld]]:
        """The steps of one slot alone: `Model.message_successors` for message `slot` (>= 0),
        `Model.transport_successors` for transport -1 - `slot`; same steps, same order. Only
        the steps of `rows` when given: the worlds of the others are never built."""
        if not self._cacheable:
            return [(step, self.compact(after))
                    for step, after in self._slot_successors(self.expand(state), slot)
                    if rows is None or step.row in rows]
        cid = state[0]
        if slot >= 0:
            mid = state[1 + slot]
            queue = self._contexts[cid][2]
            if queue and self._queue_readers[mid]:
                views = self._views
                key = (slot, mid, cid, tuple([views[state[1 + i]] for i in queue]))
            else:
                key = (slot, mid, cid, ())
        else:
            key = (slot, -1, cid, ())
        moves = self._moves.get(key)
        if moves is None:
            moves = self._cache_moves(key, self.expand(state), slot)
        if moves is _UNCACHEABLE:
            return [(step, self.compact(after))
                    for step, after in self._slot_successors(self.expand(state), slot)
                    if rows is None or step.row in rows]
        if rows is not None:
            moves = [move for move in moves if move[0].row in rows]
        if slot >= 0:
            head = state[1:1 + slot]
            tail = state[2 + slot:]
            return [(step, (ncid, *head, mid, *tail)) for step, mid, ncid in moves]
        rest = state[1:]
        return [(step, (ncid, *rest)) for step, _, ncid in moves]

    def _slots_of(self, state: CompactWorld) -> tuple[int, ...]:
        """The slots of `state` in `Model.successors` order: the messages, then the
        transports (slot -1 - t is transport t)."""
        slots = self._slots.get(len(state))
        if slots is None:
            transports = len(self._contexts[state[0]][1])
            slots = self._slots[len(state)] = (
                *range(len(state) - 1), *(-1 - t for t in range(transports)))
        return slots

    def _slot_successors(self, world: World, slot: int) -> list[tuple[Step, World]]:
        if slot >= 0:
            return self.model.message_successors(world, slot)
        return self.model.transport_successors(world, -1 - slot)

    def _cache_moves(self, key: SlotKey, world: World,
                     slot: int) -> Moves:
        if self._max_cached_moves is not None and len(self._moves) > self._max_cached_moves:
            self._moves.clear()
        moves = self._moves[key] = self._moves_of(world, slot)
        return moves

    def _moves_of(self, world: World, slot: int) -> Moves:
        """The slot's steps as moves; _UNCACHEABLE when an effect touched another message
        (the cache key would not capture that)."""
        moves: Moves = []
        before = world.messages
        for step, after in self._slot_successors(world, slot):
            others = after.messages
            if slot >= 0:
                if others[:slot] != before[:slot] or others[slot + 1:] != before[slot + 1:]:
                    return _UNCACHEABLE
                mid = self.intern_message(others[slot])
            else:
                if others != before:
                    return _UNCACHEABLE
                mid = -1
            context = world_context(after)
            moves.append((self._shared(step), mid, self.intern_context(context)))
        return moves

    def _shared(self, step: Step) -> Step:
        """The one Step object equal to `step` (cached moves hold many copies of few steps)."""
        shared = self._steps.get(step)
        if shared is None:
            shared = self._steps[step] = step
        return shared
