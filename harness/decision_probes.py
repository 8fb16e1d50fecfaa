"""Asking a steered system for its own decisions where the model says they are not due.

A steerable adapter lets the harness ask the spooler, the preprocessors and the tight pair to
take a step now ("spooler, lock message 1"). Asking only for the steps the model enables
proves nothing about the decisions themselves: a spooler that would lock out of submission
order, present to a critical transport or NDR a recipient a ready transport accepts passes,
because it is never offered the chance. So at every state the harness also asks for each
decision the model does not enable (`SYSTEM_DECISIONS`, on every message, recipient and
transport) and expects the component to decline (NOT_DUE) and change nothing; a call the
store answers (the spooler's SetLockState) may instead be refused by the store with an error,
as long as nothing changes. Inputs from
outside the system (client calls, the transports' answers and failures, timers, restarts) are
not probed: the tester decides them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mapi_submission.model.constants import S_OK
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.guards import GUARD_RULES
from mapi_submission.model.table import SYSTEM_DECISIONS, TABLE, Row
from mapi_submission.model.world import World

from .adapter import NOT_DUE
from .adapter_calls import CALL_SHAPES, AdapterCall, call_for, rows_of

#: The decision rows in table order, each with its adapter call's shape.
_DECISION_ROWS: tuple[Row, ...] = tuple(row for row in TABLE if row.name in SYSTEM_DECISIONS)


def _arguments(row: Row, world: World, message: int) -> Iterator[int]:
    if row.ranges_over == "recipient":
        yield from range(len(world.messages[message].recipients))
    elif row.ranges_over == "transport":
        yield from range(len(world.transports))
    else:
        yield -1


def decision_calls(world: World) -> list[AdapterCall]:
    """Every adapter call that asks a component for a decision of its own in `world`, each
    once, in table order then message and argument order."""
    found: dict[AdapterCall, None] = {}
    for row in _DECISION_ROWS:
        shape = CALL_SHAPES[row.name]
        if shape is None or row.machine != "message":
            continue
        for message in range(len(world.messages)):
            for arg in _arguments(row, world, message):
                found[AdapterCall(shape.method, message, arg, shape.extra)] = None
    return list(found)


def calls_not_due(world: World, successors: Iterable[tuple[Step, World]]
                  ) -> list[AdapterCall]:
    """The decision calls no enabled step of the model (`successors` of `world`) makes."""
    enabled = {call_for(step) for step, _ in successors}
    return [call for call in decision_calls(world) if call not in enabled]


def probe_step(call: AdapterCall) -> Step:
    """The step a probe stands for in a report: the call's first decision row."""
    row = next(r for r in rows_of(call) if r.name in SYSTEM_DECISIONS)
    return Step(row.name, call.message, call.arg)


def why_not_due(model: Model, world: World, call: AdapterCall) -> tuple[str, tuple[str, ...]]:
    """Why the model does not let the component take `call` here, and the rules that say so:
    the conditions that fail for each of the call's decision rows whose state the message is
    in, or the states the rows need."""
    phase = world.messages[call.message].phase
    rows = [row for row in rows_of(call) if row.name in SYSTEM_DECISIONS]
    failing: dict[str, None] = {}
    for row in rows:
        if phase not in row.sources:
            continue
        compiled = next(c for c in model.message_rows[phase] if c.row.name == row.name)
        arg = call.arg if row.ranges_over else -1
        for name, check in zip(row.guards, compiled.guards, strict=True):
            if not check(model.config, world, call.message, arg):
                failing[name] = None
    if failing:
        rules = sorted({r for name in failing for r in GUARD_RULES.get(name, ())},
                       key=lambda r: int(r[1:]))
        conditions = ", ".join(name.replace("_", " ") for name in failing)
        return f"it is not due: {conditions} does not hold", tuple(rules)
    states = sorted({state for row in rows for state in row.sources})
    rules = sorted({r for row in rows for r in row.rules}, key=lambda r: int(r[1:]))
    return (f"it is not due: the message is {phase}, and it happens only in "
            f"{', '.join(states)}", tuple(rules))


def declined(call: AdapterCall, result: str) -> bool:
    """Whether `result` declines a probed decision: NOT_DUE, or for a call the store answers
    (the spooler's SetLockState, R41, R81) the store's refusal."""
    shape = CALL_SHAPES[probe_step(call).row]
    return result == NOT_DUE or (shape is not None and shape.answers and result != S_OK)
