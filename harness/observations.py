"""What the harness compares: the setup a model world starts from, what the model shows of a
world (in the adapter's Observation form), where two observations differ, and the model world
rebuilt from what the implementation shows (so the properties can judge it)."""

from __future__ import annotations

import dataclasses
from typing import Any

from mapi_submission.model.config import Config
from mapi_submission.model.constants import SUBMITFLAG_PREPROCESS, TRACKED_BITS
from mapi_submission.model.observe import (
    HARNESS_OBSERVATION_RULES,
    observation_differences,
    observe_message,
)
from mapi_submission.model.states import INITIAL_TRANSPORT_STATE
from mapi_submission.model.world import SATURATION, Profile, Recipient, World, new_message

from .adapter import MessageObservation, MessageSetup, Observation, RecipientObservation, Setup


def setup_for(config: Config, world: World) -> Setup:
    return Setup(
        tight=world.tight,
        transports=len(world.transports),
        messages=tuple(
            MessageSetup(m.profile.address_types, m.profile.folder,
                         m.profile.needs_preprocessing, m.profile.deferred_send,
                         m.profile.disposition, m.profile.resend)
            for m in world.messages
        ),
        readings=dataclasses.asdict(config.conflicts),
        serves=config.serves,
        preprocessors=config.preprocessors,
    )


def world_for(config: Config, setup: Setup) -> World:
    """The model's initial world for a setup (the inverse of `setup_for`)."""
    return World(
        tight=setup.tight,
        transports=(INITIAL_TRANSPORT_STATE,) * setup.transports,
        queue=(),
        setbacks_left=config.setbacks,
        messages=tuple(
            new_message(Profile(m.address_types, m.folder, m.needs_preprocessing,
                                m.deferred_send, m.disposition, m.resend))
            for m in setup.messages),
    )


def model_observation(config: Config, world: World) -> Observation:
    messages = []
    for message in world.messages:
        seen = observe_message(config, message)
        messages.append(MessageObservation(
            folder=seen["folder"], message_flags=seen["message_flags"],
            submit_flags=seen["submit_flags"], in_queue=seen["in_queue"],
            lock_holders=message.lock_holders, in_direct_send=message.inflight,
            recipients=tuple(RecipientObservation(r["responsibility"], r["state"],
                                                  r["transmissions"])
                             for r in seen["recipients"]),
        ))
    return Observation(tuple(messages), world.queue, world.transports)


def read_as_model(actual: Observation, world: World) -> Observation:
    """The implementation's observation with the two freedoms a real store has, where the
    model shows something else, read as the model's `world` shows it: a message whose
    recipients were never added (R9) may show an empty recipient table, and a message the
    client deleted (R30) may show the folder "gone". Any other difference stays."""
    if len(actual.messages) != len(world.messages):
        return actual
    messages = []
    for seen, message in zip(actual.messages, world.messages, strict=True):
        if not message.addressed and not seen.recipients and message.recipients:
            seen = dataclasses.replace(seen, recipients=tuple(
                RecipientObservation(r.resp, r.outcome, r.transmissions)
                for r in message.recipients))
        if message.phase == "deleted" and seen.folder == "gone":
            seen = dataclasses.replace(seen, folder=message.folder)
        messages.append(seen)
    return dataclasses.replace(actual, messages=tuple(messages))


def normalized(observation: Observation) -> Observation:
    """Counts capped where the model saturates; flags reduced to the bits the rules speak
    about (TRACKED_BITS: a real store's MSGFLAG_READ or MSGFLAG_RESEND is no divergence);
    tuples for lists."""
    return Observation(
        messages=tuple(
            dataclasses.replace(
                m, lock_holders=min(m.lock_holders, SATURATION),
                message_flags=m.message_flags & TRACKED_BITS["message_flags"],
                submit_flags=m.submit_flags & TRACKED_BITS["submit_flags"],
                recipients=tuple(dataclasses.replace(
                    r, transmissions=min(r.transmissions, SATURATION)) for r in m.recipients))
            for m in observation.messages),
        queue=tuple(observation.queue),
        transports=tuple(observation.transports),
    )


def observation_to_json(observation: Observation) -> dict[str, Any]:
    return dataclasses.asdict(observation)


def differences(expected: Observation, actual: Observation) -> list[str]:
    """Human-readable paths where two observations differ: flags by their bits' names, and
    the rules that decide the property (HARNESS_OBSERVATION_RULES)."""
    return observation_differences(observation_to_json(expected), observation_to_json(actual),
                                   HARNESS_OBSERVATION_RULES)


def shadow_world(world: World, observation: Observation) -> World | None:
    """The model's world with every observable field replaced by the implementation's, so the
    properties judge what the implementation shows; None when the shapes do not fit."""
    if len(observation.messages) != len(world.messages) or len(observation.transports) != len(
            world.transports):
        return None
    messages = []
    for message, seen in zip(world.messages, observation.messages, strict=True):
        if len(seen.recipients) != len(message.recipients):
            return None
        messages.append(message._replace(
            folder=seen.folder, in_queue=seen.in_queue,
            lock_holders=min(seen.lock_holders, SATURATION), flags=seen.message_flags,
            preprocess=bool(seen.submit_flags & SUBMITFLAG_PREPROCESS),
            inflight=seen.in_direct_send,
            recipients=tuple(Recipient(r.responsibility, r.state,
                                       min(r.transmissions, SATURATION))
                             for r in seen.recipients)))
    return world._replace(messages=tuple(messages), queue=tuple(observation.queue),
                          transports=tuple(observation.transports))
