"""The specification satisfies every property on small configurations, liveness included
(and the checker's fast successor path computes exactly the reference semantics)."""

from __future__ import annotations

import pytest

from mapi_submission.checker import liveness
from mapi_submission.checker.check import HOLDS, SKIPPED, check
from mapi_submission.checker.compact import CompactWorlds
from mapi_submission.checker.explore import explore
from mapi_submission.model import VARIANTS, Config, Model
from mapi_submission.model.states import IN_SUBMISSION, SENT_DIRECTLY
from mapi_submission.properties import PROPERTIES


def test_one_message_every_property_holds_with_liveness() -> None:
    # With one message, symmetry reduction is the identity, so L1-L3 are checked too.
    result = check(Model(Config(messages=1)))
    assert result.exit_code == 0
    assert {v.property.id for v in result.verdicts} >= set(PROPERTIES)
    assert all(v.status == HOLDS for v in result.verdicts), [
        (v.property.id, v.status) for v in result.verdicts if v.status != HOLDS]


def test_two_messages_without_symmetry_every_property_holds() -> None:
    result = check(Model(Config(messages=2, recipients=1, transports=1)), symmetry=False)
    assert all(v.status == HOLDS for v in result.verdicts), [
        (v.property.id, v.status) for v in result.verdicts if v.status != HOLDS]


def test_liveness_with_symmetry_agrees_with_the_unreduced_graph() -> None:
    # download-in-flight strands a message queued for a spooler that may not take it (R20);
    # following message identities through the reduced graph must find what the full one does.
    model = Model(Config(messages=2, recipients=1, transports=1), "download-in-flight")
    reduced, full = check(model, symmetry=True), check(model, symmetry=False)
    verdicts = [{v.property.id: v.status for v in r.verdicts} for r in (reduced, full)]
    assert verdicts[0] == verdicts[1]
    assert verdicts[0]["L1"] == verdicts[0]["L3"] == "violated"
    assert verdicts[0]["L2"] == "holds"
    for result in (reduced, full):
        example = next(v for v in result.verdicts if v.property.id == "L1").counterexample
        assert example is not None and example.cycle_from is not None
        worlds = [example.start] + [world for _, world in example.steps]
        assert worlds[example.cycle_from] == worlds[-1]
        assert all(model.apply(before, step) == after for before, (step, after)
                   in zip(worlds, example.steps, strict=False))


def test_limit_makes_liveness_skipped_and_the_result_incomplete() -> None:
    result = check(Model(Config(messages=1)), max_states=50)
    assert result.exit_code == 2
    assert {v.status for v in result.verdicts} == {SKIPPED}


def test_liveness_counterexample_is_a_lasso_that_returns_to_its_start() -> None:
    # download-in-flight leaves a message queued for a spooler that may not take it (R20).
    model = Model(Config(messages=1), "download-in-flight")
    result = check(model)
    verdict = next(v for v in result.verdicts if v.property.id == "L1")
    example = verdict.counterexample
    assert example is not None and example.cycle_from is not None
    worlds = [example.start] + [world for _, world in example.steps]
    assert worlds[example.cycle_from] == worlds[-1]
    assert all(model.apply(before, step) == after for before, (step, after)
               in zip(worlds, example.steps, strict=False))


def test_compact_successors_equal_the_reference_successors() -> None:
    config = Config(messages=2, recipients=1, transports=2)
    for variant in (None, *sorted(VARIANTS)):
        model = Model(config, variant)
        explored = explore(model, symmetry=True, keep_edges=False, max_states=1500)
        worlds = CompactWorlds(model)
        for world in explored.states[::2]:
            reference = model.successors(world)
            fast = [(step, worlds.expand(after))
                    for step, after in worlds.successors(worlds.compact(world))]
            assert fast == reference
            for slot in range(len(world.messages)):
                one = [(step, worlds.expand(after))
                       for step, after in worlds.slot_successors(worlds.compact(world), slot)]
                assert one == model.message_successors(world, slot)
            for transport in range(len(world.transports)):
                one = [(step, worlds.expand(after)) for step, after
                       in worlds.slot_successors(worlds.compact(world), -1 - transport)]
                assert one == model.transport_successors(world, transport)


def test_stuck_message_is_reported_as_deadlock_and_unreachable_final_state() -> None:
    # location-only routes an Inbox message of a tight store nowhere: it stays submitted.
    result = check(Model(Config(messages=1, recipients=1), "location-only"))
    verdicts = {v.property.id: v for v in result.verdicts}
    for property_id in ("DEADLOCK", "L-FINAL"):
        example = verdicts[property_id].counterexample
        assert verdicts[property_id].status == "violated" and example is not None
        assert [step.row for step, _ in example.steps] == ["add-recipients", "submit"]
        assert example.steps[-1][1].messages[0].phase == "submitted"
    assert verdicts["I-ROUTE"].status == "violated"


def test_liveness_product_too_large_is_refused_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(liveness, "PRODUCT_EDGE_LIMIT", 1000)
    result = check(Model(Config(messages=2, recipients=1, transports=1)))
    skipped = {v.property.id for v in result.verdicts if v.status == SKIPPED}
    assert skipped == {"L1", "L2", "L3"}
    assert any("--no-symmetry" in warning for warning in result.warnings)
    assert result.exit_code == 0  # the checked properties hold; the warning says what was not


def test_the_queue_follows_submission_order_in_every_reachable_world() -> None:
    # R14, R25: the outgoing queue is sorted by submission time; submission_order lists exactly
    # the messages inside a submission, so a message queued late still lands at its place
    config = Config(messages=3, recipients=2, transports=2, profiles="shared",
                    address_mixes=("mixed",), coupling=("tight",), setbacks=0)
    explored = explore(Model(config), symmetry=False, keep_edges=False, max_states=60_000)
    tight_pair_queued_late = 0
    for world in explored.states:
        order = world.submission_order
        assert set(order) == {m for m, message in enumerate(world.messages)
                              if message.phase in IN_SUBMISSION}
        assert world.queue == tuple(m for m in order if m in world.queue)
        tight_pair_queued_late += any(
            world.messages[m].phase in SENT_DIRECTLY and world.queue
            and order.index(m) < order.index(world.queue[-1]) for m in order)
    assert tight_pair_queued_late, "no world has the tight pair sending an older message"
