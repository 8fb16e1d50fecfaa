"""Judging the log lines that are not a step of the model: records of calls that only observe
(log_observations.py), entry records marking where a call began, and the end-of-run line
that asks for the liveness verdicts.

- An **observation** keeps the consistent worlds in which what it read holds (binding a new
  id like any record) and moves none of them.
- An **entry record** moves nothing either: it is judged only for whether the call may begin
  there, that is whether some consistent world allows the call with some result (its own
  result is judged where it returns, after the calls made inside it).
- The **end of the run** says the log is complete and every component idle, so whatever a
  component still owes (properties/liveness.py: a submission not ended, a lock not released,
  a recipient not settled) will never be done: the log conforms only if some consistent
  world, after the silent steps, owes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mapi_submission.checker.compact import CompactWorld
from mapi_submission.model.config import Config
from mapi_submission.model.observe import observe_message
from mapi_submission.model.world import World
from mapi_submission.properties import Property, liveness_properties

from .log_bindings import Binding, IdBinder
from .log_format import observation_rules
from .log_observations import ObservationCall, holds_for_message, queue_read

#: A consistent world in the explorer's compact form, with its binding of the log's ids.
Candidate = tuple[CompactWorld, Binding]
ObservedMatches = Callable[[dict[str, Any], dict[str, Any]], bool]
Expand = Callable[[CompactWorld], World]


@dataclass
class Judged:
    """What a non-step line leaves: the candidates kept, or why it diverges (reason and the
    rules it breaks, broken first)."""

    kept: set[Candidate]
    reason: str = ""
    rules: tuple[str, ...] = ()


def judge_observation(call: ObservationCall, record: dict[str, Any],
                      candidates: Iterable[Candidate], binder: IdBinder, config: Config,
                      observed_matches: ObservedMatches, expand: Expand) -> Judged:
    """Keep the worlds in which the observation holds."""
    kept: set[Candidate] = set()
    if call.about == "session":
        return Judged(set(candidates))
    if call.about == "queue":
        if record["result"] != "S_OK":
            return Judged(set(candidates))
        wanted = record["queue"]
        seen: set[tuple[str | None, ...]] = set()
        on_the_wire: set[str] = set()
        for world, binding in candidates:
            expanded = expand(world)
            read = queue_read(expanded, binding)
            seen.add(tuple(read))
            if read == wanted:
                kept.add((world, binding))
            on_the_wire |= {bound for slot, bound in enumerate(binding.ids)
                            if bound is not None and bound in wanted
                            and expanded.messages[slot].inflight}
        if kept:
            return Judged(kept)
        shown = "; ".join(sorted(_queue_text(q) for q in seen)[:6])
        reason = (f"IMsgStore::GetOutgoingQueue read {_queue_text(wanted)}, but the queue is "
                  f"{shown} in every consistent model world (the queue lists the submitted "
                  "messages not yet taken out, ascending by submission time)")
        if on_the_wire:
            # the design's central safety rule: a message the pair is sending is never queued
            # for the spooler (R20)
            return Judged(kept, f"{reason}; {_queue_text(sorted(on_the_wire))} the tight pair "
                          "is sending", ("R20", *_ordered(call.rules)))
        return Judged(kept, reason, _ordered(call.rules))
    differing: set[str] = set()
    for world, binding in candidates:
        for slot, target, new_binding in binder.targets(world, binding, record["message"]):
            if slot < 0:
                continue
            expanded = expand(target)
            if holds_for_message(config, expanded, slot, record, observed_matches):
                kept.add((target, new_binding))
            else:
                differing |= _differing(record, config, expanded, slot, observed_matches)
    if kept:
        return Judged(kept)
    if differing:
        rules = {r for name in differing for r in observation_rules(name)}
        return Judged(kept, f"{record['actor']} {record['event']} read properties the message "
                      f"cannot have here: the observed {', '.join(sorted(differing))} differ",
                      _ordered(rules) + _ordered(set(call.rules) - rules))
    return Judged(kept, f"{record['actor']} {record['event']} here: {call.meaning}, and no "
                  "consistent model world has the message there", _ordered(call.rules))


def _differing(record: dict[str, Any], config: Config, world: World, slot: int,
               observed_matches: ObservedMatches) -> set[str]:
    observed: dict[str, Any] = record.get("observed", {})
    actual = observe_message(config, world.messages[slot])
    return {name for name, value in observed.items()
            if not observed_matches({name: value}, actual)}


def call_may_begin(record: dict[str, Any], candidates: Iterable[Candidate], binder: IdBinder,
                   allows: Callable[[CompactWorld, int, dict[str, Any]], bool]) -> bool:
    """Whether some consistent world allows the entry record's call with some result:
    `allows(world, slot, record)` asks the model."""
    return any(allows(target, slot, record)
               for world, binding in candidates
               for slot, target, _ in binder.targets(world, binding, record["message"]))


def owed(config: Config, world: World) -> list[tuple[Property, int]]:
    """The liveness obligations `world` still owes: (property, message slot)."""
    return [(prop, slot) for prop in liveness_properties()
            for slot in range(len(world.messages)) if prop.check(config, world, slot)]


def judge_end(candidates: Iterable[Candidate], config: Config,
              describe_slot: Callable[[World, Binding, int], str], expand: Expand) -> Judged:
    """The end of the run: some consistent world must owe nothing. Otherwise the verdict names
    what the world owing least still owes, with the rules of those properties."""
    #: (how much it owes, its text), what it owes, the world and its binding; ties are broken
    #: by the world's text, so the world named does not depend on the order the candidates
    #: are met in
    least: tuple[tuple[int, str], list[tuple[Property, int]], World, Binding] | None = None
    for compact, binding in candidates:
        world = expand(compact)
        pending = owed(config, world)
        if not pending:
            return Judged({(compact, binding)})
        key = (len(pending), repr(world))
        if least is None or key < least[0]:
            least = (key, pending, world, binding)
    if least is None:
        return Judged(set())
    _, owing_least, world, binding = least
    owing = "; ".join(f"{describe_slot(world, binding, slot)} breaks {prop.id} "
                      f"({prop.description.rstrip('.')})" for prop, slot in owing_least)
    rules = {rule for prop, _ in owing_least for rule in prop.rules}
    return Judged(set(), "the run ends with every component idle but work left undone in "
                  f"every consistent model world; where least is left: {owing}",
                  _ordered(rules))


def _queue_text(queue: Iterable[str | None]) -> str:
    return "[" + ", ".join("(a message the log never named)" if item is None
                           else json.dumps(item) for item in queue) + "]"


def _ordered(rules: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(rules), key=lambda r: int(r[1:])))
