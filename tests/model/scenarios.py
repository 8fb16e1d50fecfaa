"""Small helpers to set up one world and drive it through the runtime face of the table."""

from __future__ import annotations

from typing import Any

from mapi_submission.model.config import Config
from mapi_submission.model.engine import Step
from mapi_submission.model.runtime import Submission
from mapi_submission.model.world import World, initial_worlds


def world_where(config: Config, *, tight: bool, **profile: Any) -> World:
    """The first initial world with the given coupling and first-message profile fields."""
    for world in initial_worlds(config):
        first = world.messages[0].profile
        if world.tight == tight and all(getattr(first, k) == v for k, v in profile.items()):
            return world
    raise LookupError(f"no initial world with tight={tight} and {profile}")


def submission(config: Config, *, tight: bool, variant: str | None = None,
               **profile: Any) -> Submission:
    return Submission(config, variant, world_where(config, tight=tight, **profile))


def drive(runtime: Submission, *steps: str | tuple[str, int, int]) -> list[str]:
    """Fire each step (a row name for message 0, or (row, message, arg)); return the results."""
    results = []
    for step in steps:
        row, message, arg = (step, 0, -1) if isinstance(step, str) else step
        results.append(runtime.fire(Step(row, message, arg)).result)
    return results


def rows_enabled(runtime: Submission, message: int = 0) -> set[str]:
    return {s.row for s in runtime.enabled() if s.message == message}
