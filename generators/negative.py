"""Sneak paths: the client and spooler calls a message's state does not allow, and what an
implementation must answer instead (reference R10, R31, R38, R67 and the table's error rows).

A *call* is a MAPI method as one actor issues it with given flags (for example the client's
IMsgStore::OpenEntry with MAPI_MODIFY); the table's rows for that call say where it is
allowed (or answered with an error). The calls are those of `model.table.CALLS` whose caller
calls the store (`Actor.calls_store`: the client and the spooler). In a state none of a
call's rows lists, the call is a sneak path, and the expected answer is, in this order:

1. "not callable" on a deleted message (R30): it no longer exists, whatever the call;
2. "error": an error row of the same call whose guards hold in this world prescribes its
   code outside the states it lists (R67: AbortSubmit of a message that was never queued is
   MAPI_E_NOT_IN_QUEUE; R31: FinishedMsg from a client is MAPI_E_NO_SUPPORT everywhere);
3. "not callable": the documents forbid the call outright: any client call but AbortSubmit
   on a submitted message (R10, its handles are dead), and any spooler call outside the
   states the table gives it (R31, R38: the spooler acts only on the queued messages it
   locked);
4. otherwise the documents are silent (say SaveChanges on a saved message whose handle is
   closed) and no expectation is generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from mapi_submission.model.actors import Actor
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.guards import GUARDS, Guard
from mapi_submission.model.states import IN_SUBMISSION, REMOVED, STATE_NAMES
from mapi_submission.model.table import CALLS, CallKey, Row
from mapi_submission.model.world import World

NOT_CALLABLE = "not callable"
NOT_ENABLED = "not enabled"
#: The one call R10 still allows on a submitted message.
ALLOWED_AFTER_SUBMIT = "IMsgStore::AbortSubmit"


@dataclass(frozen=True)
class RefusableCall:
    """A MAPI call a client or the spooler makes (an entry of `model.table.CALLS` whose
    caller `calls_store`) and the rows that answer it: in a state none of them lists, an
    implementation must refuse the call."""

    key: CallKey
    rows: tuple[Row, ...]

    @property
    def actor(self) -> Actor:
        return self.key[0]

    @property
    def event(self) -> str:
        return self.key[1]

    @cached_property
    def sources(self) -> frozenset[str]:
        """The message states the call's rows answer it in."""
        return frozenset(s for row in self.rows for s in row.sources)

    @cached_property
    def error_rows(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.is_error)

    @cached_property
    def representative(self) -> Row:
        """The row a refusal step names: the call's successful row when it has one."""
        return next((row for row in self.rows if not row.is_error), self.rows[0])

    @cached_property
    def name(self) -> str:
        """How targets name the call: ``actor:Method[flags]``."""
        flags = "".join(f"[{value}]" for _, value in self.key[2])
        return f"{self.actor}:{self.event.split('::')[-1]}{flags}"


#: Every call an implementation (store or spooler side) receives and must refuse in the
#: states its rows do not list, in table order. Calls about a transport session (the
#: spooler's IXPLogon::FlushQueues, R45) are answered by transport states, not message
#: states, so they are no sneak paths of a message.
REFUSABLE_CALLS: tuple[RefusableCall, ...] = tuple(
    RefusableCall(key, rows) for key, rows in CALLS.items()
    if key[0].calls_store and all(row.machine == "message" for row in rows))


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


def expected_refusal(model: Model, world: World, message: int,
                     call: RefusableCall) -> Refusal | None:
    """What `call` on `message` must answer in `world`, a state none of the call's rows
    lists (R10, R30, R31, R38, R67); None where the documents are silent."""
    phase = world.messages[message].phase
    target = f"{call.name}@{phase}"
    step = Step(call.representative.name, message, -1)
    if phase in REMOVED:
        return Refusal("not_callable", target, step, (), ("R30",),
                       f"{call.event} on a deleted message: the message no longer exists")
    holding = [row for row in call.error_rows
               if all(model_guard(model, name)(model.config, world, message, -1)
                      for name in row.guards)]
    if holding:
        codes = tuple(sorted({row.result for row in holding}))
        rules = {r for row in holding for r in row.rules}
        names = ", ".join(row.name for row in holding)
        return Refusal("error", target, step, codes, _sorted_rules(rules),
                       f"{call.event} in state {phase}: the condition of {names} holds")
    if (call.actor.is_client and phase in IN_SUBMISSION
            and call.event != ALLOWED_AFTER_SUBMIT):
        return Refusal("not_callable", target, step, (), ("R10",),
                       f"{call.event} after SubmitMessage: the client's handles are dead; "
                       "only AbortSubmit is allowed")
    if call.actor is Actor.SPOOLER:
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
        for call in REFUSABLE_CALLS:
            if state.phase in call.sources:
                continue
            refusal = expected_refusal(model, world, message, call)
            if refusal is not None:
                found.append(refusal)
    return found


def negative_universe() -> list[str]:
    """Every (call, message state) pair the table does not allow, reachable or not."""
    return sorted(f"{call.name}@{phase}" for call in REFUSABLE_CALLS for phase in STATE_NAMES
                  if phase not in call.sources)

