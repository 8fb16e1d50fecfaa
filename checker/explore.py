"""Breadth-first exploration of a bounded model over its pure successor function.

States are the model's immutable worlds; with symmetry on, each world is replaced by its
canonical representative under permutations of message identities (symmetry.py).
Breadth-first order makes every parent path a shortest path.

The search itself runs on compact worlds (compact.py: tuples of interned ids, cheap to hash,
with each message's successors cached); a World is built once per new state and for the
callbacks that ask for one.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import networkx as nx

from mapi_submission.model.engine import Model, Step
from mapi_submission.model.world import World

from .compact import CompactWorld, CompactWorlds
from .gc_pause import collector_paused
from .stopping import Stop
from .symmetry import CompactSymmetry, canonical

#: What explore calls per transition when the caller asked for edges or transition callbacks:
#: (source, source world, source compact world, step, concrete successor, target).
_Record = Callable[[int, World, CompactWorld, Step, CompactWorld, int], None]


class LimitReached(Exception):
    """Exploration stopped at --max-states or --timeout."""


@dataclass
class Exploration:
    """The explored reachable graph. Node ids are indexes into `states`."""

    model: Model
    symmetry: bool
    #: the explored worlds by node id (a safety check keeps them compact: safety_search.py)
    states: Sequence[World] = field(default_factory=list)
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
    on_transition: Callable[[int, World, CompactWorld, Step, CompactWorld, int], None]
    | None = None,
    stop: Stop | None = None,
    worlds: CompactWorlds | None = None,
) -> Exploration:
    """Explore every reachable world breadth first.

    `visit(node, world)` is called once per new state, `on_edge(source, step, target_world,
    target)` once per transition; `on_progress(states, transitions, depth)` now and then.
    `on_transition(source, world, state, step, after, target)` sees the transition before
    symmetry reduction, in compact form (`worlds.expand` builds a world): `state` is the
    source's, `after` the concrete successor, in the same message numbering as `step` (what
    step properties need). `worlds`: the compact forms to use (a caller expanding them
    passes its own).
    Limits stop cleanly: the result has `stopped` set and holds what was explored. So does a
    stop requested through `stop` (Ctrl-C, the command's timeout): the search is a cooperative
    phase that ends between two states.
    """
    started = time.monotonic()
    result = Exploration(model, symmetry)
    search = _Search(result, worlds if worlds is not None else CompactWorlds(model), visit)
    limits = _Limits(max_states, timeout, started, stop)
    with searching(stop):
        search.seed(limits)
        if result.stopped is None:
            search.run(limits, _recorder(search, keep_edges, on_edge, on_transition),
                       on_progress)
    result.seconds = time.monotonic() - started
    return result


@contextlib.contextmanager
def searching(stop: Stop | None) -> Iterator[None]:
    """The phase a search runs in: "exploration", cooperating with `stop` (Ctrl-C, the
    command's timeout), with the cyclic garbage collector paused."""
    with stop.cooperating() if stop is not None else contextlib.nullcontext(), \
            collector_paused():
        if stop is not None:
            stop.enter("exploration")
        yield


def seed_initial(result: Exploration, worlds: CompactWorlds, index: dict[CompactWorld, int],
                 add: Callable[[CompactWorld, tuple[int, Step] | None, int], int],
                 limits: _Limits) -> None:
    """The initial worlds (their representatives, with symmetry) as a search's first nodes,
    each numbered by `add` unless `index` has it already."""
    for number, world in enumerate(result.model.initial_worlds()):
        if number % 256 == 0 and (stopped := limits.reached(number, 0)) is not None:
            result.stopped = stopped
            return
        state = worlds.compact(canonical(world)[0] if result.symmetry else world)
        if state not in index:
            result.initial.append(add(state, None, 0))


class _Limits:
    """--max-states and --timeout, asked before each state is expanded."""

    def __init__(self, max_states: int | None, timeout: float | None, started: float,
                 stop: Stop | None = None) -> None:
        self.max_states = max_states
        self.timeout = timeout
        self.deadline = started + timeout if timeout else None
        self.stop = stop

    def reached(self, cursor: int, states: int) -> str | None:
        """Why to stop before expanding state `cursor` of `states` found, or None."""
        if self.stop is not None and self.stop.reason is not None:
            return self.stop.reason
        if self.max_states is not None and states >= self.max_states:
            return f"--max-states {self.max_states} reached"
        # reading the clock every 256 states is often enough for a limit given in seconds
        if self.deadline is not None and cursor % 256 == 0 and time.monotonic() > self.deadline:
            return f"--timeout {self.timeout:g}s reached"
        return None


class _Search:
    """One breadth-first search filling in an Exploration: the compact form of each state
    found, in node order, and the node id of each."""

    def __init__(self, result: Exploration, worlds: CompactWorlds,
                 visit: Callable[[int, World], None] | None) -> None:
        self.result = result
        self.worlds = worlds
        self.visit = visit
        self.compact_states: list[CompactWorld] = []
        self.worlds_found: list[World] = []
        result.states = self.worlds_found
        self.index: dict[CompactWorld, int] = {}
        self.symmetry = CompactSymmetry(worlds) if result.symmetry else None

    def add(self, state: CompactWorld, link: tuple[int, Step] | None, level: int) -> int:
        """Number a new state, build its world and tell `visit`."""
        result = self.result
        node = len(result.states)
        world = self.worlds.expand(state)
        self.compact_states.append(state)
        self.worlds_found.append(world)
        self.index[state] = node
        result.parent.append(link)
        result.depth.append(level)
        if self.visit is not None:
            self.visit(node, world)
        return node

    def seed(self, limits: _Limits) -> None:
        seed_initial(self.result, self.worlds, self.index, self.add, limits)

    def run(self, limits: _Limits, record: _Record | None,
            on_progress: Callable[[int, int, int], None] | None) -> None:
        """Expand every state in node order (new states join the end) until none is left or
        a limit stops the search. This loop runs once per transition: what it needs is bound
        to locals, and two-message symmetry, the common case, is decided inline."""
        result = self.result
        states, depth = self.worlds_found, result.depth
        compact_states, index, add = self.compact_states, self.index, self.add
        successors = self.worlds.successors
        by_id = self.worlds.messages  # grows in place as new messages are interned
        symmetry = self.symmetry
        canonicalise = symmetry.canonical if symmetry is not None else None
        pairs = result.model.config.messages == 2
        swapped: dict[int, int] = {}  # context id -> its id with messages 0 and 1 exchanged
        transitions = 0
        cursor = 0
        while cursor < len(states):
            stopped = limits.reached(cursor, len(states))
            if stopped is not None:
                result.stopped = stopped
                break
            source = cursor
            level = depth[source] + 1
            state = compact_states[source]
            world = states[source]
            for step, concrete in successors(state):
                after = concrete
                if canonicalise is not None:
                    if pairs:
                        # the representative of two messages is the pair sorted by value:
                        # the successor as it is, or with its two messages exchanged
                        first, second = concrete[1], concrete[2]
                        if first != second and by_id[second] < by_id[first]:
                            cid = swapped.get(concrete[0])
                            if cid is None:
                                cid = swapped[concrete[0]] = canonicalise(concrete)[0]
                            after = (cid, second, first)
                    else:
                        after = canonicalise(concrete)
                target = index.get(after)
                if target is None:
                    target = add(after, (source, step), level)
                transitions += 1
                if record is not None:
                    record(source, world, state, step, concrete, target)
            cursor += 1
            if on_progress is not None and cursor % 4096 == 0:
                on_progress(len(states), transitions, depth[source])
        result.expanded = cursor
        result.transitions = transitions


def _recorder(search: _Search, keep_edges: bool,
              on_edge: Callable[[int, Step, World, int], None] | None,
              on_transition: _Record | None) -> _Record | None:
    """What to do per transition beyond finding its target: keep the edge and call the
    transition callbacks the caller passed; None when there is nothing to do."""
    if not keep_edges and on_edge is None and on_transition is None:
        return None
    edges, states = search.result.edges, search.worlds_found

    def record(source: int, world: World, state: CompactWorld, step: Step,
               concrete: CompactWorld, target: int) -> None:
        if keep_edges:
            edges.append((source, step, target))
        if on_edge is not None:
            on_edge(source, step, states[target], target)
        if on_transition is not None:
            on_transition(source, world, state, step, concrete, target)

    return record
