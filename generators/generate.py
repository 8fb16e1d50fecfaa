"""One criterion, one exploration, one set of cases: what `mapi-submission generate` runs.

The model is explored once without symmetry reduction (every step is then concrete and
replayable as it stands); the criterion's collector watches the exploration, and the cases
are built from its witnesses (generators.suite), from a postman tour (generators.tour) or
from seeded random walks (generators.walks).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapi_submission.checker.compact import CompactWorld, CompactWorlds
from mapi_submission.checker.explore import LimitReached, explore
from mapi_submission.checker.stopping import Stop
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.table import TABLE
from mapi_submission.model.world import World

from .coverage import NEEDS_EDGES, Coverage, Criterion, TransitionCriterion, criterion_for
from .suite import Suite, build_suite, make_case
from .suite_folder import write_suite
from .tour import postman_tour
from .walks import random_walks


@dataclass
class Generated:
    """The cases of one criterion and the numbers `generate` reports."""

    criterion: str
    suite: Suite
    states: int
    transitions: int
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def cases(self) -> list[dict[str, Any]]:
        return self.suite.cases

    def summary(self) -> dict[str, Any]:
        """Deterministic numbers (no timing) for printing and for JSON."""
        coverage = self.suite.coverage
        feasible = len(coverage.feasible)
        return {
            "criterion": self.criterion,
            "cases": len(self.suite.cases),
            "steps": self.suite.steps,
            "states": self.states,
            "transitions": self.transitions,
            "targets": len(coverage.universe),
            "feasible": feasible,
            "reached": self.suite.reached,
            "coverage_percent": round(100.0 * self.suite.reached / feasible, 2)
            if feasible else 100.0,
            "lower_bound": self.suite.lower_bound,
            "infeasible": coverage.infeasible,
            "unspecified": coverage.unspecified,
            **self.details,
        }


def _numbered(prefix: str, count: int) -> Callable[[int], str]:
    width = max(3, len(str(count)))
    return lambda number: f"{prefix}-{number:0{width}d}"


def _runs_suite(model: Model, criterion: str, coverage: Coverage, lower_bound: int,
                runs: list[tuple[World, list[tuple[Step, World]]]], prefix: str,
                seed: int | None, title: str) -> Suite:
    measure = TransitionCriterion(model)
    feasible = set(coverage.feasible)
    suite = Suite(criterion, coverage, lower_bound=lower_bound)
    name = _numbered(prefix, len(runs))
    for number, (start, steps) in enumerate(runs, 1):
        run = (start, steps, ())
        covers = sorted(measure.covered_by(run) & feasible)
        suite.covered.update(covers)
        suite.cases.append(make_case(model, name(number), f"{title} {number} of {len(runs)}",
                                     run, criterion=criterion, target=None, seed=seed,
                                     covers=covers))
    return suite


def generate(model: Model, criterion: str, *, seed: int = 0, walks: int = 20,
             length: int = 40, max_states: int | None = None,
             timeout: float | None = None, stop: Stop | None = None,
             on_progress: Callable[[int, int, int], None] | None = None,
             on_phase: Callable[[str], None] | None = None) -> Generated:
    """Explore `model` once and build the cases of `criterion` (coverage.CRITERIA). `stop`
    (Ctrl-C, the command's timeout) ends the exploration like a limit, and raises Stopped in
    a later phase, which it names with the states explored. `on_progress(states,
    transitions, depth)` is the exploration's; `on_phase(name)` is told each later phase."""
    started = time.monotonic()
    stop = stop or Stop()

    def enter(phase: str) -> None:
        stop.enter(phase)
        if on_phase is not None:
            on_phase(phase)

    collector: Criterion = criterion_for(criterion, model)
    seen = [0]

    worlds = CompactWorlds(model)

    def on_transition(source: int, world: World, state: CompactWorld, step: Step,
                      concrete: CompactWorld, target: int) -> None:
        seen[0] += 1
        # error rows lead back to the same world: no need to build it again
        after = world if concrete == state else worlds.expand(concrete)
        collector.transition(source, world, step, after, target)

    exploration = explore(model, symmetry=False, max_states=max_states, timeout=timeout,
                          keep_edges=criterion in NEEDS_EDGES, visit=collector.visit,
                          on_transition=on_transition, on_progress=on_progress, stop=stop,
                          worlds=worlds)
    if exploration.stopped:
        raise LimitReached(f"exploration stopped early ({exploration.stopped}) after "
                           f"{len(exploration.states):,} states; coverage would be incomplete")
    explored = f"{len(exploration.states):,} states explored"
    enter(f"the {criterion} criterion ({explored})")
    coverage = collector.finish(exploration)
    enter(f"building the cases ({explored})")
    details: dict[str, Any] = {}
    if criterion == "tour":
        enter(f"the postman tour ({explored})")
        tour = postman_tour(exploration)
        suite = _runs_suite(model, criterion, coverage, tour.lower_bound, tour.segments,
                            "tour", None, "postman tour, part")
        details = {"quotient_classes": tour.classes, "quotient_edges": tour.required,
                   "duplicated_steps": tour.duplicated}
    elif criterion == "random":
        result = random_walks(exploration, set(coverage.feasible), seed=seed, walks=walks,
                              length=length)
        suite = _runs_suite(model, criterion, coverage, coverage.lower_bound, result.runs,
                            f"random-s{seed}", seed, f"random walk (seed {seed})")
        details = {"stopped_by": result.stopped_by, "walks": walks, "length": length,
                   "seed": seed}
    else:
        suite = build_suite(exploration, collector, coverage)
    if criterion in ("transitions", "tour", "random"):
        # The coarser view: table rows taken at all, from any source state.
        taken = {target.split("@")[0] for target in suite.covered}
        details["rows_taken"] = len(taken)
        details["rows_never_taken"] = sorted(row.name for row in TABLE if row.name not in taken)
    return Generated(criterion, suite, len(exploration.states), seen[0],
                     time.monotonic() - started, details)


def write_cases(cases: list[dict[str, Any]], out: Path, *, clean: bool = False) -> list[Path]:
    """Write every case atomically and the folder's manifest last (generators.suite); with
    `clean`, first remove the files an earlier manifest lists and this run does not write."""
    return write_suite(cases, out, clean=clean)


#: every feature on, those off by default included (a store with limits of its own: R7, R9;
#: a store or spooler that restarts: R29, R55), and two preprocessors to run in registration
#: order (R33, R34)
_ONE_MESSAGE: dict[str, Any] = {"messages": 1, "preprocessors": 2,
                                "features": {"store_refusals": True, "restarts": True}}
_QUEUE_ORDER: dict[str, Any] = {
    "messages": 2, "recipients": 1, "transports": 1, "coupling": ["loose"],
    "folders": ["outbox"],
    "features": {"resend": False, "deferral": False, "preprocessing": False,
                 "save_conflicts": False, "transport_failures": False},
}
_ONE_RECIPIENT: dict[str, Any] = {
    "messages": 1, "recipients": 1, "coupling": ["loose"], "folders": ["outbox"],
    "features": {"resend": False, "deferral": False, "preprocessing": False,
                 "save_conflicts": False},
}
#: two messages of a tight store, each sent partly by the pair and partly through the spooler
#: (R23), so each decision of the spooler and the pair meets the other message in every state
#: it can be in, the pair's direct send included (R20)
_TWO_MESSAGES_TIGHT: dict[str, Any] = {
    "messages": 2, "recipients": 2, "transports": 2, "setbacks": 0, "coupling": ["tight"],
    "address_mixes": ["mixed"], "folders": ["outbox"], "dispositions": ["leave"],
    "features": {"resend": False, "deferral": False, "preprocessing": False, "abort": False,
                 "save_conflicts": False, "transport_failures": False},
}

#: The regression suite checked in under tests/regression/ and replayed by `mutants`:
#: (folder, criterion, configuration as Config.to_dict() would give it, partly).
REGRESSION_SUITE: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("states", "states", _ONE_MESSAGE),
    ("transitions", "transitions", _ONE_MESSAGE),
    ("guards", "guards", _ONE_MESSAGE),
    ("negative", "negative", _ONE_MESSAGE),
    ("queue-order", "guards", _QUEUE_ORDER),
    ("interleavings", "interleavings", _TWO_MESSAGES_TIGHT),
    ("tour", "tour", _ONE_RECIPIENT),
)


def regression_suite() -> list[tuple[str, dict[str, Any]]]:
    """(folder, case) for every case of the regression suite, generated from the table as it
    is now."""
    return [(folder, case)
            for folder, criterion, config in REGRESSION_SUITE
            for case in generate(Model(Config.from_dict(config)), criterion).cases]
