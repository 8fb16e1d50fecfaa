"""The pure semantics of the table: enabled steps and successor worlds.

`Model(config, variant)` compiles the table once (guard and effect names resolved, rows
indexed by source state); `successors(world)` is then a pure function over immutable worlds.
This is what exploration runs on; the `transitions` runtime (runtime.py) is the other face of
the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from .config import Config
from .effects import EFFECTS, Effect
from .guards import GUARDS, Guard
from .states import TERMINAL
from .table import TABLE, Row
from .variants import VARIANTS, Variant
from .world import World, initial_worlds, replace_message


class Step(NamedTuple):
    """One transition instance: a table row applied to a message (-1 for transport rows)
    and, where the row ranges over one, a recipient or transport index (-1 otherwise)."""

    row: str
    message: int
    arg: int


class StepNotEnabled(ValueError):
    """The requested step is not enabled in the given world."""


@dataclass(frozen=True)
class CompiledRow:
    row: Row
    guards: tuple[Guard, ...]
    effect: Effect
    args: tuple[int, ...]


class Model:
    """A bounded instance of the specification, optionally with a known-bad variant."""

    def __init__(self, config: Config | None = None, variant: str | None = None) -> None:
        self.config = config if config is not None else Config()
        if variant is not None and variant not in VARIANTS:
            known = ", ".join(sorted(VARIANTS))
            raise KeyError(f"unknown variant {variant!r}; known variants: {known}")
        self.variant: Variant | None = VARIANTS[variant] if variant else None
        guards = dict(GUARDS)
        effects = dict(EFFECTS)
        if self.variant is not None:
            guards.update(self.variant.guard_overrides)
            effects.update(self.variant.effect_overrides)
        recipients = tuple(range(self.config.recipients))
        transports = tuple(range(self.config.transports))
        self.message_rows: dict[str, list[CompiledRow]] = {}
        self.transport_rows: dict[str, list[CompiledRow]] = {}
        for row in TABLE:
            args = recipients if row.arg == "recipient" else transports if row.arg else (-1,)
            compiled = CompiledRow(row, tuple(guards[g] for g in row.guards), effects[row.effect],
                                   args)
            index = self.transport_rows if row.machine == "transport" else self.message_rows
            for source in row.sources:
                index.setdefault(source, []).append(compiled)
        self.rows: dict[str, Row] = {row.name: row for row in TABLE}

    @property
    def variant_name(self) -> str | None:
        return self.variant.name if self.variant else None

    def initial_worlds(self) -> list[World]:
        return initial_worlds(self.config)

    def successors(self, world: World) -> list[tuple[Step, World]]:
        """Every enabled step and the world it leads to (error rows lead back to `world`)."""
        return list(self._successors(world))

    def _successors(self, world: World) -> Iterator[tuple[Step, World]]:
        config = self.config
        for m, message in enumerate(world.messages):
            for compiled in self.message_rows.get(message.phase, ()):
                for a in compiled.args:
                    for check in compiled.guards:
                        if not check(config, world, m, a):
                            break
                    else:
                        after = compiled.effect(config, world, m, a)
                        dest = compiled.row.dest
                        if dest is not None and after.messages[m].phase != dest:
                            moved = after.messages[m]._replace(phase=dest)
                            after = replace_message(after, m, moved)
                        yield Step(compiled.row.name, m, a), after
        for t, state in enumerate(world.transports):
            for compiled in self.transport_rows.get(state, ()):
                if compiled.args != (-1,) and t not in compiled.args:
                    continue
                if all(check(config, world, -1, t) for check in compiled.guards):
                    after = compiled.effect(config, world, -1, t)
                    yield Step(compiled.row.name, -1, t), after

    def enabled(self, world: World) -> list[Step]:
        return [step for step, _ in self._successors(world)]

    def apply(self, world: World, step: Step) -> World:
        for candidate, after in self._successors(world):
            if candidate == step:
                return after
        raise StepNotEnabled(f"step {step.row} (message {step.message}, arg {step.arg}) "
                             "is not enabled here")

    def is_final(self, world: World) -> bool:
        """Every message has reached a state it never leaves."""
        return all(message.phase in TERMINAL for message in world.messages)
