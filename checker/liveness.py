"""The liveness obligations L1-L3 under weak fairness (fairness.py): an obligation fails
when some message owes it throughout a fair cycle, a strongly connected set of states in which
every fair process is disabled somewhere or takes a step. The counterexample is a lasso: a
shortest prefix to the set, then a cycle inside it that repeats forever.

Symmetry: liveness follows one message's identity, which the reduced graph forgets. So the
search runs on the product of the reduced graph with the message permutations (`_Product`),
rebuilt from the renumbering each transition recorded; the product is the unreduced graph, so
the verdict is exact. Its cost is the edge lists times M!, hence PRODUCT_EDGE_LIMIT.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from mapi_submission.properties import Property, liveness_properties

from .counterexamples import Counterexample
from .explore import Exploration
from .fairness import FairProcesses
from .recording import EdgeLists, Recorder
from .symmetry import canonical
from .verdicts import HOLDS, VIOLATED, PropertyVerdict, skipped

#: Liveness under symmetry works on M! copies of the edge lists; beyond this many product
#: edges (several GiB of arrays) it is refused rather than exhausting memory.
PRODUCT_EDGE_LIMIT = 60_000_000


def liveness_verdicts(exploration: Exploration, records: Recorder,
                      edges: EdgeLists) -> tuple[list[PropertyVerdict], list[str]]:
    """A verdict on each liveness obligation, and the warnings to show, for a complete
    exploration whose edges were kept (`edges.finish`ed)."""
    config = exploration.model.config
    live_props = liveness_properties()
    symmetric = exploration.symmetry and config.messages > 1
    copies = math.factorial(config.messages) if symmetric else 1
    if copies * len(edges.target) > PRODUCT_EDGE_LIMIT:
        note = (f"not checked: following message identities under symmetry needs "
                f"{copies} copies of {len(edges.target):,} edges, over the limit of "
                f"{PRODUCT_EDGE_LIMIT:,}; rerun with --no-symmetry (or fewer messages)")
        return skipped(live_props, note), ["L1-L3 " + note]
    product = _product(edges, len(exploration.states), config.messages, symmetric)
    fairness = _ProductFairness(records.processes, edges, product, records.enabled)
    verdicts: list[PropertyVerdict] = []
    proven: list[tuple[int, Property]] = []  # (owes mask, property) of holding ones
    for prop in live_props:
        owes = _owes(exploration, prop)
        wider = next((p for mask, p in proven if not owes & ~mask), None)
        if wider is not None:
            # a fair cycle owing this would owe `wider` too, and `wider` has none
            verdicts.append(PropertyVerdict(prop, HOLDS, f"implied by {wider.id}"))
            continue
        verdict = _fair_liveness(exploration, edges, product, fairness, prop, owes)
        verdicts.append(verdict)
        if verdict.status == HOLDS:
            proven.append((owes, prop))
    return verdicts, []


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


def _product(edges: EdgeLists, nodes: int, messages: int, symmetric: bool) -> _Product:
    identity = tuple(range(messages))
    if not symmetric:
        return _Product([identity], [identity], edges.offsets, edges.target, None)
    perms = list(itertools.permutations(range(messages)))
    count = len(perms)
    index = {perm: i for i, perm in enumerate(perms)}
    inverse = [tuple(perm.index(k) for k in range(messages)) for perm in perms]
    # an edge whose successor was renumbered by sigma (position i of the target holds message
    # sigma[i] of the concrete successor) takes identity -> position map pi to sigma^-1 o pi
    compose = [[index[tuple(sigma.index(pi[i]) for i in range(messages))] for pi in perms]
               for sigma in edges.sigmas]
    offsets = array("l", [0]) * (nodes * count + 1)
    base = edges.offsets
    for s in range(nodes):
        degree = base[s + 1] - base[s]
        for p in range(count):
            offsets[s * count + p] = base[s] * count + p * degree
    offsets[nodes * count] = base[nodes] * count
    size = len(edges.target)
    target = array("i", [0]) * (size * count)
    edge = array("i", [0]) * (size * count)
    targets, sigma_of = edges.target, edges.sigma
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


class _ProductFairness:
    """The fair processes of the product graph: those of the explored edge lists, with each
    message slot read as the message identity the product node follows."""

    def __init__(self, processes: FairProcesses, edges: EdgeLists, product: _Product,
                 enabled: array[int]) -> None:
        self.processes = processes
        self.edges, self.product, self.enabled = edges, product, enabled
        self.count = len(product.perms)
        self._masks: dict[tuple[int, int], int] = {}

    def _rename(self, process: int, p: int) -> int:
        return self.processes.renamed(process, self.product.inverse[p])

    def enabled_at(self, node: int) -> int:
        s, p = divmod(node, self.count)
        mask = self.enabled[s]
        if self.count == 1:
            return mask
        key = (mask, p)
        renamed = self._masks.get(key)
        if renamed is None:
            renamed = 0
            for bit in range(self.processes.count):
                if mask >> bit & 1:
                    renamed |= 1 << self._rename(bit, p)
            self._masks[key] = renamed
        return renamed

    def process_of(self, node: int, q: int) -> int:
        process = self.edges.process[self.product.source_edge(q)]
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


def _fair_liveness(exploration: Exploration, edges: EdgeLists, product: _Product,
                   fairness: _ProductFairness, prop: Property,
                   owes_bits: int) -> PropertyVerdict:
    """A liveness obligation fails when some message owes it throughout a fair cycle. With
    symmetry one message identity is followed (all are alike); without, each in turn."""
    config = exploration.model.config
    states = exploration.states
    messages = config.messages
    count = len(product.perms)
    owes = owes_bits.to_bytes(len(states) * messages, "little")
    offsets, targets = product.offsets, product.target
    all_fair = (1 << fairness.processes.count) - 1
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
            example = _lasso(exploration, edges, product, fairness, prop, tracked, component,
                             members, taken)
            return PropertyVerdict(prop, VIOLATED, counterexample=example)
    return PropertyVerdict(prop, HOLDS)


def _lasso(exploration: Exploration, edges: EdgeLists, product: _Product,
           fairness: _ProductFairness, prop: Property, tracked: int, component: list[int],
           members: set[int], taken: int) -> Counterexample:
    """Shortest prefix to the component, then a cycle inside it through one step of every
    fair process it takes and a world where each other fair process is disabled, repeated
    until the concrete world comes back (message numbering included)."""
    count = len(product.perms)
    entry = min(component)  # breadth-first numbering: the closest to an initial world
    offsets, targets = product.offsets, product.target
    waypoints: list[tuple[int, int | None]] = []  # (node, product edge to take there)
    for bit in range(fairness.processes.count):
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
            step = edges.steps[edges.step[product.source_edge(q)]]
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
