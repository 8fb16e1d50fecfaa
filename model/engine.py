"""The pure semantics of the table: enabled steps and successor worlds.

`Model(config, variant)` compiles the table once (guard and effect names resolved, rows
indexed by source state); `successors(world)` is then a pure function over immutable worlds,
the reference semantics. The `transitions` runtime (runtime.py) is the other face of the same
rows.

The explorer does not call `successors` world by world: it caches each message's steps
(checker/compact.py, built on `message_successors` and `transport_successors`), which is sound
because every guard and effect reads only the world-wide fields and its own message
(next_in_submission_order also reads the phases of the messages queued before its own). A test
compares the cached steps with `successors`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from .catalogue import CATALOGUE
from .config import Config
from .effects import EFFECT_WRITES, EFFECTS, Effect
from .errors import MapiSubmissionError
from .guards import GUARDS, Guard
from .integrity import check_table
from .states import TERMINAL
from .table import INSIDE_CALL_SOURCES, TABLE, Kind, Row
from .variants import VARIANTS, Variant
from .world import Message, World, initial_worlds, max_recipient_rows, replace_message


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


def _row_writes(row: Row) -> frozenset[str]:
    moves = row.dest is not None and row.machine == "message"
    return EFFECT_WRITES[row.effect] | ({"message.phase"} if moves else set())


def step_writes(row: Row) -> frozenset[str]:
    """The fields a step of `row` may write (the declarations of model/effects.py): the row's
    own, and those of every row taken inside the same call from where the row leaves the
    message."""
    if row.machine != "message":
        return _row_writes(row)
    left_in = {row.dest} if row.dest is not None else set(row.sources)
    inside = [other for other in TABLE if other.kind is Kind.INSIDE_CALL
              and left_in & INSIDE_CALL_SOURCES & set(other.sources)]
    return _row_writes(row).union(*(_row_writes(other) for other in inside))


#: row name -> step_writes of the row (the table and the declarations are fixed: computed once)
STEP_WRITES: dict[str, frozenset[str]] = {row.name: step_writes(row) for row in TABLE}


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
        recipients = tuple(range(max_recipient_rows(self.config)))
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
        #: row name -> the fields a step of the row may write: its effect's, the message's
        #: state where the row has a destination, and those of the rows the callee may take
        #: inside the same call (R26)
        self.writes: dict[str, frozenset[str]] = STEP_WRITES

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

    def transport_successors(self, world: World, t: int) -> list[tuple[Step, World]]:
        """The enabled steps of transport `t`'s session machine alone (they change no
        message)."""
        return list(self._transport_successors(world, t))

    def _successors(self, world: World) -> Iterator[tuple[Step, World]]:
        for m in range(len(world.messages)):
            yield from self._message_successors(world, m)
        for t in range(len(world.transports)):
            yield from self._transport_successors(world, t)

    def _message_successors(self, world: World, m: int) -> Iterator[tuple[Step, World]]:
        config = self.config
        for compiled in self.message_rows.get(world.messages[m].phase, ()):
            if compiled.row.kind is Kind.INSIDE_CALL:
                continue  # taken inside the step that led to its source state
            for a in compiled.targets:
                for check in compiled.guards:
                    if not check(config, world, m, a):
                        break
                else:
                    step = Step(compiled.row.name, m, a)
                    after = take_row(config, compiled, world, m, a)
                    if after.messages[m].phase in INSIDE_CALL_SOURCES:
                        for routed in self._inside_call(after, m):
                            yield step, routed
                    else:
                        yield step, after

    def _inside_call(self, world: World, m: int) -> Iterator[World]:
        """What the callee does synchronously before the call returns (R26: the store queues
        or hands the message on before SubmitMessage returns): every enabled Kind.INSIDE_CALL
        row from the message's state (the routing is one decision; none enabled leaves the
        message where it is)."""
        taken = False
        for compiled, a in self._enabled_routings(world, m):
            taken = True
            yield take_row(self.config, compiled, world, m, a)
        if not taken:
            yield world

    def _enabled_routings(self, world: World, m: int) -> Iterator[tuple[CompiledRow, int]]:
        """The Kind.INSIDE_CALL rows (with their argument) enabled for message `m`."""
        config = self.config
        for compiled in self.message_rows.get(world.messages[m].phase, ()):
            if compiled.row.kind is not Kind.INSIDE_CALL:
                continue
            for a in compiled.targets:
                if all(check(config, world, m, a) for check in compiled.guards):
                    yield compiled, a

    def inside_row(self, before: World, step: Step) -> Row | None:
        """The Kind.INSIDE_CALL row `step` took inside its call from `before` (the store's
        routing inside SubmitMessage or at the send time, R26), or None. The states do not
        tell it (two routings may lead from `submitted` to `spooled`); the guards do, and
        at most one holds."""
        if step.message < 0:
            return None
        compiled = next((c for c in self.message_rows.get(before.messages[step.message].phase,
                                                          ())
                         if c.row.name == step.row), None)
        if compiled is None:
            return None
        called = take_row(self.config, compiled, before, step.message, step.arg)
        routing = next(self._enabled_routings(called, step.message), None)
        return None if routing is None else routing[0].row

    def _transport_successors(self, world: World, t: int) -> Iterator[tuple[Step, World]]:
        config = self.config
        for compiled in self.transport_rows.get(world.transports[t], ()):
            if compiled.targets != (-1,) and t not in compiled.targets:
                continue
            if all(check(config, world, -1, t) for check in compiled.guards):
                after = compiled.effect(config, world, -1, t)
                yield Step(compiled.row.name, -1, t), after

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
