"""What an implementation can show of a message: the observable state that regression cases,
call logs and the conformance harness compare (reference R2, R13, R42, R61)."""

from __future__ import annotations

from typing import Any

from .config import Config
from .constants import (
    MSGFLAG_SUBMIT,
    MSGFLAG_UNSENT,
    SUBMITFLAG_LOCKED,
    SUBMITFLAG_PREPROCESS,
)
from .states import SPOOLER_ROUTE
from .world import Message, World

#: Rules that decide what the observations contain.
OBSERVATION_RULES: dict[str, tuple[str, ...]] = {
    "message_flags": ("R2", "R13", "R65"),
    "submit_flags": ("R26", "R42"),
    "recipients": ("R48", "R49", "R58", "R61"),  # PR_RESPONSIBILITY, recipient outcomes
}
#: Rules deciding what the conformance harness compares besides a message's properties (an
#: adapter's Observation; a call log has no such fields).
HARNESS_OBSERVATION_RULES: dict[str, tuple[str, ...]] = {
    **OBSERVATION_RULES,
    "queue": ("R14", "R25"),  # the outgoing queue, in submission order
    "transports": ("R44", "R56"),  # ready or critical
    "lock_holders": ("R38", "R81"),
    "in_direct_send": ("R20",),
}

#: The flag bits of each flags property by name, as a report prints them.
FLAG_NAMES: dict[str, tuple[tuple[int, str], ...]] = {
    "message_flags": ((MSGFLAG_SUBMIT, "MSGFLAG_SUBMIT"), (MSGFLAG_UNSENT, "MSGFLAG_UNSENT")),
    "submit_flags": ((SUBMITFLAG_LOCKED, "SUBMITFLAG_LOCKED"),
                     (SUBMITFLAG_PREPROCESS, "SUBMITFLAG_PREPROCESS")),
}


def flag_names(prop: str, value: int) -> str:
    """A flags value by its bits' names (`MSGFLAG_SUBMIT|MSGFLAG_UNSENT`; `0` for none), any
    bit without a name in hexadecimal."""
    names = [name for bit, name in FLAG_NAMES[prop] if value & bit]
    rest = value & ~sum(bit for bit, _ in FLAG_NAMES[prop])
    if rest:
        names.append(hex(rest))
    return "|".join(names) or "0"


def observation_differences(expected: Any, actual: Any,
                            rules: dict[str, tuple[str, ...]] = OBSERVATION_RULES) -> list[str]:
    """Where two observations (as JSON) differ, one line per path: flags by their bits'
    names, and the rules that decide the property (from `rules`)."""
    found: list[str] = []

    def walk(a: Any, b: Any, path: str, top: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key), b.get(key), f"{path}.{key}" if path else key,
                     key if top in ("", "messages") else top)
        elif isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{path}[{index}]", top)
        elif a != b:
            shown_a, shown_b = repr(a), repr(b)
            if top in FLAG_NAMES and isinstance(a, int) and isinstance(b, int):
                shown_a, shown_b = flag_names(top, a), flag_names(top, b)
            decided = f" ({', '.join(rules[top])})" if rules.get(top) else ""
            found.append(f"{path}: expected {shown_a}, got {shown_b}{decided}")

    walk(expected, actual, "", "")
    return found


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
