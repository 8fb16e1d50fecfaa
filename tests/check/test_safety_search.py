"""The safety search (invariants judged per cached slot) finds what the exploration with the
Recorder finds, world by world and transition by transition: the same states in the same
order with the same parents, the same transitions, the same first violation of every
invariant and the same stuck states, on two messages with and without symmetry and on every
known-bad variant."""

from __future__ import annotations

import pytest

from mapi_submission.checker.compact import CompactWorlds
from mapi_submission.checker.explore import explore
from mapi_submission.checker.recording import Recorder
from mapi_submission.checker.safety_search import safety_search
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model
from mapi_submission.model.variants import VARIANTS

#: the SPIN cross-check's configuration of two messages (its one-message configurations run the
#: safety search there, their state counts compared with SPIN's)
TWO_MESSAGES = Config(messages=2, recipients=1, transports=1)


def _both(model: Model, symmetry: bool) -> None:
    worlds = CompactWorlds(model)
    records = Recorder(model, symmetry, keep_edges=False, worlds=worlds)
    reference = explore(model, symmetry=symmetry, keep_edges=False, visit=records.visit,
                        on_transition=records.on_transition, worlds=worlds)
    searched = safety_search(model, symmetry=symmetry)
    assert searched is not None
    exploration, found = searched
    assert len(exploration.states) == len(reference.states)
    assert exploration.transitions == reference.transitions
    assert exploration.parent == reference.parent
    assert exploration.depth == reference.depth
    assert exploration.initial == reference.initial
    assert list(exploration.states) == list(reference.states)
    assert found.state_violations == records.state_violations
    assert found.step_violations == records.step_violations
    assert found.progress == records.progress


@pytest.mark.parametrize("symmetry", [False, True])
def test_the_specification(symmetry: bool) -> None:
    _both(Model(TWO_MESSAGES), symmetry)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_known_bad_variant(variant: str) -> None:
    _both(Model(Config(messages=1, recipients=1), variant), symmetry=False)
