"""Model paths worth writing as call logs (model_logs.py writes them): a known-bad variant's
shortest counterexample continued to a step a log shows, a seeded random run of any size, and
a path through given steps. The log-validation examples, tests and benchmark use them."""

from __future__ import annotations

import random
from dataclasses import dataclass

from mapi_submission.checker.check import shortest_known_counterexample
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.states import REMOVED
from mapi_submission.model.world import World


@dataclass(frozen=True)
class LoggedCounterexample:
    """A path on which `variant` breaks `property_id`, ending in a step a log shows."""

    variant: str
    property_id: str
    start: World
    steps: list[tuple[Step, World]]


def shortest_logged_counterexample(variant: str, config: Config | None = None,
                                   max_states: int = 200_000) -> LoggedCounterexample | None:
    """The checker's shortest counterexample among the properties the variant is known to
    break, continued to its first logged step so a log shows it."""
    model = Model(config or Config(messages=1), variant)
    example = shortest_known_counterexample(model, max_states=max_states)
    if example is None:
        return None
    return LoggedCounterexample(variant, example.property, example.start,
                                extend_to_logged(model, list(example.steps), example.start))


def extend_to_logged(model: Model, steps: list[tuple[Step, World]], start: World,
                     limit: int = 10) -> list[tuple[Step, World]]:
    """A path ending in silent steps (no MAPI call) leaves nothing in a log to judge: continue
    it until the first logged step, preferring the spooler and transports over clients (who
    may stop) and calls over further silent steps."""
    path = list(steps)
    while path and not model.rows[path[-1][0].row].is_call and limit > 0:
        limit -= 1
        world = path[-1][1] if path else start
        options = [(s, w) for s, w in model.successors(world) if w is not world
                   or model.rows[s.row].is_error]
        if not options:
            break
        options.sort(key=lambda sw: (model.rows[sw[0].row].actor.is_client,
                                     not model.rows[sw[0].row].is_call))
        path.append(options[0])
    return path


#: Weight of a step that leaves the world as it is (a refusal, a read-only open, a copy) in a
#: random run without weights of its own: the calls a state refuses are many and would
#: otherwise take most steps of a run.
STILL_WEIGHT = 0.2


def random_run(model: Model, *, seed: int, steps: int, start: World | None = None,
               avoid: frozenset[str] | None = None,
               weights: dict[str, float] | None = None,
               ) -> tuple[World, list[tuple[Step, World]]]:
    """A seeded random run of the model (no exploration needed, so any size works): from
    `start` (default: a random initial world), take random enabled steps, leaving out the rows
    in `avoid` (default: those that delete or move a message out of the life-cycle, which
    would end the run early); `weights` makes some rows likelier than others (default: 1,
    and STILL_WEIGHT for a step that changes nothing)."""
    if avoid is None:
        avoid = frozenset(name for name, row in model.rows.items() if row.dest in REMOVED)
    chooser = random.Random(seed)
    world = start if start is not None else chooser.choice(model.initial_worlds())
    first = world
    path: list[tuple[Step, World]] = []
    while len(path) < steps:
        options = [(s, w) for s, w in model.successors(world) if s.row not in avoid]
        if not options:
            break
        if weights is None:
            chances = [1.0 if after != world else STILL_WEIGHT for _, after in options]
        else:
            chances = [weights.get(s.row, 1.0) for s, _ in options]
        step, world = chooser.choices(options, chances)[0]
        path.append((step, world))
    return first, path


def follow(model: Model, start: World, rows: list[tuple[str, int, int]]
           ) -> list[tuple[Step, World]]:
    """The path taking the given (row, message, arg) steps in order; StepNotEnabled if one is
    not enabled."""
    world = start
    path: list[tuple[Step, World]] = []
    for row, message, arg in rows:
        step = Step(row, message, arg)
        world = model.apply(world, step)
        path.append((step, world))
    return path
