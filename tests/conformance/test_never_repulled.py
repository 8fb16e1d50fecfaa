"""The design's central safety promise as a Hypothesis stateful test: a message the tight pair
is actively sending is never pulled again by the spooler (R20, the seed page's bug), checked
on an implementation driven in lockstep with the model.

The machine works a tightly coupled store whose messages each go partly through the pair and
partly through the spooler (R23): the client composes and submits, the spooler with its
transports, and the pair, each a rule of its own, so Hypothesis interleaves them freely. In
half the runs the pair is slow (it sends only while the spooler has nothing to do), so one
message stays on the pair's wire while the spooler finishes another, which is where a pick-up
scan that re-pulls it shows. After every step the invariant asks the implementation itself:
no message the pair is sending is locked or queued for the spooler.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from mapi_submission.harness.adapter import SystemUnderTest
from mapi_submission.harness.lockstep import Lockstep
from mapi_submission.model.actors import Actor
from mapi_submission.model.config import Config, Features
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.table import ROWS_BY_NAME
from mapi_submission.reference import MUTANTS, make_reference

#: Three messages of a tight store, each with an EX recipient the pair sends and an SMTP one
#: it leaves to the spooler (R23); no setback, so every submission can run to its end.
CONFIG = Config(
    messages=3, recipients=2, transports=2, setbacks=0, coupling=("tight",),
    address_mixes=("mixed",), folders=("outbox",), dispositions=("leave",),
    features=Features(preprocessing=False, deferral=False, resend=False, abort=False,
                      save_conflicts=False, transport_failures=False))
MODEL = Model(CONFIG)
#: The client's calls that carry a message forward to submission (the others send it back or
#: end it, which only shortens the interleavings this test is about).
COMPOSING = frozenset({"add-recipients", "save", "submit"})
REPULL_MUTANTS = ("repull-in-flight", "repull-in-flight-while-finishing")
SEEDS = range(1, 11)
EXAMPLES = 100


def _of(actors: frozenset[Actor]) -> Callable[[Step], bool]:
    return lambda step: ROWS_BY_NAME[step.row].actor in actors


CLIENT_STEP = _of(frozenset({Actor.CLIENT}))
PAIR_STEP = _of(frozenset({Actor.TIGHT_PAIR}))
SPOOLER_STEP = _of(frozenset({Actor.SPOOLER, Actor.TRANSPORT, Actor.STORE}))


def never_repulled_machine(factory: Callable[[], SystemUnderTest]
                           ) -> type[RuleBasedStateMachine]:
    class MessageOnThePairsWireIsNeverRepulled(RuleBasedStateMachine):
        lockstep: Lockstep

        @initialize(start=st.sampled_from(MODEL.initial_worlds()), slow_pair=st.booleans())
        def start(self, start: object, slow_pair: bool) -> None:
            self.slow_pair = slow_pair
            self.lockstep = Lockstep(MODEL, factory(), start)  # type: ignore[arg-type]
            self._check()

        def _options(self, kind: Callable[[Step], bool]) -> list[Step]:
            """The steps of one kind that move the world (the decisions the model does not
            enable are asked for after every step by the lockstep itself)."""
            options, moves = self.lockstep.options_and_moves()
            found = [s for s in options if s in moves and kind(s)
                     and (not CLIENT_STEP(s) or s.row in COMPOSING)]
            if kind is PAIR_STEP and self.slow_pair and self._options(SPOOLER_STEP):
                return []  # a slow pair sends only while the spooler has nothing to do
            return found

        def _take(self, data: st.DataObject, kind: Callable[[Step], bool]) -> None:
            options = self._options(kind)
            self.lockstep.take(data.draw(st.sampled_from(options), label="step"))
            self._check()

        def _check(self) -> None:
            failure = self.lockstep.failure
            assert failure is None, failure.describe()

        @precondition(lambda self: bool(self._options(CLIENT_STEP)))
        @rule(data=st.data())
        def client_composes_and_submits(self, data: st.DataObject) -> None:
            self._take(data, CLIENT_STEP)

        @precondition(lambda self: bool(self._options(SPOOLER_STEP)))
        @rule(data=st.data())
        def spooler_and_transports_work(self, data: st.DataObject) -> None:
            self._take(data, SPOOLER_STEP)

        @precondition(lambda self: bool(self._options(PAIR_STEP)))
        @rule(data=st.data())
        def tight_pair_sends(self, data: st.DataObject) -> None:
            self._take(data, PAIR_STEP)

        @precondition(lambda self: not any(self._options(kind) for kind in
                                           (CLIENT_STEP, SPOOLER_STEP, PAIR_STEP)))
        @rule()
        def every_message_has_ended(self) -> None:
            """Nothing moves any more: the run idles until its steps are used up."""

        @invariant()
        def no_message_the_pair_is_sending_is_locked_or_queued(self) -> None:
            shown = self.lockstep.system.observe()
            for index, message in enumerate(self.lockstep.world.messages):
                if message.inflight:
                    seen = shown.messages[index]
                    assert not seen.locked and index not in shown.queue, (
                        f"message {index} is on the tight pair's wire, and the spooler has "
                        f"{'locked' if seen.locked else 'queued'} it (R20)")

    return MessageOnThePairsWireIsNeverRepulled


def _run(factory: Callable[[], SystemUnderTest], seed: int | None) -> None:
    machine = never_repulled_machine(factory)
    if seed is not None:
        machine._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    run_state_machine_as_test(machine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=40, deadline=None, database=None,
        derandomize=seed is None, phases=[Phase.explicit, Phase.generate],
        print_blob=False, report_multiple_bugs=False))


def test_a_message_the_tight_pair_is_sending_is_never_repulled_by_the_reference() -> None:
    _run(make_reference, seed=None)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mutant", REPULL_MUTANTS)
def test_a_spooler_that_repulls_it_is_caught_within_the_examples(mutant: str,
                                                                 seed: int) -> None:
    with pytest.raises(AssertionError, match="R20"):
        _run(MUTANTS[mutant].build, seed=seed)
