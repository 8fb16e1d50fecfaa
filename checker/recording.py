"""What the checker records while the exploration runs, so that no verdict has to visit a
state or a transition again: the first violation of each state and step invariant, per state
whether some step changes it and which fair processes can act there, and, for liveness, the
edges with their fair process and how symmetry renumbered their target.

`Recorder.visit` and `Recorder.on_transition` are the exploration's callbacks; they run once
per state and once per transition, so they keep to plain arrays and dictionary lookups.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from mapi_submission.model.engine import Model, Step
from mapi_submission.model.table import Row
from mapi_submission.model.world import Message, World
from mapi_submission.properties import Property, state_properties, step_properties

from .compact import CompactWorld, CompactWorlds
from .fairness import FairProcesses
from .symmetry import canonical


@dataclass
class EdgeLists:
    """Compact edge lists in breadth-first source order (CSR once `finish`ed: `offsets[s]` ..
    `offsets[s+1]` index the edges leaving s)."""

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


class Recorder:
    """Collects the records of one exploration of `model`; with `keep_edges`, the edge lists
    liveness needs as well."""

    def __init__(self, model: Model, symmetry: bool, keep_edges: bool, worlds: CompactWorlds,
                 selected: frozenset[str] | None = None) -> None:
        self.config = model.config
        self.rows: dict[str, Row] = model.rows
        self.writes = model.writes
        #: the compact worlds the exploration passes (explore's `worlds`)
        self.expand = worlds.expand
        self.by_id = worlds.messages
        self.symmetry = symmetry
        self.processes = FairProcesses(model)
        #: property id -> the first node found where the state invariant fails
        self.state_violations: dict[str, int] = {}
        #: property id -> the first (source node, step) found where the step invariant fails
        self.step_violations: dict[str, tuple[int, Step]] = {}
        #: per node: 1 when some step leads to another state
        self.progress = bytearray()
        #: per node: bit mask of the fair processes with a step that leads to another state
        self.enabled = array("Q")
        self.edges = EdgeLists() if keep_edges else None
        self._worlds: list[World] = []  # by node, as `visit` saw them
        #: the invariants to judge: those `selected` (None: all)
        self._state_checks = [prop for prop in state_properties()
                              if selected is None or prop.id in selected]
        #: the step invariants to judge, and those violated already (not judged again)
        self._step_checks = [prop for prop in step_properties()
                             if selected is None or prop.id in selected]
        self._violated_steps: set[str] = set()
        #: step -> (its row, its fair process, its index in edges.steps, the step invariants
        #: it can break: their `applies` and `changes` against the row's writes)
        self._step_info: dict[Step, tuple[Row, int, int, list[Property]]] = {}
        self._identity = tuple(range(model.config.messages))

    def visit(self, node: int, world: World) -> None:
        self._worlds.append(world)
        self.progress.append(0)
        self.enabled.append(0)
        for prop in self._state_checks:
            if prop.id not in self.state_violations and prop.check(self.config, world):
                self.state_violations[prop.id] = node

    def on_transition(self, source: int, world: World, state: CompactWorld, step: Step,
                      concrete: CompactWorld, target: int) -> None:
        info = self._step_info.get(step)
        if info is None:
            info = self._step_info[step] = self._describe(step)
        row, process, sid, checks = info
        if target != source:
            self.progress[source] = 1
            if process >= 0:
                self.enabled[source] |= 1 << process
        if checks:
            self._judge_step(source, world, state, row, step, concrete, checks)
        edges = self.edges
        if edges is None:
            return
        edges.source.append(source)
        edges.target.append(target)
        edges.step.append(sid)
        edges.process.append(process)
        if self.symmetry:
            by_id = self.by_id
            sigma = _renumbering(tuple([by_id[i] for i in concrete[1:]]),
                                 self._worlds[target].messages, self._identity)
            if sigma is None:
                sigma = canonical(self.expand(concrete))[1]
            kid = edges.sigma_ids.get(sigma)
            if kid is None:
                kid = edges.sigma_ids[sigma] = len(edges.sigmas)
                edges.sigmas.append(sigma)
            edges.sigma.append(kid)

    def _judge_step(self, source: int, world: World, state: CompactWorld, row: Row,
                    step: Step, concrete: CompactWorld, checks: list[Property]) -> None:
        # error rows lead back to the same world: no need to build it again
        after = world if concrete == state else self.expand(concrete)
        for prop in checks:
            if prop.id not in self._violated_steps and prop.check(self.config, world, row,
                                                                  step, after):
                self.step_violations[prop.id] = (source, step)
                self._violated_steps.add(prop.id)

    def _describe(self, step: Step) -> tuple[Row, int, int, list[Property]]:
        """A step seen for the first time: its row, its fair process, its index in the edge
        lists' table of steps and the step invariants it can break."""
        if self.edges is not None:
            self.edges.steps.append(step)
        row, writes = self.rows[step.row], self.writes[step.row]
        return (row, self.processes.of_step(step), len(self._step_info),
                [prop for prop in self._step_checks if prop.judges(row, writes)])


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
