"""The conformance harness: drive a system under test and the model in lockstep, the model
being the oracle.

- `call_for` maps every table row to the adapter call that performs it (by actor, event and
  call flags); rows of the store's routing decision have no call of their own: they happen
  inside SubmitMessage (or when the send time is reached) and the harness applies them to the
  model right after that call (`settle`).
- `Lockstep.take(step)` performs one model step on the implementation and accepts the answer
  if it matches some enabled row of the same call (several rows may share a call: AbortSubmit
  may succeed or fail on a queued message, R69), comparing the result code and the whole
  observation; every state and step property of `mapi_submission.properties` is evaluated on
  the implementation's observations (the model's world with every observable field replaced
  by what the implementation shows).
- `replay_against` replays regression cases (checker/cases.py format) on an adapter.
- `conformance_machine` is the Hypothesis RuleBasedStateMachine: one rule that chooses among
  the steps the model says are enabled; `run_machine` runs it and exports the shrunk failure
  as a regression case.
- `ModelSystem` is the model behind the adapter protocol: the same machine run against it
  checks the model against its own successor function on configurations too large to explore.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from mapi_submission.checker.cases import build_case, initial_from_json, initial_to_json, write_case
from mapi_submission.model.config import Config
from mapi_submission.model.constants import S_OK, SUBMITFLAG_PREPROCESS
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.observe import observe_message
from mapi_submission.model.states import STATE_NAMES
from mapi_submission.model.table import ROWS_BY_NAME, TABLE, Row
from mapi_submission.model.world import SATURATION, Profile, Recipient, World, new_message
from mapi_submission.properties import state_properties, step_properties

from .adapter import (
    NOT_DUE,
    MessageObservation,
    MessageSetup,
    Observation,
    RecipientObservation,
    Setup,
    SystemUnderTest,
)
from .validate_log import SILENT_EVENTS, Verdict, call_fields, dump_records, validate_log_text


class Call(NamedTuple):
    """One adapter call: method name, message (-1 for a transport call), recipient or
    transport index (-1 when none), and the extra argument (FORCE_SAVE, EndMessage flags, the
    code a transport returns)."""

    method: str
    message: int
    arg: int
    extra: str | bool | None


class CallShape(NamedTuple):
    method: str
    extra: str | bool | None
    answers: bool  # the result is the implementation's own answer (client calls, locks)


def _flags(row: Row) -> str:
    return dict(row.call_arguments).get("flags", "0")


#: (actor, event) -> adapter method, for rows whose call needs no extra argument.
PLAIN_CALLS: dict[tuple[str, str], str] = {
    ("client", "IMessage::ModifyRecipients"): "modify_recipients",
    ("other client", "IMAPIProp::SaveChanges (other handle)"): "other_handle_save",
    ("client", "IMsgStore::OpenEntry"): "open_for_write",
    ("client", "IMAPIFolder::DeleteMessages"): "delete_message",
    ("client", "IMessage::SubmitMessage"): "submit_message",
    ("client", "IMsgStore::AbortSubmit"): "abort_submit",
    ("client", "IMsgStore::FinishedMsg"): "client_finished_msg",
    ("store", "send time reached"): "send_time_reached",
    ("tight pair", "transmit recipient (tight pair)"): "tight_transmit",
    ("tight pair", "IMAPISupport::SpoolerNotify"): "tight_request_download",
    ("tight pair", "finish without spooler"): "tight_finish",
    ("tight pair", "IMAPISupport::CompleteMsg"): "tight_complete",
    ("tight pair", "queue remaining recipients"): "tight_queue_rest",
    ("spooler", "IMsgStore::SetLockState"): "spooler_lock",
    ("preprocessor", "PreprocessMessage"): "preprocess",
    ("spooler", "IMessage::SubmitMessage"): "spooler_submit_after_preprocess",
    ("spooler", "present to transport"): "present",
    ("transport", "transmit recipient"): "transport_transmit",
    ("transport", "IMAPISupport::StatusRecips"): "transport_fail_recipient",
    ("spooler", "retry delay elapsed"): "retry_elapsed",
    ("spooler", "spooler NDR"): "spooler_ndr",
    ("spooler", "IMsgStore::FinishedMsg"): "finished_msg",
}
#: SpoolerNotify flags of a transport -> adapter method (R52, R56).
TRANSPORT_NOTIFICATIONS: dict[str, str] = {
    "NOTIFY_CRITICAL_ERROR": "transport_critical_error",
    "NOTIFY_SENTDEFERRED": "transport_sent_deferred",
    "NOTIFY_READYTOSEND": "transport_recovers",
}


def call_shape(row: Row) -> CallShape | None:
    """The adapter call that performs `row`; None for the store's routing decision, which
    happens inside the call that submitted (or released) the message (R17, R26, R72)."""
    key = (row.actor, row.event)
    answers = row.actor in ("client", "other client") or row.event == "IMsgStore::SetLockState"
    if row.actor == "store" and key not in PLAIN_CALLS:
        return None
    if key == ("client", "IMAPIProp::SaveChanges"):
        return CallShape("save_changes", _flags(row) == "FORCE_SAVE", True)
    if key == ("transport", "IXPLogon::SubmitMessage"):
        return CallShape("transport_returns", row.result, False)
    if key == ("spooler", "IXPLogon::EndMessage"):
        return CallShape("end_message", _flags(row), False)
    if key == ("transport", "IMAPISupport::SpoolerNotify"):
        return CallShape(TRANSPORT_NOTIFICATIONS[_flags(row)], None, False)
    if key in PLAIN_CALLS:
        return CallShape(PLAIN_CALLS[key], None, answers)
    raise KeyError(f"row {row.name}: no adapter call for {row.actor} {row.event}")


SHAPES: dict[str, CallShape | None] = {row.name: call_shape(row) for row in TABLE}


def call_for(step: Step) -> Call | None:
    shape = SHAPES[step.row]
    if shape is None:
        return None
    return Call(shape.method, step.message, step.arg, shape.extra)


def first_row_of(call: Call) -> Row:
    """The first table row the call can perform (they share actor, event and flags)."""
    for row in TABLE:
        shape = SHAPES[row.name]
        if shape is not None and (shape.method, shape.extra) == (call.method, call.extra):
            return row
    raise KeyError(f"no table row is performed by {call.method}({call.extra!r})")


def expected_answer(row: Row) -> str:
    """What the adapter call returns when the row happens: the MAPI result of a call the
    implementation answers, S_OK for a step the harness asks a component to take."""
    shape = SHAPES[row.name]
    return row.result if shape is not None and shape.answers else S_OK


def invoke(system: SystemUnderTest, call: Call) -> str:
    """Make the call; an exception the implementation raises becomes its answer (a
    divergence like any other, reported and shrunk)."""
    try:
        return _invoke(system, call)
    except Exception as error:  # the system under test may fail in any way
        return f"raised {type(error).__name__}: {error}"


def _invoke(system: SystemUnderTest, call: Call) -> str:
    method = getattr(system, call.method)
    if call.method == "transport_recovers":
        return str(method(call.arg))
    arguments: list[Any] = [call.message]
    if call.arg >= 0:
        arguments.append(call.arg)
    if call.extra is not None:
        arguments.append(call.extra)
    return str(method(*arguments))


# ---- observations ----------------------------------------------------------------------------


def setup_for(config: Config, world: World) -> Setup:
    return Setup(
        tight=world.tight,
        transports=len(world.transports),
        messages=tuple(
            MessageSetup(m.profile.address_types, m.profile.folder,
                         m.profile.needs_preprocessing, m.profile.deferred_send,
                         m.profile.disposition, m.profile.resend)
            for m in world.messages
        ),
        readings=dataclasses.asdict(config.conflicts),
    )


def world_for(config: Config, setup: Setup) -> World:
    """The model's initial world for a setup (the inverse of `setup_for`)."""
    return World(
        tight=setup.tight,
        transports=("ready",) * setup.transports,
        queue=(),
        setbacks_left=config.setbacks,
        messages=tuple(
            new_message(Profile(m.address_types, m.folder, m.needs_preprocessing,
                                m.deferred_send, m.disposition, m.resend))
            for m in setup.messages),
    )


def model_observation(config: Config, world: World) -> Observation:
    messages = []
    for message in world.messages:
        seen = observe_message(config, message)
        messages.append(MessageObservation(
            folder=seen["folder"], message_flags=seen["message_flags"],
            submit_flags=seen["submit_flags"], in_queue=seen["in_queue"],
            lock_holders=message.lock_holders, in_direct_send=message.inflight,
            recipients=tuple(RecipientObservation(r["responsibility"], r["state"],
                                                  r["transmissions"])
                             for r in seen["recipients"]),
        ))
    return Observation(tuple(messages), world.queue, world.transports)


def normalized(observation: Observation) -> Observation:
    """Counts capped where the model saturates; tuples for lists."""
    return Observation(
        messages=tuple(
            dataclasses.replace(
                m, lock_holders=min(m.lock_holders, SATURATION),
                recipients=tuple(dataclasses.replace(
                    r, transmissions=min(r.transmissions, SATURATION)) for r in m.recipients))
            for m in observation.messages),
        queue=tuple(observation.queue),
        transports=tuple(observation.transports),
    )


def observation_to_json(observation: Observation) -> dict[str, Any]:
    return dataclasses.asdict(observation)


def differences(expected: Observation, actual: Observation) -> list[str]:
    """Human-readable paths where two observations differ."""
    left, right = observation_to_json(expected), observation_to_json(actual)
    found: list[str] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key), b.get(key), f"{path}.{key}" if path else key)
        elif isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{path}[{index}]")
        elif a != b:
            found.append(f"{path}: expected {a!r}, got {b!r}")

    walk(left, right, "")
    return found


def shadow_world(world: World, observation: Observation) -> World | None:
    """The model's world with every observable field replaced by the implementation's, so the
    properties judge what the implementation shows; None when the shapes do not fit."""
    if len(observation.messages) != len(world.messages) or len(observation.transports) != len(
            world.transports):
        return None
    messages = []
    for message, seen in zip(world.messages, observation.messages, strict=True):
        if len(seen.recipients) != len(message.recipients):
            return None
        messages.append(message._replace(
            folder=seen.folder, in_queue=seen.in_queue,
            lock_holders=min(seen.lock_holders, SATURATION), flags=seen.message_flags,
            preprocess=bool(seen.submit_flags & SUBMITFLAG_PREPROCESS),
            inflight=seen.in_direct_send,
            recipients=tuple(Recipient(r.responsibility, r.state,
                                       min(r.transmissions, SATURATION))
                             for r in seen.recipients)))
    return world._replace(messages=tuple(messages), queue=tuple(observation.queue),
                          transports=tuple(observation.transports))


# ---- lockstep --------------------------------------------------------------------------------


@dataclass
class Divergence:
    """The implementation answered or showed something no enabled row of the call allows, or
    broke a property."""

    step_index: int
    step: Step
    call: Call | None
    expected_result: str
    actual_result: str
    differences: list[str]
    properties: list[str]
    rules: tuple[str, ...]

    def describe(self) -> str:
        row = ROWS_BY_NAME[self.step.row]
        where = (f"step {self.step_index}: {row.actor} {row.event} ({self.step.row}, message "
                 f"{self.step.message}, arg {self.step.arg}; rules {', '.join(self.rules)})")
        lines = [where]
        if self.expected_result != self.actual_result:
            lines.append(f"  result: expected {self.expected_result}, got {self.actual_result}")
        lines += [f"  property {p}" for p in self.properties]
        lines += [f"  {d}" for d in self.differences[:12]]
        return "\n".join(lines)


class Lockstep:
    """A system under test and the model, started from the same world, stepped together."""

    def __init__(self, model: Model, system: SystemUnderTest, start: World) -> None:
        self.model = model
        self.config = model.config
        self.system = system
        self.start = start
        self.world = start
        self.steps: list[tuple[Step, World]] = []
        system.start(setup_for(self.config, start))
        self.failure: Divergence | None = None
        self.shadow = start
        self._check_initial()

    def _check_initial(self) -> None:
        actual = normalized(self.system.observe())
        expected = model_observation(self.config, self.start)
        if actual != expected:
            self.failure = Divergence(0, Step("(start)", -1, -1), None, S_OK, S_OK,
                                      differences(expected, actual), [], ())

    def options(self) -> list[Step]:
        """The steps the harness may take now: every enabled step with an adapter call; none
        once every message is in a state it never leaves (a legitimate end, not an error)."""
        if self.model.is_final(self.world):
            return []
        return [step for step, _ in self.model.successors(self.world)
                if SHAPES[step.row] is not None]

    def settle(self, world: World) -> list[tuple[Step, World]]:
        """The store's routing steps that follow a submission inside the same call."""
        path: list[tuple[Step, World]] = []
        for index in range(len(world.messages)):
            while world.messages[index].phase == "submitted":
                internal = [(s, w) for s, w in self.model.message_successors(world, index)
                            if SHAPES[s.row] is None]
                if not internal:
                    break
                step, world = internal[0]
                path.append((step, world))
        return path

    def take(self, step: Step) -> Divergence | None:
        """Perform `step` on the implementation; None when it conforms."""
        call = call_for(step)
        if call is None:
            raise ValueError(f"{step.row} happens inside another call; it is not taken alone")
        before = self.world
        result = invoke(self.system, call)
        actual = normalized(self.system.observe())
        candidates = [(s, w) for s, w in self.model.successors(before) if call_for(s) == call]
        candidates.sort(key=lambda sw: sw[0] != step)
        matched: tuple[Step, list[tuple[Step, World]]] | None = None
        for candidate, after in candidates:
            path = [(candidate, after), *self.settle(after)]
            final = path[-1][1]
            if (expected_answer(ROWS_BY_NAME[candidate.row]) == result
                    and model_observation(self.config, final) == actual):
                matched = (candidate, path)
                break
        chosen, chosen_path = matched if matched else (
            step, [(step, dict(candidates)[step]), *self.settle(dict(candidates)[step])])
        judged = self._judge(before, chosen_path[-1][1], call, step, result, actual, chosen)
        self.steps.extend(chosen_path)
        if matched is None or judged:
            expected = model_observation(self.config, chosen_path[-1][1])
            row = ROWS_BY_NAME[step.row]
            self.failure = Divergence(len(self.steps) - len(chosen_path), step, call,
                                      expected_answer(row), result,
                                      differences(expected, actual) if matched is None else [],
                                      judged, row.rules)
            return self.failure
        self.world = chosen_path[-1][1]
        return None

    def _judge(self, before: World, after: World, call: Call, step: Step, result: str,
               actual: Observation, model_step: Step) -> list[str]:
        """Every property of the properties module on the implementation's observations. A
        property the model itself breaks on the same step (a consequence of the reading the
        run follows, for example I-P1 when resent rows are transmitted again, R75) is not held
        against the implementation."""
        shadow = shadow_world(after, actual)
        if shadow is None:
            return ["(observation shape differs from the setup)"]
        acting = _acting_row(call, result) or ROWS_BY_NAME[step.row]
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

    def refuse(self, call: Call, codes: Iterable[str]) -> Divergence | None:
        """A call the model refuses with one of `codes`: the implementation must answer one of
        them and change nothing observable."""
        result = invoke(self.system, call)
        actual = normalized(self.system.observe())
        expected = model_observation(self.config, self.world)
        allowed = sorted(codes)
        if result in allowed and actual == expected:
            return None
        row = first_row_of(call)
        self.failure = Divergence(len(self.steps), Step(row.name, call.message, call.arg), call,
                                  " or ".join(allowed), result, differences(expected, actual),
                                  [], row.rules)
        return self.failure


def _acting_row(call: Call, result: str) -> Row | None:
    """The row whose call and answer are what the implementation just did (so a step
    property judges what happened, not what was asked)."""
    for row in TABLE:
        shape = SHAPES[row.name]
        if shape is not None and (shape.method, shape.extra) == (call.method, call.extra) \
                and expected_answer(row) == result:
            return row
    return None


# ---- regression cases against an adapter -----------------------------------------------------


@dataclass
class ReplayOutcome:
    case_id: str
    verdict: str  # "pass", "fail", or "diverged" (the implementation took another allowed branch)
    steps: int
    failure: Divergence | None = None


def replay_against(case: dict[str, Any], system: SystemUnderTest) -> ReplayOutcome:
    """Replay a regression case on an adapter. Internal routing rows are applied with the call
    before them; refusal steps of kind "error" are made as calls that must fail with the
    listed codes; other refusals (a row that must not be enabled) have no call and are left
    to model replay."""
    model = Model(Config.from_dict(case["config"]))
    lockstep = Lockstep(model, system, initial_from_json(case["initial"]))
    if lockstep.failure is not None:
        return ReplayOutcome(case["id"], "fail", 0, lockstep.failure)
    taken = 0
    for entry in case["steps"]:
        step = Step(entry["row"], entry["message"], -1 if entry["arg"] is None else entry["arg"])
        if "refusal" in entry:
            if entry["refusal"]["kind"] == "error" and SHAPES[step.row] is not None:
                call = call_for(step)
                assert call is not None
                failure = lockstep.refuse(call, entry["refusal"]["codes"])
                if failure is not None:
                    return ReplayOutcome(case["id"], "fail", taken, failure)
            continue
        if SHAPES[step.row] is None:
            continue  # routing happened inside the call before
        if step not in lockstep.options():
            return ReplayOutcome(case["id"], "diverged", taken)
        failure = lockstep.take(step)
        taken += 1
        if failure is not None:
            return ReplayOutcome(case["id"], "fail", taken, failure)
    return ReplayOutcome(case["id"], "pass", taken)


# ---- call logs of an implementation ----------------------------------------------------------


def call_record(seq: int, call: Call, result: str, observation: Observation) -> dict[str, Any]:
    """The call-log record (docs/log-format.md) of one adapter call and what the
    implementation answered and showed afterwards; no model state goes into it."""
    row = first_row_of(call)
    shape = SHAPES[row.name]
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
        if call.method == "submit_message":
            # A log shows SubmitMessage before the store's routing, which the implementation
            # has already done when it answers: leave out what routing changes (R17, R26).
            del record["observed"]["in_queue"], record["observed"]["submit_flags"]
    return record


def case_log(case: dict[str, Any], system: SystemUnderTest) -> str:
    """Make the calls of a regression case on an implementation, without consulting the
    model, and write what it answered as a call log (refusal steps have no log form and are
    left out). The calls stop after the first answer
    that differs from the case's (the implementation went another way, and the rest of the
    case no longer applies); the validator judges whether that way is allowed."""
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
            continue  # a call that must not happen has no log form
        result = invoke(system, call)
        row = ROWS_BY_NAME[step.row]
        expected = expected_answer(row)
        if row.event not in SILENT_EVENTS or result != expected:
            records.append(call_record(len(records) + 1, call, result, system.observe()))
        if result != expected:
            break
    header = {"config": config.to_dict(), "initial": initial_to_json(start),
              "source": str(case.get("id", ""))}
    return dump_records(header, records)


def log_verdict(case: dict[str, Any], system: SystemUnderTest) -> Verdict:
    text = case_log(case, system)
    return validate_log_text(text, str(case.get("id", "log")))


# ---- the Hypothesis machine ------------------------------------------------------------------


@dataclass
class MachineRun:
    """What one run of the machine saw: examples tried, the first failure and when."""

    examples: int = 0
    first_failure_example: int | None = None
    first_failure_seconds: float | None = None
    failure: Divergence | None = None
    failure_case: dict[str, Any] | None = None
    started: float = field(default_factory=time.perf_counter)
    steps: int = 0


def failure_case(lockstep: Lockstep, failure: Divergence, label: str,
                 seed: int | None) -> dict[str, Any]:
    """The failing run as a regression case (test-generation format)."""
    steps = lockstep.steps
    digest = hashlib.sha256(repr([(s.row, s.message, s.arg) for s, _ in steps]).encode())
    case_id = f"conform-{label}-{failure.step.row}-{digest.hexdigest()[:8]}"
    title = f"{label}: {failure.describe().splitlines()[0]}"
    return build_case(lockstep.model, case_id, title, lockstep.start, list(steps),
                      criterion="conformance", target=failure.step.row, seed=seed)


STATE_RANK = {name: rank for rank, name in enumerate(STATE_NAMES)}
TABLE_INDEX = {row.name: index for index, row in enumerate(TABLE)}
CLIENT_ACTORS = frozenset({"client", "other client"})


def _forward_first(name: str) -> tuple[bool, bool, bool, bool, int]:
    """Hypothesis draws the first of a list often and shrinks towards it, so the order of the
    rows makes the first choices the ordinary way forward: the message's own client before
    another handle, client calls that do not send the message back (reopen, abort) before
    those that do, deletion (which ends the run) late, then table order (the life-cycle's);
    refused calls, which change nothing, last."""
    row = ROWS_BY_NAME[name]
    dest = row.dest or ""
    backward = row.actor in CLIENT_ACTORS and dest in STATE_RANK and STATE_RANK[dest] < min(
        STATE_RANK.get(source, 0) for source in row.sources)
    return (row.is_error, row.actor == "other client", backward, dest == "deleted",
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


def draw_step(data: st.DataObject, options: list[Step]) -> Step:
    """One of the enabled steps: first the side (the system's own components, or its
    clients), then the row, then the message and argument. Drawing the side first keeps the
    many calls a client may make (most of them refused) from crowding out the spooler and
    transport steps that carry a submission forward; every enabled step stays reachable
    (deletion of a draft, which ends the run, less often: OFFER_ENDING)."""
    sides = sorted({ROWS_BY_NAME[s.row].actor in CLIENT_ACTORS for s in options})
    client = _choose(data, sides, "client")
    candidates = [s for s in options if (ROWS_BY_NAME[s.row].actor in CLIENT_ACTORS) == client]
    rows = sorted(dict.fromkeys(s.row for s in candidates), key=_forward_first)
    ending = [name for name in rows if ROWS_BY_NAME[name].dest == "deleted"]
    if ending and len(ending) < len(rows) and _choose(data, OFFER_ENDING, "ending") is False:
        rows = [name for name in rows if name not in ending]
    row = _choose(data, rows, "row")
    return _choose(data, [s for s in candidates if s.row == row], "step")


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


# ---- the model as a system under test --------------------------------------------------------


class ModelSystem:
    """The model behind the adapter protocol: each call takes the first enabled row of that
    call (AbortSubmit on a queued message succeeds), then the store's routing steps."""

    def __init__(self, config: Config) -> None:
        self.model = Model(config)
        self.world: World | None = None

    def start(self, setup: Setup) -> None:
        self.world = world_for(self.model.config, setup)

    def observe(self) -> Observation:
        assert self.world is not None
        return model_observation(self.model.config, self.world)

    def _do(self, method: str, message: int, arg: int = -1,
            extra: str | bool | None = None) -> str:
        assert self.world is not None
        call = Call(method, message, arg, extra)
        for step, after in self.model.successors(self.world):
            if call_for(step) == call:
                world = after
                for index in range(len(world.messages)):
                    while world.messages[index].phase == "submitted":
                        world = next(w for s, w in self.model.message_successors(world, index)
                                     if SHAPES[s.row] is None)
                self.world = world
                return expected_answer(ROWS_BY_NAME[step.row])
        return NOT_DUE

    def modify_recipients(self, message: int) -> str:
        return self._do("modify_recipients", message)

    def other_handle_save(self, message: int) -> str:
        return self._do("other_handle_save", message)

    def save_changes(self, message: int, force: bool) -> str:
        return self._do("save_changes", message, extra=force)

    def submit_message(self, message: int) -> str:
        return self._do("submit_message", message)

    def open_for_write(self, message: int) -> str:
        return self._do("open_for_write", message)

    def delete_message(self, message: int) -> str:
        return self._do("delete_message", message)

    def abort_submit(self, message: int) -> str:
        return self._do("abort_submit", message)

    def client_finished_msg(self, message: int) -> str:
        return self._do("client_finished_msg", message)

    def send_time_reached(self, message: int) -> str:
        return self._do("send_time_reached", message)

    def tight_transmit(self, message: int, recipient: int) -> str:
        return self._do("tight_transmit", message, recipient)

    def tight_request_download(self, message: int) -> str:
        return self._do("tight_request_download", message)

    def tight_finish(self, message: int) -> str:
        return self._do("tight_finish", message)

    def tight_complete(self, message: int) -> str:
        return self._do("tight_complete", message)

    def tight_queue_rest(self, message: int) -> str:
        return self._do("tight_queue_rest", message)

    def spooler_lock(self, message: int) -> str:
        return self._do("spooler_lock", message)

    def preprocess(self, message: int) -> str:
        return self._do("preprocess", message)

    def spooler_submit_after_preprocess(self, message: int) -> str:
        return self._do("spooler_submit_after_preprocess", message)

    def present(self, message: int, transport: int) -> str:
        return self._do("present", message, transport)

    def end_message(self, message: int, flags: str) -> str:
        return self._do("end_message", message, extra=flags)

    def retry_elapsed(self, message: int) -> str:
        return self._do("retry_elapsed", message)

    def spooler_ndr(self, message: int, recipient: int) -> str:
        return self._do("spooler_ndr", message, recipient)

    def finished_msg(self, message: int) -> str:
        return self._do("finished_msg", message)

    def transport_transmit(self, message: int, recipient: int) -> str:
        return self._do("transport_transmit", message, recipient)

    def transport_fail_recipient(self, message: int, recipient: int) -> str:
        return self._do("transport_fail_recipient", message, recipient)

    def transport_returns(self, message: int, code: str) -> str:
        return self._do("transport_returns", message, extra=code)

    def transport_critical_error(self, message: int) -> str:
        return self._do("transport_critical_error", message)

    def transport_sent_deferred(self, message: int) -> str:
        return self._do("transport_sent_deferred", message)

    def transport_recovers(self, transport: int) -> str:
        return self._do("transport_recovers", -1, transport)
