"""Turning what the exploration recorded into verdicts: the state and step invariants, and
the two properties of the explored graph itself, DEADLOCK and L-FINAL (the liveness
obligations L1-L3 are liveness.py's).

A property without a violation holds only if the exploration was complete; otherwise it is
skipped, since the unexplored part may break it.
"""

from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass

from mapi_submission.properties import Property, state_properties, step_properties

from .counterexamples import (
    Counterexample,
    state_counterexample,
    step_counterexample,
    stuck_counterexample,
)
from .explore import Exploration
from .recording import EdgeLists, Recorder
from .safety_search import SafetyRecords

HOLDS = "holds"
VIOLATED = "violated"
SKIPPED = "skipped"

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


@dataclass
class PropertyVerdict:
    """The checker's judgement of one property on one explored configuration."""

    property: Property
    status: str  # HOLDS, VIOLATED or SKIPPED
    note: str | None = None
    counterexample: Counterexample | None = None


def invariant_verdicts(exploration: Exploration, records: Recorder | SafetyRecords,
                       complete: bool) -> list[PropertyVerdict]:
    """Every state invariant, then every step invariant, in registration order."""
    verdicts: list[PropertyVerdict] = []
    for prop in state_properties():
        node = records.state_violations.get(prop.id)
        verdicts.append(unproven(prop, complete) if node is None else PropertyVerdict(
            prop, VIOLATED, counterexample=state_counterexample(exploration, prop, node)))
    for prop in step_properties():
        found = records.step_violations.get(prop.id)
        verdicts.append(unproven(prop, complete) if found is None else PropertyVerdict(
            prop, VIOLATED, counterexample=step_counterexample(exploration, prop, *found)))
    return verdicts


def deadlock_verdict(exploration: Exploration, progress: bytearray,
                     complete: bool) -> PropertyVerdict:
    """R62: a world that is not final must have a step that changes it."""
    model = exploration.model
    for node in range(exploration.expanded):
        if not progress[node] and not model.is_final(exploration.states[node]):
            return PropertyVerdict(DEADLOCK, VIOLATED, counterexample=stuck_counterexample(
                exploration, DEADLOCK, node, "no step changes this world"))
    return unproven(DEADLOCK, complete)


def final_reachable_verdict(exploration: Exploration, edges: EdgeLists) -> PropertyVerdict:
    """R62, R80: backwards breadth-first search from the final worlds."""
    model = exploration.model
    states = exploration.states
    count = len(states)
    # reverse edges in compressed form: predecessors of t are sources[starts[t]:starts[t+1]]
    starts = array("l", [0]) * (count + 1)
    for s, t in zip(edges.source, edges.target, strict=True):
        if s != t:
            starts[t + 1] += 1
    for node in range(count):
        starts[node + 1] += starts[node]
    fill = array("l", starts[:count])
    sources = array("i", [0]) * starts[count]
    for s, t in zip(edges.source, edges.target, strict=True):
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
        return PropertyVerdict(FINAL_REACHABLE, HOLDS)
    return PropertyVerdict(FINAL_REACHABLE, VIOLATED, counterexample=stuck_counterexample(
        exploration, FINAL_REACHABLE, stuck, "no final world is reachable from here"))


def unproven(prop: Property, complete: bool) -> PropertyVerdict:
    """The verdict on a property no violation was found of."""
    if complete:
        return PropertyVerdict(prop, HOLDS)
    return PropertyVerdict(prop, SKIPPED,
                           "no violation in the explored part (exploration incomplete)")


def skipped(props: list[Property], note: str) -> list[PropertyVerdict]:
    return [PropertyVerdict(prop, SKIPPED, note) for prop in props]
