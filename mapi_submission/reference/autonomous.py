"""The reference system running its own components: its spooler, tight pair and preprocessors
decide for themselves what to do next, and the tester only gives it inputs (the adapter's
`AutonomousSystem`, harness/adapter.py).

Each component is a loop that offers each call it could make, message by message in store
order, to its own policy: the same code that answers the steerable adapter's "lock message 1
now" (store.py), which takes the call when its rules say it is due (the oldest queued message
first, R14, R39; the profile's transport order, R43; an NDR only when no transport takes the
recipient, R58; CompleteMsg after preprocessing, R34, R37; never a message the pair is
sending, R20) and declines it otherwise. Which of its calls a component considers first is
up to its scheduler, as in a real system where the spooler's and the pair's threads race:
here a generator seeded at `start`, so that a run is reproducible call for call. The order
varies from call to call: a policy that takes a call too early shows whichever call it is.
The spooler and the pair take turns, one call per `advance`, so that a tester who gives an
input between two calls sees the pair's sending interleave with the spooler's work on
another message.

Every call a component makes is reported as a record of the call-log format
(docs/log-format.md), with what the store shows of the message after it; the harness numbers
them and names the message by its log id.

May import: harness.adapter, model.constants.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import Any

from mapi_submission.harness.adapter import NOT_DUE, Setup

from .mutants import MUTANTS
from .store import ReferenceSystem

#: actors of the call-log format
SPOOLER, TIGHT_PAIR, PREPROCESSOR = "spooler", "tight pair", "preprocessor"

#: the seed of the components' scheduler at every `start`: the same inputs, the same calls
SCHEDULER_SEED = 20

#: A component's possible call: (record fields naming it, the policy method, its arguments).
Offer = tuple[dict[str, Any], Callable[..., str], tuple[int, ...]]


class Autonomous(ReferenceSystem):
    """The reference store whose spooler, tight pair and preprocessors act on their own."""

    #: every step is reported, the internal ones too (the pair's transmissions, the spooler's
    #: hand-over to a transport and its NDRs): the log of an instrumented build
    logs_every_step = True

    def __init__(self) -> None:
        super().__init__()
        self._turn = 0
        self._scheduler = random.Random(SCHEDULER_SEED)

    def start(self, setup: Setup) -> None:
        super().start(setup)
        self._turn = 0
        self._scheduler = random.Random(SCHEDULER_SEED)

    def advance(self) -> list[dict[str, Any]]:
        """One call of the component whose turn it is (the other's when it has none to make);
        nothing when both are idle. The component's scan starts at a call its scheduler
        draws and goes round its calls from there."""
        components = (self._pair_offers, self._spooler_offers)
        for shift in range(len(components)):
            index = (self._turn + shift) % len(components)
            offers = components[index]()
            first = self._scheduler.randrange(len(offers)) if offers else 0
            for position in range(len(offers)):
                fields, policy, arguments = offers[(first + position) % len(offers)]
                result = policy(*arguments)
                if result == NOT_DUE:
                    continue
                self._turn = (index + 1) % len(components)
                return [self._record(fields, arguments[0], result)]
        return []

    def _record(self, fields: dict[str, Any], message: int, result: str) -> dict[str, Any]:
        seen = self.observe().messages[message]
        return {**fields, "message": message, "result": result, "observed": {
            "folder": seen.folder, "message_flags": seen.message_flags,
            "submit_flags": seen.submit_flags, "in_queue": seen.in_queue,
            "locked": seen.locked,
            "recipients": [dataclasses.asdict(r) for r in seen.recipients]}}

    # ---- what each component may do next, in the order it considers it -----------------------

    def _pair_offers(self) -> list[Offer]:
        if not self.tight:
            return []
        offers: list[Offer] = []
        for m, message in enumerate(self.messages):
            offers += [
                ({"actor": TIGHT_PAIR, "event": "IMAPISupport::SpoolerNotify",
                  "flags": "NOTIFY_READYTOSEND"}, self.tight_request_download, (m,)),
                ({"actor": TIGHT_PAIR, "event": "finish without spooler"},
                 self.tight_finish, (m,)),
                ({"actor": TIGHT_PAIR, "event": "IMAPISupport::CompleteMsg"},
                 self.tight_complete, (m,)),
                ({"actor": TIGHT_PAIR, "event": "queue remaining recipients"},
                 self.tight_queue_rest, (m,)),
                *(({"actor": TIGHT_PAIR, "event": "transmit recipient (tight pair)",
                    "recipient": r}, self.tight_transmit, (m, r))
                  for r in range(len(message.recipients)))]
        return offers

    def _spooler_offers(self) -> list[Offer]:
        offers: list[Offer] = []
        transports = range(len(self.transport_states))
        for m, message in enumerate(self.messages):
            offers += [
                ({"actor": SPOOLER, "event": "IMsgStore::FinishedMsg"}, self.finished_msg, (m,)),
                *(({"actor": SPOOLER, "event": "spooler NDR", "recipient": r},
                   self.spooler_ndr, (m, r)) for r in range(len(message.recipients)))]
            # the spooler asks to lock what GetOutgoingQueue lists and it does not hold
            if m in self.queue and not message.lock_holders and not message.in_direct_send:
                offers.append(({"actor": SPOOLER, "event": "IMsgStore::SetLockState",
                                "lock": "MSG_LOCKED"}, self.spooler_lock, (m,)))
            offers += [
                ({"actor": PREPROCESSOR, "event": "PreprocessMessage"}, self.preprocess, (m,)),
                ({"actor": SPOOLER, "event": "IMessage::SubmitMessage"},
                 self.spooler_submit_after_preprocess, (m,)),
                *(({"actor": SPOOLER, "event": "present to transport", "transport": t},
                   self.present, (m, t)) for t in transports)]
            if message.lock_holders:  # it releases only a lock it holds
                offers.append(({"actor": SPOOLER, "event": "IMsgStore::SetLockState",
                                "lock": "MSG_UNLOCKED"}, self.spooler_unlock, (m,)))
        return offers


def make_autonomous_reference() -> Autonomous:
    """The factory ``mapi-submission conform --adapter
    mapi_submission.reference.autonomous:make_autonomous_reference`` uses."""
    return Autonomous()


def autonomous_mutant(name: str) -> Autonomous:
    """The mutant `name` of the reference (mutants.py), its components acting on their own."""
    kind = MUTANTS[name].kind
    built = type(f"Autonomous{kind.__name__}", (Autonomous, kind), {})
    system: Autonomous = built()
    return system
