"""Weak fairness, the assumption the liveness obligations L1-L3 are proven under: which steps
belong to which fair process.

The clients may stop or repeat themselves forever, so no fairness is assumed for them; every
other actor (`Actor.fair`) is weakly fair. Fairness is per process: each fair actor working on
one message (or on one transport's session) is a process, so the spooler serving message 0
and the spooler serving message 1 are two. Per-process rather than per-actor fairness is what
"the spooler runs" means: a spooler that serves one message forever while another waits is
the starvation L1 forbids, not a fair schedule.

A process is *enabled* in a state when one of its steps leads to a different state (an error
row that changes nothing is not progress), and it is *taken* in a set of states when one of
its state-changing steps stays inside the set. A strongly connected set is a fair cycle when
every fair process is either disabled somewhere in it or taken in it.
"""

from __future__ import annotations

from mapi_submission.model.actors import Actor
from mapi_submission.model.engine import Model, Step

#: The fair actors in name order. Process numbers follow this order, and a lasso
#: counterexample visits the processes in number order, so the order is fixed here rather
#: than left to the enum's declaration order.
FAIR_ORDER: tuple[Actor, ...] = tuple(sorted(actor for actor in Actor if actor.fair))


class FairProcesses:
    """The fair processes of one model, numbered actor-major: process `a * slots + s` is fair
    actor FAIR_ORDER[a] on slot s, where the slots are the messages and then the transports
    (the transport machine's rows act on a transport's session, not on a message)."""

    def __init__(self, model: Model) -> None:
        self.messages = model.config.messages
        self.slots = model.config.messages + model.config.transports
        self.count = len(FAIR_ORDER) * self.slots
        number = {actor: i for i, actor in enumerate(FAIR_ORDER)}
        #: per row name: the number of its actor in FAIR_ORDER, -1 for a client's row
        self._actor_of = {name: number.get(row.actor, -1) for name, row in model.rows.items()}

    def of_step(self, step: Step) -> int:
        """The process taking `step`, or -1 when a client takes it."""
        actor = self._actor_of[step.row]
        if actor < 0:
            return -1
        slot = step.message if step.message >= 0 else self.messages + step.arg
        return actor * self.slots + slot

    def renamed(self, process: int, identities: tuple[int, ...]) -> int:
        """`process` with its message slot read through `identities` (message position ->
        message identity); a transport's process keeps its number."""
        actor, slot = divmod(process, self.slots)
        if slot < self.messages:
            slot = identities[slot]
        return actor * self.slots + slot
