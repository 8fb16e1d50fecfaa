"""From witnesses to regression cases: one shortest path per uncovered target, deepest first.

Targets are taken in order of decreasing witness length (ties by name); a target some
earlier case already covers gets no case of its own, so deep cases absorb the shallow
targets on their way. Refusals checked in the same world share one case. Everything is
sorted, so the same model gives byte-identical files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mapi_submission.checker.cases import build_case, taken_rows_fingerprint
from mapi_submission.checker.explore import Exploration
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.observe import observe
from mapi_submission.model.table import ROWS_BY_NAME
from mapi_submission.model.world import World

from .coverage import Coverage, Criterion, Run, Witness, sorted_rules
from .negative import Refusal


@dataclass
class Suite:
    """Generated cases and what they reach, for one criterion."""

    criterion: str
    coverage: Coverage
    cases: list[dict[str, Any]] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)
    lower_bound: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return sum(len(case["steps"]) for case in self.cases)

    @property
    def reached(self) -> int:
        return len(self.covered & set(self.coverage.feasible))


def slug(text: str) -> str:
    """A file-name-safe form of a target: anything but letters, digits, '_' and '-' -> '.'."""
    return re.sub(r"[^A-Za-z0-9_-]+", ".", text).strip(".")


def refusal_to_json(model: Model, refusal: Refusal, world: World) -> dict[str, Any]:
    """A refusal as a case step: the call (or row) that must not happen, the answer expected
    instead, and the unchanged observable world."""
    row = ROWS_BY_NAME[refusal.step.row]
    detail: dict[str, Any] = {"kind": refusal.kind, "codes": list(refusal.codes),
                              "reason": refusal.reason, "target": refusal.target}
    if refusal.guard is not None:
        detail["guard"] = refusal.guard
    entry: dict[str, Any] = {
        "row": row.name,
        "actor": row.actor,
        "event": row.event,
        "message": refusal.step.message,
        "arg": None if refusal.step.arg < 0 else refusal.step.arg,
        "result": refusal.result,
        "rules": list(refusal.rules),
        "expect": observe(model.config, world),
        "refusal": detail,
    }
    if row.call_arguments:
        entry["args"] = dict(row.call_arguments)
    return entry


def concrete_run(exploration: Exploration, witness: Witness) -> Run:
    """The witness as concrete worlds: its node's shortest path, then its own steps."""
    model = exploration.model
    start, path = exploration.concrete_path(witness.node)
    steps: list[tuple[Step, World]] = list(path)
    world = steps[-1][1] if steps else start
    for step in witness.steps:
        world = model.apply(world, step)
        steps.append((step, world))
    return start, steps, witness.refusals


def make_case(model: Model, case_id: str, title: str, run: Run, *, criterion: str,
              target: str | None, seed: int | None, covers: list[str]) -> dict[str, Any]:
    start, steps, refusals = run
    case = build_case(model, case_id, title, start, list(steps), criterion=criterion,
                      target=target, seed=seed)
    world = steps[-1][1] if steps else start
    for refusal in refusals:
        case["steps"].append(refusal_to_json(model, refusal, world))
    provenance = case["provenance"]
    provenance["rules"] = sorted_rules(
        [*provenance["rules"], *(r for refusal in refusals for r in refusal.rules)])
    provenance["covers"] = covers
    provenance["table_hash"] = taken_rows_fingerprint(case)
    return case


def _plan(exploration: Exploration, coverage: Coverage) -> list[tuple[int, str, Witness,
                                                                      list[str]]]:
    """(length, name, witness, targets) per planned case; refusals in one world merged."""
    depth = exploration.depth
    plans: list[tuple[int, str, Witness, list[str]]] = []
    grouped: dict[int, list[tuple[str, Refusal]]] = {}
    for target, witness in coverage.witnesses.items():
        if not witness.steps and witness.refusals:
            grouped.setdefault(witness.node, []).extend(
                (target, refusal) for refusal in witness.refusals)
        else:
            plans.append((depth[witness.node] + len(witness.steps), target, witness, [target]))
    for node, members in grouped.items():
        members.sort(key=lambda item: item[0])
        refusals = tuple(refusal for _, refusal in members)
        targets = [target for target, _ in members]
        plans.append((depth[node] + len(refusals), targets[0], Witness(node, (), refusals),
                      targets))
    plans.sort(key=lambda plan: (-plan[0], plan[1]))
    return plans


def build_suite(exploration: Exploration, criterion: Criterion, coverage: Coverage,
                seed: int | None = None) -> Suite:
    """Cases for every feasible target of `coverage`, each a shortest path through it."""
    model = exploration.model
    suite = Suite(coverage.criterion, coverage, lower_bound=coverage.lower_bound)
    feasible = set(coverage.feasible)
    used: dict[str, int] = {}
    for _, name, witness, targets in _plan(exploration, coverage):
        if set(targets) <= suite.covered:
            continue
        run = concrete_run(exploration, witness)
        covers = sorted(criterion.covered_by(run) & feasible)
        suite.covered.update(covers)
        suite.covered.update(targets)
        base = f"{coverage.criterion}-{slug(name)}"
        used[base] = used.get(base, 0) + 1
        case_id = base if used[base] == 1 else f"{base}-{used[base]}"
        more = len(targets) - 1
        title = f"{coverage.criterion}: {name}" + (f" (and {more} more)" if more else "")
        suite.cases.append(make_case(model, case_id, title, run, criterion=coverage.criterion,
                                     target=name, seed=seed, covers=covers))
    suite.cases.sort(key=lambda case: case["id"])
    return suite
