"""The `transitions` face of the table: a world a user drives call by call.

`Submission(config, variant)` builds two `transitions` machines from `TABLE`: one whose models
are the messages (states: the message life-cycle) and one whose models are the transports
(states: ready / critical). Each table row becomes one transition whose trigger is the row's
name, whose conditions are the row's guards and whose `before` callback applies the row's
effect to the shared world. Error rows are internal transitions: they change nothing and
return their MAPI error.

Drive it by MAPI method (`call`), by row (`fire`), or ask what is possible (`enabled`). The
pure successor function in engine.py is the other face of the same rows; a differential test
keeps the two in agreement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from transitions import EventData, Machine

from .config import Config
from .engine import CompiledRow, Model, Step, StepNotEnabled, take_row
from .errors import MapiSubmissionError
from .states import MESSAGE_STATES, TRANSPORT_STATES
from .table import CALLS, INSIDE_CALL_SOURCES, ROWS_BY_NAME, TABLE, CallKey, Kind, Row
from .world import Message, World


class UnknownCall(MapiSubmissionError, LookupError):
    """The event or row names nothing in the table."""


class CallNotAllowed(MapiSubmissionError, ValueError):
    """The documents give no outcome for this call in the current state (it must not be made,
    or the caller asked for an outcome the rules do not allow here)."""


class AmbiguousCall(MapiSubmissionError, ValueError):
    """More than one documented outcome is possible; choose one with `fire`."""


@dataclass(frozen=True)
class CallResult:
    step: Step
    result: str  # S_OK or the MAPI error code the call returns
    rules: tuple[str, ...]


class _Actor:
    """A model object of a `transitions` machine: one message slot or one transport."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.state = ""

    if TYPE_CHECKING:  # added by transitions.Machine.add_model, which never overwrites
        def trigger(self, name: str, *args: Any, **kwargs: Any) -> bool: ...

        def may_trigger(self, name: str, *args: Any, **kwargs: Any) -> bool: ...


class Submission:
    """A bounded MAPI world (store, spooler, transports, messages) driven through `transitions`
    machines derived from the transition table."""

    def __init__(self, config: Config | None = None, variant: str | None = None,
                 world: World | None = None) -> None:
        self.model = Model(config, variant)
        self.config = self.model.config
        self.world: World = world if world is not None else self.model.initial_worlds()[0]
        compiled: dict[str, CompiledRow] = {}
        for rows in (*self.model.message_rows.values(), *self.model.transport_rows.values()):
            for row in rows:
                compiled[row.row.name] = row
        self._compiled = compiled
        self._messages = [_Actor(m) for m in range(len(self.world.messages))]
        self._transports = [_Actor(t) for t in range(len(self.world.transports))]
        self._message_machine = self._build("message", [s.name for s in MESSAGE_STATES],
                                            self._messages,
                                            [m.phase for m in self.world.messages])
        self._transport_machine = self._build("transport", [s.name for s in TRANSPORT_STATES],
                                              self._transports, list(self.world.transports))

    # ---- building the machines from the table ---------------------------------------------

    def _build(self, kind: str, states: list[str], actors: list[_Actor],
               initial: list[str]) -> Machine:
        machine = Machine(model=None, states=states, initial=states[0], send_event=True,
                          auto_transitions=False, ignore_invalid_triggers=False,
                          model_attribute="state")
        for row in TABLE:
            if row.machine != kind:
                continue
            machine.add_transition(
                trigger=row.name,
                source=list(row.sources),
                dest=row.dest,  # None: an internal transition (the state does not change)
                conditions=[self._condition(row, i) for i in range(len(row.guards))],
                before=self._effect(row),
                # what the callee does before the call returns happens in the same step
                after=self._finish_inside_call if row.dest in INSIDE_CALL_SOURCES else None,
            )
        for actor, state in zip(actors, initial, strict=True):
            machine.add_model(actor, initial=state)
        return machine

    def _condition(self, row: Row, position: int) -> Any:
        def holds(event: EventData) -> bool:
            guard = self._compiled[row.name].guards[position]
            actor = cast(_Actor, event.model)
            message = actor.index if row.machine == "message" else -1
            return bool(guard(self.config, self.world, message, event.kwargs["arg"]))
        holds.__name__ = row.guards[position]
        return holds

    def _effect(self, row: Row) -> Any:
        def apply(event: EventData) -> None:
            compiled = self._compiled[row.name]
            arg = event.kwargs["arg"]
            if row.machine == "transport":
                self.world = compiled.effect(self.config, self.world, -1, arg)
            else:
                actor = cast(_Actor, event.model)
                self.world = take_row(self.config, compiled, self.world, actor.index, arg)
        return apply

    def _finish_inside_call(self, event: EventData) -> None:
        """Take the Kind.INSIDE_CALL row whose guards hold (the store's routing decision
        inside SubmitMessage, R26), as `Model.successors` folds it into the same step."""
        actor = cast(_Actor, event.model)
        for name in self._message_machine.get_triggers(actor.state):
            if ROWS_BY_NAME[name].kind is Kind.INSIDE_CALL and actor.may_trigger(name, arg=-1):
                actor.trigger(name, arg=-1)
                return

    # ---- asking and driving ---------------------------------------------------------------

    def enabled(self) -> list[Step]:
        """Every step the machines would take now, in the order of `Model.successors`."""
        steps: list[Step] = []
        for actor in self._messages:
            for name in self._message_machine.get_triggers(actor.state):
                if ROWS_BY_NAME[name].kind is Kind.INSIDE_CALL:
                    continue  # taken inside the step that led here
                for arg in self._compiled[name].targets:
                    if actor.may_trigger(name, arg=arg):
                        steps.append(Step(name, actor.index, arg))
        for actor in self._transports:
            for name in self._transport_machine.get_triggers(actor.state):
                args = self._compiled[name].targets
                if args != (-1,) and actor.index not in args:
                    continue
                if actor.may_trigger(name, arg=actor.index):
                    steps.append(Step(name, -1, actor.index))
        return steps

    def fire(self, step: Step | str, message: int = -1, arg: int = -1) -> CallResult:
        """Take one table row; raises StepNotEnabled (naming what is enabled) when its source
        state or a guard does not allow it."""
        if isinstance(step, str):
            step = Step(step, message, arg)
        row = self.model.rows.get(step.row)
        if row is None:
            raise UnknownCall(f"no table row named {step.row!r}")
        actor = self._actor_for(row, step)
        if not actor.may_trigger(row.name, arg=step.arg):
            here = ", ".join(f"{s.row}(message {s.message}, arg {s.arg})"
                             for s in self.enabled()) or "nothing"
            raise StepNotEnabled(
                f"{row.name} ({row.event}) is not enabled for "
                f"{'transport' if row.machine == 'transport' else 'message'} "
                f"{step.arg if row.machine == 'transport' else step.message} in state "
                f"{actor.state}; enabled here: {here}")
        actor.trigger(row.name, arg=step.arg)
        self._resynchronise()
        return CallResult(step, row.result, row.rules)

    def call(self, event: str, message: int = -1, *, actor: str | None = None,
             arg: int | None = None, **call_args: str) -> CallResult:
        """Make a MAPI call (or internal step) by its event name, as an implementation would.
        Returns the documented result, an error code included; raises CallNotAllowed where the
        documents give no outcome, AmbiguousCall where several outcomes are documented."""
        def matches(key: CallKey) -> bool:
            return key[1] == event and (actor is None or key[0] == actor)

        calls = {key: rows for key, rows in CALLS.items() if matches(key)}
        internal = [row for row in TABLE if not row.is_call and matches(row.call)]
        if not calls and not internal:
            known = sorted({row.event for row in TABLE})
            raise UnknownCall(f"unknown event {event!r}; known events: {', '.join(known)}")
        # Only the arguments some row of this event selects on matter; an absent flag word
        # and "0" are the same call.
        relevant = {name for _, _, arguments in calls for name, _ in arguments}
        wanted = {name: call_args.get(name, "0") for name in relevant}
        rows = internal + [row for (_, _, arguments), answering in calls.items()
                           if all(dict(arguments).get(name, "0") == value
                                  for name, value in wanted.items())
                           for row in answering]
        candidates = [step for step in self.enabled()
                      if step.row in {row.name for row in rows}
                      and (message < 0 or step.message == message)
                      and (arg is None or step.arg == arg)]
        if not candidates:
            where = (f"message {message} in state {self.world.messages[message].phase}"
                     if 0 <= message < len(self.world.messages) else "this world")
            raise CallNotAllowed(f"{event} is not allowed for {where}: no documented outcome "
                                 "applies here")
        if len(candidates) > 1:
            options = ", ".join(f"{s.row}(message {s.message}, arg {s.arg})" for s in candidates)
            raise AmbiguousCall(f"{event} has several documented outcomes here ({options}); "
                                "choose one with fire()")
        return self.fire(candidates[0])

    def _actor_for(self, row: Row, step: Step) -> _Actor:
        if row.machine == "transport":
            if not 0 <= step.arg < len(self._transports):
                raise StepNotEnabled(f"{row.name}: no transport {step.arg}")
            return self._transports[step.arg]
        if not 0 <= step.message < len(self._messages):
            raise StepNotEnabled(f"{row.name}: no message {step.message}")
        if step.arg not in self._compiled[row.name].targets:
            raise StepNotEnabled(f"{row.name}: argument {step.arg} is out of range")
        return self._messages[step.message]

    def _resynchronise(self) -> None:
        """An effect may move another message or transport (a transport's critical error
        hands its messages back, R56); the machines follow the world."""
        for actor, message in zip(self._messages, self.world.messages, strict=True):
            if actor.state != message.phase:
                self._message_machine.set_state(message.phase, model=actor)
        for actor, state in zip(self._transports, self.world.transports, strict=True):
            if actor.state != state:
                self._transport_machine.set_state(state, model=actor)

    def place(self, world: World) -> None:
        """Put the machines in `world` (same configuration, same number of messages and
        transports), for example to try each step enabled in one world in turn."""
        if (len(world.messages), len(world.transports)) != (len(self._messages),
                                                            len(self._transports)):
            raise ValueError("place: the world has another number of messages or transports")
        self.world = world
        self._resynchronise()

    def states(self) -> Mapping[str, list[str]]:
        """The machines' current states (they always equal the world's phases)."""
        return {"messages": [a.state for a in self._messages],
                "transports": [a.state for a in self._transports]}

    def message(self, index: int) -> Message:
        return self.world.messages[index]
