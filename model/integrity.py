"""The table is checked when a model is built: every name a row uses must exist.

A typo in a guard, an effect, a state or a rule id is reported once, at construction, as a
TableError naming the row, instead of a KeyError deep inside exploration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .errors import TableError
from .states import RECIPIENT_STATE_NAMES, STATE_NAMES, TRANSPORT_STATE_NAMES
from .table import Row

MACHINE_STATES: dict[str, tuple[str, ...]] = {
    "message": STATE_NAMES,
    "transport": TRANSPORT_STATE_NAMES,
}
RANGES: tuple[str | None, ...] = (None, "recipient", "transport")


def check_table(rows: Iterable[Row], guards: Mapping[str, object],
                effects: Mapping[str, object], rule_ids: Iterable[str]) -> None:
    """Raise TableError for the first row that names something unknown."""
    known_rules = frozenset(rule_ids)
    seen: set[str] = set()
    for row in rows:
        problem = _problem(row, guards, effects, known_rules)
        if problem is None and row.name in seen:
            problem = "a second row has this name"
        if problem is not None:
            raise TableError(f"table row {row.name!r}: {problem}")
        seen.add(row.name)


def _problem(row: Row, guards: Mapping[str, object], effects: Mapping[str, object],
             known_rules: frozenset[str]) -> str | None:
    states = MACHINE_STATES.get(row.machine)
    if states is None:
        return f"unknown machine {row.machine!r}; expected one of {', '.join(MACHINE_STATES)}"
    checks = [
        *((f"unknown guard {g!r}", g in guards) for g in row.guards),
        (f"unknown effect {row.effect!r}", row.effect in effects),
        *((f"unknown source state {s!r}", s in states) for s in row.sources),
        (f"unknown destination state {row.dest!r}", row.dest is None or row.dest in states),
        *((f"unknown rule id {r!r}", r in known_rules) for r in row.rules),
        ("no rule id", bool(row.rules)),
        ("no source state", bool(row.sources)),
        (f"unknown range {row.ranges_over!r}", row.ranges_over in RANGES),
        *((f"unknown recipient state {s!r}", s in RECIPIENT_STATE_NAMES)
          for s in row.recipient_change or ()),
    ]
    return next((message for message, ok in checks if not ok), None)
