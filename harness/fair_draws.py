"""The machines' draws: fair booleans only, and what is built from them."""

from __future__ import annotations

from hypothesis import strategies as st

#: Choices are drawn as SPREAD_BITS fair booleans read as an integer, modulo the number of
#: options: modulo a wide range the options come out close to evenly, while shrinking (towards
#: all False, 0) still leads to the first (the ordinary way forward: machine._forward_first).
#: Booleans, not st.integers: Hypothesis mixes into its integer draws constants it collects
#: from the source of every local module loaded in the process
#: (hypothesis.internal.conjecture.providers), so a derandomized run drawn from integers would
#: change with an edit anywhere, the user's own modules included, and a mutant the machine
#: kills in one process could survive in another. Booleans it draws fairly and alone.
SPREAD_BITS = 10


def spread(bits: int = SPREAD_BITS) -> st.SearchStrategy[int]:
    """An integer in [0, 2**bits) made of fair boolean draws."""
    return st.tuples(*[st.booleans()] * bits).map(
        lambda flags: sum(flag << i for i, flag in enumerate(flags)))
