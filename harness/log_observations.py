"""Records that observe without changing anything: calls a component logs that read the
store (a property read, the outgoing queue) or that the model does not take as a step of its
own (the transport's SaveChanges inside IXPLogon::SubmitMessage). Such a record keeps the
consistent worlds in which what it read holds, and moves none of them.

Each observation call names the rules that say what it must read, so a record that reads
something else diverges naming them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mapi_submission.model.actors import Actor
from mapi_submission.model.config import Config
from mapi_submission.model.constants import S_OK
from mapi_submission.model.observe import observe_message
from mapi_submission.model.world import World

from .log_bindings import Binding


@dataclass(frozen=True)
class ObservationCall:
    """A call a log records that the model judges as an observation."""

    actor: str
    event: str
    #: what the record is about: "message" (its `message` is an id), "queue" (the store's
    #: outgoing queue: `message` is null and `queue` lists the rows read), "session" (the
    #: store's session with the spooler: `message` is null, nothing is read)
    about: str
    rules: tuple[str, ...]
    #: what the call must find, for docs and verdicts
    meaning: str
    #: the flags argument that selects the call ("0": none)
    flags: str = "0"


def _calls() -> dict[tuple[str, str, str], ObservationCall]:
    calls = [ObservationCall(actor.value, "IMAPIProp::GetProps", "message",
                             ("R2", "R13", "R25", "R26", "R42", "R58", "R61"),
                             "reads properties of the message: its `observed` must hold")
             for actor in Actor]
    calls += [
        ObservationCall(Actor.SPOOLER.value, "IMsgStore::GetOutgoingQueue", "queue",
                        ("R14", "R25"),
                        "the outgoing queue's rows, ascending by submission time: `queue` "
                        "must list exactly the messages in the queue, in that order"),
        ObservationCall(Actor.STORE.value, "IMAPISupport::SpoolerNotify", "session", ("R12",),
                        "the store synchronises the spooler once per session, before its first "
                        "PrepareSubmit (R12 a); the model has no session to count against, so "
                        "it is accepted wherever it appears", flags="NOTIFY_READYTOSEND"),
    ]
    return {(call.actor, call.event, call.flags): call for call in calls}


#: (actor, event, selecting flags) -> the observation call.
OBSERVATION_CALLS: dict[tuple[str, str, str], ObservationCall] = _calls()
#: Every event an observation record may name.
OBSERVATION_EVENTS: frozenset[str] = frozenset(event for _, event, _ in OBSERVATION_CALLS)


def observation_call(record: dict[str, Any]) -> ObservationCall | None:
    if record["event"] not in OBSERVATION_EVENTS:  # most records: one set lookup
        return None
    return OBSERVATION_CALLS.get((record["actor"], record["event"], record.get("flags", "0")))


def queue_read(world: World, binding: Binding) -> list[str | None]:
    """The outgoing queue as GetOutgoingQueue returns it in `world`: the ids of the messages in
    it, ascending by submission time (the model keeps the queue in that order, R14, R25);
    None for a queued message no id of the log is bound to."""
    return [binding.ids[slot] for slot in world.queue if world.messages[slot].in_queue]


def holds_for_message(config: Config, world: World, slot: int,
                      record: dict[str, Any],
                      observed_matches: Callable[[dict[str, Any], dict[str, Any]], bool]
                      ) -> bool:
    """Whether a message observation record holds for the message in `slot`."""
    if record["result"] != S_OK:
        return True  # a failed read observes nothing
    message = world.messages[slot]
    observed = record.get("observed")
    return observed is None or observed_matches(observed, observe_message(config, message))
