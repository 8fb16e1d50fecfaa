"""Explaining a record no consistent world fits by the steps that would have had to happen
first without being logged.

A client that reads a message already filed in Sent Items, where the model still has it
locked, breaks less the rules of the properties it read than the rules of the steps that
file a message (the tight pair's CompleteMsg, R37; the spooler's FinishedMsg, R62): either
the implementation took them and did not log them, or it filed the message without them.
The search is breadth-first from every consistent world over the steps of the record's
message (and of the transports), so the way named is a shortest one; it is bounded in depth
and in worlds, since it runs only to word a divergence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mapi_submission.checker.compact import CompactWorld, CompactWorlds
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.table import Row
from mapi_submission.model.world import World

from .log_bindings import Binding, IdBinder

#: Most unlogged steps a way may take: a longer way explains nothing a reader can act on.
MAX_STEPS = 4
#: Most worlds the search visits before it gives up (it runs once, on a divergence).
MAX_WORLDS = 20_000


def shortest_unlogged_way(candidates: Iterable[tuple[CompactWorld, Binding]],
                          binder: IdBinder, worlds: CompactWorlds, model: Model,
                          message: str | None, holds: Callable[[World, int], bool]
                          ) -> list[Row] | None:
    """The rows of a shortest way (at least one step) from a consistent world to one where
    `holds(world, slot)` is true for the record's message, or None. Among ways of the same
    length the one whose row names sort first is named, so the verdict does not depend on
    the order the candidates are met in."""
    frontier: list[tuple[CompactWorld, int, tuple[str, ...]]] = []
    seen: set[tuple[CompactWorld, int]] = set()
    for world, binding in candidates:
        for slot, target, _ in binder.targets(world, binding, message):
            if slot >= 0 and (target, slot) not in seen:
                seen.add((target, slot))
                frontier.append((target, slot, ()))
    for _ in range(MAX_STEPS):
        found: list[tuple[str, ...]] = []
        following: list[tuple[CompactWorld, int, tuple[str, ...]]] = []
        # in the order of the ways taken, so a world reached by several ways keeps the one
        # whose row names sort first (the candidates' own order follows their hashes)
        frontier.sort(key=lambda item: item[2])
        for world, slot, way in frontier:
            for step, after in worlds.successors(world):
                if after == world or not _moves(model, step, slot):
                    continue
                taken = (*way, step.row)
                if holds(worlds.expand(after), slot):
                    found.append(taken)
                elif (after, slot) not in seen:
                    seen.add((after, slot))
                    following.append((after, slot, taken))
            if len(seen) > MAX_WORLDS:
                break
        if found or len(seen) > MAX_WORLDS:
            return _first(found, model)
        frontier = following
    return None


def _moves(model: Model, step: Step, slot: int) -> bool:
    """Whether the step is one of the message's own or a transport's (steps on other
    messages leave what is read of this one unchanged)."""
    return model.rows[step.row].machine != "message" or step.message == slot


def _first(found: list[tuple[str, ...]], model: Model) -> list[Row] | None:
    if not found:
        return None
    return [model.rows[name] for name in min(found)]
