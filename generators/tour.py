"""A directed Chinese-postman tour: few long cases that take every transition of the
minimised state machine, with as few repeated steps as possible.

The quotient graph is the coarsest bisimulation of the explored graph over transition labels
(``row@state`` and the machine that moves): two worlds are merged when they offer the same
labelled steps into merged worlds. Every walk of the quotient therefore lifts to concrete
worlds from any representative, so the tour is replayable step by step, and covering every
quotient edge covers every reachable transition in every context the machine can tell apart.

Cases may end anywhere: a zero-step "reset" edge from every class to a root, and from the
root to every initial class, closes the graph. networkx has no directed postman, so it is
built from its parts: node imbalances (in minus out degree over the required edges) are
settled by a minimum-cost flow (networkx.network_simplex) in which a duplicated step costs
STEP_COST and a reset 1 (fewest repeated steps first, then fewest cases); the balanced
multigraph then has an Eulerian circuit (networkx.eulerian_circuit), cut into cases at the
root. Lower bound = required edges + the minimum number of duplicated steps (optimal: the
tour meets it exactly).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from mapi_submission.checker.explore import Exploration
from mapi_submission.model.engine import Step
from mapi_submission.model.world import World

from .coverage import machine_of, transition_label

STEP_COST = 1000
ROOT = -1

Label = tuple[str, tuple[str, int]]


def tour_label(world: World, step: Step) -> Label:
    return (transition_label(world, step), machine_of(step))


def bisimulation_classes(exploration: Exploration) -> list[int]:
    """Class id per world: the coarsest partition stable under labelled steps."""
    states = exploration.states
    out: list[list[tuple[Label, int]]] = [[] for _ in states]
    for source, step, target in exploration.edges:
        out[source].append((tour_label(states[source], step), target))
    classes = [0] * len(states)
    count = 1
    while True:
        signatures: dict[tuple[int, frozenset[tuple[Label, int]]], int] = {}
        refined = [
            signatures.setdefault(
                (classes[s], frozenset((label, classes[t]) for label, t in out[s])),
                len(signatures))
            for s in range(len(states))
        ]
        if len(signatures) == count:
            return classes
        classes, count = refined, len(signatures)


@dataclass
class Tour:
    segments: list[tuple[World, list[tuple[Step, World]]]]
    classes: int
    required: int  # quotient edges, each must be taken once
    duplicated: int  # minimum extra steps (min-cost flow)

    @property
    def lower_bound(self) -> int:
        return self.required + self.duplicated

    @property
    def steps(self) -> int:
        return sum(len(steps) for _, steps in self.segments)


def postman_tour(exploration: Exploration) -> Tour:
    """The optimal tour of the bisimulation quotient, lifted to concrete steps."""
    states = exploration.states
    classes = bisimulation_classes(exploration)
    # Quotient edges in first-seen order (deterministic), with one concrete witness each.
    required: dict[tuple[int, Label, int], None] = {}
    for source, step, target in exploration.edges:
        required.setdefault((classes[source], tour_label(states[source], step),
                             classes[target]), None)
    initial_classes = sorted({classes[node] for node in exploration.initial})
    nodes = sorted(set(classes))

    flow_graph: nx.DiGraph[int] = nx.DiGraph()
    balance = dict.fromkeys([ROOT, *nodes], 0)
    for c, _, d in required:
        balance[c] += 1
        balance[d] -= 1
        flow_graph.add_edge(c, d, weight=STEP_COST)
    for c in nodes:
        flow_graph.add_edge(c, ROOT, weight=1)
    for c in initial_classes:
        flow_graph.add_edge(ROOT, c, weight=0)
    for node, value in balance.items():
        flow_graph.add_node(node, demand=value)
    _, flow = nx.network_simplex(flow_graph)

    circuit_graph: nx.MultiDiGraph[int] = nx.MultiDiGraph()
    circuit_graph.add_node(ROOT)
    first_label: dict[tuple[int, int], Label] = {}
    for c, label, d in required:
        circuit_graph.add_edge(c, d, label=label)
        first_label.setdefault((c, d), label)
    duplicated = 0
    for c in sorted(flow):
        for d in sorted(flow[c]):
            units = flow[c][d]
            for _ in range(units):
                if c == ROOT or d == ROOT:
                    circuit_graph.add_edge(c, d, label=None)
                else:
                    duplicated += 1
                    circuit_graph.add_edge(c, d, label=first_label[(c, d)])
    # A part of the graph no reset reaches is joined to the root by a zero-step detour.
    for component in sorted(nx.weakly_connected_components(circuit_graph), key=min):
        if ROOT not in component:
            entry = min(c for c in component if c in initial_classes)
            circuit_graph.add_edge(ROOT, entry, label=None)
            circuit_graph.add_edge(entry, ROOT, label=None)

    segments = _lift(exploration, classes, circuit_graph)
    return Tour(segments, len(nodes), len(required), duplicated)


def _lift(exploration: Exploration, classes: list[int],
          circuit_graph: nx.MultiDiGraph[int]) -> list[tuple[World, list[tuple[Step, World]]]]:
    """Cut the Eulerian circuit at the root and replay each piece on concrete worlds."""
    states = exploration.states
    out: list[list[tuple[Step, int]]] = [[] for _ in states]
    for source, step, target in exploration.edges:
        out[source].append((step, target))
    representative: dict[int, int] = {}
    for node in sorted(exploration.initial):
        representative.setdefault(classes[node], node)
    segments: list[tuple[World, list[tuple[Step, World]]]] = []
    current: list[tuple[Step, World]] = []
    node = -1
    start: World | None = None
    for c, d, key in nx.eulerian_circuit(circuit_graph, source=ROOT, keys=True):
        label = circuit_graph.edges[c, d, key]["label"]
        if c == ROOT:
            node = representative[d]
            start, current = states[node], []
            continue
        if d == ROOT:
            if start is not None and current:
                segments.append((start, current))
            start = None
            continue
        step, node = next((step, t) for step, t in out[node]
                          if classes[t] == d and tour_label(states[node], step) == label)
        current.append((step, states[node]))
    return segments
