"""Shared pieces of the fuzz tests: random JSON documents and the paths into a document."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def json_documents(leaves: st.SearchStrategy[Any], *, key_size: int,
                   max_leaves: int) -> st.SearchStrategy[Any]:
    """Nested lists and objects (small, with short keys) over `leaves`."""
    return st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=key_size), children, max_size=4),
        max_leaves=max_leaves,
    )


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indexes) into `value`, the empty path first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, prefix + (index,))
    return found
