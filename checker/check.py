"""Model checking a bounded configuration: invariants, deadlock and liveness, with shortest
counterexamples (reference sections 2.6 and 2.7).

One breadth-first exploration runs every state invariant on every reachable state and every
step invariant on every transition, recording what the verdicts need (recording.py). The
verdicts are then read from those records: the invariants, DEADLOCK and "a final state stays
reachable" (verdicts.py), and the liveness obligations L1-L3 under weak fairness
(fairness.py), by looking for fair non-progress cycles (liveness.py).

Counterexamples are breadth-first parent paths, hence shortest; liveness counterexamples are
lassos (a shortest prefix, then a cycle that repeats forever).

Symmetry: safety, deadlock and final-state reachability are symmetric and judged on the
reduced graph; liveness follows message identities through the product of the reduced graph
with the message permutations, which is exact. When a limit stopped the exploration,
liveness is not judged at all: the unexplored frontier would look stuck (unsound) and missing
cycles would make "no fair cycle" vacuous.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mapi_submission.model.engine import Model
from mapi_submission.properties import liveness_properties, state_properties, step_properties

from .compact import CompactWorlds
from .counterexamples import (
    Counterexample,
    case_id,
    counterexample_to_json,
    describe_counterexample,
    describe_step,
)
from .explore import Exploration, explore
from .liveness import liveness_verdicts
from .recording import Recorder
from .safety_search import SafetyRecords, safety_search
from .stopping import Stop, Stopped
from .verdicts import (
    DEADLOCK,
    FINAL_REACHABLE,
    HOLDS,
    SKIPPED,
    VIOLATED,
    PropertyVerdict,
    deadlock_verdict,
    final_reachable_verdict,
    invariant_verdicts,
    skipped,
)

#: The checker's interface: `check` and its result, and what callers read from a result.
__all__ = [
    "DEADLOCK",
    "FINAL_REACHABLE",
    "GRAPH_PROPERTY_IDS",
    "HOLDS",
    "PROPERTY_IDS",
    "SKIPPED",
    "VIOLATED",
    "CheckResult",
    "Judged",
    "Counterexample",
    "PropertyVerdict",
    "case_id",
    "check",
    "counterexample_to_json",
    "describe_counterexample",
    "describe_step",
    "shortest_known_counterexample",
]


class Judged:
    """What a result's verdicts decide, for the Python checker's and the SPIN engine's
    results alike (each has `verdicts` and says whether its search was `complete`)."""

    verdicts: list[PropertyVerdict]

    @property
    def complete(self) -> bool:
        raise NotImplementedError

    @property
    def violations(self) -> list[PropertyVerdict]:
        return [v for v in self.verdicts if v.status == VIOLATED]

    @property
    def exit_code(self) -> int:
        """1 on a violation, 2 when a limit stopped the search, 0 when all hold."""
        if self.violations:
            return 1
        return 0 if self.complete else 2


@dataclass
class CheckResult(Judged):
    model: Model
    symmetry: bool
    liveness: bool
    exploration: Exploration
    transitions: int
    verdicts: list[PropertyVerdict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: A stop (Ctrl-C, --timeout) after the exploration: the phase it cut short.
    stopped: str | None = None

    @property
    def stopped_by(self) -> str | None:
        """Why the run is incomplete: the exploration's limit or a later stop; None if not."""
        return self.exploration.stopped or self.stopped

    @property
    def states(self) -> int:
        return len(self.exploration.states)

    @property
    def depth(self) -> int:
        return max(self.exploration.depth, default=0)

    @property
    def complete(self) -> bool:
        return self.stopped_by is None


def check(
    model: Model,
    *,
    symmetry: bool = True,
    max_states: int | None = None,
    timeout: float | None = None,
    liveness: bool = True,
    on_progress: Callable[[int, int, int], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
    stop: Stop | None = None,
    selected: frozenset[str] | None = None,
) -> CheckResult:
    """Explore `model` and judge every property (liveness under the fairness assumptions of
    fairness.py). Limits stop the exploration cleanly; what needs the whole graph is then
    skipped with a note. A stop requested through `stop` (Ctrl-C, the command's timeout)
    ends the exploration the same way, or cuts a later phase short: the properties it had
    not judged yet are skipped, and `stopped` names the phase. `selected`: the ids of the
    properties to judge (all when None); the others are neither judged nor reported."""
    started = time.monotonic()
    if selected is not None:
        unknown = sorted(selected - set(PROPERTY_IDS))
        if unknown:
            raise ValueError(f"unknown properties: {', '.join(unknown)}")
        # liveness (and its edge lists) only when a graph property is asked for
        liveness = liveness and bool(selected & set(GRAPH_PROPERTY_IDS))
    # a safety check judges its invariants per cached slot (safety_search.py); liveness
    # needs every edge, which the Recorder keeps (and most of the memory goes to)
    searched = None if liveness else safety_search(
        model, symmetry=symmetry, max_states=max_states, timeout=timeout, selected=selected,
        on_progress=on_progress, stop=stop)
    records: Recorder | SafetyRecords
    if searched is not None:
        exploration, records = searched
    else:
        worlds = CompactWorlds(model)
        records = recorder = Recorder(model, symmetry, keep_edges=liveness, worlds=worlds,
                                      selected=selected)
        exploration = explore(model, symmetry=symmetry, max_states=max_states,
                              timeout=timeout, keep_edges=False, on_progress=on_progress,
                              visit=recorder.visit, on_transition=recorder.on_transition,
                              stop=stop, worlds=worlds)
    result = CheckResult(model, symmetry, liveness, exploration, exploration.transitions)
    complete = exploration.stopped is None
    if not complete:
        result.warnings.append(
            f"exploration incomplete ({exploration.stopped}): properties without a "
            "counterexample are not proven")
    try:
        if stop is not None:
            stop.enter("the invariants")
        result.verdicts += invariant_verdicts(exploration, records, complete)
        result.verdicts.append(deadlock_verdict(exploration, records.progress, complete))
        if stop is not None:
            stop.enter("liveness")
        _judge_liveness(result, records, on_phase)
    except Stopped as cut:
        result.stopped = str(cut)
        judged = {verdict.property.id for verdict in result.verdicts}
        every = [*state_properties(), *step_properties(), DEADLOCK, FINAL_REACHABLE,
                 *liveness_properties()]
        note = f"not checked: {cut}"
        result.verdicts += skipped([p for p in every if p.id not in judged], note)
        result.warnings.append(f"stopped: {cut}; the properties not yet judged are skipped")
    if selected is not None:
        result.verdicts = [v for v in result.verdicts if v.property.id in selected]
    result.seconds = time.monotonic() - started
    return result


#: Every property `check` judges, in its order: the state and step invariants, deadlock
#: freedom, final-state reachability and L1-L3.
PROPERTY_IDS: tuple[str, ...] = (
    *(p.id for p in state_properties()), *(p.id for p in step_properties()), DEADLOCK.id,
    FINAL_REACHABLE.id, *(p.id for p in liveness_properties()))
#: those judged on the whole graph after the exploration
GRAPH_PROPERTY_IDS: tuple[str, ...] = (FINAL_REACHABLE.id,
                                       *(p.id for p in liveness_properties()))


def _judge_liveness(result: CheckResult, records: Recorder | SafetyRecords,
                    on_phase: Callable[[str], None] | None) -> None:
    """L-FINAL and L1-L3, or why they are skipped."""
    graph_props = [FINAL_REACHABLE, *liveness_properties()]
    if not result.liveness or not isinstance(records, Recorder) or records.edges is None:
        result.verdicts += skipped(graph_props, "liveness not requested")
        return
    if not result.complete:
        note = ("not checked: the exploration stopped at a limit, so unexplored states would "
                "make it unsound (a frontier state seems stuck) or vacuous (missing cycles)")
        result.verdicts += skipped(graph_props, note)
        result.warnings.append("liveness " + note)
        return
    if on_phase is not None:
        on_phase("liveness")
    exploration, edges = result.exploration, records.edges
    edges.finish(len(exploration.states))
    result.verdicts.append(final_reachable_verdict(exploration, edges))
    verdicts, warnings = liveness_verdicts(exploration, records, edges)
    result.verdicts += verdicts
    result.warnings += warnings


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
