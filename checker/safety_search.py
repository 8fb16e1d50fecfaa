"""The breadth-first search of a safety check (no liveness, no edges kept), judging the
invariants once per cached slot instead of once per world and transition.

The explorer caches the moves of one message slot per (slot, message, context, queued views)
(compact.py). An invariant that reads only one message and the world-wide fields (its declared
`reads`, properties/registry.py) has the same verdict wherever that message meets that
context, so:
- a state invariant judged message by message (`Property.each`) is judged once per distinct
  (slot, message, context): a new state costs one dictionary lookup per message;
- a step invariant is judged once per cached move, when the slot's moves are first met: a
  transition costs nothing more than finding its target.
The moves of a slot that lead back to the same world (refused calls, most of a client's
calls) are counted but not followed, and moves leading to the same world are followed once.

Verdicts, counterexamples and counts are those of `explore` with the checker's Recorder (a
test compares them on every variant): states are numbered in the same breadth-first order,
each state's parent is the first step reaching it, the first violation of an invariant is
the first state (or transition) in that order that breaks it. A property without a
one-message declaration is judged world by world, as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from mapi_submission.model.engine import Model, Step
from mapi_submission.model.world import World
from mapi_submission.properties import Property, state_properties, step_properties

from .compact import CompactWorld, CompactWorlds, Moves, SlotKey
from .explore import Exploration, _Limits, searching, seed_initial
from .stopping import Stop
from .symmetry import CompactSymmetry

#: A slot's moves as the search follows them: the moves that change the world, one per
#: distinct target; how many moves the slot has in all; the step invariants its moves break,
#: as (property id, step) in move order.
_Entry = tuple[list[tuple[Step, int, int]], int, tuple[tuple[str, Step], ...]]


#: A slot whose moves are computed world by world (an effect touched another message, or a
#: step invariant is judged per transition); compared by identity.
_WORLD_BY_WORLD: _Entry = ([], 0, ())


class CompactStates(Sequence[World]):
    """The explored worlds, kept in compact form and built when asked for (a safety check
    asks for few of them: the counterexamples' and the stuck states')."""

    def __init__(self, compact: list[CompactWorld], worlds: CompactWorlds) -> None:
        self._compact = compact
        self._expand = worlds.expand

    def __len__(self) -> int:
        return len(self._compact)

    @overload
    def __getitem__(self, index: int) -> World: ...

    @overload
    def __getitem__(self, index: slice) -> list[World]: ...

    def __getitem__(self, index: int | slice) -> World | list[World]:
        if isinstance(index, slice):
            return [self._expand(state) for state in self._compact[index]]
        return self._expand(self._compact[index])

    def __iter__(self) -> Iterator[World]:
        return (self._expand(state) for state in self._compact)


@dataclass
class SafetyRecords:
    """What the search found: the first violation of each invariant and, per state, whether
    some step leads elsewhere (for DEADLOCK)."""

    #: property id -> the first node found where the state invariant fails
    state_violations: dict[str, int] = field(default_factory=dict)
    #: property id -> the first (source node, step) found where the step invariant fails
    step_violations: dict[str, tuple[int, Step]] = field(default_factory=dict)
    #: per node: 1 when some step leads to another state
    progress: bytearray = field(default_factory=bytearray)


def safety_search(model: Model, *, symmetry: bool = True, max_states: int | None = None,
                  timeout: float | None = None, selected: frozenset[str] | None = None,
                  on_progress: Callable[[int, int, int], None] | None = None,
                  stop: Stop | None = None) -> tuple[Exploration, SafetyRecords] | None:
    """Explore every reachable world breadth first and judge the state and step invariants
    (those `selected`, or all); None when the model's moves cannot be cached (a variant
    with guards or effects of its own), where the caller explores world by world."""
    worlds = CompactWorlds(model)
    if not worlds.cacheable:
        return None
    started = time.monotonic()
    result = Exploration(model, symmetry)
    search = _SafetySearch(result, worlds, selected)
    limits = _Limits(max_states, timeout, started, stop)
    with searching(stop):
        search.seed(limits)
        if result.stopped is None:
            search.run(limits, on_progress)
    result.states = CompactStates(search.compact_states, worlds)
    result.seconds = time.monotonic() - started
    return result, search.records


def _wanted(props: list[Property], selected: frozenset[str] | None) -> list[Property]:
    return [p for p in props if selected is None or p.id in selected]


class _SafetySearch:
    def __init__(self, result: Exploration, worlds: CompactWorlds,
                 selected: frozenset[str] | None) -> None:
        self.result = result
        self.model = result.model
        self.config = result.model.config
        self.worlds = worlds
        self.records = SafetyRecords()
        self.compact_states: list[CompactWorld] = []
        self.index: dict[CompactWorld, int] = {}
        self.symmetry = CompactSymmetry(worlds) if result.symmetry else None
        states = _wanted(state_properties(), selected)
        steps = _wanted(step_properties(), selected)
        #: state invariants judged per (slot, message, context), and those judged per world
        self.slot_state_checks = [p for p in states if p.each is not None and p.one_message]
        self.world_state_checks = [p for p in states if p not in self.slot_state_checks]
        #: step invariants judged per cached move, and those judged per transition
        self.move_checks = [p for p in steps if p.one_message]
        self.transition_checks = [p for p in steps if not p.one_message]
        #: (slot, message id, context id) -> the slot-judged state invariants it breaks
        self.state_verdicts: dict[tuple[int, int, int], tuple[str, ...]] = {}
        self.entries: dict[SlotKey, _Entry] = {}
        self.add = self._adder()
        self.row_checks: dict[str, list[Property]] = {}
        #: context id -> the moves of every transport there (_WORLD_BY_WORLD: not cached)
        self.transport_entries: dict[int, _Entry] = {}
        self.transports = result.model.config.transports

    # ---- states ------------------------------------------------------------------------------

    def _adder(self) -> Callable[[CompactWorld, tuple[int, Step] | None, int], int]:
        """`add(state, link, level)`: number a new state and judge its state invariants, with
        what it needs bound to locals (it runs once per state)."""
        compact_states, index = self.compact_states, self.index
        parent, depth, progress = self.result.parent, self.result.depth, self.records.progress
        verdicts, judge_slot, record_state = (self.state_verdicts, self._judge_slot,
                                              self._record_state)
        world_checks = self.world_state_checks

        def add(state: CompactWorld, link: tuple[int, Step] | None, level: int) -> int:
            node = len(compact_states)
            compact_states.append(state)
            index[state] = node
            parent.append(link)
            depth.append(level)
            progress.append(0)
            cid = state[0]
            for slot in range(len(state) - 1):
                broken = verdicts.get((slot, state[1 + slot], cid))
                if broken is None:
                    broken = judge_slot(state, slot)
                if broken:
                    record_state(broken, node)
            if world_checks:
                world = self.worlds.expand(state)
                record_state(tuple(p.id for p in world_checks if p.check(self.config, world)),
                             node)
            return node

        return add

    def _judge_slot(self, state: CompactWorld, slot: int) -> tuple[str, ...]:
        world = self.worlds.expand(state)
        message = world.messages[slot]
        broken = tuple(p.id for p in self.slot_state_checks
                       if p.each is not None and p.each(self.config, world, slot, message))
        self.state_verdicts[(slot, state[1 + slot], state[0])] = broken
        return broken

    def _record_state(self, broken: tuple[str, ...], node: int) -> None:
        violations = self.records.state_violations
        for pid in broken:
            violations.setdefault(pid, node)

    def seed(self, limits: _Limits) -> None:
        seed_initial(self.result, self.worlds, self.index, self.add, limits)

    # ---- moves -------------------------------------------------------------------------------

    def _entry(self, state: CompactWorld, key: SlotKey, moves: Moves) -> _Entry:
        """A slot's moves as the search follows them, its step invariants judged once."""
        slot, mid, cid = key[0], key[1], key[2]
        changing: list[tuple[Step, int, int]] = []
        seen: set[tuple[int, int]] = set()
        for move in moves:
            target = (move[1], move[2])
            if target != (mid, cid) and target not in seen:
                seen.add(target)
                changing.append(move)
        broken: list[tuple[str, Step]] = []
        world: World | None = None
        head, tail = state[1:1 + slot], state[2 + slot:]
        for step, new_mid, new_cid in moves:
            checks = self._checks_of(step.row)
            if not checks:
                continue
            if world is None:
                world = self.worlds.expand(state)
            concrete = ((new_cid, *head, new_mid, *tail) if slot >= 0
                        else (new_cid, *state[1:]))
            after = world if concrete == state else self.worlds.expand(concrete)
            row = self.model.rows[step.row]
            broken += [(p.id, step) for p in checks
                       if p.check(self.config, world, row, step, after)]
        return changing, len(moves), tuple(broken)

    def _checks_of(self, row_name: str) -> list[Property]:
        """The one-message step invariants a step of this row can break (their `applies`
        and `changes` against the row's writes), found once per row."""
        checks = self.row_checks.get(row_name)
        if checks is None:
            row, writes = self.model.rows[row_name], self.model.writes[row_name]
            checks = self.row_checks[row_name] = [p for p in self.move_checks
                                                  if p.judges(row, writes)]
        return checks

    def _record_steps(self, broken: Sequence[tuple[str, Step]], source: int) -> None:
        violations = self.records.step_violations
        for pid, step in broken:
            if pid not in violations:
                violations[pid] = (source, step)

    def _slot_world_by_world(self, state: CompactWorld, slot: int, source: int,
                             level: int) -> int:
        """A slot whose moves are not cached (an effect touched another message), or a model
        with step invariants judged per transition: its steps computed world by world and
        every step invariant judged on each. Returns the slot's transitions."""
        world = self.worlds.expand(state)
        count = 0
        for step, concrete in self.worlds.slot_successors(state, slot):
            count += 1
            after = world if concrete == state else self.worlds.expand(concrete)
            row = self.model.rows[step.row]
            self._record_steps([(p.id, step) for p in (*self._checks_of(step.row),
                                                       *self.transition_checks)
                                if p.check(self.config, world, row, step, after)], source)
            if self._target(concrete, source, step, level) != source:
                self.records.progress[source] = 1
        return count

    def _target(self, concrete: CompactWorld, source: int, step: Step, level: int) -> int:
        after = self.symmetry.canonical(concrete) if self.symmetry is not None else concrete
        target = self.index.get(after)
        if target is None:
            target = self.add(after, (source, step), level)
        return target

    # ---- the search --------------------------------------------------------------------------

    def run(self, limits: _Limits, on_progress: Callable[[int, int, int], None] | None) -> None:
        """Expand every state in node order (new states join the end) until none is left or
        a limit stops the search."""
        result, compact_states, depth = self.result, self.compact_states, self.result.depth
        expand = self._expander()
        transitions = 0
        cursor = 0
        cap = limits.max_states
        while cursor < len(compact_states):
            # the stop request and the clock every 256 states; --max-states exactly
            if not cursor & 255 or (cap is not None and len(compact_states) >= cap):
                stopped = limits.reached(cursor, len(compact_states))
                if stopped is not None:
                    result.stopped = stopped
                    break
            transitions += expand(cursor)
            cursor += 1
            if on_progress is not None and cursor % 4096 == 0:
                on_progress(len(compact_states), transitions, depth[cursor - 1])
        result.expanded = cursor
        result.transitions = transitions

    def _follower(self) -> Callable[[int, int, list[tuple[Step, int, int]], tuple[int, ...],
                                     tuple[int, ...] | None], None]:
        """What follows a slot's moves that change the world: each successor's
        representative found or added, with what it needs bound to locals (it runs once
        per distinct move); two-message symmetry, the common case, is decided inline."""
        index, add, progress = self.index, self.add, self.records.progress
        by_id = self.worlds.messages  # grows in place as new messages are interned
        canonicalise = self.symmetry.canonical if self.symmetry is not None else None
        # two messages: the representative is the pair sorted by value, the successor as it
        # is or with its two messages exchanged
        pairs = canonicalise is not None and self.config.messages == 2
        swapped: dict[int, int] = {}  # context id -> its id with messages 0 and 1 exchanged

        def follow(source: int, level: int, changing: list[tuple[Step, int, int]],
                   head: tuple[int, ...], tail: tuple[int, ...] | None) -> None:
            """The moves from `source` that change the world (`tail` None: a transport's,
            which keep every message)."""
            for step, mid, ncid in changing:
                after = (ncid, *head, mid, *tail) if tail is not None else (ncid, *head)
                if pairs:
                    first, second = after[1], after[2]
                    if first != second and by_id[second] < by_id[first]:
                        cid = swapped.get(after[0])
                        if cid is None:
                            cid = swapped[after[0]] = canonicalise(after)[0]  # type: ignore[misc]
                        after = (cid, second, first)
                elif canonicalise is not None:
                    after = canonicalise(after)
                target = index.get(after)
                if target is None:
                    target = add(after, (source, step), level)
                if target != source:
                    progress[source] = 1

        return follow

    def _expander(self) -> Callable[[int], int]:
        """The expansion of one state, returning its transitions. The transports' moves
        depend on the world-wide fields alone: they are one entry per context."""
        compact_states, depth = self.compact_states, self.result.depth
        entries, make_entry = self.entries, self._entry
        message_keys, moves_for = self.worlds.message_slot_keys, self.worlds.moves_for
        transport_entries, transport_entry = self.transport_entries, self._transport_entry
        world_by_world = bool(self.transition_checks)
        record_steps, slot_world_by_world = self._record_steps, self._slot_world_by_world
        follow = self._follower()

        def expand(source: int) -> int:
            level = depth[source] + 1
            state = compact_states[source]
            transitions = 0
            for slot, key in message_keys(state):
                entry = entries.get(key)
                if entry is None:
                    moves = moves_for(state, slot, key)
                    if moves is None or world_by_world:
                        transitions += slot_world_by_world(state, slot, source, level)
                        continue
                    entry = entries[key] = make_entry(state, key, moves)
                changing, count, broken = entry
                transitions += count
                if broken:
                    record_steps(broken, source)
                if changing:
                    follow(source, level, changing, state[1:1 + slot], state[2 + slot:])
            entry = transport_entries.get(state[0])
            if entry is None:
                entry = transport_entry(state)
            if entry is _WORLD_BY_WORLD:
                for t in range(self.transports):
                    transitions += slot_world_by_world(state, -1 - t, source, level)
                return transitions
            changing, count, broken = entry
            if broken:
                record_steps(broken, source)
            if changing:
                follow(source, level, changing, state[1:], None)
            return transitions + count

        return expand

    def _transport_entry(self, state: CompactWorld) -> _Entry:
        """The moves of every transport from `state`'s context, as one entry (the moves of
        one transport after another, the first of those reaching a context kept)."""
        cid = state[0]
        combined: _Entry = ([], 0, ())
        if not self.transition_checks:
            for t in range(self.transports):
                key = (-1 - t, -1, cid, ())
                moves = self.worlds.moves_for(state, -1 - t, key)
                if moves is None:
                    combined = _WORLD_BY_WORLD
                    break
                changing, count, broken = self._entry(state, key, moves)
                seen = {ncid for _, _, ncid in combined[0]}
                combined = (combined[0] + [move for move in changing if move[2] not in seen],
                            combined[1] + count, combined[2] + broken)
        else:
            combined = _WORLD_BY_WORLD
        self.transport_entries[cid] = combined
        return combined
