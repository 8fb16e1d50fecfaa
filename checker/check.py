"""Model checking a bounded configuration: invariants, deadlock and liveness, with shortest
counterexamples (reference sections 2.6 and 2.7).

One breadth-first exploration runs every state invariant on every reachable state and every
step invariant on every transition. Deadlock and "a final state stays reachable" are checked
on the explored graph; the liveness obligations L1-L3 are checked under weak fairness of
`properties.FAIR_ACTORS` by looking for fair non-progress cycles (strongly connected
components in which an obligation holds throughout).

Counterexamples are breadth-first parent paths, hence shortest; liveness counterexamples are
lassos (a shortest prefix, then a cycle that repeats forever).

Symmetry: safety, deadlock and final-state reachability are symmetric and judged on the
reduced graph. Liveness follows one message's identity, so it runs on the product of the
reduced graph with the message permutations (`_Product`), rebuilt from the renumbering each
transition recorded; the product is the unreduced graph, so the verdict is exact. When a
limit stopped the exploration liveness is not judged at all (see `check`).

Fairness, precisely: each fair actor working on one message (or on one transport's session)
is a process; the spooler serving message 0 and the spooler serving message 1 are two. A
process is *enabled* in a state when one of its steps leads to a different state (an error row
that changes nothing is not progress), and it is *taken* in a component when one of its
state-changing steps stays inside it. A component is a fair cycle when every fair process is
either disabled somewhere in it or taken in it (weak fairness). Per-process rather than
per-actor fairness is what "the spooler runs" means: a spooler that serves one message
forever while another waits is the starvation L1 forbids, not a fair schedule.
"""

from __future__ import annotations

import itertools
import math
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mapi_submission.model.engine import Model, Step
from mapi_submission.model.table import Row
from mapi_submission.model.world import Message, World
from mapi_submission.properties import FAIR_ACTORS, PROPERTIES, Property

from .explore import Exploration, canonical, explore

#: Properties of the explored graph itself, checked next to those of the properties module.
DEADLOCK = Property(
    "DEADLOCK", "graph", ("R62",),
    "Every world that is not final has a step that changes it (error rows alone, which "
    "change nothing, do not count).",
    None,
)
FINAL_REACHABLE = Property(
    "L-FINAL", "graph", ("R62", "R80"),
    "From every reachable world a final world (every message finished or deleted) is still "
    "reachable: no stuck message, no lock that can never be released.",
    None,
)

#: Liveness under symmetry works on M! copies of the edge lists; beyond this many product
#: edges (several GiB of arrays) it is refused rather than exhausting memory.
PRODUCT_EDGE_LIMIT = 60_000_000

HOLDS = "holds"
VIOLATED = "violated"
SKIPPED = "skipped"

#: Fair actors in a fixed order (process numbering, see `_processes`).
FAIR_ORDER: tuple[str, ...] = tuple(sorted(FAIR_ACTORS))


def _processes(model: Model) -> tuple[int, Callable[[Step], int]]:
    """Number the fair processes (fair actor x message, or x transport for transport-machine
    rows) and return (count, code of a step: its process number or -1 for clients)."""
    slots = model.config.messages + model.config.transports
    fair_code = {actor: i for i, actor in enumerate(FAIR_ORDER)}
    actor_of = {name: fair_code.get(row.actor, -1) for name, row in model.rows.items()}

    def code(step: Step) -> int:
        actor = actor_of[step.row]
        if actor < 0:
            return -1
        slot = step.message if step.message >= 0 else model.config.messages + step.arg
        return actor * slots + slot

    return len(FAIR_ORDER) * slots, code


@dataclass
class Counterexample:
    """A concrete path from an initial world. For a lasso, the steps from `cycle_from` on
    lead back to the world reached before them and repeat forever."""

    property: str
    rules: tuple[str, ...]
    problem: str
    start: World
    steps: list[tuple[Step, World]]
    cycle_from: int | None = None


@dataclass
class Verdict:
    property: Property
    status: str  # HOLDS, VIOLATED or SKIPPED
    note: str | None = None
    counterexample: Counterexample | None = None


@dataclass
class CheckResult:
    model: Model
    symmetry: bool
    liveness: bool
    exploration: Exploration
    transitions: int
    verdicts: list[Verdict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def states(self) -> int:
        return len(self.exploration.states)

    @property
    def depth(self) -> int:
        return max(self.exploration.depth, default=0)

    @property
    def complete(self) -> bool:
        return self.exploration.stopped is None

    @property
    def violations(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.status == VIOLATED]

    @property
    def exit_code(self) -> int:
        """1 on a violation, 2 when a limit stopped the exploration, 0 when all hold."""
        if self.violations:
            return 1
        return 0 if self.complete else 2


@dataclass
class _Graph:
    """Compact edge lists in breadth-first source order (CSR: `offsets[s]` .. `offsets[s+1]`
    index the edges leaving s)."""

    source: array[int] = field(default_factory=lambda: array("i"))
    target: array[int] = field(default_factory=lambda: array("i"))
    step: array[int] = field(default_factory=lambda: array("i"))  # index into `steps`
    process: array[int] = field(default_factory=lambda: array("h"))  # fair process or -1
    steps: list[Step] = field(default_factory=list)
    offsets: array[int] = field(default_factory=lambda: array("l"))
    #: with symmetry: per edge, how the successor was renumbered (index into `sigmas`;
    #: position i of the target world holds message sigmas[k][i] of the concrete successor)
    sigma: array[int] = field(default_factory=lambda: array("i"))
    sigmas: list[tuple[int, ...]] = field(default_factory=list)
    sigma_ids: dict[tuple[int, ...], int] = field(default_factory=dict)

    def finish(self, nodes: int) -> None:
        # edges were appended in breadth-first source order, so each source's block is
        # contiguous and starts where the previous source's ends
        counts = array("l", [0]) * (nodes + 1)
        for s in self.source:
            counts[s + 1] += 1
        for i in range(nodes):
            counts[i + 1] += counts[i]
        self.offsets = counts

    def out(self, node: int) -> range:
        return range(self.offsets[node], self.offsets[node + 1])


def check(
    model: Model,
    *,
    symmetry: bool = True,
    max_states: int | None = None,
    timeout: float | None = None,
    liveness: bool = True,
    on_progress: Callable[[int, int, int], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> CheckResult:
    """Explore `model` and judge every property; see the module docstring for the fairness
    assumptions. Limits stop the exploration cleanly; what needs the whole graph is then
    skipped with a note."""
    started = time.monotonic()
    config = model.config
    rows: dict[str, Row] = model.rows
    state_props = [p for p in PROPERTIES.values() if p.kind == "state"]
    step_props = [p for p in PROPERTIES.values() if p.kind == "step"]
    live_props = [p for p in PROPERTIES.values() if p.kind == "liveness"]
    _, process_of = _processes(model)

    state_found: dict[str, tuple[int, str]] = {}
    step_found: dict[str, tuple[int, Step, str]] = {}
    progress = bytearray()  # per node: 1 when some step leads elsewhere
    enabled = array("Q")  # per node: bit mask of fair processes with a progress step
    graph = _Graph()
    keep = liveness
    transitions = 0
    identity = tuple(range(config.messages))
    exploration_states: list[World] = []  # worlds by node, as `visit` sees them

    def visit(node: int, world: World) -> None:
        exploration_states.append(world)
        progress.append(0)
        enabled.append(0)
        for prop in state_props:
            if prop.id not in state_found:
                problem = prop.check(config, world)
                if problem:
                    state_found[prop.id] = (node, problem)

    step_info: dict[Step, tuple[Row, int, int]] = {}  # step -> (row, fair process, step id)
    active_steps = [(prop.id, prop.check) for prop in step_props]

    def on_transition(source: int, world: World, step: Step, after: World, target: int) -> None:
        nonlocal transitions, active_steps
        transitions += 1
        info = step_info.get(step)
        if info is None:
            info = step_info[step] = (rows[step.row], process_of(step), len(graph.steps))
            graph.steps.append(step)
        row, code, sid = info
        if target != source:
            progress[source] = 1
            if code >= 0:
                enabled[source] |= 1 << code
        for pid, judge in active_steps:
            problem = judge(config, world, row, step, after)
            if problem:
                step_found[pid] = (source, step, problem)
                active_steps = [(i, j) for i, j in active_steps if i != pid]
        if keep:
            graph.source.append(source)
            graph.target.append(target)
            graph.step.append(sid)
            graph.process.append(code)
            if symmetry:
                sigma = _renumbering(after.messages, exploration_states[target].messages,
                                     identity)
                if sigma is None:
                    sigma = canonical(after)[1]
                kid = graph.sigma_ids.get(sigma)
                if kid is None:
                    kid = graph.sigma_ids[sigma] = len(graph.sigmas)
                    graph.sigmas.append(sigma)
                graph.sigma.append(kid)

    exploration = explore(model, symmetry=symmetry, max_states=max_states, timeout=timeout,
                          keep_edges=False, on_progress=on_progress, visit=visit,
                          on_transition=on_transition)
    result = CheckResult(model, symmetry, liveness, exploration, transitions)
    complete = exploration.stopped is None
    if not complete:
        result.warnings.append(
            f"exploration incomplete ({exploration.stopped}): properties without a "
            "counterexample are not proven")

    for prop in state_props:
        if prop.id in state_found:
            node, _ = state_found[prop.id]
            result.verdicts.append(Verdict(prop, VIOLATED,
                                           counterexample=_state_counterexample(exploration,
                                                                                prop, node)))
        else:
            result.verdicts.append(_unproven(prop, complete))
    for prop in step_props:
        if prop.id in step_found:
            source, step, _ = step_found[prop.id]
            result.verdicts.append(Verdict(prop, VIOLATED, counterexample=_step_counterexample(
                exploration, prop, source, step)))
        else:
            result.verdicts.append(_unproven(prop, complete))

    result.verdicts.append(_deadlock(exploration, progress, complete))

    if not liveness:
        for prop in [FINAL_REACHABLE, *live_props]:
            result.verdicts.append(Verdict(prop, SKIPPED, "liveness not requested"))
    elif not complete:
        note = ("not checked: the exploration stopped at a limit, so unexplored states would "
                "make it unsound (a frontier state seems stuck) or vacuous (missing cycles)")
        for prop in [FINAL_REACHABLE, *live_props]:
            result.verdicts.append(Verdict(prop, SKIPPED, note))
        result.warnings.append("liveness " + note)
    else:
        if on_phase is not None:
            on_phase("liveness")
        graph.finish(len(exploration.states))
        result.verdicts.append(_final_reachable(exploration, graph))
        symmetric = symmetry and config.messages > 1
        copies = math.factorial(config.messages) if symmetric else 1
        if copies * len(graph.target) > PRODUCT_EDGE_LIMIT:
            note = (f"not checked: following message identities under symmetry needs "
                    f"{copies} copies of {len(graph.target):,} edges, over the limit of "
                    f"{PRODUCT_EDGE_LIMIT:,}; rerun with --no-symmetry (or fewer messages)")
            for prop in live_props:
                result.verdicts.append(Verdict(prop, SKIPPED, note))
            result.warnings.append("L1-L3 " + note)
        else:
            product = _product(graph, len(exploration.states), config.messages, symmetric)
            fairness = _Fairness(model, graph, product, enabled)
            proven: list[tuple[int, Property]] = []  # (owes mask, property) of holding ones
            for prop in live_props:
                owes = _owes(exploration, prop)
                wider = next((p for mask, p in proven if not owes & ~mask), None)
                if wider is not None:
                    # a fair cycle owing this would owe `wider` too, and `wider` has none
                    result.verdicts.append(Verdict(prop, HOLDS, f"implied by {wider.id}"))
                    continue
                verdict = _fair_liveness(exploration, graph, product, fairness, prop, owes)
                result.verdicts.append(verdict)
                if verdict.status == HOLDS:
                    proven.append((owes, prop))
    result.seconds = time.monotonic() - started
    return result


def shortest_known_counterexample(model: Model, *,
                                  max_states: int | None = None) -> Counterexample | None:
    """For a model of a known-bad variant: the shortest counterexample among the properties
    the variant is known to break (ties: the checker's property order); None when it breaks
    none of them."""
    if model.variant is None:
        raise ValueError("shortest_known_counterexample needs a model of a known-bad variant")
    breaks = model.variant.breaks
    result = check(model, liveness=False, max_states=max_states)
    found = [verdict.counterexample for verdict in result.verdicts
             if verdict.status == VIOLATED and verdict.property.id in breaks
             and verdict.counterexample is not None]
    return min(found, key=lambda example: len(example.steps)) if found else None


def _renumbering(concrete: tuple[Message, ...], reduced: tuple[Message, ...],
                 identity: tuple[int, ...]) -> tuple[int, ...] | None:
    """How symmetry renumbered a successor: position i of `reduced` holds message sigma[i]
    of `concrete`. Explored worlds share interned message objects, so identity comparison
    suffices; None when they do not (the caller then computes it from values)."""
    if len(concrete) == 2:
        if concrete[0] is reduced[0] and concrete[1] is reduced[1]:
            return identity
        if concrete[1] is reduced[0] and concrete[0] is reduced[1]:
            return (1, 0)
        return None
    used = [False] * len(concrete)
    sigma: list[int] = []
    for message in reduced:
        for j, candidate in enumerate(concrete):
            if not used[j] and candidate is message:
                used[j] = True
                sigma.append(j)
                break
        else:
            return None
    return tuple(sigma)


def _unproven(prop: Property, complete: bool) -> Verdict:
    if complete:
        return Verdict(prop, HOLDS)
    return Verdict(prop, SKIPPED, "no violation in the explored part (exploration incomplete)")


# ---- counterexamples --------------------------------------------------------------------------


def _state_counterexample(exploration: Exploration, prop: Property,
                          node: int) -> Counterexample:
    start, steps = exploration.concrete_path(node)
    world = steps[-1][1] if steps else start
    problem = prop.check(exploration.model.config, world) or "violated"
    return Counterexample(prop.id, prop.rules, problem, start, steps)


def _step_counterexample(exploration: Exploration, prop: Property, source: int,
                         step: Step) -> Counterexample:
    """The path to `source`, then the offending step, all in concrete message numbering."""
    model = exploration.model
    start, steps = exploration.concrete_path(source)
    world = steps[-1][1] if steps else start
    if exploration.symmetry and step.message >= 0:
        _, perm = canonical(world)
        step = step._replace(message=perm[step.message])
    after = model.apply(world, step)
    steps.append((step, after))
    problem = prop.check(model.config, world, model.rows[step.row], step, after) or "violated"
    return Counterexample(prop.id, prop.rules, problem, start, steps)


def _deadlock(exploration: Exploration, progress: bytearray, complete: bool) -> Verdict:
    """R62: a world that is not final must have a step that changes it."""
    model = exploration.model
    for node in range(exploration.expanded):
        if not progress[node] and not model.is_final(exploration.states[node]):
            start, steps = exploration.concrete_path(node)
            world = steps[-1][1] if steps else start
            phases = ", ".join(f"message {i} {m.phase}" for i, m in enumerate(world.messages))
            problem = f"no step changes this world ({phases})"
            return Verdict(DEADLOCK, VIOLATED, counterexample=Counterexample(
                DEADLOCK.id, DEADLOCK.rules, problem, start, steps))
    return _unproven(DEADLOCK, complete)


def _final_reachable(exploration: Exploration, graph: _Graph) -> Verdict:
    """R62, R80: backwards breadth-first search from the final worlds."""
    model = exploration.model
    states = exploration.states
    count = len(states)
    # reverse edges in compressed form: predecessors of t are sources[starts[t]:starts[t+1]]
    starts = array("l", [0]) * (count + 1)
    for s, t in zip(graph.source, graph.target, strict=True):
        if s != t:
            starts[t + 1] += 1
    for node in range(count):
        starts[node + 1] += starts[node]
    fill = array("l", starts[:count])
    sources = array("i", [0]) * starts[count]
    for s, t in zip(graph.source, graph.target, strict=True):
        if s != t:
            sources[fill[t]] = s
            fill[t] += 1
    reaches = bytearray(count)
    frontier = deque(node for node in range(count) if model.is_final(states[node]))
    for node in frontier:
        reaches[node] = 1
    while frontier:
        node = frontier.popleft()
        for earlier in sources[starts[node]:starts[node + 1]]:
            if not reaches[earlier]:
                reaches[earlier] = 1
                frontier.append(earlier)
    stuck = reaches.find(0)
    if stuck < 0:
        return Verdict(FINAL_REACHABLE, HOLDS)
    start, steps = exploration.concrete_path(stuck)
    world = steps[-1][1] if steps else start
    phases = ", ".join(f"message {i} {m.phase}" for i, m in enumerate(world.messages))
    problem = f"no final world is reachable from here ({phases})"
    return Verdict(FINAL_REACHABLE, VIOLATED, counterexample=Counterexample(
        FINAL_REACHABLE.id, FINAL_REACHABLE.rules, problem, start, steps))


# ---- fair non-progress cycles -----------------------------------------------------------------


@dataclass
class _Product:
    """The explored graph with message identities restored. Node s * P + p is the explored
    world s seen through `perms[p]` (message identity -> its position in world s); without
    symmetry P = 1 and the product is the explored graph itself. With symmetry the product
    covers the unreduced graph, so following one message's identity along a cycle is exact.
    """

    perms: list[tuple[int, ...]]
    inverse: list[tuple[int, ...]]  # per p: position -> message identity
    offsets: array[int]
    target: array[int]
    edge: array[int] | None  # product edge -> explored edge (None: the same index)

    def source_edge(self, q: int) -> int:
        return q if self.edge is None else self.edge[q]


def _product(graph: _Graph, nodes: int, messages: int, symmetric: bool) -> _Product:
    identity = tuple(range(messages))
    if not symmetric:
        return _Product([identity], [identity], graph.offsets, graph.target, None)
    perms = list(itertools.permutations(range(messages)))
    count = len(perms)
    index = {perm: i for i, perm in enumerate(perms)}
    inverse = [tuple(perm.index(k) for k in range(messages)) for perm in perms]
    # an edge whose successor was renumbered by sigma (position i of the target holds message
    # sigma[i] of the concrete successor) takes identity -> position map pi to sigma^-1 o pi
    compose = [[index[tuple(sigma.index(pi[i]) for i in range(messages))] for pi in perms]
               for sigma in graph.sigmas]
    offsets = array("l", [0]) * (nodes * count + 1)
    base = graph.offsets
    for s in range(nodes):
        degree = base[s + 1] - base[s]
        for p in range(count):
            offsets[s * count + p] = base[s] * count + p * degree
    offsets[nodes * count] = base[nodes] * count
    edges = len(graph.target)
    target = array("i", [0]) * (edges * count)
    edge = array("i", [0]) * (edges * count)
    targets, sigma_of = graph.target, graph.sigma
    for s in range(nodes):
        first, last = base[s], base[s + 1]
        for p in range(count):
            q = offsets[s * count + p]
            for e in range(first, last):
                target[q] = targets[e] * count + compose[sigma_of[e]][p]
                edge[q] = e
                q += 1
    return _Product(perms, inverse, offsets, target, edge)


def _components(offsets: array[int], targets: array[int],
                inside: bytearray) -> Iterator[list[int]]:
    """Strongly connected components of the subgraph induced by `inside` (iterative Tarjan,
    no recursion limit), each with more than one node or a self-loop."""
    count = len(inside)
    index = array("l", [-1]) * count
    low = array("l", [0]) * count
    on_stack = bytearray(count)
    stack: list[int] = []
    counter = 0
    for root in range(count):
        if not inside[root] or index[root] >= 0:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        work: list[tuple[int, int]] = [(root, offsets[root])]
        while work:
            node, position = work[-1]
            end = offsets[node + 1]
            descended = False
            while position < end:
                nxt = targets[position]
                position += 1
                if not inside[nxt]:
                    continue
                if index[nxt] < 0:
                    work[-1] = (node, position)
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack[nxt] = 1
                    work.append((nxt, offsets[nxt]))
                    descended = True
                    break
                if on_stack[nxt] and index[nxt] < low[node]:
                    low[node] = index[nxt]
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                if low[node] < low[parent]:
                    low[parent] = low[node]
            if low[node] == index[node]:
                component: list[int] = []
                while True:
                    member = stack.pop()
                    on_stack[member] = 0
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or any(
                    targets[e] == node for e in range(offsets[node], offsets[node + 1])
                ):
                    yield component


class _Fairness:
    """Fair processes in message-identity terms on the product graph."""

    def __init__(self, model: Model, graph: _Graph, product: _Product,
                 enabled: array[int]) -> None:
        self.graph, self.product, self.enabled = graph, product, enabled
        self.count = len(product.perms)
        self.messages = model.config.messages
        self.slots = model.config.messages + model.config.transports
        self.processes = len(FAIR_ORDER) * self.slots
        self._masks: dict[tuple[int, int], int] = {}

    def _rename(self, process: int, p: int) -> int:
        actor, slot = divmod(process, self.slots)
        if slot < self.messages:
            slot = self.product.inverse[p][slot]
        return actor * self.slots + slot

    def enabled_at(self, node: int) -> int:
        s, p = divmod(node, self.count)
        mask = self.enabled[s]
        if self.count == 1:
            return mask
        key = (mask, p)
        renamed = self._masks.get(key)
        if renamed is None:
            renamed = 0
            for bit in range(self.processes):
                if mask >> bit & 1:
                    renamed |= 1 << self._rename(bit, p)
            self._masks[key] = renamed
        return renamed

    def process_of(self, node: int, q: int) -> int:
        process = self.graph.process[self.product.source_edge(q)]
        if process < 0 or self.count == 1:
            return process
        return self._rename(process, node % self.count)


def _owes(exploration: Exploration, prop: Property) -> int:
    """Bit s * M + k is set when message k of world s owes `prop` (an int as a bit set)."""
    config = exploration.model.config
    messages = range(config.messages)
    check = prop.check
    flags = bytes(1 if check(config, world, k) else 0
                  for world in exploration.states for k in messages)
    return int.from_bytes(flags, "little")


def _fair_liveness(exploration: Exploration, graph: _Graph, product: _Product,
                   fairness: _Fairness, prop: Property, owes_bits: int) -> Verdict:
    """A liveness obligation fails when some message owes it throughout a fair cycle. With
    symmetry one message identity is followed (all are alike); without, each in turn."""
    config = exploration.model.config
    states = exploration.states
    messages = config.messages
    count = len(product.perms)
    owes = owes_bits.to_bytes(len(states) * messages, "little")
    offsets, targets = product.offsets, product.target
    all_fair = (1 << fairness.processes) - 1
    for tracked in range(1) if count > 1 else range(messages):
        inside = bytearray(owes[s * messages + perm[tracked]]
                           for s in range(len(states)) for perm in product.perms)
        for component in _components(offsets, targets, inside):
            members = set(component)
            always = all_fair
            for node in component:
                always &= fairness.enabled_at(node)
            taken = 0
            for node in component:
                for q in range(offsets[node], offsets[node + 1]):
                    t = targets[q]
                    if t != node and t in members:
                        process = fairness.process_of(node, q)
                        if process >= 0:
                            taken |= 1 << process
            if always & ~taken:
                continue  # some fair process is enabled throughout but never acts: unfair
            example = _lasso(exploration, graph, product, fairness, prop, tracked, component,
                             members, taken)
            return Verdict(prop, VIOLATED, counterexample=example)
    return Verdict(prop, HOLDS)


def _lasso(exploration: Exploration, graph: _Graph, product: _Product, fairness: _Fairness,
           prop: Property, tracked: int, component: list[int], members: set[int],
           taken: int) -> Counterexample:
    """Shortest prefix to the component, then a cycle inside it through one step of every
    fair process it takes and a world where each other fair process is disabled, repeated
    until the concrete world comes back (message numbering included)."""
    count = len(product.perms)
    entry = min(component)  # breadth-first numbering: the closest to an initial world
    offsets, targets = product.offsets, product.target
    waypoints: list[tuple[int, int | None]] = []  # (node, product edge to take there)
    for bit in range(fairness.processes):
        if taken >> bit & 1:
            for node in sorted(component):
                edge = next((q for q in range(offsets[node], offsets[node + 1])
                             if targets[q] in members and targets[q] != node
                             and fairness.process_of(node, q) == bit), None)
                if edge is not None:
                    waypoints.append((node, edge))
                    break
        elif any(not fairness.enabled_at(n) >> bit & 1 for n in component):
            node = min(n for n in component if not fairness.enabled_at(n) >> bit & 1)
            waypoints.append((node, None))
    cycle: list[int] = []
    here = entry
    for node, edge in waypoints:
        cycle += _inner_path(offsets, targets, members, here, node)
        here = node
        if edge is not None:
            cycle.append(edge)
            here = targets[edge]
    cycle += _inner_path(offsets, targets, members, here, entry)
    if not cycle:  # a single world whose only way round is a self-loop
        cycle = [next(q for q in range(offsets[entry], offsets[entry + 1])
                      if targets[q] == entry)]
    model = exploration.model
    start, steps = exploration.concrete_path(entry // count)
    world = steps[-1][1] if steps else start
    position = product.perms[entry % count][tracked]
    owner = canonical(world)[1][position] if exploration.symmetry else position
    cycle_from, back_to = len(steps), world
    for _ in range(count):  # with symmetry the cycle may end in a renumbered copy
        for q in cycle:
            step = graph.steps[graph.step[product.source_edge(q)]]
            if exploration.symmetry and step.message >= 0:
                step = step._replace(message=canonical(world)[1][step.message])
            world = model.apply(world, step)
            steps.append((step, world))
        if world == back_to:
            break
    problem = (f"message {owner} owes it forever on a fair cycle ({prop.description}); "
               f"state {world.messages[owner].phase}")
    return Counterexample(prop.id, prop.rules, problem, start, steps, cycle_from)


def _inner_path(offsets: array[int], targets: array[int], members: set[int], source: int,
                goal: int) -> list[int]:
    """Shortest edge path from `source` to `goal` inside the component (empty if equal)."""
    if source == goal:
        return []
    previous: dict[int, tuple[int, int]] = {source: (-1, -1)}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        for q in range(offsets[node], offsets[node + 1]):
            t = targets[q]
            if t in members and t not in previous:
                previous[t] = (node, q)
                if t == goal:
                    path: list[int] = []
                    while t != source:
                        t, edge = previous[t]
                        path.append(edge)
                    path.reverse()
                    return path
                queue.append(t)
    raise AssertionError("component is not strongly connected")


# ---- presentation ----------------------------------------------------------------------------


def describe_step(model: Model, number: int, step: Step) -> str:
    """One numbered line: actor, event, message, argument, result and rule ids."""
    row = model.rows[step.row]
    where = f"message {step.message}" if step.message >= 0 else "transport machine"
    arg = f" {row.ranges_over} {step.arg}" if row.ranges_over and step.arg >= 0 else ""
    return (f"{number:>3}. {row.actor}: {row.event} [{row.name}] ({where}{arg}) -> {row.result}"
            f"  rules {', '.join(row.rules)}")


def describe_counterexample(model: Model, example: Counterexample) -> list[str]:
    rules = ", ".join(example.rules)
    lines = [f"{example.property} ({rules}) violated: {example.problem}",
             f"counterexample, {len(example.steps)} steps from an initial world:"]
    for number, (step, _) in enumerate(example.steps, start=1):
        if example.cycle_from is not None and number - 1 == example.cycle_from:
            lines.append("     -- cycle: the steps below repeat forever --")
        lines.append(describe_step(model, number, step))
    return lines


def counterexample_to_json(model: Model, example: Counterexample) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    for step, _ in example.steps:
        row = model.rows[step.row]
        steps.append({"row": row.name, "actor": row.actor, "event": row.event,
                      "message": step.message, "arg": None if step.arg < 0 else step.arg,
                      "result": row.result, "rules": list(row.rules)})
    return {"property": example.property, "rules": list(example.rules),
            "problem": example.problem, "steps": steps, "cycle_from": example.cycle_from}


def case_id(model: Model, property_id: str) -> str:
    return f"counterexample-{model.variant_name or 'specification'}-{property_id.lower()}"
