"""How a property is declared: its id, kind, rule ids and function, registered in one table
in declaration order (the order the checker reports verdicts in)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mapi_submission.model.config import Config
from mapi_submission.model.engine import Step
from mapi_submission.model.table import Row
from mapi_submission.model.world import World

StateCheck = Callable[[Config, World], str | None]
StepCheck = Callable[[Config, World, Row, Step, World], str | None]
Obligation = Callable[[Config, World, int], bool]


@dataclass(frozen=True)
class Property:
    id: str
    kind: str  # "state", "step" or "liveness"
    rules: tuple[str, ...]
    description: str
    check: Any  # StateCheck, StepCheck or Obligation, by kind


#: Every property by id, in declaration order.
PROPERTIES: dict[str, Property] = {}


def register(
    pid: str, kind: str, rules: tuple[str, ...], description: str
) -> Callable[[Any], Any]:
    """Decorator: enter the function in PROPERTIES under `pid`."""

    def decorate(function: Any) -> Any:
        PROPERTIES[pid] = Property(pid, kind, rules, description, function)
        return function

    return decorate


def state_properties() -> list[Property]:
    return [p for p in PROPERTIES.values() if p.kind == "state"]


def step_properties() -> list[Property]:
    return [p for p in PROPERTIES.values() if p.kind == "step"]


def liveness_properties() -> list[Property]:
    return [p for p in PROPERTIES.values() if p.kind == "liveness"]
