"""Conformance of a system that runs its own components (adapter.AutonomousSystem): the
harness gives it inputs, lets it run, and judges the calls it reports with the log
validator, so the harness and ``validate-log`` are one judge.

The run is a call log being written. An input the harness gives (a client's call, a
transport's answer or failure, a timer, a restart) is a record the harness writes from what
the system answered and showed; the calls the system's spooler, store, preprocessors and
tight pair make are the records it reports from `advance`; each time the system is idle the
spooler's read of the outgoing queue is a record too (a message re-pulled from the tight
pair's wire shows there, R20). Each record is fed to a `LogValidator` started exactly as
``validate-log`` starts on the log's header, so the verdict on a run is the verdict
``validate-log`` gives the log it wrote, record for record.

The harness chooses an input among the calls the model enables on some world the log so far
is consistent with (`Inputs`); a system may decline one that not every such world enables,
since the log has not shown which world it is in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mapi_submission.checker.cases import initial_from_json, initial_to_json
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.table import OPTIONAL_DECISIONS, ROWS_BY_NAME, SYSTEM_DECISIONS
from mapi_submission.model.world import World

from .adapter import NOT_DUE, AutonomousSystem
from .adapter_calls import CALL_SHAPES, AdapterCall, call_for, invoke
from .implementation_logs import call_record, queue_read
from .log_format import LogError, check_record, dump_records, message_id
from .observations import differences, model_observation, normalized, read_as_model, setup_for
from .replay import ReplayOutcome
from .validate_log import LogValidator

#: The calls a system may make in a row without becoming idle before the harness calls it a
#: runaway (per message: a submission takes some twenty steps at most, each component's)
BUSY_CALLS_PER_MESSAGE = 60


#: The adapter methods an autonomous system needs: `start`, `observe`, `advance` and the
#: inputs (every call of a row that is not a decision of the system's own components).
AUTONOMOUS_METHODS: frozenset[str] = frozenset(
    {"start", "observe", "advance"}
    | {shape.method for name, shape in CALL_SHAPES.items()
       if shape is not None and name not in SYSTEM_DECISIONS})


@dataclass(frozen=True)
class AutonomousFailure:
    """Where a run of an autonomous system left what the model allows: at the start (its first
    observation), at a log line (the validator's reason), or by never going idle."""

    line: int  # the log line judged (1 is the header: 0 means before any record)
    text: str
    rules: tuple[str, ...]
    #: the log validator's verdict on the log written (``validate-log`` gives it too); not
    #: so for a system that broke the protocol (a malformed record, an exception, no idle)
    by_validator: bool = False

    def describe(self) -> str:
        return self.text


@dataclass(frozen=True)
class Inputs:
    """What the harness may give the system now. The log may fit several model worlds (a
    transport's S_OK with recipients left reads as "not now" or as "not mine", R47, R49):
    `steps` are the inputs some of them enable, `sure` those all of them enable (a system
    may decline one that is not sure: it is in a world where the input does not apply),
    `moving` those that change the model's world in some of them (the others, a transport's
    FlushQueues, a refused call, leave it as it is)."""

    steps: list[Step]
    moving: frozenset[Step]
    sure: frozenset[Step]


def is_autonomous(system: object) -> bool:
    """Whether the system runs its own components (it has `advance`)."""
    return callable(getattr(system, "advance", None))


class AutonomousRun:
    """One run of an autonomous system: inputs given, the system's calls judged."""

    def __init__(self, model: Model, system: AutonomousSystem, start: World) -> None:
        self.model = model
        self.config = model.config
        self.system = system
        self.start = start
        self.every_step = bool(getattr(system, "logs_every_step", False))
        self.records: list[dict[str, Any]] = []
        #: the calls of its own the system reported
        self.reported = 0
        self.failure: AutonomousFailure | None = None
        #: the system said it has nothing to do (and no input came since)
        self.idle = False
        #: the log has its end-of-run line: nothing more happens
        self.ended = False
        self._ids = {message_id(index): index for index in range(self.config.messages)}
        self.validator = LogValidator(model, [start], all_steps_logged=self.every_step)
        system.start(setup_for(self.config, start))
        shown = read_as_model(normalized(system.observe()), start)
        expected = model_observation(self.config, start)
        if shown != expected:
            found = differences(expected, shown)[:12]
            self.failure = AutonomousFailure(0, "\n".join(
                ["at the start, before any call: the implementation's initial observation "
                 "differs from the model's", *(f"  {d}" for d in found)]), ())

    # ---- the inputs the harness may give ----------------------------------------------------

    def inputs(self) -> Inputs:
        """The inputs the model enables on some world consistent with the log, one step per
        adapter call, its message numbered as the system numbers it."""
        if self.ended:
            return Inputs([], frozenset(), frozenset())
        self.validator.close_under_silent_steps()
        worlds = [(self.validator.worlds.expand(compact), binding)
                  for compact, binding in self.validator.candidates]
        if all(self.model.is_final(world) for world, _ in worlds):
            return Inputs([], frozenset(), frozenset())  # nothing is owed any more
        found: dict[AdapterCall, Step] = {}
        moving: set[AdapterCall] = set()
        sure: set[AdapterCall] | None = None
        for world, binding in worlds:
            here: set[AdapterCall] = set()
            for step, after in self.model.successors(world):
                if step.row in SYSTEM_DECISIONS or CALL_SHAPES[step.row] is None:
                    continue
                for index in self._indices(world, binding.ids, step.message):
                    named = Step(step.row, index, step.arg)
                    call = call_for(named)
                    if call is not None:
                        found.setdefault(call, named)
                        here.add(call)
                        if after != world:
                            moving.add(call)
            sure = here if sure is None else sure & here
        steps = sorted(found.values(), key=lambda s: (s.row, s.message, s.arg))
        return Inputs(steps, frozenset(found[call] for call in moving),
                      frozenset(found[call] for call in sure or ()))

    def _indices(self, world: World, ids: tuple[str | None, ...], slot: int) -> list[int]:
        """The system's message numbers a model slot may stand for: the one its log id names;
        for a slot no record has named yet, each message not named yet whose initial
        profile the slot's message has (such messages are interchangeable to the model)."""
        if slot < 0:
            return [slot]
        bound = ids[slot]
        if bound is not None:
            return [self._ids[bound]] if bound in self._ids else []
        named = {self._ids[i] for i in ids if i is not None and i in self._ids}
        return [index for index, message in enumerate(self.start.messages)
                if index not in named and message == world.messages[slot]]

    # ---- giving an input, letting the system run --------------------------------------------

    def give(self, step: Step, *, sure: bool = True) -> AutonomousFailure | None:
        """Give the system one input and judge its answer. An input that is not `sure`
        (Inputs) may be declined: then nothing happened."""
        call = call_for(step)
        assert call is not None
        self.idle = False
        result = invoke(self.system, call)
        row = ROWS_BY_NAME[step.row]
        if result == NOT_DUE:
            if not sure:
                return None
            return self._fail(self._next_line(), (
                f"input {row.actor} {row.event} on {_on(step)} was declined (NOT_DUE), where "
                "the model enables it in every world the log is consistent with"), row.rules)
        if not row.is_call and not self.every_step:
            return None  # an internal step: a log that records MAPI calls does not show it
        return self._judge(call_record(len(self.records) + 1, call, result,
                                       self.system.observe()))

    def give_refused(self, step: Step, codes: list[str]) -> AutonomousFailure | None:
        """Make a call a regression case says must fail with one of `codes` (a refusal step
        on a call the model has no row for here): the answer must be one of them and nothing
        observable may change. Such a call has no log form: it writes no record."""
        call = call_for(step)
        assert call is not None
        before = normalized(self.system.observe())
        result = invoke(self.system, call)
        after = normalized(self.system.observe())
        row = ROWS_BY_NAME[step.row]
        if result not in codes or after != before:
            what = (f"expected {' or '.join(codes)}, got {result}" if result not in codes
                    else "the call changed what the system shows")
            return self._fail(self._next_line(),
                              f"{row.actor} {row.event} on {_on(step)}: {what}", row.rules)
        return None

    def advance(self) -> AutonomousFailure | None:
        """Let the system take its next calls; judge each. Idle: the queue read is judged."""
        try:
            reported = list(self.system.advance())
        except Exception as error:  # the system under test may fail in any way
            return self._fail(self._next_line(), "advance raised "
                              f"{type(error).__name__}: {error}", ())
        if not reported:
            self.idle = True
            return (self._judge(queue_read(len(self.records) + 1, self.system.observe()))
                    or self._stuck())
        for report in reported:
            self.reported += 1
            if not isinstance(report, Mapping):
                return self._fail(self._next_line(), "not a call-log record: advance returned "
                                  f"{type(report).__name__} {report!r:.80}, not a mapping", ())
            failure = self._judge(self._numbered(report))
            if failure is not None:
                return failure
        return None

    def settle(self, until: int | None = None) -> AutonomousFailure | None:
        """Let the system run until it is idle (the end of an example), or until it has
        reported `until` calls of its own since the start."""
        limit = BUSY_CALLS_PER_MESSAGE * max(1, self.config.messages)
        for _ in range(limit):
            if (self.failure is not None or self.idle
                    or (until is not None and self.reported >= until)):
                return self.failure
            self.advance()
        if self.failure is None and not self.idle:
            return self._fail(self._next_line(), f"the system made {limit} calls in a row "
                              "without an input and is still not idle", ())
        return self.failure

    def _stuck(self) -> AutonomousFailure | None:
        """The system is idle: a message for which every world the log fits has a decision
        of a component enabled, with nothing but a client able to move it otherwise, will
        never move (weak fairness of the system's components, `Actor.fair`, on which the
        liveness properties L1-L3 rest). Decisions a component never owes do not count
        (OPTIONAL_DECISIONS); nor does a message waiting for a transport, a timer or a
        restart, which the tester may still give. Then the log ends there, with its
        end-of-run line, and the validator judges the liveness properties on it: the verdict
        is the validator's, and ``validate-log`` gives the written log the same."""
        self.validator.close_under_silent_steps()
        owed: dict[int, set[str]] | None = None
        for compact, binding in self.validator.candidates:
            world = self.validator.worlds.expand(compact)
            due: dict[int, set[str]] = {}
            waiting: set[int] = set()
            for step, after in self.model.successors(world):
                row = ROWS_BY_NAME[step.row]
                if step.message < 0 or row.actor.is_client:
                    continue
                if step.row in SYSTEM_DECISIONS:
                    # a decision that changes nothing (an unlock of a lock the reading has
                    # released already) is no progress owed
                    if step.row not in OPTIONAL_DECISIONS and after != world:
                        due.setdefault(step.message, set()).add(step.row)
                else:
                    waiting.add(step.message)
            here = {}
            for slot, rows in due.items():
                bound = binding.ids[slot]
                if slot not in waiting and bound is not None and bound in self._ids:
                    here[self._ids[bound]] = rows
            owed = here if owed is None else {
                m: rows | here[m] for m, rows in owed.items() if m in here}
            if not owed:
                return None
        if not owed:
            return None
        message, rows = min(owed.items())
        names = sorted(rows)
        calls = "; ".join(f"{ROWS_BY_NAME[n].actor} {ROWS_BY_NAME[n].event} (row {n})"
                          for n in names)
        return self._end(f"the system went idle while message {message} waits for its own "
                         f"components: in every world the log fits they owe {calls}, and "
                         "nothing but a client can move the message otherwise")

    def finish(self) -> AutonomousFailure | None:
        """The end of an example: let the system run until it is idle; then, when nothing
        but a client can move any message (no transport, timer or restart the tester could
        still give changes a consistent world), the log ends with its end-of-run line, where
        the validator judges the liveness properties (docs/log-format.md)."""
        failure = self.settle()
        if failure is not None or self.ended:
            return failure
        inputs = self.inputs()
        if any(not ROWS_BY_NAME[step.row].actor.is_client for step in inputs.moving):
            return None
        return self._end("")

    def _end(self, why: str) -> AutonomousFailure | None:
        """Close the log with its end-of-run line, judged like any record; `why` says what
        made the harness end it."""
        line = self._next_line()
        record: dict[str, Any] = {"end": {}}
        self.records.append(record)
        self.ended = self.idle = True
        divergence = self.validator.feed(line, record)
        if divergence is None:
            return None
        text = divergence.describe() + (f"\n  ({why})" if why else "")
        return self._fail(line, text, tuple(divergence.rules), by_validator=True)

    def _numbered(self, report: Mapping[str, Any]) -> dict[str, Any]:
        record = dict(report)
        record["seq"] = len(self.records) + 1
        message = record.get("message")
        if isinstance(message, int) and not isinstance(message, bool):
            record["message"] = message_id(message)
        return record

    def _next_line(self) -> int:
        """The line of the log the next record takes (the header is line 1)."""
        return len(self.records) + 2

    def _judge(self, record: dict[str, Any]) -> AutonomousFailure | None:
        line = self._next_line()
        try:
            record = check_record(json.loads(json.dumps(record)), f"the system's record {line}")
        except (LogError, TypeError, ValueError) as error:
            self.records.append(record)
            return self._fail(line, f"not a call-log record: {error}", ())
        self.records.append(record)
        divergence = self.validator.feed(line, record)
        if divergence is None:
            return None
        return self._fail(line, divergence.describe(), tuple(divergence.rules),
                          by_validator=True)

    def _fail(self, line: int, text: str, rules: tuple[str, ...], *,
              by_validator: bool = False) -> AutonomousFailure:
        self.failure = AutonomousFailure(line, text, rules, by_validator)
        return self.failure

    def log_text(self, source: str) -> str:
        """The run as the call log (docs/log-format.md) ``validate-log`` judges the same."""
        header = {"config": self.config.to_dict(), "initial": initial_to_json(self.start),
                  "all_steps_logged": self.every_step, "source": source}
        return dump_records(header, self.records)


def _on(step: Step) -> str:
    return ROWS_BY_NAME[step.row].target(step.message, step.arg)


def replay_autonomously(case: dict[str, Any], system: AutonomousSystem) -> ReplayOutcome:
    """Replay a regression case on a system that runs its own components: the case's inputs
    are given in its order, and before each the system runs until it has reported as many
    calls of its own as the case has steps of the system's before that input (or is idle);
    those steps are the system's to take. A refusal step that names an error is made as a
    call that must fail with it. "diverged" when an input of the case is not enabled on the
    log the system wrote: it took another branch the model allows."""
    model = Model(Config.from_dict(case["config"]))
    run = AutonomousRun(model, system, initial_from_json(case["initial"]))
    if run.failure is not None:
        return ReplayOutcome(case["id"], "fail", 0, run.failure)
    given = 0
    own = 0  # the case's steps of the system's own components so far
    for entry in case["steps"]:
        step = Step(entry["row"], entry["message"], -1 if entry["arg"] is None else entry["arg"])
        shape = CALL_SHAPES[step.row]
        if step.row in SYSTEM_DECISIONS or shape is None:
            own += "refusal" not in entry
            continue
        if "refusal" in entry:
            if entry["refusal"]["kind"] == "error":
                failure = run.settle(until=own) or run.give_refused(
                    step, entry["refusal"]["codes"])
                if failure is not None:
                    return ReplayOutcome(case["id"], "fail", given, failure)
                given += 1
            continue
        failure = run.settle(until=own)
        if failure is not None:
            return ReplayOutcome(case["id"], "fail", given, failure)
        inputs = run.inputs()
        same_call = [given_step for given_step in inputs.steps
                     if call_for(given_step) == call_for(step)]
        if not same_call:
            return ReplayOutcome(
                case["id"], "diverged", given,
                reason=f"step {given + own + 1} ({step.row}, message {step.message}) is not "
                       "enabled on the calls the implementation made: it took another "
                       "branch the model allows")
        failure = run.give(step, sure=same_call[0] in inputs.sure)
        given += 1
        if failure is not None:
            return ReplayOutcome(case["id"], "fail", given, failure)
    failure = run.finish()
    if failure is not None:
        return ReplayOutcome(case["id"], "fail", given, failure)
    return ReplayOutcome(case["id"], "pass", given)
