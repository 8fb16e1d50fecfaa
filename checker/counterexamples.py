"""Counterexamples: concrete paths from an initial world that break a property, built from
the explored graph, and their text and JSON forms.

Paths are breadth-first parent paths, hence shortest, replayed without symmetry so the message
numbering is that of real worlds; a liveness counterexample is a lasso (liveness.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mapi_submission.model.engine import Model, Step
from mapi_submission.model.world import World
from mapi_submission.properties import Property

from .explore import Exploration
from .symmetry import canonical


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


def state_counterexample(exploration: Exploration, prop: Property,
                         node: int) -> Counterexample:
    """The path to `node`, where the state property `prop` fails; the problem is described
    on the concrete world (its message numbers are those of the path)."""
    start, steps = exploration.concrete_path(node)
    world = steps[-1][1] if steps else start
    problem = prop.check(exploration.model.config, world) or "violated"
    return Counterexample(prop.id, prop.rules, problem, start, steps)


def step_counterexample(exploration: Exploration, prop: Property, source: int,
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


def stuck_counterexample(exploration: Exploration, prop: Property, node: int,
                         why: str) -> Counterexample:
    """The path to `node`, a world that cannot get on (`why`), described by its phases."""
    start, steps = exploration.concrete_path(node)
    world = steps[-1][1] if steps else start
    phases = ", ".join(f"message {i} {m.phase}" for i, m in enumerate(world.messages))
    return Counterexample(prop.id, prop.rules, f"{why} ({phases})", start, steps)


# ---- presentation ----------------------------------------------------------------------------


def describe_step(model: Model, number: int, step: Step, before: World | None = None) -> str:
    """One numbered line: actor, event, message, argument, result and rule ids; with the
    world before the step, also the row the callee took inside the same call (the store's
    routing inside SubmitMessage, R26)."""
    row = model.rows[step.row]
    line = (f"{number:>3}. {row.actor}: {row.event} [{row.name}] "
            f"({row.target(step.message, step.arg)}) -> {row.result}"
            f"  rules {', '.join(row.rules)}")
    inside = model.inside_row(before, step) if before is not None else None
    if inside is not None:
        line += (f"\n       inside the call: {inside.event} [{inside.name}]"
                 f"  rules {', '.join(inside.rules)}")
    return line


def describe_counterexample(model: Model, example: Counterexample) -> list[str]:
    rules = ", ".join(example.rules)
    lines = [f"{example.property} ({rules}) violated: {example.problem}",
             f"counterexample, {len(example.steps)} steps from an initial world:"]
    before = example.start
    for number, (step, after) in enumerate(example.steps, start=1):
        if example.cycle_from is not None and number - 1 == example.cycle_from:
            lines.append("     -- cycle: the steps below repeat forever --")
        lines.append(describe_step(model, number, step, before))
        before = after
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
    """The regression-case id a counterexample is written under (check --out)."""
    return f"counterexample-{model.variant_name or 'specification'}-{property_id.lower()}"
