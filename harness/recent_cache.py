"""A bounded cache that keeps what was used recently, for the log validator's step caches.

Emptying a full cache at once (what the validator did) throws away the entries the very next
records need: on the benchmark's log that cost a fifth of the validation time. This cache has
two generations. New entries go into the younger; when it is full, the older is dropped and
the younger takes its place. An entry found in the older is copied into the younger, so what
keeps being used survives every turnover. At most twice `limit` entries are held.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RecentCache(Generic[K, V]):
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._young: dict[K, V] = {}
        self._old: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        found = self._young.get(key)
        if found is None:
            found = self._old.get(key)
            if found is not None:
                self.put(key, found)
        return found

    def put(self, key: K, value: V) -> None:
        if len(self._young) >= self._limit:
            self._old = self._young
            self._young = {}
        self._young[key] = value

    def __len__(self) -> int:
        return len(self._young) + len(self._old)
