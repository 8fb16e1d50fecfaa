"""The liveness obligations (reference section 2.7): ``obligation(config, world, message)`` is
True while the message still owes progress. The checker proves that every obligation is
eventually discharged under weak fairness of the actors that do not stop at will
(`Actor.fair`: every actor but the clients).
"""

from __future__ import annotations

from mapi_submission.model.config import Config
from mapi_submission.model.states import IN_SUBMISSION
from mapi_submission.model.world import World

from .registry import register


@register("L1", "liveness", ("R62", "R67"),
          "Every submitted message eventually finishes (delivered, partially delivered, "
          "non-delivered) or is aborted.", reads=("message.phase",))
def submission_ends(config: Config, world: World, m: int) -> bool:
    return world.messages[m].phase in IN_SUBMISSION


@register("L2", "liveness", ("R38", "R62", "R80"), "Every lock is eventually released.",
          reads=("message.lock_holders",))
def lock_released(config: Config, world: World, m: int) -> bool:
    return world.messages[m].lock_holders > 0


@register("L3", "liveness", ("R58",),
          "Every recipient of a submitted message is eventually sent, non-delivered or "
          "skipped.", reads=("message.phase", "recipient.outcome"))
def recipients_settle(config: Config, world: World, m: int) -> bool:
    message = world.messages[m]
    return message.phase in IN_SUBMISSION and any(r.outcome == "pending"
                                                   for r in message.recipients)
