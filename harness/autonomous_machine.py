"""The Hypothesis machine for a system that runs its own components (autonomous.py): each
step lets the system make its next calls as long as the draws say so, then gives it one input
the model enables on some world the log so far fits; the end of an example lets it run until
idle and closes the log. A failure
is the log validator's verdict on the log the run wrote, and that log is what `conform`
writes (``validate-log`` gives it the same verdict)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from mapi_submission.checker.files import write_atomic
from mapi_submission.model.engine import Model
from mapi_submission.model.world import World

from .adapter import AutonomousSystem
from .autonomous import AutonomousFailure, AutonomousRun
from .fair_draws import spread
from .machine import (
    FAVOURABLE,
    FAVOURED_BITS,
    SWARM,
    MachineRun,
    _choose,
    draw_step,
    run_as_test,
    swarm_kept,
)
from .machine_starts import drawn_start

#: While the system is busy, a patient tester lets it make its next calls in three draws out
#: of four and gives an input in the fourth; a hasty one the other way round. Each example
#: draws which tester it is (swarm testing): a hasty one gives inputs between the system's
#: calls (a transport's answer for one message while the tight pair is still sending
#: another), which is where a component acting on a stale view of another message shows; a
#: patient one lets each submission run its course.
PATIENT = [True, True, True, False]
HASTY = [True, False, False, False]


def autonomous_machine(model: Model, factory: Callable[[], AutonomousSystem],
                       starts: list[World] | None, run: MachineRun,
                       label: str = "adapter") -> type[RuleBasedStateMachine]:
    """A machine that starts the system from one of `starts` (None: any initial world of the
    model), gives it inputs and lets it run, judging every call it reports."""

    class AutonomousConformance(RuleBasedStateMachine):
        auto: AutonomousRun | None = None

        @initialize(start=drawn_start(starts, model.config),
                    left_out=st.tuples(*[st.booleans()] * len(SWARM)),
                    liked=st.tuples(*[spread(FAVOURED_BITS)] * len(FAVOURABLE)),
                    hasty=st.booleans())
        def begin(self, start: World, left_out: tuple[bool, ...],
                  liked: tuple[int, ...], hasty: bool) -> None:
            run.examples += 1
            self.offer_system = HASTY if hasty else PATIENT
            self.swarm = frozenset(row for row, out in zip(SWARM, left_out, strict=True) if out)
            favourite = (1 << FAVOURED_BITS) - 1
            self.favoured = frozenset(row for row, share in zip(FAVOURABLE, liked, strict=True)
                                      if share == favourite)
            self.tried: set[str] = set()
            self.auto = AutonomousRun(model, factory(), start)
            self._check(self.auto.failure)

        @rule(data=st.data())
        def act(self, data: st.DataObject) -> None:
            """One input, after as many of the system's calls as the draws let it make."""
            auto = self.auto
            assert auto is not None
            inputs = auto.inputs()
            while not auto.idle and (not inputs.steps
                                     or _choose(data, self.offer_system, "system")):
                self._check(auto.advance())
                inputs = auto.inputs()
            if not inputs.steps:
                return  # idle, and nothing the model lets a tester do: the run is over
            # an input that moves the model comes first (as the steered machine's steps)
            options = [step for step in inputs.steps if step in inputs.moving] or inputs.steps
            kept = swarm_kept(options, self.swarm)
            step = draw_step(data, kept or options, None, self.tried, self.favoured)
            self.tried.add(step.row)
            run.steps += 1
            self._check(auto.give(step, sure=step in inputs.sure))

        def teardown(self) -> None:
            auto = self.auto
            if auto is None or auto.failure is not None:
                return
            failure = auto.finish()
            if failure is None and len(auto.records) > run.example_records:
                run.example_records = len(auto.records)
                run.example_log = auto.log_text(f"conform --adapter {label}")
            self._check(failure)

        def _check(self, failure: AutonomousFailure | None) -> None:
            if failure is None:
                return
            assert self.auto is not None
            run.failed(failure)
            run.failure_log = self.auto.log_text(f"conform --adapter {label}")
            raise AssertionError(failure.describe())

    AutonomousConformance.__name__ = f"AutonomousConformance[{label}]"
    return AutonomousConformance


def run_autonomous_machine(model: Model, factory: Callable[[], AutonomousSystem], *,
                           machine_settings_: settings, starts: list[World] | None = None,
                           label: str = "adapter", seed: int | None = None,
                           run: MachineRun | None = None) -> MachineRun:
    """Run the machine; the MachineRun holds the shrunk failure and its call log."""
    run = run if run is not None else MachineRun()
    machine = autonomous_machine(model, factory, starts, run, label)
    return run_as_test(machine, run, machine_settings_, seed)


def export_failure_log(run: MachineRun, directory: Path) -> Path | None:
    """The shrunk failure's call log, written under `directory` (``validate-log`` reproduces
    the verdict)."""
    if run.failure_log is None:
        return None
    digest = hashlib.sha256(run.failure_log.encode()).hexdigest()[:8]
    path = directory / f"conform-autonomous-{digest}.jsonl"
    directory.mkdir(parents=True, exist_ok=True)
    write_atomic(path, run.failure_log)
    return path
