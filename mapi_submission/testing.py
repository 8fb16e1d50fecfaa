"""For users who write properties of their own: Hypothesis strategies over the model, and the
conformance machine as a class to run or extend.

    from hypothesis import given
    from mapi_submission.testing import configurations, enabled_runs

    @given(enabled_runs(max_steps=20))
    def test_my_store_agrees(run):
        start, steps = run       # an initial world and steps the model enables, in order
        ...

    Machine = conformance_machine_class(my_factory)   # a RuleBasedStateMachine
    TestConformance = Machine.TestCase

May import: model, checker, harness.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

from mapi_submission.harness.adapter import SystemUnderTest
from mapi_submission.harness.machine import MachineRun, conformance_machine
from mapi_submission.harness.machine_starts import drawn_start
from mapi_submission.model.config import COUPLINGS, Config
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.world import World

__all__ = ["configurations", "conformance_machine_class", "enabled_runs", "initial_worlds"]

#: the default configuration (conform's, the pytest plugin's)
DEFAULT = Config()


def configurations(max_messages: int = 2, max_recipients: int = 2,
                   max_transports: int = 2) -> st.SearchStrategy[Config]:
    """Small configurations: messages, recipients, transports, setbacks and the couplings
    explored; every feature at its default (the bounds keep exploring them quick)."""
    return st.builds(
        Config,
        messages=st.integers(1, max_messages),
        recipients=st.integers(1, max_recipients),
        transports=st.integers(1, max_transports),
        setbacks=st.integers(0, 2),
        coupling=st.sampled_from([COUPLINGS, *((c,) for c in COUPLINGS)]),
    )


def initial_worlds(config: Config = DEFAULT) -> st.SearchStrategy[World]:
    """An initial world of `config`, drawn feature by feature (the machine's own draw: it
    shrinks towards the plainest world)."""
    return drawn_start(None, config)


def enabled_runs(config: Config = DEFAULT, max_steps: int = 30,
                 variant: str | None = None) -> st.SearchStrategy[tuple[World, list[Step]]]:
    """An initial world and a sequence of steps the model (or a known-bad variant) enables
    one after the other, each taken: the paths the checker explores, drawn at random. It
    shrinks towards shorter runs and the first enabled step (table order)."""
    model = Model(config, variant)

    @st.composite
    def run(draw: st.DrawFn) -> tuple[World, list[Step]]:
        start = draw(initial_worlds(config))
        world, steps = start, []
        for _ in range(draw(st.integers(0, max_steps), label="steps")):
            successors = [(step, after) for step, after in model.successors(world)
                          if after != world]
            if not successors:
                break
            step, world = successors[draw(st.integers(0, len(successors) - 1),
                                          label="step")]
            steps.append(step)
        return start, steps

    return run()


def conformance_machine_class(factory: Callable[[], SystemUnderTest],
                              config: Config = DEFAULT,
                              label: str = "adapter") -> type[RuleBasedStateMachine]:
    """The machine `conform` and the pytest plugin run, as a RuleBasedStateMachine class:
    its `TestCase` runs under the Hypothesis settings in force; subclass it to add rules or
    invariants of your own. A divergence fails with the report `conform` prints."""
    run: Any = MachineRun()
    return conformance_machine(Model(config), factory, None, run, label)
