"""Call logs of an implementation: the calls of a regression case made on an adapter without
consulting the model, or the calls the conformance machine made on it (RecordingSystem),
written as the call log (docs/log-format.md) of what the implementation answered and showed,
and judged by the log validator."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from mapi_submission.checker.cases import initial_from_json, initial_to_json
from mapi_submission.model.actors import Actor
from mapi_submission.model.config import Config
from mapi_submission.model.constants import S_OK
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.table import OPTIONAL_DECISIONS, ROWS_BY_NAME, SYSTEM_DECISIONS

from .adapter import NOT_DUE, Observation, Setup, SystemUnderTest
from .adapter_calls import (
    CALL_SHAPES,
    AdapterCall,
    CallObserver,
    call_for,
    expected_answer,
    first_row_of,
    invoke,
)
from .lockstep import LockstepDivergence
from .log_format import call_fields, dump_records, message_id
from .observations import normalized, setup_for, world_for
from .validate_log import LogVerdict, validate_log_text


def call_record(seq: int, call: AdapterCall, result: str,
                observation: Observation) -> dict[str, Any]:
    """The call-log record of one adapter call and what the implementation answered and
    showed afterwards; no model state goes into it."""
    row = first_row_of(call)
    shape = CALL_SHAPES[row.name]
    assert shape is not None
    if shape.answers or result != S_OK:
        logged_result = result
    else:
        logged_result = row.result  # a transport's own return code, as the spooler saw it
    record = call_fields(row, seq, call.message, call.arg, logged_result)
    if row.machine == "message":
        seen = normalized(observation).messages[call.message]
        record["observed"] = {
            "folder": seen.folder, "message_flags": seen.message_flags,
            "submit_flags": seen.submit_flags, "in_queue": seen.in_queue,
            "locked": seen.locked,
            "recipients": [dataclasses.asdict(r) for r in seen.recipients],
        }
    return record


def case_log(case: dict[str, Any], system: SystemUnderTest) -> str:
    """Make the calls of a regression case on an implementation, without consulting the
    model, and write what it answered as a call log, ending with a read of the outgoing queue.
    Refusal steps have no log form and are
    left out, but for a decision of the system's own that the case says is not due: it is
    asked for, and a component that takes it has made a call the log shows. The calls stop
    after the first answer that differs from the case's (the implementation went another
    way, and the rest of the case no longer applies); the validator judges whether that way
    is allowed."""
    config = Config.from_dict(case["config"])
    start = initial_from_json(case["initial"])
    system.start(setup_for(config, start))
    records: list[dict[str, Any]] = []
    for entry in case["steps"]:
        step = Step(entry["row"], entry["message"], -1 if entry["arg"] is None else entry["arg"])
        call = call_for(step)
        if call is None:
            continue
        if "refusal" in entry:
            if entry["refusal"]["kind"] == "not_enabled" and step.row in SYSTEM_DECISIONS:
                # a decision the case says is not due, asked for (harness/decision_probes.py):
                # declined, it has no record; taken, it is a call the component made
                result = invoke(system, call, probe=True)
                if result == S_OK:
                    records.append(call_record(len(records) + 1, call, result,
                                               system.observe()))
                    break
            continue  # any other call that must not happen has no log form
        result = invoke(system, call)
        expected = expected_answer(ROWS_BY_NAME[step.row])
        # every step has its record, the internal ones too (an instrumented build's log)
        records.append(call_record(len(records) + 1, call, result, system.observe()))
        if result != expected:
            break
    # Last, the spooler reads the outgoing queue: a message a step put there by mistake (one
    # the pair is sending, re-pulled as another finished: R20) shows in no record of its own.
    records.append(queue_read(len(records) + 1, system.observe()))
    header = {"config": config.to_dict(), "initial": initial_to_json(start),
              "all_steps_logged": True, "source": str(case.get("id", ""))}
    return dump_records(header, records)


def queue_read(seq: int, observation: Observation) -> dict[str, Any]:
    """The record of the spooler's IMsgStore::GetOutgoingQueue: the queued messages' ids."""
    return {"seq": seq, "actor": Actor.SPOOLER.value, "event": "IMsgStore::GetOutgoingQueue",
            "message": None, "result": S_OK,
            "queue": [message_id(index) for index in normalized(observation).queue]}


def log_verdict(case: dict[str, Any], system: SystemUnderTest) -> LogVerdict:
    text = case_log(case, system)
    return validate_log_text(text, str(case.get("id", "log")))


class RecordingSystem(CallObserver):
    """An adapter wrapped so that the calls the harness makes on it, what it answered and
    what it showed after each, make a call log (`conform --log`). Every step the system took
    is an adapter call here, its internal ones too (the spooler's NDR, a transport's
    transmission), so the log is an instrumented build's: `all_steps_logged`. A step it was
    asked for and declined (NOT_DUE: the harness's steering, no MAPI call) leaves no
    record, nor does a decision the harness probed that was refused (the store refusing a
    spooler's lock the spooler would not have asked for): only a probe the system took
    (S_OK) is a call it made."""

    def __init__(self, system: SystemUnderTest) -> None:
        self.system = system
        self.setup: Setup | None = None
        self.records: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.system, name)

    def start(self, setup: Setup) -> None:
        self.setup = setup
        self.records = []
        self.system.start(setup)

    def observe(self) -> Observation:
        return self.system.observe()

    def called(self, call: AdapterCall, result: str, *, probe: bool = False) -> None:
        if result != NOT_DUE and (not probe or result == S_OK):
            self.records.append(call_record(len(self.records) + 1, call, result,
                                            self.system.observe()))

    def log_text(self, config: Config, source: str, *, ended: bool = False) -> str:
        """The call log of the run since `start`; with `ended`, closed by the end-of-run line
        (see `ends_idle`)."""
        if self.setup is None:
            raise ValueError("the system was never started")
        header = {"config": config.to_dict(), "all_steps_logged": True,
                  "initial": initial_to_json(world_for(config, self.setup)), "source": source}
        # an example stops after any step, not with every component idle: no end-of-run line
        # but where `ends_idle` says so; a last read of the outgoing queue shows a message put
        # there inside a call whose own record does not observe it
        records: list[dict[str, Any]] = [
            *self.records, queue_read(len(self.records) + 1, self.system.observe())]
        if ended:
            records.append({"end": {}})
        return dump_records(header, records)


def ends_idle(model: Model, failure: LockstepDivergence | None) -> bool:
    """Whether a steered run that diverged ended with the system idle for good: its last step
    was a decision of its own the model enabled, which it declined (NOT_DUE), and in the world
    it was asked in nothing but its own components and clients could move any message (no
    transport, timer or restart could). A real system would then never move again without a
    client, so its log ends there, and the log validator judges the liveness properties at
    the end line (a spooler that never reports the NDR a declined recipient needs, R58)."""
    if (failure is None or failure.world is None or failure.actual_result != NOT_DUE
            or failure.not_due or failure.step.row not in SYSTEM_DECISIONS
            or failure.step.row in OPTIONAL_DECISIONS):
        return False
    world = failure.world
    return not any(after != world and not ROWS_BY_NAME[step.row].actor.is_client
                   and step.row not in SYSTEM_DECISIONS
                   for step, after in model.successors(world))

class ExampleLogs:
    """The recorded calls of a machine run's examples (`conform --log`): `factory` makes each
    example's system a RecordingSystem; `chosen` is the example to write: the last one when
    the run diverged (Hypothesis ends by running the shrunk example again), else the one with
    the most records."""

    def __init__(self, factory: Callable[[], SystemUnderTest]) -> None:
        self._make = factory
        self._last: RecordingSystem | None = None
        self._longest: RecordingSystem | None = None

    def factory(self) -> SystemUnderTest:
        self._keep_longest()
        self._last = RecordingSystem(self._make())
        return self._last

    def _keep_longest(self) -> None:
        last, longest = self._last, self._longest
        if last is not None and (longest is None or len(last.records) > len(longest.records)):
            self._longest = last

    def chosen(self, *, diverged: bool) -> RecordingSystem | None:
        self._keep_longest()
        chosen = self._last if diverged else self._longest
        return chosen if chosen is not None and chosen.setup is not None else None
