"""The validator's bounded step caches keep what is used and forget the rest."""

from __future__ import annotations

from mapi_submission.harness.recent_cache import RecentCache


def test_an_entry_in_use_survives_turnovers_and_the_size_stays_bounded() -> None:
    cache: RecentCache[int, str] = RecentCache(limit=3)
    cache.put(0, "kept")
    for key in range(1, 100):
        cache.put(key, str(key))
        assert cache.get(0) == "kept"
        assert len(cache) <= 6


def test_an_entry_left_unused_is_forgotten_after_two_turnovers() -> None:
    cache: RecentCache[int, str] = RecentCache(limit=3)
    cache.put(0, "old")
    for key in range(1, 7):
        cache.put(key, str(key))
    assert cache.get(0) is None
    assert cache.get(6) == "6"
