"""The steps of one message of a world, cached per message and context, for the log validator.

A long log keeps meeting worlds it has not met before (five messages, each anywhere in its
life-cycle, make many combinations), so caching steps per whole world rarely hits. The steps
of one message depend only on that message, the world-wide fields and, for rows guarded by
first_waiting_in_queue, the phase and transport of the queued messages (the argument of
checker/compact.py, whose sets of known functions this module uses): so they are computed
once per (slot, message, context, queued views) and replayed onto every world that repeats
them. A step whose effect touched another message, and every step of a model with guards or
effects that are not the registered ones, are computed afresh each time.
"""

from __future__ import annotations

from collections.abc import Container

from mapi_submission.checker.compact import (
    Context,
    caching_is_sound,
    phases_reading_queue,
    queued_view,
    world_context,
)
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.world import Message, World

#: A step of one message: the step, the message after it and the world-wide fields after it;
#: None for both when the step leads back to the same world (a refused call).
Move = tuple[Step, Message | None, Context | None]
#: Bound on cached keys: past it the cache starts over (memory stays flat on any log).
CACHE_LIMIT = 200_000


class MessageSteps:
    """`Model.message_successors`, cached (module docstring). Steps that lead back to the
    same world return that very world object, as the model does."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self._cacheable = caching_is_sound(model)
        #: per phase: whether a step from it reads the phases of queued messages
        self._reads_queue = phases_reading_queue(model)
        #: (slot, message, context, queued views or ()) -> its moves; None: not cacheable
        self._moves: dict[tuple[int, Message, Context, tuple[tuple[str, int], ...]],
                          list[Move] | None] = {}

    def steps(self, world: World, index: int,
              rows: Container[str] | None = None) -> list[tuple[Step, World]]:
        """The enabled steps of message `index` and the worlds they lead to; only those of
        `rows` when given (the worlds of the others are never built)."""
        if not self._cacheable:
            return _of_rows(self.model.message_successors(world, index), rows)
        message = world.messages[index]
        context = world_context(world)
        queued = (tuple([queued_view(world.messages[i]) for i in world.queue])
                  if world.queue and self._reads_queue.get(message.phase, False) else ())
        key = (index, message, context, queued)
        try:
            moves = self._moves[key]
        except KeyError:
            if len(self._moves) > CACHE_LIMIT:
                self._moves.clear()
            moves = self._moves[key] = self._moves_of(world, index)
        if moves is None:
            return _of_rows(self.model.message_successors(world, index), rows)
        messages = world.messages
        head, tail = messages[:index], messages[index + 1:]
        return [(step, world if after is None or changed is None else
                 tuple.__new__(World, (*changed, head + (after,) + tail)))
                for step, after, changed in moves if rows is None or step.row in rows]

    def _moves_of(self, world: World, index: int) -> list[Move] | None:
        """The message's steps as moves; None when an effect touched another message (the
        cache key would not capture that)."""
        moves: list[Move] = []
        before = world.messages
        for step, after in self.model.message_successors(world, index):
            if after is world:
                moves.append((step, None, None))
                continue
            others = after.messages
            if others[:index] != before[:index] or others[index + 1:] != before[index + 1:]:
                return None
            moves.append((step, others[index], world_context(after)))
        return moves


def _of_rows(steps: list[tuple[Step, World]], rows: Container[str] | None
             ) -> list[tuple[Step, World]]:
    return steps if rows is None else [(step, after) for step, after in steps if step.row in rows]
