"""Every property reads only the fields it declares (`reads`, properties/registry.py): each is
run on reachable worlds and transitions whose fields record every read, and a read of a field
it does not declare fails. The checker's safety search judges a property once per (message,
world-wide fields) on the strength of these declarations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mapi_submission.checker.explore import explore
from mapi_submission.model.config import Config, Features
from mapi_submission.model.engine import Model
from mapi_submission.model.world import Message, Recipient, World
from mapi_submission.properties import PROPERTIES, Property
from mapi_submission.properties.registry import register_each

#: small configurations that between them reach every message state and profile
CONFIGURATIONS = (
    Config(messages=1, features=Features(store_refusals=True, restarts=True), preprocessors=2),
    Config(messages=1, recipients=1, dispositions=("leave", "move", "delete", "move_and_delete")),
    Config(messages=2, recipients=1, transports=1),
)
RECIPIENTS = Message._fields.index("recipients")
#: every how many explored worlds one is taken (the rest repeat what those show)
SAMPLE_EVERY = 11


def _tracing(base: type[Any], record: Callable[[str], None]) -> type[Any]:
    """A subclass of the NamedTuple `base` whose field reads call `record(field)`."""
    fields = frozenset(base._fields)

    class Tracing(base):  # type: ignore[misc, valid-type]
        __slots__ = ()

        def __getattribute__(self, name: str) -> Any:
            if name in fields:
                record(name)
            return base.__getattribute__(self, name)

    return Tracing


class Reads:
    """The traced copies of worlds, and the fields read since `clear`."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.world = _tracing(World, lambda name: name != "messages"
                              and self.seen.add(f"world.{name}"))
        self.judged = _tracing(Message, lambda name: name != "recipients"
                               and self.seen.add(f"message.{name}"))
        self.other = _tracing(Message, lambda name: self.seen.add("messages"))
        self.recipient = _tracing(Recipient, lambda name: self.seen.add(f"recipient.{name}"))

    def traced(self, world: World, judged: int) -> World:
        """`world` with message `judged` read as "message.*" and the others as "messages"."""
        messages = []
        for index, message in enumerate(world.messages):
            kind = self.judged if index == judged else self.other
            values = list(message)
            values[RECIPIENTS] = tuple(tuple.__new__(self.recipient, r)
                                       for r in message.recipients)
            messages.append(tuple.__new__(kind, values))
        values = list(world)
        values[World._fields.index("messages")] = tuple(messages)
        return tuple.__new__(self.world, values)  # type: ignore[no-any-return]


def _worlds() -> Iterator[tuple[Model, World]]:
    for config in CONFIGURATIONS:
        model = Model(config)
        exploration = explore(model, symmetry=False, keep_edges=False)
        for world in exploration.states[::SAMPLE_EVERY]:
            yield model, world


SAMPLED = list(_worlds())
#: the transitions from the sampled worlds, for the step invariants
TRANSITIONS = [(model, world, step, after) for model, world in SAMPLED
               for step, after in model.successors(world)]


def _undeclared(prop: Property, reads: Reads) -> set[str]:
    assert prop.reads is not None, f"{prop.id} declares no reads"
    return reads.seen - prop.reads


def _judge(prop: Property, reads: Reads) -> set[str]:
    """Run `prop` on every sampled world (and, for a step invariant, every transition from
    it); the undeclared fields it read."""
    undeclared: set[str] = set()
    if prop.kind == "step":
        for model, world, step, after in TRANSITIONS:
            reads.seen.clear()
            prop.check(model.config, reads.traced(world, step.message), model.rows[step.row],
                       step, reads.traced(after, step.message))
            undeclared |= _undeclared(prop, reads)
        return undeclared
    for model, world in SAMPLED:
        config = model.config
        for index in range(len(world.messages)):
            reads.seen.clear()
            traced = reads.traced(world, index)
            if prop.kind == "liveness":
                prop.check(config, traced, index)
            else:
                assert prop.each is not None, f"{prop.id} is not judged message by message"
                prop.each(config, traced, index, traced.messages[index])
            undeclared |= _undeclared(prop, reads)
    return undeclared


def test_every_property_reads_only_what_it_declares() -> None:
    reads = Reads()
    undeclared = {pid: _judge(prop, reads) for pid, prop in PROPERTIES.items()}
    assert {pid: fields for pid, fields in undeclared.items() if fields} == {}


def test_an_undeclared_read_is_caught() -> None:
    def flags_too(config: Config, world: World, index: int, message: Message) -> str | None:
        return "odd" if message.phase == "draft" and message.flags < 0 else None

    register_each("I-TEST-ONLY", (), "reads flags but declares only the phase",
                  reads=("message.phase",))(flags_too)
    try:
        assert _judge(PROPERTIES["I-TEST-ONLY"], Reads()) == {"message.flags"}
    finally:
        del PROPERTIES["I-TEST-ONLY"]
