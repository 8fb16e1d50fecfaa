"""Every effect writes only the fields it declares (`writes`, model/effects.py), and so every
step only the fields of `Model.writes`: each row is taken on sampled reachable worlds of the
specification and of every known-bad variant, the rows the callee takes inside the same call
included, and a field that changes without being declared fails. The checker judges a step
invariant only on the steps whose writes it can see (properties/registry.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from mapi_submission.checker.explore import explore
from mapi_submission.model.config import CONFLICT_VALUES, Config, Conflicts, Features
from mapi_submission.model.effects import EFFECT_WRITES
from mapi_submission.model.engine import Model, take_row
from mapi_submission.model.table import Kind
from mapi_submission.model.variants import VARIANTS
from mapi_submission.model.world import Message, Recipient, World

ALTERNATIVE_READINGS = Model(Config(messages=1, recipients=1, conflicts=Conflicts(
    **{name: values[1] for name, values in CONFLICT_VALUES.items()})))
#: every message state, profile and feature is reached in one of these
MODELS = (
    Model(Config(messages=1, features=Features(store_refusals=True, restarts=True),
                 preprocessors=2)),
    Model(Config(messages=1, recipients=1,
                 dispositions=("leave", "move", "delete", "move_and_delete"))),
    Model(Config(messages=2, recipients=1, transports=1)),
    ALTERNATIVE_READINGS,
    *(Model(Config(messages=1, recipients=1), variant) for variant in sorted(VARIANTS)),
)
SAMPLE_EVERY = 13


def changed(before: World, after: World, judged: int) -> set[str]:
    """The fields (model.world.FIELDS) that differ, message `judged` as "message.*"."""
    found = {f"world.{name}" for name in World._fields
             if name != "messages" and getattr(before, name) != getattr(after, name)}
    for index, (old, new) in enumerate(zip(before.messages, after.messages, strict=True)):
        if index != judged:
            found |= {"messages"} if old != new else set()
            continue
        found |= {f"message.{name}" for name in Message._fields
                  if name != "recipients" and getattr(old, name) != getattr(new, name)}
        for was, now in zip(old.recipients, new.recipients, strict=True):
            found |= {f"recipient.{name}" for name in Recipient._fields
                      if getattr(was, name) != getattr(now, name)}
    return found


def _sampled() -> Iterator[tuple[Model, World]]:
    for model in MODELS:
        exploration = explore(model, symmetry=model.config.messages > 1, keep_edges=False)
        # the alternative readings' model is small, and its routings are rare
        every = 1 if model is ALTERNATIVE_READINGS else SAMPLE_EVERY
        for world in exploration.states[::every]:
            yield model, world


Judge = Callable[[str, World, World, int, frozenset[str]], None]


def _effects(model: Model, world: World, judge: Judge) -> None:
    """Every enabled row's effect taken alone, and the effects of the rows taken inside the
    same call, on the world the calling row leaves."""
    config = model.config
    for m, message in enumerate(world.messages):
        for compiled in model.message_rows.get(message.phase, ()):
            for a in compiled.targets if compiled.row.kind is not Kind.INSIDE_CALL else ():
                if not all(guard(config, world, m, a) for guard in compiled.guards):
                    continue
                effect = compiled.row.effect
                judge(f"effect {effect}", world, compiled.effect(config, world, m, a), m,
                      EFFECT_WRITES[effect])
                called = take_row(config, compiled, world, m, a)
                for inside, b in model._enabled_routings(called, m):
                    judge(f"effect {inside.row.effect}", called,
                          inside.effect(config, called, m, b), m,
                          EFFECT_WRITES[inside.row.effect])
    for t, state in enumerate(world.transports):
        for compiled in model.transport_rows.get(state, ()):
            if all(guard(config, world, -1, t) for guard in compiled.guards):
                judge(f"effect {compiled.row.effect}", world,
                      compiled.effect(config, world, -1, t), -1,
                      EFFECT_WRITES[compiled.row.effect])


def test_every_step_and_effect_writes_only_what_it_declares() -> None:
    undeclared: dict[str, set[str]] = {}
    taken: set[str] = set()

    def judge(name: str, before: World, after: World, judged: int,
              declared: frozenset[str]) -> None:
        taken.add(name)
        extra = changed(before, after, judged) - declared
        if extra:
            undeclared.setdefault(name, set()).update(extra)

    for model, world in _sampled():
        for step, after in model.successors(world):
            judge(f"row {step.row}", world, after, step.message, model.writes[step.row])
        _effects(model, world, judge)
    assert undeclared == {}
    # the sample reaches every effect, so none is declared unseen
    assert {f"effect {name}" for name in EFFECT_WRITES} - taken == set()


def test_the_comparison_sees_a_write() -> None:
    model = MODELS[0]
    world = model.initial_worlds()[0]
    step, after = next((s, w) for s, w in model.successors(world) if s.row == "add-recipients")
    # ModifyRecipients on a draft: the recipient table is no longer empty, nothing else moves
    assert changed(world, after, step.message) == {"message.addressed"}
    assert changed(world, after, 1 - step.message) == {"messages"}
