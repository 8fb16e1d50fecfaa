"""SPIN's counterexample as a regression case: the trail that `verify_with_spin(...,
keep_trail=True)` kept, read back into the model's steps.

`spin -t -p` prints each statement it executes with the Promela line it comes from. The
initial world is the option of the system's `if` whose comment names it (`/* initial world k
of N */`, in the order of `initial_worlds`), and each step of the model is one `d_step` option
of its `do`, whose line names the row and the instance (`enabled_<row>(m, a)`). The steps are
then taken in the model (or the variant) from that world, so the case is the model's own path:
a trail the model does not follow is an error, never a wrong case.
"""

from __future__ import annotations

import re
from typing import Any

from mapi_submission.checker.cases import build_case
from mapi_submission.checker.check import DEADLOCK, Counterexample
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.errors import MapiSubmissionError
from mapi_submission.model.table import TABLE
from mapi_submission.model.world import World, initial_worlds
from mapi_submission.properties import PROPERTIES

from .promela import promela_identifier

_INITIAL = re.compile(r"/\* initial world (\d+) of \d+ \*/")
_OPTION = re.compile(r"^\s*:: d_step \{ enabled_(\w+)\((-?\d+), (-?\d+)\) ->")
#: `  3:	proc  1 (submission:1) model.pml:2108 (state 2537)	[...]`
_EXECUTED = re.compile(r"^\s*(\d+):\s+proc\s+\d+ \([^)]*\) \S+?:(\d+) ")
_ROWS = {promela_identifier(row.name): row.name for row in TABLE}


class TrailError(MapiSubmissionError, ValueError):
    """A trail that does not read as the exported model's steps."""


def trail_steps(promela_text: str, trail: str) -> tuple[int, list[Step]]:
    """The initial world's number (1-based, among the exported ones) and the steps of the
    trail, in order."""
    lines = promela_text.splitlines()
    initial_lines = [(number, int(found.group(1))) for number, text in enumerate(lines, 1)
                     if (found := _INITIAL.search(text))]
    options = {number: found.groups() for number, text in enumerate(lines, 1)
               if (found := _OPTION.match(text))}
    initial: int | None = None
    steps: list[Step] = []
    taken: set[int] = set()
    for line in trail.splitlines():
        executed = _EXECUTED.match(line)
        if executed is None:
            continue
        counter, source = int(executed.group(1)), int(executed.group(2))
        if initial is None:
            chosen = [k for number, k in initial_lines if number <= source]
            if not chosen:
                raise TrailError(f"the trail starts at line {source}, before any initial world")
            initial = chosen[-1]
        elif source in options and counter not in taken:
            taken.add(counter)
            ident, message, argument = options[source]
            if ident not in _ROWS:
                raise TrailError(f"the trail takes {ident}, which is no row of the table")
            steps.append(Step(_ROWS[ident], int(message), int(argument)))
    if initial is None:
        raise TrailError("the trail executes no statement")
    return initial, steps


def trail_path(model: Model, promela_text: str,
               trail: str) -> tuple[World, list[tuple[Step, World]]]:
    """The initial world and the (step, world after) path a SPIN trail of `model`'s export
    shows, taken in the model."""
    number, steps = trail_steps(promela_text, trail)
    exported = list(dict.fromkeys(initial_worlds(model.config)))
    if not 1 <= number <= len(exported):
        raise TrailError(f"the trail starts from initial world {number} of {len(exported)}")
    start: World = exported[number - 1]
    world, path = start, []
    for index, step in enumerate(steps):
        after = dict(model.successors(world)).get(step)
        if after is None:
            raise TrailError(f"trail step {index + 1} ({step.row}, message {step.message}) is "
                             "not enabled in the model there")
        path.append((step, after))
        world = after
    return start, path


def trail_counterexample(model: Model, promela_text: str, trail: str,
                         violated: str | None) -> Counterexample:
    """The counterexample a SPIN trail of `model`'s export shows: its initial world and
    steps, taken in the model; `violated` is the property pan reported (DEADLOCK for an
    invalid end state, None for an error naming no property)."""
    start, path = trail_path(model, promela_text, trail)
    known = {**PROPERTIES, DEADLOCK.id: DEADLOCK}
    prop = known.get(violated or "")
    return Counterexample(violated or "error", prop.rules if prop else (),
                          "SPIN's first error on this path (its depth-first trail, not the "
                          "shortest)", start, path)


def shortest_trail_counterexample(model: Model, promela_text: str, trail: str,
                                  violated: str) -> Counterexample:
    """The counterexample of a breadth-first trail (gcc -DBFS: no shorter path breaks
    `violated`), with the problem described as the checker describes it: the property's own
    message on the last world or step, or the phases of a stuck world for DEADLOCK."""
    start, path = trail_path(model, promela_text, trail)
    world = path[-1][1] if path else start
    if violated == DEADLOCK.id:
        phases = ", ".join(f"message {i} {m.phase}" for i, m in enumerate(world.messages))
        return Counterexample(DEADLOCK.id, DEADLOCK.rules,
                              f"no step changes this world ({phases})", start, path)
    prop = PROPERTIES.get(violated)
    if prop is None:
        raise TrailError(f"pan reported {violated}, which is no property of the model")
    if prop.kind == "step" and path:
        before = path[-2][1] if len(path) > 1 else start
        step, after = path[-1]
        problem = prop.check(model.config, before, model.rows[step.row], step, after)
    else:
        problem = prop.check(model.config, world)
    return Counterexample(prop.id, prop.rules, problem or "violated", start, path)


def trail_case(model: Model, example: Counterexample) -> dict[str, Any]:
    """The regression case of a trail's counterexample (`replay --variant` takes its steps;
    the specification refuses the first step the bug changes)."""
    violated = example.property if example.property != "error" else None
    return build_case(
        model, f"spin-{model.variant_name or 'specification'}-{example.property.lower()}",
        f"{example.property} violated: {example.problem}", example.start, example.steps,
        criterion="spin", target=example.property, expect_violation=violated)
