"""Seeded random walks over the explored graph, with stop conditions.

Each walk starts in an initial world chosen at random and takes random enabled steps until
it has `length` steps, reaches a world with no step (every message finished), or the walks
together have covered every reachable transition target (the coverage goal); then the next
walk starts, up to `walks` walks. Python's random.Random(seed) makes the walks, so the same
model and seed give the same cases.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from mapi_submission.checker.explore import Exploration
from mapi_submission.model.engine import Step
from mapi_submission.model.world import World

from .coverage import step_labels


@dataclass
class Walks:
    runs: list[tuple[World, list[tuple[Step, World]]]]
    covered: set[str]
    stopped_by: str  # "coverage", "walks"


def random_walks(exploration: Exploration, goal: set[str], *, seed: int, walks: int,
                 length: int) -> Walks:
    """Up to `walks` walks of at most `length` steps; stop early once `goal` is covered."""
    chooser = random.Random(seed)
    states = exploration.states
    out: list[list[tuple[Step, int]]] = [[] for _ in states]
    for source, step, target in exploration.edges:
        out[source].append((step, target))
    initial = sorted(exploration.initial)
    covered: set[str] = set()
    runs: list[tuple[World, list[tuple[Step, World]]]] = []
    for _ in range(walks):
        if goal and goal <= covered:
            return Walks(runs, covered, "coverage")
        node = chooser.choice(initial)
        start = states[node]
        steps: list[tuple[Step, World]] = []
        while len(steps) < length and out[node]:
            step, target = chooser.choice(out[node])
            covered.update(step_labels(exploration.model, states[node], step))
            steps.append((step, states[target]))
            node = target
            if goal and goal <= covered:
                break
        if steps:
            runs.append((start, steps))
    return Walks(runs, covered, "coverage" if goal and goal <= covered else "walks")
