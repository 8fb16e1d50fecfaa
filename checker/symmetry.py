"""Symmetry reduction: messages are interchangeable, so each world stands for every world that
differs from it only in how its messages are numbered.

Nothing in the semantics depends on a message's index except the queue and submission orders,
which are permuted along. The representative of a world lists its messages sorted by value; the
explorer keeps only representatives, and the checker undoes the renumbering where it needs
message identities (concrete counterexamples, liveness). """

from __future__ import annotations

from mapi_submission.model.world import World

from .compact import CompactWorld, CompactWorlds


def canonical(world: World) -> tuple[World, tuple[int, ...]]:
    """The representative of `world` under message permutation, and the permutation:
    position i of the representative holds message perm[i] of `world`."""
    messages = world.messages
    perm = tuple(sorted(range(len(messages)), key=messages.__getitem__))
    if all(i == p for i, p in enumerate(perm)):
        return world, perm
    new_index = {old: new for new, old in enumerate(perm)}
    return (
        world._replace(
            messages=tuple(messages[i] for i in perm),
            queue=tuple(new_index[i] for i in world.queue),
            submission_order=tuple(new_index[i] for i in world.submission_order),
        ),
        perm,
    )


class CompactSymmetry:
    """`canonical` on compact worlds: the same representative (messages sorted by value, the
    queue and submission order renumbered along), with the permutation cached per tuple of
    message ids and the renumbered context cached per (context, permutation)."""

    def __init__(self, worlds: CompactWorlds) -> None:
        self.worlds = worlds
        self._permutations: dict[tuple[int, ...], tuple[int, ...] | None] = {}
        self._contexts: dict[tuple[int, tuple[int, ...]], int] = {}

    def canonical(self, state: CompactWorld) -> CompactWorld:
        mids = state[1:]
        perm = self._permutations.get(mids, _MISSING)
        if perm is _MISSING:
            message = self.worlds.message_of
            order = tuple(sorted(range(len(mids)), key=lambda i: message(mids[i])))
            perm = self._permutations[mids] = (
                None if all(i == p for i, p in enumerate(order)) else order)
        if perm is None:
            return state
        key = (state[0], perm)
        cid = self._contexts.get(key)
        if cid is None:
            tight, transports, queue, setbacks, order = self.worlds.context_of(state[0])
            new_index = {old: new for new, old in enumerate(perm)}
            cid = self._contexts[key] = self.worlds.intern_context(
                (tight, transports, tuple(new_index[i] for i in queue), setbacks,
                 tuple(new_index[i] for i in order)))
        return (cid, *[mids[i] for i in perm])


#: "Not computed yet" in the permutation cache, where None means "already in order".
_MISSING: tuple[int, ...] = (-1,)
