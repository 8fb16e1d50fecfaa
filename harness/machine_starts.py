"""The initial world of a machine's run, drawn feature by feature."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import strategies as st

from mapi_submission.model.config import Config
from mapi_submission.model.world import World, initial_world, profiles

from .fair_draws import spread

T = TypeVar("T")

#: The initial world is drawn one feature at a time (`drawn_start`): the coupling, then per
#: message its recipients' address types, folder, preprocessing, deferred send time,
#: disposition and resend, each among the values the remaining starts have, plainest first
#: (the order the configuration lists them in). Hypothesis shrinks each draw towards its first
#: value, so a shrunk divergence keeps only the features it needs: a deferral, a preprocessor or
#: a resend that has nothing to do with it shrinks away.
START_FEATURE_BITS = 3
PROFILE_FEATURES = ("address_types", "folder", "needs_preprocessing", "deferred_send",
                    "disposition", "resend")

Pick = Callable[[int], int]  # an index among so many values


def start_features(world: World) -> tuple[Any, ...]:
    return (world.tight, *(getattr(message.profile, feature) for message in world.messages
                           for feature in PROFILE_FEATURES))


def narrowed(pick: Pick, keyed: list[tuple[tuple[Any, ...], T]]) -> T:
    """The item of `keyed` picked feature by feature, each feature among the values the items
    still possible have, in their order; a feature with one value left costs no pick."""
    candidates = keyed
    for position in range(len(keyed[0][0])):
        values = list(dict.fromkeys(key[position] for key, _ in candidates))
        if len(values) > 1:
            chosen = values[pick(len(values))]
            candidates = [(key, item) for key, item in candidates if key[position] == chosen]
    return candidates[0][1]


def picked_initial_world(pick: Pick, config: Config) -> World:
    """narrowed over initial_worlds(config) keyed by start_features, with the same picks,
    without listing the worlds (with independent profiles they number 32 to the power of the
    messages): the coupling first, then the profile of each message in turn, its features in
    the order of start_features; messages sharing a profile take the first's."""
    couplings = list(dict.fromkeys(config.coupling))
    coupling = couplings[pick(len(couplings))] if len(couplings) > 1 else couplings[0]
    keyed = [(tuple(getattr(p, f) for f in PROFILE_FEATURES), p) for p in profiles(config)]
    first = narrowed(pick, keyed)
    assignment = ((first,) * config.messages if config.profiles == "shared"
                  else (first, *(narrowed(pick, keyed) for _ in range(config.messages - 1))))
    return initial_world(config, coupling, assignment)


def drawn_start(starts: list[World] | None, config: Config) -> st.SearchStrategy[World]:
    """One of `starts` (None: every initial world of `config`), drawn feature by feature
    (fair booleans, as every draw of the machine)."""
    listed = None if starts is None else [(start_features(world), world) for world in starts]

    @st.composite
    def draw(draw_from: st.DrawFn) -> World:
        def pick(count: int) -> int:
            return draw_from(spread(START_FEATURE_BITS)) % count

        if listed is None:
            return picked_initial_world(pick, config)
        return narrowed(pick, listed)

    return draw()
