"""How a property is declared: its id, kind, rule ids, the world fields it reads and its
function, registered in one table in declaration order (the order the checker reports
verdicts in).

What a property reads is declared next to it (`reads`, in the names of
`model.world.FIELDS`); a step invariant also says which rows it judges (`applies`) and, if it
judges a change, the fields whose change it judges (`changes`). Tests hold the declarations
to the code: every property runs on reachable worlds whose fields record each read, and fails
on an undeclared one; a step invariant never fails on a row it does not apply to, nor on a
step that writes none of its `changes` (the effects declare their writes, model/effects.py).
The checker relies on them: a property reading one message and the world-wide fields is
judged once per distinct (message, world-wide fields) instead of once per world, and a step
invariant only on the steps it can fail on (checker/safety_search.py, checker/recording.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mapi_submission.model.config import Config
from mapi_submission.model.engine import Step
from mapi_submission.model.table import Row
from mapi_submission.model.world import Message, World, declared_fields

StateCheck = Callable[[Config, World], str | None]
MessageCheck = Callable[[Config, World, int, Message], str | None]
StepCheck = Callable[[Config, World, Row, Step, World], str | None]
Obligation = Callable[[Config, World, int], bool]

@dataclass(frozen=True)
class Property:
    id: str
    kind: str  # "state", "step" or "liveness"
    rules: tuple[str, ...]
    description: str
    check: Any  # StateCheck, StepCheck or Obligation, by kind
    #: the fields the property reads (FIELDS); None: not declared (read anything)
    reads: frozenset[str] | None = None
    #: a state invariant judged message by message: the test of one message, which `check`
    #: applies to each message in turn
    each: MessageCheck | None = None
    #: a step invariant: the rows whose steps it judges (None: every row)
    applies: Callable[[Row], bool] | None = None
    #: a step invariant judging a change: it fails only on a step that writes one of these
    #: fields (None: on any step)
    changes: frozenset[str] | None = None

    def judges(self, row: Row, writes: frozenset[str]) -> bool:
        """Whether this step invariant can fail on a step of `row` writing `writes`."""
        return ((self.applies is None or self.applies(row))
                and (self.changes is None or bool(self.changes & writes)))

    @property
    def one_message(self) -> bool:
        """Whether the verdict depends only on one message (the judged one, or the step's)
        and the world-wide fields, so that it can be judged once per distinct pair."""
        return self.reads is not None and "messages" not in self.reads


#: Every property by id, in declaration order.
PROPERTIES: dict[str, Property] = {}


def _declared(pid: str, reads: tuple[str, ...] | None) -> frozenset[str] | None:
    return None if reads is None else declared_fields(f"property {pid}", reads)


def register(
    pid: str, kind: str, rules: tuple[str, ...], description: str,
    reads: tuple[str, ...] | None = None, *, applies: Callable[[Row], bool] | None = None,
    changes: tuple[str, ...] | None = None,
) -> Callable[[Any], Any]:
    """Decorator: enter the function in PROPERTIES under `pid`."""

    def decorate(function: Any) -> Any:
        PROPERTIES[pid] = Property(pid, kind, rules, description, function,
                                   _declared(pid, reads), None, applies,
                                   _declared(pid, changes))
        return function

    return decorate


def register_each(
    pid: str, rules: tuple[str, ...], description: str, reads: tuple[str, ...],
) -> Callable[[MessageCheck], MessageCheck]:
    """Decorator for a state invariant judged message by message: `test(config, world, index,
    message)` describes what is wrong with one message; the property's `check` reports the
    first message that fails, as "message <index>: <problem>"."""

    def decorate(test: MessageCheck) -> MessageCheck:
        def check(config: Config, world: World) -> str | None:
            for index, message in enumerate(world.messages):
                problem = test(config, world, index, message)
                if problem:
                    return f"message {index}: {problem}"
            return None

        check.__name__ = check.__qualname__ = test.__name__
        check.__doc__ = test.__doc__
        PROPERTIES[pid] = Property(pid, "state", rules, description, check,
                                   _declared(pid, reads), test)
        return test

    return decorate


def state_properties() -> list[Property]:
    return [p for p in PROPERTIES.values() if p.kind == "state"]


def step_properties() -> list[Property]:
    return [p for p in PROPERTIES.values() if p.kind == "step"]


def liveness_properties() -> list[Property]:
    return [p for p in PROPERTIES.values() if p.kind == "liveness"]
