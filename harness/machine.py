"""The Hypothesis machine: a RuleBasedStateMachine with one rule that chooses among the steps
the model says are enabled and takes it in lockstep on the implementation; `run_machine` runs
it and keeps the shrunk failure as a regression case."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from mapi_submission.checker.cases import build_case, write_case
from mapi_submission.model.actors import Actor
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.states import REMOVED, STATE_NAMES
from mapi_submission.model.table import ROWS_BY_NAME, TABLE
from mapi_submission.model.world import World

from .adapter import SystemUnderTest
from .lockstep import Lockstep, LockstepDivergence


@dataclass
class MachineRun:
    """What one run of the machine saw: examples tried, the first failure and when."""

    examples: int = 0
    first_failure_example: int | None = None
    first_failure_seconds: float | None = None
    failure: LockstepDivergence | None = None
    failure_case: dict[str, Any] | None = None
    started: float = field(default_factory=time.perf_counter)
    steps: int = 0


def failure_case(lockstep: Lockstep, failure: LockstepDivergence, label: str,
                 seed: int | None) -> dict[str, Any]:
    """The failing run as a regression case (test-generation format)."""
    steps = lockstep.steps
    digest = hashlib.sha256(repr([(s.row, s.message, s.arg) for s, _ in steps]).encode())
    where = "start" if failure.at_start else failure.step.row
    case_id = f"conform-{label}-{where}-{digest.hexdigest()[:8]}"
    title = f"{label}: {failure.describe().splitlines()[0]}"
    return build_case(lockstep.model, case_id, title, lockstep.start, list(steps),
                      criterion="conformance", target=None if failure.at_start else where,
                      seed=seed)


STATE_RANK = {name: rank for rank, name in enumerate(STATE_NAMES)}
TABLE_INDEX = {row.name: index for index, row in enumerate(TABLE)}


def _forward_first(name: str) -> tuple[bool, bool, bool, bool, int]:
    """Hypothesis draws the first of a list often and shrinks towards it, so the order of the
    rows makes the first choices the ordinary way forward: the message's own client before
    another handle, client calls that do not send the message back (reopen, abort) before
    those that do, deletion (which ends the run) late, then table order (the life-cycle's);
    refused calls, which change nothing, last."""
    row = ROWS_BY_NAME[name]
    dest = row.dest or ""
    backward = row.actor.is_client and dest in STATE_RANK and STATE_RANK[dest] < min(
        STATE_RANK.get(source, 0) for source in row.sources)
    return (row.is_error, row.actor is Actor.OTHER_CLIENT, backward, dest in REMOVED,
            TABLE_INDEX[name])


T = TypeVar("T")

#: Choices are drawn as an integer in [0, SPREAD) modulo the number of options: Hypothesis
#: favours small integers strongly, which on a short list would make the first option almost
#: the only one; modulo a wide range the options come out close to evenly while shrinking
#: still leads to the first (the ordinary way forward, see _forward_first).
SPREAD = 1 << 12


def _choose(data: st.DataObject, options: list[T], label: str) -> T:
    if len(options) == 1:
        return options[0]
    return options[data.draw(st.integers(0, SPREAD - 1), label=label) % len(options)]


#: Deleting a draft ends that message's run; it is offered in one draw out of four, so that
#: most runs get past composition (the deep rules are all after SubmitMessage).
OFFER_ENDING = [False, False, False, True]
#: A side whose every enabled call would be refused (the spooler asking to lock a draft, which
#: is not queued) is offered in one draw out of four when the other side can move: offered
#: evenly, such refusals would take half the steps of a message's composition.
OFFER_REFUSED = [False, False, False, True]


def draw_step(data: st.DataObject, options: list[Step]) -> Step:
    """One of the enabled steps: first the side (the system's own components, or its
    clients), then the row, then the message and argument. Drawing the side first keeps the
    many calls a client may make (most of them refused) from crowding out the spooler and
    transport steps that carry a submission forward; every enabled step stays reachable
    (a side with only refused calls, and deletion of a draft, which ends the run, less often:
    OFFER_REFUSED, OFFER_ENDING)."""
    sides = sorted({ROWS_BY_NAME[s.row].actor.is_client for s in options})
    moving = [side for side in sides if any(not ROWS_BY_NAME[s.row].is_error for s in options
                                            if ROWS_BY_NAME[s.row].actor.is_client == side)]
    if moving and len(moving) < len(sides) and _choose(data, OFFER_REFUSED,
                                                       "refused") is False:
        sides = moving
    client = _choose(data, sides, "client")
    candidates = [s for s in options if ROWS_BY_NAME[s.row].actor.is_client == client]
    rows = sorted(dict.fromkeys(s.row for s in candidates), key=_forward_first)
    ending = [name for name in rows if ROWS_BY_NAME[name].dest in REMOVED]
    if ending and len(ending) < len(rows) and _choose(data, OFFER_ENDING, "ending") is False:
        rows = [name for name in rows if name not in ending]
    row = _choose(data, rows, "row")
    return _choose(data, [s for s in candidates if s.row == row], "step")


#: Hypothesis seeds a derandomized run from the source text of the machine class (it hashes
#: it: hypothesis.internal.reflection.function_digest), so any edit inside `Conformance`
#: changes which examples every `conform` and `mutants` run tries. The class keeps the text
#: the kill matrix of docs/conformance.md was measured with, where a lockstep failure is
#: annotated under this name.
Divergence = LockstepDivergence


def conformance_machine(model: Model, factory: Callable[[], SystemUnderTest],
                        starts: list[World], run: MachineRun, label: str = "adapter",
                        seed: int | None = None) -> type[RuleBasedStateMachine]:
    """A machine that starts model and implementation from one of `starts` and then takes,
    at each step, one of the steps the model says are enabled."""

    class Conformance(RuleBasedStateMachine):
        lockstep: Lockstep | None = None

        @initialize(start=st.sampled_from(starts))
        def begin(self, start: World) -> None:
            run.examples += 1
            self.lockstep = Lockstep(model, factory(), start)
            self._check(self.lockstep.failure)

        @rule(data=st.data())
        def act(self, data: st.DataObject) -> None:
            assert self.lockstep is not None
            options = self.lockstep.options()
            if not options:
                return  # every message finished or deleted: nothing is owed
            step = draw_step(data, options)
            run.steps += 1
            self._check(self.lockstep.take(step))

        def _check(self, failure: Divergence | None) -> None:
            if failure is None:
                return
            assert self.lockstep is not None
            if run.first_failure_example is None:
                run.first_failure_example = run.examples
                run.first_failure_seconds = time.perf_counter() - run.started
            run.failure = failure
            run.failure_case = failure_case(self.lockstep, failure, label, seed)
            raise AssertionError(failure.describe())

    Conformance.__name__ = f"Conformance[{label}]"
    return Conformance


def machine_settings(examples: int, steps: int = 40, *, explain: bool = False,
                     derandomize: bool = True) -> settings:
    """Settings for a harness run: the explain phase is left out unless asked for (it costs
    seconds to minutes per failure on this machine and adds nothing a shrunk case does not
    already show)."""
    phases = [Phase.explicit, Phase.generate, Phase.shrink]
    if explain:
        phases.append(Phase.explain)
    return settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                    derandomize=derandomize, database=None, phases=phases,
                    suppress_health_check=list(HealthCheck), print_blob=False,
                    report_multiple_bugs=False)


def run_machine(model: Model, factory: Callable[[], SystemUnderTest], *,
                machine_settings_: settings, starts: list[World] | None = None,
                label: str = "adapter", seed: int | None = None) -> MachineRun:
    """Run the machine; the returned MachineRun holds the shrunk failure, if any, as a case."""
    run = MachineRun()
    machine = conformance_machine(model, factory, starts or model.initial_worlds(), run, label,
                                  seed)
    if seed is not None:
        machine._hypothesis_internal_use_seed = seed
    try:
        run_state_machine_as_test(machine, settings=machine_settings_)
    except AssertionError:
        if run.failure is None:
            raise
    return run


def export_failure(run: MachineRun, directory: Path) -> Path | None:
    if run.failure_case is None:
        return None
    return write_case(directory, run.failure_case)
