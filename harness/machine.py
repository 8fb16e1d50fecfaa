"""The Hypothesis machine: a RuleBasedStateMachine with one rule that chooses among the steps
the model says are enabled and takes it in lockstep on the implementation; `run_machine` runs
it and keeps the shrunk failure as a regression case."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from mapi_submission.checker.cases import build_case, write_case
from mapi_submission.model.actors import Actor
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.states import REMOVED, STATE_NAMES
from mapi_submission.model.table import ROWS_BY_NAME, SYSTEM_DECISIONS, TABLE
from mapi_submission.model.world import World

from .adapter import SystemUnderTest
from .adapter_calls import CALL_SHAPES, CallShape, call_for
from .autonomous import AutonomousFailure
from .fair_draws import spread
from .lockstep import Lockstep, LockstepDivergence
from .machine_starts import drawn_start


@dataclass
class MachineRun:
    """What one run of the machine saw: examples tried, the first failure and when."""

    examples_begun: int = 0
    first_failure_example: int | None = None
    first_failure_seconds: float | None = None
    failure: LockstepDivergence | AutonomousFailure | None = None
    failure_case: dict[str, Any] | None = None
    #: an autonomous system's failing run, as the call log it wrote (autonomous_machine.py)
    failure_log: str | None = None
    #: an autonomous system's example with the most records, as its call log
    example_log: str | None = None
    example_records: int = 0
    started: float = field(default_factory=time.perf_counter)
    steps: int = 0
    #: told as each example begins (a command's progress line)
    on_example: Callable[[MachineRun], None] | None = None

    # The machine counts `examples` itself (its class text, which seeds a derandomized run,
    # stays as it is); the count tells `on_example`.
    @property
    def examples(self) -> int:
        return self.examples_begun

    @examples.setter
    def examples(self, count: int) -> None:
        self.examples_begun = count
        if self.on_example is not None:
            self.on_example(self)

    def failed(self, failure: LockstepDivergence | AutonomousFailure) -> None:
        """A failure in the example running now (the first one found is remembered)."""
        if self.first_failure_example is None:
            self.first_failure_example = self.examples
            self.first_failure_seconds = time.perf_counter() - self.started
        self.failure = failure


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

class _Drawn(Generic[T]):
    """A drawn option as Hypothesis prints a failing example's draws: the option itself (a
    call, a row, what a step acts on), not the integer it was drawn with."""

    __slots__ = ("shown", "value")

    def __init__(self, value: T, shown: str) -> None:
        self.value, self.shown = value, shown

    def __repr__(self) -> str:
        return self.shown

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.shown)


def _choose(data: st.DataObject, options: list[T], label: str,
            show: Callable[[T], str] = repr) -> T:
    if len(options) == 1:
        return options[0]

    def option(drawn: int) -> _Drawn[T]:
        chosen = options[drawn % len(options)]
        return _Drawn(chosen, show(chosen))

    # a map draws nothing of its own: the choices, and so every derandomized run, stay the same
    return data.draw(spread().map(option), label=label).value


#: Where both may act, a client acts in one draw out of four and the system's components in
#: three: a client has many calls in every state, while a submission goes forward only by the
#: spooler's, the transports' and the tight pair's steps, and the deep rules are theirs.
OFFER_CLIENT = [False, False, False, True]


#: Deleting (or moving out, or emptying the folder of) a draft ends that message's run; it is
#: offered in one draw out of eight, so that most runs get past composition (the deep rules
#: are all after SubmitMessage).
OFFER_ENDING = [False] * 7 + [True]


#: A client call that sends its message back in composition (reopening a saved message,
#: SetProps on it) is offered in one draw out of four, or the loop draft -> saved ->
#: draft would keep most runs from ever submitting.
OFFER_BACKWARD = [False, False, False, True]
#: Where no plan decides the transport's call (after the spooler's cancel, or once the plan's
#: end was asked for and the implementation answered otherwise: see TransportPlan), a
#: transport that may still save returns in one draw out of two and makes one of its calls
#: otherwise, so that its many returns each come up.
RETURN_EVENT = "IXPLogon::SubmitMessage"
OFFER_RETURN = [False, True]
#: The spooler stopping a transfer (TransportNotify, or its MAPI_W_CANCEL_MESSAGE answer to
#: SpoolerYield: the rows into "cancelling") likewise, where no plan decides it: two ways in,
#: drawn evenly they would cut short most of the calls whose marks and errors R48 is about.
OFFER_CANCEL = [False, False, False, True]


#: Rows the run has not taken yet are preferred in three draws out of four: the calls a
#: state allows keep growing with the rules, and one taken already (the third save, the
#: second refused copy) is less likely to show anything new than one never tried.
OFFER_TRIED = [False, False, False, True]


#: Swarm testing: each run leaves out a random set of the deviations a step may take (a
#: transport's setbacks, a cancellation, another session's calls, a call that ends or sends
#: back the message), so that in some runs the few it keeps are taken often: a transport
#: marking a recipient and then failing needs one error among seven to come up, in one call.
#: A left-out row is still taken where nothing else can move. The tight pair's own sending
#: steps are deviations too: in a run that leaves them out, a message stays on the pair's wire
#: while the spooler works through the others, which is where a pick-up scan that re-pulls it
#: shows (R20).
SWARM: tuple[str, ...] = tuple(sorted(
    row.name for row in TABLE
    if "setback_available" in row.guards or row.dest in ("cancelling", *REMOVED)
    or row.actor is Actor.OTHER_CLIENT or row.name in ("reopen", "reopen-best-access",
                                                       "set-props", "force-save")
    or (row.actor is Actor.TIGHT_PAIR and "direct_sending" in row.sources
        and row.name in SYSTEM_DECISIONS)))


#: Swarm testing's other half: each run also favours a random quarter of the system's rows
#: (the store's, spooler's, transports', tight pair's and preprocessors': the deep rules are
#: theirs; a client's favoured deletion would end most runs before submission), and takes a
#: favoured row whenever one is enabled in three draws out of four. A rule's path is a few
#: rare choices in a row (a transport that marks a recipient, saves, then fails; one that
#: returns S_OK leaving a recipient, then EndMessage): drawn evenly each is one option among
#: many at every step, so the path comes up in few runs; favoured, it comes up in most runs
#: that favour its rows, and a quarter of the runs favours any one row.
FAVOURABLE: tuple[str, ...] = tuple(row.name for row in TABLE if not row.actor.is_client
                                    or row.name in ("add-recipients", "submit"))
FAVOURED_BITS = 2  # a row is favoured when both of its draws come out True
OFFER_FAVOURED = [False, True, True, True]


#: A transport call drawn as one plan. When the spooler has handed a message to a transport,
#: the machine draws, in one go, what the transport does inside IXPLogon::SubmitMessage: for
#: each recipient row, mark it handled, fail it (StatusRecips) or leave it; whether it saves
#: (IMAPIProp::SaveChanges) after its first mark, after its last or not at all; and which of
#: the ends enabled then it takes. R48 and R49 are about such a call as a whole (marks
#: saved or not when an error comes, recipients left when S_OK comes); drawn step by step,
#: each of its calls is one option among many at every step and the whole rarely comes up.
#: While the call runs, three acts out of four take the plan's next step and the fourth
#: another component's (the client's, the spooler's cancel, another message's), so those
#: still interleave with the call; only the plan decides what the transport does.
TRANSPORT_CALL_STATE = "in_transport"
PLAN_RECIPIENT_ROWS: tuple[str, ...] = tuple(
    row.name for row in TABLE if row.actor is Actor.TRANSPORT and row.ranges_over == "recipient"
    and TRANSPORT_CALL_STATE in row.sources)
PLAN_SAVE_ROW = "xp-save"
#: how the plan ends: a return from IXPLogon::SubmitMessage, or another way the transport
#: ends its call (NOTIFY_CRITICAL_ERROR); not the spooler's MAPI_W_CANCEL_MESSAGE answer to
#: SpoolerYield, which the implementation decides
PLAN_END_ROWS: frozenset[str] = frozenset(
    row.name for row in TABLE if row.actor is Actor.TRANSPORT
    and TRANSPORT_CALL_STATE in row.sources and row.dest not in (None, TRANSPORT_CALL_STATE)
    and not (CALL_SHAPES[row.name] or CallShape("", None, True)).answers)
#: What may break into the call: the spooler stopping it (TransportNotify
#: NOTIFY_CANCEL_MESSAGE, R53) and the transport yielding (SpoolerYield, which the spooler may
#: answer MAPI_W_CANCEL_MESSAGE, R54). Each comes in one plan out of eight, at a point drawn
#: among its steps; drawn beside the plan, they would be the system's only steps while it
#: waits, and would cut most calls short or, the yield refused, take step after step.
PLAN_INTERRUPTIONS: tuple[str, ...] = tuple(
    row.name for row in TABLE if not row.actor.is_client and row.dest == "cancelling"
    and TRANSPORT_CALL_STATE in row.sources)
OFFER_INTERRUPTION = [False] * 7 + [True]
#: every row of a transport's call the plan decides; while the plan runs, no other draw takes
#: them
PLAN_ROWS: frozenset[str] = PLAN_END_ROWS | {
    PLAN_SAVE_ROW, *PLAN_RECIPIENT_ROWS, *PLAN_INTERRUPTIONS,
    *(row.name for row in TABLE for interruption in PLAN_INTERRUPTIONS
      if row.call == ROWS_BY_NAME[interruption].call and TRANSPORT_CALL_STATE in row.sources)}
#: per recipient, three fair draws: a mark in four of eight, a failure in one, nothing in
#: three (a recipient left is what R49's hand-over and a later retry are about)
PLAN_RECIPIENT_CHOICES: tuple[str | None, ...] = (
    *[PLAN_RECIPIENT_ROWS[0]] * 4, *PLAN_RECIPIENT_ROWS[1:2], None, None, None)
PLAN_RECIPIENT_BITS = 3
OFFER_PLAN = [False, True, True, True]
#: in one plan out of four the transport returns before it touches a recipient (MAPI_E_BUSY
#: and MAPI_E_NOT_ME are answers for a call that processed nothing, R47)
OFFER_AT_ONCE = [False, False, False, True]
#: where the plan saves: after the first mark (with a second mark after it, one call then
#: holds a saved and an unsaved mark, which is what R48 tells apart), after the last, or (two
#: draws of four) never
SAVE_AFTER_FIRST, SAVE_AFTER_LAST = (0,), (1,)


@dataclass
class TransportPlan:
    """What the transport holding `message` still means to do inside its call: recipient and
    save steps in order, then a return, picked among those enabled by `return_choice`."""

    message: int
    steps: list[tuple[str, int]]
    succeeds: bool
    return_choice: int
    #: the end was asked for: should the implementation have answered otherwise, the call
    #: goes on as the other draws take it, never asking for the same end again and again
    ended: bool = False


def draw_transport_plan(data: st.DataObject, message: int,
                        recipients: list[int]) -> TransportPlan:
    """The plan of a call that may take `recipients` (those of its types still open: a
    choice for a row it cannot take would only be dropped, and a save placed after it would
    come before any mark)."""
    if _choose(data, OFFER_AT_ONCE, "plan returns at once"):
        steps: list[tuple[str, int]] = []
    else:
        steps = [(choice, recipient) for recipient in recipients
                 if (choice := PLAN_RECIPIENT_CHOICES[
                     data.draw(spread(PLAN_RECIPIENT_BITS), label="plan mark")])]
    save = data.draw(spread(2), label="plan save")
    if steps and save in SAVE_AFTER_FIRST:
        steps.insert(1, (PLAN_SAVE_ROW, -1))
    elif steps and save in SAVE_AFTER_LAST:
        steps.append((PLAN_SAVE_ROW, -1))
    for interruption in PLAN_INTERRUPTIONS:
        if _choose(data, OFFER_INTERRUPTION, f"plan {interruption}"):
            at = data.draw(spread(), label=f"plan {interruption} point") % (len(steps) + 1)
            steps.insert(at, (interruption, -1))
    return TransportPlan(message, steps, data.draw(st.booleans(), label="plan returns S_OK"),
                         data.draw(spread(), label="plan return"))


def next_planned_step(plan: TransportPlan, options: list[Step]) -> Step | None:
    """The plan's next step that is enabled (dropping those that are not: a recipient of
    another transport's type, a save with nothing to save), else its end: an S_OK return or
    another end as drawn where both are enabled, then one of those rows."""
    enabled = {(s.row, s.arg): s for s in options if s.message == plan.message}
    while plan.steps:
        step = enabled.get(plan.steps.pop(0))
        if step is not None:
            return step
    if plan.ended:
        return None
    plan.ended = True
    ends = sorted((s for s in options if s.message == plan.message
                   and s.row in PLAN_END_ROWS), key=lambda s: TABLE_INDEX[s.row])
    succeeding = [s for s in ends if ROWS_BY_NAME[s.row].event == RETURN_EVENT
                  and not ROWS_BY_NAME[s.row].is_error]
    failing = [s for s in ends if s not in succeeding]
    chosen = (succeeding if plan.succeeds else failing) or ends
    return chosen[plan.return_choice % len(chosen)] if chosen else None


def planned_step(data: st.DataObject, world: World, plans: dict[int, TransportPlan],
                 options: list[Step]) -> Step | None:
    """The next step of a running transport call's plan (drawn when the call began, kept in
    `plans` by message), in three acts out of four."""
    for m, message in enumerate(world.messages):
        if message.phase != TRANSPORT_CALL_STATE:
            plans.pop(m, None)
        elif m not in plans:
            takes = sorted({s.arg for s in options if s.message == m
                            and s.row in PLAN_RECIPIENT_ROWS})
            plans[m] = draw_transport_plan(data, m, takes)
    for plan in plans.values():
        if _choose(data, OFFER_PLAN, "follow plan"):
            step = next_planned_step(plan, options)
            if step is not None:
                return step
    return None


def unplanned(options: list[Step], plans: dict[int, TransportPlan]) -> list[Step]:
    """The options a plan does not decide (another message's steps, the client's, the
    spooler's cancel), or all of them when a plan decides every one."""
    deciding = {m for m, plan in plans.items() if not plan.ended}
    free = [s for s in options if s.message not in deciding or s.row not in PLAN_ROWS]
    return free or options


#: Swarm testing per message: in each run every message is, with one fair draw, one the tight
#: pair is slow to send (a large attachment, a slow link): its steps on the pair's wire wait
#: while anything else can move but a client's call on that message itself, the clients'
#: calls on other messages included. A message left on the wire while clients submit others
#: and the spooler takes them through lock, transports and FinishedMsg is the seed page's scene
#: (R20); drawn row by row (SWARM), the pair's steps move every message alike and seldom leave
#: one behind while another finishes.
PAIR_WIRE_ROWS: frozenset[str] = frozenset(
    row.name for row in TABLE
    if row.actor is Actor.TIGHT_PAIR and "direct_sending" in row.sources)


def swarm_kept(options: list[Step], swarm: frozenset[str],
               slow: frozenset[int] = frozenset()) -> list[Step]:
    """The options a run's swarm keeps. Its left-out rows (SWARM) go unless nothing else can
    move; a left-out row of the system's own components (a transport's setback, the tight
    pair's sending) waits only for the other components, not for the client, so that a slow
    pair still sends once the spooler has nothing left to do. The pair's steps on a `slow`
    message wait for every step but a client's call on a message they are for."""
    held = [s for s in options if s.message in slow and s.row in PAIR_WIRE_ROWS]
    free = [s for s in options if s not in held]
    kept = [s for s in free if s.row not in swarm]
    if not any(not ROWS_BY_NAME[s.row].actor.is_client for s in kept):
        kept += [s for s in free
                 if s.row in swarm and not ROWS_BY_NAME[s.row].actor.is_client]
    on_wire = {s.message for s in held}
    if all(ROWS_BY_NAME[s.row].actor.is_client and s.message in on_wire for s in kept):
        kept += held
    return kept or free


def _favoured_first(data: st.DataObject, options: list[Step],
                    favoured: frozenset[str]) -> list[Step]:
    liked = [s for s in options if s.row in favoured]
    if liked and len(liked) < len(options) and _choose(data, OFFER_FAVOURED, "favoured"):
        return liked
    return options


def _sends_back(step: Step, world: World) -> bool:
    row = ROWS_BY_NAME[step.row]
    return (row.actor.is_client and row.dest is not None and step.message >= 0
            and STATE_RANK[row.dest] < STATE_RANK[world.messages[step.message].phase])


def _prefer_fresh(data: st.DataObject, rows: list[str], tried: set[str] | None) -> list[str]:
    if tried is None:
        return rows
    fresh = [name for name in rows if name not in tried]
    if fresh and len(fresh) < len(rows) and _choose(data, OFFER_TRIED, "fresh") is False:
        return fresh
    return rows


# Before a step that moves the world the machine probes: it makes calls the model says change
# nothing here (a refusal, a read-only open, a copy, the spooler asking to lock a draft), each
# row once per state of its message (draw_probes). Drawn among the moves, the many calls a
# state refuses would take most steps of a run, and a state passed in a few steps would rarely
# see its own refusals; made beside the moves, they cost no step.


def pure_probes(options: list[Step], changing: frozenset[Step]) -> list[Step]:
    """The options whose call cannot move the world here: no enabled row of the same call
    (the same adapter call on the same message and argument) changes it. A DeleteMessages
    the model allows to be refused is no probe while the implementation may delete instead."""
    moving_calls = {(call_for(s), s.message, s.arg) for s in options if s in changing}
    return [s for s in options
            if s not in changing and (call_for(s), s.message, s.arg) not in moving_calls]


def draw_probes(data: st.DataObject, probes: list[Step], world: World,
                tried: set[tuple[str, str]]) -> list[Step]:
    """Calls that must leave the world as it is (a refusal above all, which is where a bug
    shows as a change), to make before the next move: each the run has not offered yet in its
    message's state (recorded in `tried`) comes in with one fair draw of its own, so
    shrinking drops exactly the probes that show nothing."""
    chosen: list[Step] = []
    for step in probes:
        key = (step.row, world.messages[step.message].phase if step.message >= 0 else "")
        if key in tried:
            continue
        # offered once whatever the draw gives: a later draw then never depends on an earlier
        # one, so the shrinker can turn a probe off without shifting the rest of the run
        tried.add(key)
        if data.draw(st.booleans(), label=f"probe {step.row}"):
            chosen.append(step)
    return chosen


def draw_step(data: st.DataObject, options: list[Step], world: World | None = None,
              tried: set[str] | None = None, favoured: frozenset[str] = frozenset()) -> Step:
    """One of the enabled steps: first the side (the system's own components, or its
    clients), then the row, then the message and argument. Drawing the side first keeps the
    many calls a client may make from crowding out the spooler and transport steps that carry
    a submission forward; deletion of a draft, which ends the run, and a call sending a
    message back into composition come less often (OFFER_ENDING, OFFER_BACKWARD), rows the
    run has not taken yet more often (OFFER_TRIED), the run's favoured rows most often
    (OFFER_FAVOURED). Every enabled step stays reachable."""
    options = _favoured_first(data, options, favoured)
    sides = {ROWS_BY_NAME[s.row].actor.is_client for s in options}
    client = _choose(data, OFFER_CLIENT, "client") if len(sides) > 1 else sides.pop()
    candidates = [s for s in options if ROWS_BY_NAME[s.row].actor.is_client == client]
    rows = sorted(dict.fromkeys(s.row for s in candidates), key=_forward_first)
    ending = [name for name in rows if ROWS_BY_NAME[name].dest in REMOVED]
    if ending and len(ending) < len(rows) and _choose(data, OFFER_ENDING, "ending") is False:
        rows = [name for name in rows if name not in ending]
    cancels = [name for name in rows if ROWS_BY_NAME[name].dest == "cancelling"]
    if cancels and len(cancels) < len(rows) and _choose(data, OFFER_CANCEL, "cancel") is False:
        rows = [name for name in rows if name not in cancels]
    if world is not None:
        back = {s.row for s in candidates if _sends_back(s, world)}
        ahead = [name for name in rows if name not in back]
        if back & set(rows) and ahead and _choose(data, OFFER_BACKWARD, "back") is False:
            rows = ahead
    rows = _prefer_fresh(data, rows, tried)
    # the call first, then its outcome: a transport marking, saving or failing a recipient
    # inside IXPLogon::SubmitMessage is one call among few, not one row among its returns
    events = list(dict.fromkeys(ROWS_BY_NAME[name].event for name in rows))
    if RETURN_EVENT in events and len(events) > 1:
        if _choose(data, OFFER_RETURN, "return"):
            events = [RETURN_EVENT]
        else:
            events.remove(RETURN_EVENT)
    event = _choose(data, events, "call")
    row = _choose(data, [name for name in rows if ROWS_BY_NAME[name].event == event], "row")
    return _choose(data, [s for s in candidates if s.row == row], "step",
                   lambda s: ROWS_BY_NAME[s.row].target(s.message, s.arg))


#: Hypothesis seeds a derandomized run from the source text of the machine class (it hashes
#: it: hypothesis.internal.reflection.function_digest), so any edit inside `Conformance`
#: changes which examples every `conform` and `mutants` run tries. The class keeps the text
#: the kill matrix of docs/conformance.md was measured with, where a lockstep failure is
#: annotated under this name.
Divergence = LockstepDivergence


def conformance_machine(model: Model, factory: Callable[[], SystemUnderTest],
                        starts: list[World] | None, run: MachineRun, label: str = "adapter",
                        seed: int | None = None) -> type[RuleBasedStateMachine]:
    """A machine that starts model and implementation from one of `starts` (None: any
    initial world of the model) and then takes, at each step, one of the steps the model says
    are enabled."""

    class Conformance(RuleBasedStateMachine):
        lockstep: Lockstep | None = None

        @initialize(start=drawn_start(starts, model.config),
                    left_out=st.tuples(*[st.booleans()] * len(SWARM)),
                    liked=st.tuples(*[spread(FAVOURED_BITS)] * len(FAVOURABLE)),
                    slow=st.tuples(*[st.booleans()] * model.config.messages))
        def begin(self, start: World, left_out: tuple[bool, ...],
                  liked: tuple[int, ...], slow: tuple[bool, ...]) -> None:
            run.examples += 1
            self.swarm = frozenset(row for row, out in zip(SWARM, left_out, strict=True) if out)
            self.slow = frozenset(m for m, held in enumerate(slow) if held)
            favourite = (1 << FAVOURED_BITS) - 1
            self.favoured = frozenset(row for row, share in zip(FAVOURABLE, liked, strict=True)
                                      if share == favourite)
            self.tried: set[str] = set()
            self.probed: set[tuple[str, str]] = set()
            self.plans: dict[int, TransportPlan] = {}
            self.lockstep = Lockstep(model, factory(), start)
            self._check(self.lockstep.failure)

        @rule(data=st.data())
        def act(self, data: st.DataObject) -> None:
            assert self.lockstep is not None
            options, changing = self.lockstep.options_and_moves()
            probes = pure_probes(options, changing)
            if probes and len(probes) < len(options):
                for probe in draw_probes(data, probes, self.lockstep.world, self.probed):
                    world = self.lockstep.world
                    self._take(probe)
                    if self.lockstep.world != world:
                        break  # the implementation took a row that moves: plan again
                options, changing = self.lockstep.options_and_moves()
            if not options:
                return  # every message finished or deleted: nothing is owed
            planned = planned_step(data, self.lockstep.world, self.plans, options)
            if planned is not None:
                self._take(planned)
                return
            options = unplanned(options, self.plans)
            moves = [s for s in options if s in changing]
            chosen = moves or options
            kept = swarm_kept(chosen, self.swarm, self.slow)
            self._take(draw_step(data, kept or chosen, self.lockstep.world, self.tried,
                                 self.favoured))

        def _take(self, step: Step) -> None:
            assert self.lockstep is not None
            self.tried.add(step.row)
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
                     derandomize: bool = True, shrink: bool = True) -> settings:
    """Settings for a harness run: the explain phase is left out unless asked for (it costs
    seconds to minutes per failure on this machine and adds nothing a shrunk case does not
    already show); `shrink=False` for a run that only asks whether and when a failure comes
    (the kill matrix)."""
    phases = [Phase.explicit, Phase.generate]
    if shrink:
        phases.append(Phase.shrink)
    if explain:
        phases.append(Phase.explain)
    return settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                    derandomize=derandomize, database=None, phases=phases,
                    suppress_health_check=list(HealthCheck), print_blob=False,
                    report_multiple_bugs=False)


def run_machine(model: Model, factory: Callable[[], SystemUnderTest], *,
                machine_settings_: settings, starts: list[World] | None = None,
                label: str = "adapter", seed: int | None = None,
                run: MachineRun | None = None) -> MachineRun:
    """Run the machine; the returned MachineRun (`run`, when given: the caller sees it fill
    as the run goes, and keeps what it holds when a stop cuts the run short) holds the shrunk
    failure, if any, as a case."""
    run = run if run is not None else MachineRun()
    machine = conformance_machine(model, factory, starts, run, label,
                                  seed)
    return run_as_test(machine, run, machine_settings_, seed)


def run_as_test(machine: type[RuleBasedStateMachine], run: MachineRun, chosen: settings,
                seed: int | None) -> MachineRun:
    """Run a machine whose failures fill `run` (`seed`: instead of the settings' choice); an
    assertion that filled nothing is a bug of the harness and propagates."""
    if seed is not None:
        machine._hypothesis_internal_use_seed = seed
    try:
        # Every example runs all its steps. Hypothesis's search for new examples
        # (DataTree.generate_novel_prefix) draws each choice until it differs from the one
        # taken before, and at the stop of a run (drawn with probability 2**-16) that means
        # stopping: half the examples ended after a few steps, and a rule's path of twenty
        # calls came up in few of the others. Shrinking loses nothing: a failure ends its
        # example, and a step deleted before it is a step less. The keyword is Hypothesis's
        # own (since 6.68), private by its underscore.
        run_state_machine_as_test(machine, settings=chosen,
                                  _min_steps=chosen.stateful_step_count)
    except AssertionError:
        if run.failure is None:
            raise
    return run


def export_failure(run: MachineRun, directory: Path) -> Path | None:
    if run.failure_case is None:
        return None
    return write_case(directory, run.failure_case)
