"""How the steered machine draws a run: the initial world without listing the worlds, the
messages the tight pair is slow to send, and examples that run all their steps."""

from __future__ import annotations

import random
from typing import Any

import pytest

from mapi_submission.harness import machine
from mapi_submission.harness.machine import (
    PAIR_WIRE_ROWS,
    machine_settings,
    run_machine,
    swarm_kept,
)
from mapi_submission.harness.machine_starts import (
    narrowed,
    picked_initial_world,
    start_features,
)
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.world import initial_worlds
from mapi_submission.reference import ReferenceSystem

CONFIGS = [
    Config(messages=2, profiles="independent"),
    Config(messages=3),
    Config(messages=1, coupling=("loose",)),
    Config(messages=2, profiles="independent", address_mixes=("mixed",)),
]


@pytest.mark.parametrize("config", CONFIGS, ids=["independent", "shared", "one", "mixed"])
def test_the_initial_world_is_drawn_as_from_the_listed_worlds(config: Config) -> None:
    # the same picks give the same world whether or not the worlds were listed, so a run on
    # the model's own starts and one on the same starts passed in (conform) agree
    listed = [(start_features(world), world) for world in initial_worlds(config)]
    reached = set()
    for seed in range(200):
        listing, building = random.Random(seed), random.Random(seed)
        world = picked_initial_world(building.randrange, config)
        assert world == narrowed(listing.randrange, listed)
        reached.add(world)
    assert len(reached) > min(20, len(listed) // 2)  # not one world over and over


def test_the_plainest_picks_give_the_first_initial_world() -> None:
    config = Config(messages=3, profiles="independent")
    assert picked_initial_world(lambda count: 0, config) == initial_worlds(config)[0]


def test_the_pair_steps_on_a_slow_message_wait_for_every_other_step() -> None:
    wire = sorted(PAIR_WIRE_ROWS)[0]
    on_wire = Step(wire, 0, -1)
    client = Step("add-recipients", 1, -1)
    spooler = Step("lock", 1, -1)
    # message 0 is slow: its pair step waits for a client composing another message as for
    # the spooler
    assert swarm_kept([on_wire, client, spooler], frozenset(), frozenset({0})) == [
        client, spooler]
    assert swarm_kept([on_wire, client], frozenset(), frozenset({0})) == [client]
    assert swarm_kept([on_wire], frozenset(), frozenset({0})) == [on_wire]
    # but not for a client's call on the message itself: alone, a slow message still goes
    own_client = Step("open-queued", 0, -1)
    assert swarm_kept([on_wire, own_client], frozenset(), frozenset({0})) == [
        own_client, on_wire]
    # not slow: the pair's step is an option like any other
    assert swarm_kept([on_wire, client], frozenset(), frozenset({1})) == [on_wire, client]
    # a row the swarm leaves out waits for the other components only, not for a client
    assert swarm_kept([on_wire, client], frozenset({wire}), frozenset()) == [client, on_wire]


def test_every_example_runs_all_its_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    # Hypothesis's own stop of a run is never drawn: each example makes its 39 acts (the 40
    # steps count the initial world's draw); before, half the examples ended after a few.
    # Those Hypothesis abandons as overrun (a copy of an example with a stretch of choices
    # duplicated, run out of choices) are the short ones.
    acts: list[int] = []
    probes = machine.pure_probes

    def counted(*arguments: Any) -> Any:  # called once at the start of every act
        acts[-1] += 1
        return probes(*arguments)

    def factory() -> ReferenceSystem:
        acts.append(0)
        return ReferenceSystem()

    monkeypatch.setattr(machine, "pure_probes", counted)
    run = run_machine(Model(Config(messages=2)), factory,
                      machine_settings_=machine_settings(50, shrink=False))
    assert run.failure is None
    full = [count for count in acts if count == 39]
    assert len(full) >= 0.7 * len(acts), sorted(acts)
