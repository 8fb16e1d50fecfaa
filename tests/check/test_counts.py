"""The reachable space is pinned: a model change that alters it must update
expected_counts.json in the same commit, so reviewers see the difference."""

from __future__ import annotations

import json
import os

import pytest

from mapi_submission.checker.files import write_atomic

from .counts import CONFIGURATIONS, EXPECTED_FILE, measure

EXPECTED = EXPECTED_FILE
UPDATE = os.environ.get("MAPI_UPDATE_COUNTS") == "1"
HOW = ("the reachable state space changed; if intended, regenerate the pinned counts with "
       "`MAPI_UPDATE_COUNTS=1 .venv/bin/pytest tests/check/test_counts.py` and commit "
       "tests/check/expected_counts.json")


def _expected() -> dict[str, dict[str, object]]:
    data: dict[str, dict[str, object]] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return data


@pytest.mark.skipif(not UPDATE, reason="only with MAPI_UPDATE_COUNTS=1")
def test_regenerate_expected_counts() -> None:
    counts = {name: measure(name) for name in sorted(CONFIGURATIONS)}
    write_atomic(EXPECTED, json.dumps(counts, indent=2, sort_keys=True) + "\n")


def test_every_configuration_is_pinned() -> None:
    assert sorted(_expected()) == sorted(CONFIGURATIONS), HOW


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_reachable_space_matches_pinned_counts(name: str) -> None:
    if UPDATE:
        pytest.skip("regenerating")
    expected = _expected().get(name)
    assert expected is not None, f"{name}: not in expected_counts.json; {HOW}"
    actual = measure(name)
    assert actual == expected, f"{name}: expected {expected}, got {actual}; {HOW}"
