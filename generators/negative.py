"""Sneak paths: the client and spooler calls a message's state does not allow, and what an
implementation must answer instead (reference R10, R31, R38, R67 and the table's error rows).

A *call* is a MAPI method as one actor issues it with given flags (for example the client's
IMsgStore::OpenEntry with MAPI_MODIFY); the table's rows for that call say where it is
allowed (or answered with an error). In a state none of those rows lists, the call is a sneak
path, and the expected answer is, in this order:

1. "error": an error row of the same call whose guards hold in this world prescribes its
   code outside the states it lists (R67: AbortSubmit of a message that was never queued is
   MAPI_E_NOT_IN_QUEUE; R31: FinishedMsg from a client is MAPI_E_NO_SUPPORT everywhere);
2. "not callable": the documents forbid the call outright: any client call but AbortSubmit
   on a submitted message (R10, its handles are dead), any call on a deleted message (R30),
   and any spooler call outside the states the table gives it (R31, R38: the spooler acts
   only on the queued messages it locked);
3. otherwise the documents are silent (say SaveChanges on a saved message whose handle is
   closed) and no expectation is generated.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapi_submission.model.engine import Model, Step
from mapi_submission.model.guards import GUARDS, Guard
from mapi_submission.model.states import IN_SUBMISSION, STATE_NAMES
from mapi_submission.model.table import TABLE, Row
from mapi_submission.model.world import World

#: Actors whose calls an implementation (store or spooler side) receives and must refuse.
CALLING_ACTORS = ("client", "spooler")
NOT_CALLABLE = "not callable"
NOT_ENABLED = "not enabled"
#: The one call R10 still allows on a submitted message.
ALLOWED_AFTER_SUBMIT = "IMsgStore::AbortSubmit"


class Call:
    """One MAPI method as issued by one actor with given flags, and the rows that define it."""

    def __init__(self, actor: str, event: str, args: tuple[tuple[str, str], ...],
                 rows: tuple[Row, ...]) -> None:
        self.actor = actor
        self.event = event
        self.args = args
        self.rows = rows
        self.sources = frozenset(s for row in rows for s in row.sources)
        self.error_rows = tuple(row for row in rows if row.is_error)
        # The row a refusal step names: the call's successful row when it has one.
        self.representative = next((row for row in rows if not row.is_error), rows[0])
        flags = "".join(f"[{value}]" for _, value in args)
        self.name = f"{actor}:{event.split('::')[-1]}{flags}"


def call_key(row: Row) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return (row.actor, row.event, row.call_arguments)


def _calls() -> tuple[Call, ...]:
    grouped: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Row]] = {}
    for row in TABLE:
        if row.actor in CALLING_ACTORS and "::" in row.event and row.machine == "message":
            grouped.setdefault(call_key(row), []).append(row)
    return tuple(Call(actor, event, args, tuple(rows))
                 for (actor, event, args), rows in grouped.items())


CALLS: tuple[Call, ...] = _calls()


@dataclass(frozen=True)
class Refusal:
    """A step that must not happen: `kind` is "error" (the call fails with one of `codes`),
    "not_callable" (the documents forbid the call), or "not_enabled" (the row's guard
    `guard` is false, so this row does not fire; another row may)."""

    kind: str
    target: str
    step: Step
    codes: tuple[str, ...]
    rules: tuple[str, ...]
    reason: str
    guard: str | None = None

    @property
    def result(self) -> str:
        if self.kind == "error":
            return self.codes[0]
        return NOT_CALLABLE if self.kind == "not_callable" else NOT_ENABLED


def _sorted_rules(rules: set[str]) -> tuple[str, ...]:
    return tuple(sorted(rules, key=lambda r: int(r[1:])))


def expected_refusal(model: Model, world: World, message: int, call: Call) -> Refusal | None:
    """What `call` on `message` must answer in `world`, a state none of the call's rows
    lists (R10, R30, R31, R38, R67); None where the documents are silent."""
    phase = world.messages[message].phase
    target = f"{call.name}@{phase}"
    step = Step(call.representative.name, message, -1)
    if phase != "deleted":
        holding = [row for row in call.error_rows
                   if all(model_guard(model, name)(model.config, world, message, -1)
                          for name in row.guards)]
        if holding:
            codes = tuple(sorted({row.result for row in holding}))
            rules = {r for row in holding for r in row.rules}
            names = ", ".join(row.name for row in holding)
            return Refusal("error", target, step, codes, _sorted_rules(rules),
                           f"{call.event} in state {phase}: the condition of {names} holds")
    if phase == "deleted":
        return Refusal("not_callable", target, step, (), ("R30",),
                       f"{call.event} on a deleted message: the message no longer exists")
    if call.actor == "client" and phase in IN_SUBMISSION and call.event != ALLOWED_AFTER_SUBMIT:
        return Refusal("not_callable", target, step, (), ("R10",),
                       f"{call.event} after SubmitMessage: the client's handles are dead; "
                       "only AbortSubmit is allowed")
    if call.actor == "spooler":
        rules = {r for row in call.rows for r in row.rules} | {"R31", "R38"}
        where = ", ".join(sorted(call.sources))
        return Refusal("not_callable", target, step, (), _sorted_rules(rules),
                       f"the spooler calls {call.event} only in state {where}")
    return None


def model_guard(model: Model, name: str) -> Guard:
    """The guard `name` as the model (or its variant) evaluates it."""
    if model.variant is not None and name in model.variant.guard_overrides:
        return model.variant.guard_overrides[name]
    return GUARDS[name]


def refusals_at(model: Model, world: World) -> list[Refusal]:
    """Every sneak path in `world`: for each message, each call its state does not allow and
    for which the documents prescribe an answer."""
    found: list[Refusal] = []
    for message, state in enumerate(world.messages):
        for call in CALLS:
            if state.phase in call.sources:
                continue
            refusal = expected_refusal(model, world, message, call)
            if refusal is not None:
                found.append(refusal)
    return found


def negative_universe() -> list[str]:
    """Every (call, message state) pair the table does not allow, reachable or not."""
    return sorted(f"{call.name}@{phase}" for call in CALLS for phase in STATE_NAMES
                  if phase not in call.sources)

