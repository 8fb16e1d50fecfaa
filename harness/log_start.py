"""Where a log that starts mid-life begins: the header's `messages` name messages already under
way when logging started (saved with recipients, submitted, queued, locked, ...), each with
what is known of it, in the vocabulary of a record's `observed`.

The consistent worlds at the first record are those the model reaches from an initial world
by steps of those messages alone (the other model messages stay fresh, free for the log's new
ids) in which each named message shows what the header says. The i-th message named is bound
to model message i: the model's messages are interchangeable, so that choice loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mapi_submission.model.engine import Model
from mapi_submission.model.observe import observe_message
from mapi_submission.model.world import World

from .log_bindings import Binding, unbound
from .log_format import LogError

Candidate = tuple[World, Binding]


class StartLimit(LogError):
    """The header's messages under way leave more worlds than the bound."""


def started_candidates(model: Model, initial: Iterable[World], messages: dict[str, dict[str, Any]],
                       where: str, max_worlds: int,
                       observed_matches: Callable[[dict[str, Any], dict[str, Any]], bool]
                       ) -> list[Candidate]:
    """The worlds, with their bindings, a log starting with `messages` under way may begin in;
    LogError when the configuration has fewer messages or no world fits."""
    slots = list(range(len(messages)))
    if len(slots) > model.config.messages:
        raise LogError(f"{where}: {len(slots)} messages under way, the configuration has "
                       f"{model.config.messages} (raise messages in the header's config)")
    ids = list(messages)
    binding = Binding(tuple(ids) + unbound(model.config.messages - len(ids)).ids)
    seen: set[World] = set()
    frontier = list(dict.fromkeys(initial))
    seen.update(frontier)
    while frontier:
        following: list[World] = []
        for world in frontier:
            for slot in slots:
                for _, after in model.message_successors(world, slot):
                    if after not in seen:
                        seen.add(after)
                        following.append(after)
        if len(seen) > max_worlds:
            raise StartLimit(f"{where}: the messages under way can be in more than {max_worlds} "
                             "model worlds; give each one's state (and more properties)")
        frontier = following
    config = model.config
    fitting = [(world, binding) for world in seen
               if all(observed_matches(messages[ids[slot]],
                                       observe_message(config, world.messages[slot]))
                      for slot in slots)]
    if not fitting:
        raise LogError(f"{where}: no world of the configuration has the messages under way as "
                       "the header describes them")
    return sorted(fitting, key=repr)
