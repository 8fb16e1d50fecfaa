"""How a property is declared: its id, kind, rule ids, the world fields it reads and its
function, registered in one table in declaration order (the order the checker reports
verdicts in).

What a property reads is declared next to it (`reads`) in the names of `FIELDS`; a test runs
every property on reachable worlds with every field it does not declare traced and fails on an
undeclared read. The checker relies on it: a property that reads only one message and the
world-wide fields is judged once per distinct (message, world-wide fields) instead of once per
world (checker/slot_verdicts.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mapi_submission.model.config import Config
from mapi_submission.model.engine import Step
from mapi_submission.model.table import Row
from mapi_submission.model.world import Message, Recipient, World

StateCheck = Callable[[Config, World], str | None]
MessageCheck = Callable[[Config, World, int, Message], str | None]
StepCheck = Callable[[Config, World, Row, Step, World], str | None]
Obligation = Callable[[Config, World, int], bool]

#: The world-wide fields of a world ("world.queue"), the fields of the message a property
#: judges ("message.phase"; for a step invariant, the message the step acts on, before and
#: after) and of its recipients ("recipient.resp"), and "messages", any other message.
WORLD_FIELDS = tuple(f"world.{name}" for name in World._fields if name != "messages")
MESSAGE_FIELDS = tuple(f"message.{name}" for name in Message._fields if name != "recipients")
RECIPIENT_FIELDS = tuple(f"recipient.{name}" for name in Recipient._fields)
FIELDS = frozenset([*WORLD_FIELDS, *MESSAGE_FIELDS, *RECIPIENT_FIELDS, "messages"])


class UndeclaredField(ValueError):
    """A property declares a field that no world has."""


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

    @property
    def one_message(self) -> bool:
        """Whether the verdict depends only on one message (the judged one, or the step's)
        and the world-wide fields, so that it can be judged once per distinct pair."""
        return self.reads is not None and "messages" not in self.reads


#: Every property by id, in declaration order.
PROPERTIES: dict[str, Property] = {}


def _declared(pid: str, reads: tuple[str, ...] | None) -> frozenset[str] | None:
    if reads is None:
        return None
    unknown = sorted(set(reads) - FIELDS)
    if unknown:
        raise UndeclaredField(f"property {pid}: unknown fields {', '.join(unknown)}")
    return frozenset(reads)


def register(
    pid: str, kind: str, rules: tuple[str, ...], description: str,
    reads: tuple[str, ...] | None = None,
) -> Callable[[Any], Any]:
    """Decorator: enter the function in PROPERTIES under `pid`."""

    def decorate(function: Any) -> Any:
        PROPERTIES[pid] = Property(pid, kind, rules, description, function,
                                   _declared(pid, reads))
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
