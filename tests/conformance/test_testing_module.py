"""mapi_submission.testing: the strategies and the machine class users build on."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.stateful import run_state_machine_as_test

from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model
from mapi_submission.reference import MUTANTS, ReferenceSystem
from mapi_submission.testing import (
    configurations,
    conformance_machine_class,
    enabled_runs,
    initial_worlds,
)

ONE = Config(messages=1)
QUICK = settings(max_examples=25, deadline=None, database=None, derandomize=True,
                 suppress_health_check=list(HealthCheck))


@QUICK
@given(enabled_runs(ONE, max_steps=15))
def test_every_step_of_a_drawn_run_is_enabled_where_it_is_taken(
        run: tuple[object, list[object]]) -> None:
    model = Model(ONE)
    world, steps = run
    assert world in model.initial_worlds()
    for step in steps:
        world = dict(model.successors(world))[step]  # KeyError: not enabled there


@QUICK
@given(configurations(max_messages=1, max_recipients=1, max_transports=1))
def test_drawn_configurations_build_models(config: Config) -> None:
    assert Model(config).initial_worlds()


@QUICK
@given(initial_worlds(ONE))
def test_drawn_initial_worlds_are_the_configurations(world: object) -> None:
    assert world in Model(ONE).initial_worlds()


def test_the_machine_class_passes_the_reference_and_fails_a_mutant() -> None:
    quick = settings(QUICK, max_examples=20, stateful_step_count=20)
    run_state_machine_as_test(conformance_machine_class(ReferenceSystem, ONE), settings=quick)
    broken = conformance_machine_class(MUTANTS["download-in-flight"].build, ONE)
    with pytest.raises(AssertionError, match="R20") as failed:
        run_state_machine_as_test(broken, settings=quick)
    # Hypothesis's own printout of the failing example reads as the numbered MAPI calls
    notes = "\n".join(getattr(failed.value, "__notes__", []))
    assert "1. client: IMessage::ModifyRecipients [add-recipients] (message 0)" in notes
    assert "(the system answered S_OK)" in notes
    # and its draws show the calls and targets chosen, not the integers drawn
    assert "(call): 'IMessage::ModifyRecipients'" in notes
    assert "(step): message 0, recipient 0" in notes
    assert "(call): 0" not in notes
