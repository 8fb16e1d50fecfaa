"""Coverage criteria, the case builder, the postman tour and random walks on small
configurations: every feasible target reached, cases replay, infeasible targets reported,
output deterministic."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import networkx as nx
import pytest

from mapi_submission.checker.cases import dump_case, replay_case
from mapi_submission.generators.coverage import CRITERIA, PairCriterion, transition_graph
from mapi_submission.generators.generate import Generated, generate
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model

SMALL = Config(messages=1, recipients=1, coupling=("loose", "tight"), folders=("outbox",))
#: interleavings are of two messages: a decision on one beside the state of the other
TWO_MESSAGES = dataclasses.replace(SMALL, messages=2, coupling=("tight",))


@functools.cache
def generated(criterion: str, seed: int = 0) -> Generated:
    config = TWO_MESSAGES if criterion == "interleavings" else SMALL
    return generate(Model(config), criterion, seed=seed)


def _replays(cases: list[dict[str, Any]]) -> None:
    for case in cases:
        mismatch = replay_case(case)
        assert mismatch is None, f"{case['id']}: {mismatch.describe()}"


@pytest.mark.parametrize("criterion", [c for c in CRITERIA if c != "random"])
def test_every_feasible_target_is_reached_and_cases_replay(criterion: str) -> None:
    result = generated(criterion)
    summary = result.summary()
    assert summary["feasible"] > 0
    assert summary["reached"] == summary["feasible"], criterion
    assert summary["steps"] >= summary["lower_bound"] > 0
    _replays(result.cases)


def test_generation_is_deterministic() -> None:
    first = generate(Model(SMALL), "guards")
    second = generate(Model(SMALL), "guards")
    assert [dump_case(c) for c in first.cases] == [dump_case(c) for c in second.cases]


def test_transition_targets_are_row_and_state_and_infeasible_ones_are_reported() -> None:
    summary = generated("transitions").summary()
    assert "submit@draft" not in summary["infeasible"]
    # Never enabled under the specification (only in the known-bad variants) or only under
    # another reading of a documented conflict.
    for target in ("lock-again@locked", "tight-request-download@direct_sending",
                   "retry-released@retry_wait", "xp-cancel-retry@in_transport"):
        assert target in summary["infeasible"]
    assert summary["feasible"] + len(summary["infeasible"]) == summary["targets"]


def test_each_transition_case_is_a_shortest_path_through_its_target() -> None:
    result = generated("transitions")
    for case in result.cases:
        target = case["provenance"]["target"]
        assert target in case["provenance"]["covers"]
        last = case["steps"][-1]
        assert target.startswith(last["row"] + "@")


def test_guard_false_witnesses_are_refusals_that_name_the_guard() -> None:
    result = generated("guards")
    refusals = [step for case in result.cases for step in case["steps"] if "refusal" in step]
    assert refusals
    for step in refusals:
        assert step["refusal"]["kind"] == "not_enabled"
        assert step["refusal"]["guard"] in step["refusal"]["target"]
    targets = {step["refusal"]["target"] for step in refusals}
    assert "save:no_save_conflict=false" in targets


def test_pair_universe_is_the_line_graph_of_the_table() -> None:
    lines = nx.line_graph(transition_graph())
    universe = PairCriterion(Model(SMALL)).universe()
    assert len(universe) == lines.number_of_edges()
    assert "submit@draft>route-spooler@submitted" in universe


def test_tour_meets_the_postman_lower_bound() -> None:
    summary = generated("tour").summary()
    assert summary["quotient_edges"] + summary["duplicated_steps"] == summary["lower_bound"]
    assert summary["steps"] <= 1.1 * summary["lower_bound"]


def test_random_walks_are_seeded() -> None:
    again = generate(Model(SMALL), "random", seed=0)
    assert [dump_case(c) for c in generated("random", 0).cases] == [
        dump_case(c) for c in again.cases]
    other = generated("random", 7)
    assert [c["steps"] for c in other.cases] != [c["steps"] for c in again.cases]
    _replays(other.cases)
    assert all(len(case["steps"]) <= 40 for case in other.cases)


def test_random_walks_stop_when_coverage_is_reached() -> None:
    # uniform walks reach the rarest targets of SMALL (a refusal while a transfer is being
    # cancelled, an open while the transport has deferred the message) only after more than
    # 5,000 walks; without transport setbacks, resend and deferral every seed tried covers
    # the 116 targets in under 800
    plain = Config.from_dict({**SMALL.to_dict(), "coupling": ["loose"], "features": {
        "transport_failures": False, "resend": False, "deferral": False}})
    result = generate(Model(plain), "random", seed=1, walks=5000, length=60)
    summary = result.summary()
    assert summary["stopped_by"] == "coverage"
    assert summary["reached"] == summary["feasible"]
    assert summary["cases"] < 5000


def test_another_reading_of_a_conflict_makes_its_rows_feasible() -> None:
    config = Config.from_dict({**SMALL.to_dict(), "conflicts": {"lock_during_retry": "release"}})
    summary = generate(Model(config), "transitions").summary()
    assert "retry-released@retry_wait" not in summary["infeasible"]
    assert "retry-held@retry_wait" in summary["infeasible"]
    assert "retry-released" not in summary["rows_never_taken"]


def test_interleaving_targets_are_a_decision_beside_the_other_messages_state() -> None:
    result = generated("interleavings")
    summary = result.summary()
    assert "finished-delivered@locked|direct_sending" in result.suite.covered
    assert "submit@draft|draft" not in summary["infeasible"]  # a client call is no target
    for case in result.cases:
        target = case["provenance"]["target"]
        row, rest = target.split("@")
        state, other = rest.split("|")
        last = case["steps"][-1]
        assert last["row"] == row
