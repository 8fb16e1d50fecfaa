"""What an implementation can show of a message: the observable state that regression cases,
call logs and the conformance harness compare (reference R2, R13, R42, R61)."""

from __future__ import annotations

from typing import Any

from .config import Config
from .constants import SUBMITFLAG_LOCKED, SUBMITFLAG_PREPROCESS
from .states import SPOOLER_ROUTE
from .world import Message, World

#: Rules that decide what the observations contain.
OBSERVATION_RULES: dict[str, tuple[str, ...]] = {
    "message_flags": ("R2", "R13", "R65"),
    "submit_flags": ("R26", "R42"),
    "recipients": ("R48", "R49", "R58", "R61"),  # PR_RESPONSIBILITY, recipient outcomes
}



def submit_flags(config: Config, message: Message) -> int:
    """PR_SUBMIT_FLAGS. SUBMITFLAG_LOCKED means "locked" or, under the other reading of R42,
    "the spooler will handle it"."""
    flags = SUBMITFLAG_PREPROCESS if message.preprocess else 0
    if config.conflicts.submitflag_locked == "locked":
        held = message.lock_holders > 0
    else:
        held = message.phase in SPOOLER_ROUTE
    return flags | (SUBMITFLAG_LOCKED if held else 0)


def observe_message(config: Config, message: Message) -> dict[str, Any]:
    return {
        "state": message.phase,
        "folder": message.folder,
        "message_flags": message.flags,
        "submit_flags": submit_flags(config, message),
        "in_queue": message.in_queue,
        "locked": message.lock_holders > 0,
        "recipients": [
            {"responsibility": r.resp, "state": r.outcome, "transmissions": r.transmissions}
            for r in message.recipients
        ],
    }


def observe(config: Config, world: World) -> dict[str, Any]:
    """The whole observable world: messages, queue order, transport states."""
    return {
        "messages": [observe_message(config, m) for m in world.messages],
        "queue": list(world.queue),
        "transports": list(world.transports),
    }
