"""Breadth-first exploration of a bounded model over its pure successor function.

States are the model's immutable worlds; with symmetry on, each world is replaced by a
canonical representative under permutations of message identities (messages are
interchangeable: nothing in the semantics depends on a message's index except the queue
order, which is permuted along). Breadth-first order makes every parent path a shortest path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx

from mapi_submission.model.engine import CompactWorld, Model, Step
from mapi_submission.model.world import World


def canonical(world: World) -> tuple[World, tuple[int, ...]]:
    """The representative of `world` under message permutation, and the permutation:
    position i of the representative holds message perm[i] of `world`."""
    messages = world.messages
    perm = tuple(sorted(range(len(messages)), key=messages.__getitem__))
    if all(i == p for i, p in enumerate(perm)):
        return world, perm
    new_index = {old: new for new, old in enumerate(perm)}
    return (
        world._replace(
            messages=tuple(messages[i] for i in perm),
            queue=tuple(new_index[i] for i in world.queue),
        ),
        perm,
    )


class LimitReached(Exception):
    """Exploration stopped at --max-states or --timeout."""


@dataclass
class Exploration:
    """The explored reachable graph. Node ids are indexes into `states`."""

    model: Model
    symmetry: bool
    states: list[World] = field(default_factory=list)
    initial: list[int] = field(default_factory=list)
    #: (source id, step, target id); the step's message index is in the source's numbering.
    edges: list[tuple[int, Step, int]] = field(default_factory=list)
    parent: list[tuple[int, Step] | None] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    stopped: str | None = None  # why exploration stopped early, if it did
    #: States whose successors were computed (all of them unless `stopped`): nodes from
    #: `expanded` on are a frontier whose outgoing edges are unknown.
    expanded: int = 0
    seconds: float = 0.0
    transitions: int = 0  # transitions seen (edges, whether kept or not)
    _index: dict[World, int] | None = field(default=None, repr=False)

    @property
    def index(self) -> dict[World, int]:
        """Node id of each explored world (built on first use)."""
        if self._index is None or len(self._index) != len(self.states):
            self._index = {world: node for node, world in enumerate(self.states)}
        return self._index

    def path_to(self, node: int) -> list[tuple[int, Step, int]]:
        """Shortest path (as edges) from an initial state to `node`."""
        path: list[tuple[int, Step, int]] = []
        while (link := self.parent[node]) is not None:
            source, step = link
            path.append((source, step, node))
            node = source
        path.reverse()
        return path

    def concrete_path(self, node: int) -> tuple[World, list[tuple[Step, World]]]:
        """The path to `node` replayed without symmetry: the initial world and each concrete
        step with the world it leads to (message indexes as in the concrete worlds)."""
        edges = self.path_to(node)
        start = self.states[edges[0][0]] if edges else self.states[node]
        world = start
        steps: list[tuple[Step, World]] = []
        for _, step, _ in edges:
            concrete = step
            if self.symmetry and step.message >= 0:
                _, perm = canonical(world)
                concrete = step._replace(message=perm[step.message])
            world = self.model.apply(world, concrete)
            steps.append((concrete, world))
        return start, steps

    def graph(self) -> nx.MultiDiGraph[int]:
        """The reachable graph for the generators: nodes carry `world`, edges are keyed by
        the step and carry `row`."""
        graph: nx.MultiDiGraph[int] = nx.MultiDiGraph()
        for node, world in enumerate(self.states):
            graph.add_node(node, world=world, initial=False)
        for node in self.initial:
            graph.nodes[node]["initial"] = True
        for source, step, target in self.edges:
            graph.add_edge(source, target, key=step, row=step.row, step=step)
        return graph


def explore(
    model: Model,
    *,
    symmetry: bool = True,
    max_states: int | None = None,
    timeout: float | None = None,
    keep_edges: bool = True,
    on_progress: Callable[[int, int, int], None] | None = None,
    visit: Callable[[int, World], None] | None = None,
    on_edge: Callable[[int, Step, World, int], None] | None = None,
    on_transition: Callable[[int, World, Step, World, int], None] | None = None,
) -> Exploration:
    """Explore every reachable world breadth first.

    `visit(node, world)` is called once per new state, `on_edge(source, step, target_world,
    target)` once per transition; `on_progress(states, transitions, depth)` now and then.
    `on_transition(source, world, step, after, target)` sees the transition before symmetry
    reduction: `after` is the concrete successor of `world`, in the same message numbering as
    `step` (what step properties need).
    Limits stop cleanly: the result has `stopped` set and holds what was explored.

    The search runs on the model's compact worlds (tuples of interned ids, cheap to hash);
    worlds are built only for new states and for the callbacks that ask for them.
    """
    result = Exploration(model, symmetry)
    states, parent, depth, edges = result.states, result.parent, result.depth, result.edges
    compact_states: list[CompactWorld] = []
    index: dict[CompactWorld, int] = {}
    expand = model.expand
    started = time.monotonic()
    deadline = started + timeout if timeout else None
    canonicalise = _CompactSymmetry(model).canonical if symmetry else None
    pairs = model.config.messages == 2
    table = model.interned_messages()
    swapped: dict[int, int] = {}  # context id -> its id with messages 0 and 1 exchanged

    def add(state: CompactWorld, link: tuple[int, Step] | None, level: int) -> int:
        node = len(states)
        world = expand(state)
        compact_states.append(state)
        states.append(world)
        index[state] = node
        parent.append(link)
        depth.append(level)
        if visit is not None:
            visit(node, world)
        return node

    for world in model.initial_worlds():
        if symmetry:
            world = canonical(world)[0]
        state = model.compact(world)
        if state not in index:
            result.initial.append(add(state, None, 0))

    successors = model.compact_successors
    transitions = 0
    cursor = 0
    while cursor < len(states):
        if max_states is not None and len(states) >= max_states:
            result.stopped = f"--max-states {max_states} reached"
            break
        if deadline is not None and cursor % 256 == 0 and time.monotonic() > deadline:
            result.stopped = f"--timeout {timeout:g}s reached"
            break
        source = cursor
        level = depth[source] + 1
        state = compact_states[source]
        world = states[source]
        for step, concrete in successors(state):
            after = concrete
            if canonicalise is not None:
                if pairs:
                    # inline fast path for two messages: in order, or swap them
                    first, second = concrete[1], concrete[2]
                    if first != second and table[second] < table[first]:
                        swapped_cid = swapped.get(concrete[0])
                        if swapped_cid is None:
                            swapped_cid = swapped[concrete[0]] = canonicalise(concrete)[0]
                        after = (swapped_cid, second, first)
                else:
                    after = canonicalise(concrete)
            target = index.get(after)
            if target is None:
                target = add(after, (source, step), level)
            transitions += 1
            if keep_edges:
                edges.append((source, step, target))
            if on_edge is not None:
                on_edge(source, step, states[target], target)
            if on_transition is not None:
                # error rows lead back to the same world: no need to build it again
                on_transition(source, world, step,
                              world if concrete == state else expand(concrete), target)
        cursor += 1
        if on_progress is not None and cursor % 4096 == 0:
            on_progress(len(states), transitions, depth[source])
    result.expanded = cursor
    result.transitions = transitions
    result.seconds = time.monotonic() - started
    return result


class _CompactSymmetry:
    """`canonical` on compact worlds: messages sorted by value (the same representative as
    `canonical(world)`), the queue renumbered along; permutations cached per message-id
    tuple."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.permutations: dict[tuple[int, ...], tuple[int, ...] | None] = {}
        self.contexts: dict[tuple[int, tuple[int, ...]], int] = {}

    def canonical(self, state: CompactWorld) -> CompactWorld:
        mids = state[1:]
        perm = self.permutations.get(mids, _MISSING)
        if perm is _MISSING:
            message = self.model.message_of
            order = tuple(sorted(range(len(mids)), key=lambda i: message(mids[i])))
            perm = self.permutations[mids] = (
                None if all(i == p for i, p in enumerate(order)) else order)
        if perm is None:
            return state
        key = (state[0], perm)
        cid = self.contexts.get(key)
        if cid is None:
            tight, transports, queue, setbacks = self.model.context_of(state[0])
            new_index = {old: new for new, old in enumerate(perm)}
            cid = self.contexts[key] = self.model.intern_context(
                (tight, transports, tuple(new_index[i] for i in queue), setbacks))
        return (cid, *[mids[i] for i in perm])


_MISSING: tuple[int, ...] = (-1,)
