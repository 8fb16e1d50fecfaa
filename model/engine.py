"""The pure semantics of the table: enabled steps and successor worlds.

`Model(config, variant)` compiles the table once (guard and effect names resolved, rows
indexed by source state); `successors(world)` is then a pure function over immutable worlds.
This is what exploration runs on; the `transitions` runtime (runtime.py) is the other face of
the same rows.

For exploration the model also offers a compact form of worlds (`compact`, `expand`,
`compact_successors`): a world becomes a tuple of small integers, one interned "context"
(coupling, transports, queue, setbacks) followed by one interned message per message slot.
The successors of one message depend only on that message, the context and the phases of the
queued messages (the guards and effects are written that way: each reads the world-wide
fields and its own message, and first_waiting_in_queue reads the phases of earlier queued
messages), so they are computed once per distinct (slot, message, context, queued phases) and
reused. A transition whose effect touches another message is detected and never reused; a
model whose guards or effects are not the registered ones (KNOWN_FUNCTIONS) is never cached.
`successors(world)` is the reference semantics; `compact_successors` yields the same steps in
the same order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from .catalogue import CATALOGUE
from .config import Config
from .effects import EFFECTS, Effect
from .errors import MapiSubmissionError
from .guards import GUARDS, Guard
from .integrity import check_table
from .states import TERMINAL
from .table import TABLE, Row
from .variants import VARIANTS, Variant
from .world import Message, World, initial_worlds, replace_message

#: A world in compact form: (context id, message id per slot); see the module docstring.
CompactWorld = tuple[int, ...]
#: (coupling, transports, queue, setbacks_left): the world-wide fields of a World.
Context = tuple[bool, tuple[str, ...], tuple[int, ...], int]

#: Guards and effects known to read only what the compact cache keys on (module docstring).
KNOWN_FUNCTIONS: frozenset[object] = frozenset(
    [*GUARDS.values(), *EFFECTS.values()]
    + [f for v in VARIANTS.values() for f in (*v.guard_overrides.values(),
                                              *v.effect_overrides.values())]
)

#: The one registered guard that reads other messages (the phases of those queued before its
#: message, R14/R39); the cache keys on queued phases only where a row uses it.
READS_QUEUED_PHASES: frozenset[object] = frozenset([GUARDS["first_waiting_in_queue"]])

_UNCACHEABLE: list[tuple[Step, int, int]] = []


class Step(NamedTuple):
    """One transition instance: a table row applied to a message (-1 for transport rows)
    and, where the row ranges over one, a recipient or transport index (-1 otherwise)."""

    row: str
    message: int
    arg: int


class StepNotEnabled(MapiSubmissionError, ValueError):
    """The requested step is not enabled in the given world."""


class UnknownVariant(MapiSubmissionError, KeyError):
    """No known-bad variant has this name."""


@dataclass(frozen=True)
class CompiledRow:
    row: Row
    guards: tuple[Guard, ...]
    effect: Effect
    #: the recipient or transport indices the row ranges over; (-1,) when it ranges over none
    targets: tuple[int, ...]


def take_row(config: Config, compiled: CompiledRow, world: World, m: int, a: int) -> World:
    """The world after a message row: its effect, then the message in the row's destination
    state (a row without destination leaves the state as the effect left it)."""
    after = compiled.effect(config, world, m, a)
    dest = compiled.row.dest
    if dest is not None and after.messages[m].phase != dest:
        moved = tuple.__new__(Message, (dest, *after.messages[m][1:]))
        after = replace_message(after, m, moved)
    return after


class Model:
    """A bounded instance of the specification, optionally with a known-bad variant."""

    def __init__(self, config: Config | None = None, variant: str | None = None) -> None:
        self.config = config if config is not None else Config()
        if variant is not None and variant not in VARIANTS:
            known = ", ".join(sorted(VARIANTS))
            raise UnknownVariant(f"unknown variant {variant!r}; known variants: {known}")
        self.variant: Variant | None = VARIANTS[variant] if variant else None
        guards = dict(GUARDS)
        effects = dict(EFFECTS)
        if self.variant is not None:
            guards.update(self.variant.guard_overrides)
            effects.update(self.variant.effect_overrides)
        check_table(TABLE, guards, effects, (entry.rule for entry in CATALOGUE))
        recipients = tuple(range(self.config.recipients))
        transports = tuple(range(self.config.transports))
        self.message_rows: dict[str, list[CompiledRow]] = {}
        self.transport_rows: dict[str, list[CompiledRow]] = {}
        for row in TABLE:
            targets = {"recipient": recipients, "transport": transports}.get(
                row.ranges_over or "", (-1,))
            compiled = CompiledRow(row, tuple(guards[g] for g in row.guards), effects[row.effect],
                                   targets)
            index = self.transport_rows if row.machine == "transport" else self.message_rows
            for source in row.sources:
                index.setdefault(source, []).append(compiled)
        self.rows: dict[str, Row] = {row.name: row for row in TABLE}
        self._cacheable = all(
            function in KNOWN_FUNCTIONS
            for rows in (*self.message_rows.values(), *self.transport_rows.values())
            for compiled in rows
            for function in (*compiled.guards, compiled.effect)
        )
        #: per phase: whether a row from it reads the phases of queued messages
        self._reads_queue: dict[str, bool] = {
            phase: any(g in READS_QUEUED_PHASES for compiled in rows for g in compiled.guards)
            for phase, rows in self.message_rows.items()
        }
        self._messages: list[Message] = []
        self._message_ids: dict[Message, int] = {}
        self._phases: list[str] = []
        self._queue_readers: list[bool] = []  # per message id: its rows read queued phases
        self._contexts: list[Context] = []
        self._context_ids: dict[Context, int] = {}
        self._moves: dict[tuple[int, int, int, tuple[str, ...]], list[tuple[Step, int, int]]] = {}
        self._steps: dict[tuple[str, int, int], Step] = {}
        self._order: dict[int, tuple[int, ...]] = {}

    @property
    def variant_name(self) -> str | None:
        return self.variant.name if self.variant else None

    def initial_worlds(self) -> list[World]:
        return initial_worlds(self.config)

    def successors(self, world: World) -> list[tuple[Step, World]]:
        """Every enabled step and the world it leads to (error rows lead back to `world`)."""
        return list(self._successors(world))

    def message_successors(self, world: World, m: int) -> list[tuple[Step, World]]:
        """The enabled steps of message `m` alone (call-log validation matches one message's
        record without computing every other message's steps)."""
        return list(self._message_successors(world, m))

    def _successors(self, world: World) -> Iterator[tuple[Step, World]]:
        for m in range(len(world.messages)):
            yield from self._message_successors(world, m)
        for t in range(len(world.transports)):
            yield from self._transport_successors(world, t)

    def _message_successors(self, world: World, m: int) -> Iterator[tuple[Step, World]]:
        config = self.config
        for compiled in self.message_rows.get(world.messages[m].phase, ()):
            for a in compiled.targets:
                for check in compiled.guards:
                    if not check(config, world, m, a):
                        break
                else:
                    yield Step(compiled.row.name, m, a), take_row(config, compiled, world, m, a)

    def _transport_successors(self, world: World, t: int) -> Iterator[tuple[Step, World]]:
        config = self.config
        for compiled in self.transport_rows.get(world.transports[t], ()):
            if compiled.targets != (-1,) and t not in compiled.targets:
                continue
            if all(check(config, world, -1, t) for check in compiled.guards):
                after = compiled.effect(config, world, -1, t)
                yield Step(compiled.row.name, -1, t), after

    # ---- compact worlds (exploration) ---------------------------------------------------------

    def intern_message(self, message: Message) -> int:
        mid = self._message_ids.get(message)
        if mid is None:
            mid = self._message_ids[message] = len(self._messages)
            self._messages.append(message)
            self._phases.append(message.phase)
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

    def interned_messages(self) -> list[Message]:
        """The interned messages by id; the list grows in place as exploration goes on."""
        return self._messages

    def context_of(self, cid: int) -> Context:
        return self._contexts[cid]

    def compact(self, world: World) -> CompactWorld:
        cid = self.intern_context((world.tight, world.transports, world.queue,
                                   world.setbacks_left))
        return (cid, *map(self.intern_message, world.messages))

    def expand(self, state: CompactWorld) -> World:
        tight, transports, queue, setbacks = self._contexts[state[0]]
        messages = self._messages
        return World(tight, transports, queue, setbacks, tuple([messages[i] for i in state[1:]]))

    def _step(self, row: str, m: int, a: int) -> Step:
        key = (row, m, a)
        step = self._steps.get(key)
        if step is None:
            step = self._steps[key] = Step(row, m, a)
        return step

    def _moves_of(self, world: World, m: int) -> list[tuple[Step, int, int]]:
        """Message `m`'s steps as (step, new message id, new context id); _UNCACHEABLE when
        an effect touched another message (the cache key would not capture that)."""
        moves: list[tuple[Step, int, int]] = []
        before = world.messages
        successors = (self._message_successors(world, m) if m >= 0
                      else self._transport_successors(world, -1 - m))
        for step, after in successors:
            others = after.messages
            if m >= 0:
                if others[:m] != before[:m] or others[m + 1:] != before[m + 1:]:
                    return _UNCACHEABLE
                mid = self.intern_message(others[m])
            else:
                if others != before:
                    return _UNCACHEABLE
                mid = -1
            context = (after.tight, after.transports, after.queue, after.setbacks_left)
            moves.append((self._step(*step), mid, self.intern_context(context)))
        return moves

    def compact_successors(self, state: CompactWorld) -> list[tuple[Step, CompactWorld]]:
        """`successors` on compact worlds: the same steps in the same order, each with the
        compact form of the world it leads to."""
        if not self._cacheable:
            return [(step, self.compact(after))
                    for step, after in self._successors(self.expand(state))]
        cid = state[0]
        context = self._contexts[cid]
        queue = context[2]
        phases = self._phases
        queued = tuple([phases[state[1 + i]] for i in queue]) if queue else ()
        moves_cache = self._moves
        readers = self._queue_readers
        world: World | None = None
        result: list[tuple[Step, CompactWorld]] = []
        append = result.append
        order = self._order.get(len(state))
        if order is None:
            order = self._order[len(state)] = (
                *range(len(state) - 1), *(-1 - t for t in range(len(context[1]))))
        for m in order:
            # m >= 0: message slot m; m < 0: transport -1 - m (after the messages, in order)
            if m >= 0:
                mid = state[1 + m]
                key = (m, mid, cid, queued if readers[mid] else ())
            else:
                key = (m, -1, cid, ())
            moves = moves_cache.get(key)
            if moves is None:
                if world is None:
                    world = self.expand(state)
                moves = moves_cache[key] = self._moves_of(world, m)
            if moves is _UNCACHEABLE:
                if world is None:
                    world = self.expand(state)
                successors = (self._message_successors(world, m) if m >= 0
                              else self._transport_successors(world, -1 - m))
                for step, after in successors:
                    append((step, self.compact(after)))
                continue
            if m >= 0:
                head = state[1:1 + m]
                tail = state[2 + m:]
                for step, mid, ncid in moves:
                    append((step, (ncid, *head, mid, *tail)))
            else:
                rest = state[1:]
                for step, _, ncid in moves:
                    append((step, (ncid, *rest)))
        return result

    def enabled(self, world: World) -> list[Step]:
        return [step for step, _ in self._successors(world)]

    def apply(self, world: World, step: Step) -> World:
        for candidate, after in self._successors(world):
            if candidate == step:
                return after
        raise StepNotEnabled(f"step {step.row} (message {step.message}, arg {step.arg}) "
                             "is not enabled here")

    def is_final(self, world: World) -> bool:
        """Every message has reached a state it never leaves."""
        return all(message.phase in TERMINAL for message in world.messages)
