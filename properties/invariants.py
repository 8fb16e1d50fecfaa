"""The safety properties (reference section 2.6): state invariants, judged on every reachable
world, and step invariants, judged on every transition.

Each restates its rules from the world's fields rather than calling the model's guards, so a
wrong guard cannot make its own property pass.
"""

from __future__ import annotations

from mapi_submission.model.actors import Actor
from mapi_submission.model.config import Config
from mapi_submission.model.constants import (
    EX,
    GONE,
    MSGFLAG_SUBMIT,
    MSGFLAG_UNSENT,
    S_OK,
    SENT_ITEMS,
)
from mapi_submission.model.engine import Step
from mapi_submission.model.states import (
    CLIENT_STATES,
    FINISHED,
    IN_SUBMISSION,
    SENT_DIRECTLY,
    WAITING_FOR_SEND_TIME,
    WITH_A_TRANSPORT,
)
from mapi_submission.model.table import Row
from mapi_submission.model.world import Message, World, is_submitted_row

from .registry import register, register_each


def _spooler_needed(config: Config, world: World, message: Message) -> bool:
    """R17 restated: not tightly coupled, or preprocessing, or a recipient the pair cannot
    serve (of a type the tight transport, transport 0, did not register: R43)."""
    profile = message.profile
    tight_types = config.serves[0] if config.serves else (EX,)
    return (
        not world.tight
        or profile.needs_preprocessing
        or any(kind not in tight_types for kind in profile.address_types)
    )


# ---- state invariants ------------------------------------------------------------------------


@register_each("I-ROUTE", ("R17", "R19"),
               "A message is in the spooler's hands only if R17 requires it, and the tight "
               "pair sends only messages of a tightly coupled store that need no "
               "preprocessing.",
               reads=("world.tight", "message.in_queue", "message.lock_holders",
                      "message.flags", "message.phase", "message.folder", "message.profile"))
def route(config: Config, world: World, i: int, m: Message) -> str | None:
    custody = m.in_queue or m.lock_holders > 0
    if custody and not (m.flags & MSGFLAG_SUBMIT):
        return f"in the spooler's hands in state {m.phase} without MSGFLAG_SUBMIT"
    held = (m.phase in WAITING_FOR_SEND_TIME
            and config.conflicts.tight_pair_send_time == "honour")
    if custody and not held and not _spooler_needed(config, world, m):
        return (f"given to the spooler (state {m.phase}, folder {m.folder}) although the "
                "tightly coupled pair can send it alone")
    if m.phase in SENT_DIRECTLY and not (world.tight and not m.profile.needs_preprocessing):
        return "sent by a tight pair that may not send it"
    return None


@register_each("I-EXCL", ("R20",),
               "A message the tight transport is sending is never queued for or locked by "
               "the spooler.",
               reads=("message.inflight", "message.in_queue", "message.lock_holders"))
def exclusive(config: Config, world: World, i: int, m: Message) -> str | None:
    if m.inflight and (m.in_queue or m.lock_holders > 0):
        return "in flight on the tight transport and in the spooler's hands"
    return None


@register_each("I-ONCE", ("R23", "R49", "R58"),
               "No recipient is transmitted twice within one submission.",
               reads=("recipient.transmissions",))
def once(config: Config, world: World, i: int, m: Message) -> str | None:
    for r, row in enumerate(m.recipients):
        if row.transmissions > 1:
            return f"recipient {r} transmitted {row.transmissions} times"
    return None


@register_each("I-LOCK1", ("R31", "R81"), "At most one holder of a message's lock.",
               reads=("message.lock_holders",))
def lock_single(config: Config, world: World, i: int, m: Message) -> str | None:
    return f"{m.lock_holders} lock holders" if m.lock_holders > 1 else None


@register_each("I-LOCK2", ("R62",), "A locked message is queued and submitted.",
               reads=("message.lock_holders", "message.in_queue", "message.flags",
                      "message.phase"))
def lock_queued(config: Config, world: World, i: int, m: Message) -> str | None:
    if m.lock_holders and not (m.in_queue and m.flags & MSGFLAG_SUBMIT):
        return f"locked in state {m.phase} but not queued and submitted"
    return None


@register_each("I-RO", ("R28", "R29"),
               "A message the client can open for writing is neither queued nor locked.",
               reads=("message.phase", "message.in_queue", "message.lock_holders"))
def read_only(config: Config, world: World, i: int, m: Message) -> str | None:
    if m.phase in CLIENT_STATES and (m.in_queue or m.lock_holders):
        return f"writable in state {m.phase} while queued or locked"
    return None


@register_each("I-FLAGS", ("R12", "R13", "R68"),
               "MSGFLAG_SUBMIT is set exactly while submitted; an unsubmitted message is "
               "UNSENT.",
               reads=("message.flags", "message.phase"))
def flags(config: Config, world: World, i: int, m: Message) -> str | None:
    submitted = bool(m.flags & MSGFLAG_SUBMIT)
    if m.phase in IN_SUBMISSION and not submitted:
        return f"state {m.phase} without MSGFLAG_SUBMIT"
    if m.phase in CLIENT_STATES and (submitted or not m.flags & MSGFLAG_UNSENT):
        return f"state {m.phase} with flags {m.flags:#x}"
    return None


@register_each("I-DONE", ("R27", "R63", "R65"),
               "A finished message is not submitted, queued, locked or in flight.",
               reads=("message.phase", "message.flags", "message.in_queue",
                      "message.lock_holders", "message.inflight", "world.queue"))
def done(config: Config, world: World, i: int, m: Message) -> str | None:
    if m.phase in FINISHED and (
        m.flags & MSGFLAG_SUBMIT or m.in_queue or m.lock_holders or m.inflight
        or i in world.queue
    ):
        return f"finished ({m.phase}) but still submitted, queued, locked or in flight"
    return None


@register_each("I-DISP", ("R63",),
               "A finished message is filed as PR_SENTMAIL_ENTRYID / PR_DELETE_AFTER_SUBMIT "
               "say.",
               reads=("message.phase", "message.profile", "message.folder"))
def disposition(config: Config, world: World, i: int, m: Message) -> str | None:
    if m.phase not in FINISHED:
        return None
    wanted = m.profile.disposition
    if wanted == "move_and_delete":
        wanted = "delete" if config.conflicts.sentmail_and_delete == "delete" else "move"
    expected = {"move": SENT_ITEMS, "delete": GONE, "leave": m.profile.folder}[wanted]
    if m.folder != expected:
        return f"finished in folder {m.folder}, expected {expected}"
    return None


@register_each("I-PREPROC", ("R34",),
               "No transport sees a message that still needs preprocessing.",
               reads=("message.phase", "message.preprocess", "message.profile",
                      "message.preprocessors_run"))
def preprocessed(config: Config, world: World, i: int, m: Message) -> str | None:
    if m.phase in WITH_A_TRANSPORT and (
        m.preprocess or (m.profile.needs_preprocessing
                         and m.preprocessors_run < config.preprocessors)
    ):
        return "handed to a transport before preprocessing finished"
    return None


@register_each("I-P1", ("R50", "R74", "R75"),
               "A resend transmits only its MAPI_P1 rows, never a MAPI_SUBMITTED row (the "
               "recipient that already received the original, or the shown row of a failed "
               "one).",
               reads=("message.profile", "recipient.transmissions"))
def resend(config: Config, world: World, i: int, m: Message) -> str | None:
    if not m.profile.resend:
        return None
    for row, recipient in enumerate(m.recipients):
        if recipient.transmissions and is_submitted_row(m.profile, row):
            return (f"recipient row {row} is a MAPI_SUBMITTED row of the resend but was "
                    "transmitted")
    return None


# ---- step invariants -------------------------------------------------------------------------


def _abort_succeeds(row: Row) -> bool:
    return row.event == "IMsgStore::AbortSubmit" and row.result == S_OK


@register("I-ABORT", "step", ("R41", "R67", "R68"),
          "AbortSubmit succeeds only on a queued, unlocked message and leaves it an unsent, "
          "unqueued draft.",
          reads=("message.lock_holders", "message.in_queue", "message.flags"),
          applies=_abort_succeeds)
def abort(config: Config, before: World, row: Row, step: Step, after: World) -> str | None:
    if not _abort_succeeds(row):
        return None
    was, now = before.messages[step.message], after.messages[step.message]
    if was.lock_holders:
        return f"message {step.message}: AbortSubmit succeeded while the spooler held the lock"
    if not was.in_queue:
        return f"message {step.message}: AbortSubmit succeeded on a message not in the queue"
    if now.in_queue or now.flags & MSGFLAG_SUBMIT or not now.flags & MSGFLAG_UNSENT:
        return f"message {step.message}: after AbortSubmit still queued or submitted"
    return None


def _transport_error(row: Row) -> bool:
    return row.event == "IXPLogon::SubmitMessage" and row.result != S_OK


@register("I-ERRSAVE", "step", ("R48",),
          "A transport error keeps the recipient progress the transport saved and only that.",
          reads=("recipient.resp", "message.unsaved"), applies=_transport_error)
def error_keeps_saved(config: Config, before: World, row: Row, step: Step,
                      after: World) -> str | None:
    if not _transport_error(row):
        return None
    was, now = before.messages[step.message], after.messages[step.message]
    for r, (old, new) in enumerate(zip(was.recipients, now.recipients, strict=True)):
        unsaved = was.unsaved >> r & 1
        if old.resp and not unsaved and not new.resp:
            return (f"message {step.message}: {row.result} dropped the saved responsibility "
                    f"of recipient {r}")
        if unsaved and new.resp:
            return (f"message {step.message}: {row.result} kept the responsibility of "
                    f"recipient {r} that the transport never saved")
    return None


def _client_submits(row: Row) -> bool:
    return row.event == "IMessage::SubmitMessage" and row.actor == Actor.CLIENT


@register("I-RESP", "step", ("R48", "R49", "R58"),
          "PR_RESPONSIBILITY only goes from FALSE to TRUE within a submission, except a mark "
          "the transport never saved, which an error discards.",
          reads=("message.phase", "recipient.resp", "message.unsaved"),
          applies=lambda row: not _client_submits(row), changes=("recipient.resp",))
def responsibility(config: Config, before: World, row: Row, step: Step,
                   after: World) -> str | None:
    if step.message < 0 or _client_submits(row):
        return None
    was, now = before.messages[step.message], after.messages[step.message]
    if was.phase not in IN_SUBMISSION:
        return None
    for r, (old, new) in enumerate(zip(was.recipients, now.recipients, strict=True)):
        if old.resp and not new.resp and not was.unsaved >> r & 1:
            return f"message {step.message}: recipient {r} responsibility went TRUE to FALSE"
    return None


#: Store methods that only the spooler may call (R31).
SPOOLER_ONLY = frozenset({"IMsgStore::SetLockState", "IMsgStore::FinishedMsg",
                          "IMsgStore::GetOutgoingQueue"})


def _spooler_only_call_succeeds_for_another(row: Row) -> bool:
    return row.event in SPOOLER_ONLY and row.result == S_OK and row.actor != Actor.SPOOLER


@register("I-ACTOR", "step", ("R31",), "Spooler-only store methods succeed only for the spooler.",
          reads=(), applies=_spooler_only_call_succeeds_for_another)
def actor(config: Config, before: World, row: Row, step: Step, after: World) -> str | None:
    if _spooler_only_call_succeeds_for_another(row):
        return f"{row.event} succeeded for {row.actor}"
    return None
