"""The lockstep driver: a system under test and the model, started from the same world and
stepped together, the model being the oracle.

`Lockstep.take(step)` performs one model step on the implementation and accepts the answer
if it matches some enabled row of the same call (several rows may share a call: AbortSubmit
may succeed or fail on a queued message, R69), comparing the result code and the whole
observation; every state and step property of `mapi_submission.properties` is evaluated on
the implementation's observations (the model's world with every observable field replaced
by what the implementation shows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hypothesis import currently_in_test_context, note

from mapi_submission.checker.counterexamples import describe_step
from mapi_submission.model.constants import S_OK
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.table import ROWS_BY_NAME
from mapi_submission.model.world import World
from mapi_submission.properties import state_properties, step_properties

from .adapter import NOT_DUE, Observation, SystemUnderTest
from .adapter_calls import (
    CALL_SHAPES,
    AdapterCall,
    acting_row,
    call_for,
    expected_answer,
    first_row_of,
    gives_answer,
    invoke,
)
from .decision_probes import calls_not_due, declined, probe_step, why_not_due
from .observations import (
    differences,
    model_observation,
    normalized,
    read_as_model,
    setup_for,
    shadow_world,
)

#: The pseudo-row of a divergence found before any call: the implementation's first
#: observation already differs from the model's initial world.
START = "(start)"


@dataclass
class LockstepDivergence:
    """The implementation answered or showed something no enabled row of the call allows, or
    broke a property."""

    step_index: int
    step: Step
    call: AdapterCall | None
    expected_result: str
    actual_result: str
    differences: list[str]
    properties: list[str]
    rules: tuple[str, ...]
    #: for a decision the harness asked for where the model does not enable it: why not
    not_due: str = ""
    #: the model's world the call was made in (None: before any call)
    world: World | None = None

    @property
    def at_start(self) -> bool:
        return self.step.row == START

    def describe(self) -> str:
        if self.at_start:
            return "\n".join(["at the start, before any call: the implementation's initial "
                              "observation differs from the model's",
                              *(f"  {d}" for d in self.differences[:12])])
        row = ROWS_BY_NAME[self.step.row]
        selecting = "|".join(value for _, value in row.call_arguments)
        where = (f"step {self.step_index}: {row.actor} {row.event}"
                 + (f"({selecting})" if selecting else "")
                 + f" on {row.target(self.step.message, self.step.arg)}"
                 + f" (model row {self.step.row}; rules {', '.join(self.rules)})")
        if self.not_due:
            where = where.replace(f"step {self.step_index}: ",
                                  f"after step {self.step_index}, asked for ", 1)
        lines = [where]
        if self.not_due:
            lines.append(f"  {self.not_due}")
        if self.expected_result != self.actual_result:
            lines.append(f"  result: expected {self.expected_result}, got {self.actual_result}")
        lines += [f"  property {p}" for p in self.properties]
        lines += [f"  {d}" for d in self.differences[:12]]
        return "\n".join(lines)


def pulled_off_the_wire(world: World, shown: Observation) -> list[str]:
    """The messages the model has on the tight pair's wire that the implementation shows
    locked or queued for the spooler: the design's central safety rule broken (R20)."""
    found = []
    for index, message in enumerate(world.messages):
        if not message.inflight or index >= len(shown.messages):
            continue
        seen = shown.messages[index]
        taken = [word for word, done in (("locked", seen.locked),
                                         ("queued", seen.in_queue or index in shown.queue))
                 if done]
        if taken:
            found.append(f"message {index} is on the tight pair's wire, and the spooler has "
                         f"{' and '.join(taken)} it (R20)")
    return found


def _with_r20(rules: tuple[str, ...], pulled: list[str]) -> tuple[str, ...]:
    return ("R20", *(r for r in rules if r != "R20")) if pulled else rules


@dataclass(frozen=True)
class _StepNote:
    """A step taken, as Hypothesis prints it among a failing example's notes."""

    model: Model
    number: int
    step: Step
    before: World
    result: str

    def __repr__(self) -> str:
        return (f"{describe_step(self.model, self.number, self.step, self.before)}"
                f"  (the system answered {self.result})")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints a note that is not a string with its pretty printer, which lays
        # a dataclass out field by field; the line is what it should print
        printer.text(repr(self))


class Lockstep:
    """A system under test and the model, started from the same world, stepped together."""

    def __init__(self, model: Model, system: SystemUnderTest, start: World, *,
                 probe_decisions: bool = True) -> None:
        self.model = model
        self.config = model.config
        self.system = system
        self.start = start
        self.world = start
        self.steps: list[tuple[Step, World]] = []
        system.start(setup_for(self.config, start))
        self.failure: LockstepDivergence | None = None
        self.shadow = start
        self.probe_decisions = probe_decisions
        self._known: tuple[World, list[tuple[Step, World]]] | None = None
        self._check_initial()
        if self.failure is None:
            self.failure = self._probe()

    def _check_initial(self) -> None:
        actual = read_as_model(normalized(self.system.observe()), self.start)
        expected = model_observation(self.config, self.start)
        if actual != expected:
            self.failure = LockstepDivergence(0, Step(START, -1, -1), None, S_OK, S_OK,
                                              differences(expected, actual), [], ())

    def _successors(self, world: World) -> list[tuple[Step, World]]:
        """The model's successors of `world`, kept for the world the run is in (the options,
        the step taken from it and the decisions probed there all ask for them)."""
        if self._known is None or self._known[0] is not world:
            self._known = (world, self.model.successors(world))
        return self._known[1]

    def options(self) -> list[Step]:
        """The steps the harness may take now: every enabled step with an adapter call; none
        once every message is in a state it never leaves (a legitimate end, not an error)."""
        if self.model.is_final(self.world):
            return []
        return [step for step, _ in self._successors(self.world)
                if CALL_SHAPES[step.row] is not None]

    def options_and_moves(self) -> tuple[list[Step], frozenset[Step]]:
        """`options`, with those of them that change the model's world (the others are
        refusals, a read-only open, a copy, a save with nothing to save: calls that leave it
        as it is), from one computation of the successors."""
        if self.model.is_final(self.world):
            return [], frozenset()
        successors = [(step, after) for step, after in self._successors(self.world)
                      if CALL_SHAPES[step.row] is not None]
        return ([step for step, _ in successors],
                frozenset(step for step, after in successors if after != self.world))

    def take(self, step: Step) -> LockstepDivergence | None:
        """Perform `step` on the implementation; None when it conforms."""
        call = call_for(step)
        if call is None:
            raise ValueError(f"{step.row} happens inside another call; it is not taken alone")
        before = self.world
        result = invoke(self.system, call)
        shown = normalized(self.system.observe())
        candidates = [(s, w) for s, w in self._successors(before) if call_for(s) == call]
        candidates.sort(key=lambda sw: sw[0] != step)
        matched = next(((candidate, after) for candidate, after in candidates
                        if gives_answer(ROWS_BY_NAME[candidate.row], result)
                        and model_observation(self.config, after)
                        == read_as_model(shown, after)), None)
        chosen, chosen_after = matched if matched else (step, dict(candidates)[step])
        actual = read_as_model(shown, chosen_after)
        judged = self._judge(before, chosen_after, call, step, result, actual, chosen)
        self.steps.append((chosen, chosen_after))
        if currently_in_test_context():
            # Hypothesis prints a failing example's notes: its run reads as the MAPI calls
            # made, numbered as the shrunk case's program, with what the system answered;
            # formatted only when printed (every step of every example makes one)
            note(_StepNote(self.model, len(self.steps), chosen, before, result))
        if matched is None or judged:
            expected = model_observation(self.config, chosen_after)
            row = ROWS_BY_NAME[step.row]
            pulled = pulled_off_the_wire(chosen_after, shown)
            self.failure = LockstepDivergence(
                len(self.steps) - 1, step, call, expected_answer(row), result,
                pulled + (differences(expected, actual) if matched is None else []), judged,
                _with_r20(row.rules, pulled), world=before)
            return self.failure
        self.world = chosen_after
        self.failure = self._probe()
        return self.failure

    def _probe(self) -> LockstepDivergence | None:
        """Ask the system for each of its own decisions the model does not enable here
        (harness/decision_probes.py): it must answer NOT_DUE and change nothing."""
        if not self.probe_decisions or self.model.is_final(self.world):
            return None
        seen = self.system.observe()
        shown = normalized(seen)
        for call in calls_not_due(self.world, self._successors(self.world)):
            result = invoke(self.system, call, probe=True)
            now = self.system.observe()
            # normalized only when it changed (a bit the rules do not speak about is no change)
            after = shown if now == seen else normalized(now)
            if after == shown and declined(call, result):
                continue
            expected = model_observation(self.config, self.world)
            reason, rules = why_not_due(self.model, self.world, call)
            pulled = pulled_off_the_wire(self.world, after)
            return LockstepDivergence(
                len(self.steps), probe_step(call), call, NOT_DUE, result,
                pulled + differences(expected, read_as_model(after, self.world)), [],
                _with_r20(rules, pulled), not_due=reason, world=self.world)
        return None

    def _judge(self, before: World, after: World, call: AdapterCall, step: Step, result: str,
               actual: Observation, model_step: Step) -> list[str]:
        """Every property of the properties module on the implementation's observations. A
        property the model itself breaks on the same step (a consequence of the reading the
        run follows, for example I-P1 when resent rows are transmitted again, R75) is not held
        against the implementation."""
        shadow = shadow_world(after, actual)
        if shadow is None:
            return ["(observation shape differs from the setup)"]
        acting = acting_row(call, result) or ROWS_BY_NAME[step.row]
        model_row = ROWS_BY_NAME[model_step.row]
        found = []
        for prop in state_properties():
            problem = prop.check(self.config, shadow)
            if problem and not prop.check(self.config, after):
                found.append(f"{prop.id} ({', '.join(prop.rules)}): {problem}")
        for prop in step_properties():
            problem = prop.check(self.config, self.shadow, acting, step, shadow)
            if problem and not prop.check(self.config, before, model_row, model_step, after):
                found.append(f"{prop.id} ({', '.join(prop.rules)}): {problem}")
        self.shadow = shadow
        return found

    def refuse(self, call: AdapterCall, codes: Iterable[str]) -> LockstepDivergence | None:
        """A call the model refuses with one of `codes`: the implementation must answer one of
        them and change nothing observable."""
        result = invoke(self.system, call)
        actual = read_as_model(normalized(self.system.observe()), self.world)
        expected = model_observation(self.config, self.world)
        allowed = sorted(codes)
        if result in allowed and actual == expected:
            return None
        row = first_row_of(call)
        self.failure = LockstepDivergence(len(self.steps), Step(row.name, call.message, call.arg),
                                          call, " or ".join(allowed), result,
                                          differences(expected, actual), [], row.rules,
                                          world=self.world)
        return self.failure
