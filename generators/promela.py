"""Promela export of a bounded model, for SPIN (`mapi-submission export promela`).

The model is emitted from the transition table, not rewritten by hand: one guard macro and
one `fire_<row>` inline per row of `model.table.TABLE`, and one `d_step` option per row,
message and recipient/transport instance in a single `do` loop. What the Python model
expresses as functions (the guards of model/guards.py, the effects of model/effects.py, the
replacements of the known-bad variants and the properties) is translated here as data keyed
by name; `missing_translations()` lists any function without a translation, and a test keeps
that list empty so the export cannot drift from the model silently.

Encoding, chosen so SPIN's reachable states correspond one to one to the explorer's worlds
without symmetry reduction:

- the global variables hold exactly the fields of `model.world.World` (the queue as an array
  with a length, unused slots kept 0), the profile fields included;
- the process `submission` first chooses one of the initial worlds (`Model.initial_worlds`)
  in one atomic step, then loops. SPIN therefore stores one more state than the explorer:
  the all-zero state before the choice;
- error rows whose effect is `none` and whose destination is None change nothing: in SPIN
  they would be self-loops that add no state but mask deadlocks (the checker's DEADLOCK does
  not count them as progress), so they are listed as comments only. No step invariant can
  fail on them: I-ABORT and I-ACTOR judge S_OK rows only, I-ERRSAVE and I-RESP compare the
  recipients before and after, which a self-loop leaves equal;
- DEADLOCK (R62) is SPIN's "invalid end state": the loop blocks exactly where no
  world-changing row is enabled, and a final world keeps one always-enabled option;
- state invariants are assertions of a watcher process that can step only where one is
  violated (so it adds no state); step invariants are assertions inside the rows they judge.
  Each assertion reads a scratch flag named after its property (`assert(!I_ROUTE)`), so
  pan's error line names the property;
- liveness (L-FINAL, L1-L3) is not exported: see NOT_EXPORTED.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mapi_submission.model.config import CONFLICT_VALUES, Config, Features
from mapi_submission.model.constants import (
    ADDRESS_TYPES,
    FOLDERS,
    MSGFLAG_SUBMIT,
    MSGFLAG_UNSENT,
    S_OK,
)
from mapi_submission.model.effects import EFFECT_RULES, EFFECTS
from mapi_submission.model.guards import GUARD_RULES, GUARDS
from mapi_submission.model.states import (
    FINISHED,
    IN_SUBMISSION,
    RECIPIENT_STATE_NAMES,
    STATE_NAMES,
    TERMINAL,
    TRANSPORT_STATE_NAMES,
)
from mapi_submission.model.table import TABLE, Row
from mapi_submission.model.variants import VARIANTS
from mapi_submission.model.world import SATURATION, World, initial_worlds
from mapi_submission.properties import PROPERTIES, SPOOLER_ONLY

#: A translation renders Promela text for a configuration (loops over recipients, transports
#: and messages are unrolled, so the bounds must be known).
Render = Callable[[Config], str]


def _text(body: str) -> Render:
    return lambda config: body


def _any(count: Callable[[Config], int], template: str, empty: str = "0") -> Render:
    """`template` (with `{i}`) or-ed over range(count(config))."""

    def render(config: Config) -> str:
        terms = [template.format(i=i) for i in range(count(config))]
        return " || ".join(f"({t})" for t in terms) if terms else empty

    return render


def _recipients(config: Config) -> int:
    return config.recipients


def _transports(config: Config) -> int:
    return config.transports


def _messages(config: Config) -> int:
    return config.messages


# ---- names of values ----------------------------------------------------------------------

#: Python values -> Promela mtype names (prefixed where two enumerations share a word).
FOLDER_NAMES = {folder: ("sent_items" if folder == "sent" else folder) for folder in FOLDERS}
DISPOSITION_NAMES = {name: f"disp_{name}"
                     for name in ("leave", "move", "delete", "move_and_delete")}


def _phases(names: Iterable[str]) -> str:
    """`msg[m].phase == p1 || ...` for a set of phases, in the table's state order."""
    chosen = [p for p in STATE_NAMES if p in set(names)]
    return " || ".join(f"msg[m].phase == {p}" for p in chosen) or "0"


# ---- guards (model/guards.py), as `#define NAME(m, a) (...)` ------------------------------

#: Helper macros the guard translations share (mirroring the helpers of model/guards.py).
HELPERS: tuple[tuple[str, str], ...] = (
    ("XP_ADDRESS_TYPE(t)", "((t) % 2 == 0 -> EX : SMTP)"),  # R43, transport_address_type
    ("takes(t, m, r)",  # R43, R49
     "(msg[m].rcpt[r].outcome == pending && !msg[m].rcpt[r].resp && "
     "msg[m].address_type[r] == XP_ADDRESS_TYPE(t))"),
    ("needs_preprocessing_now(m)", "(msg[m].needs_preprocessing && !msg[m].preprocessed)"),
    ("send_time_pending(m)", "(msg[m].deferred_send && !msg[m].send_time_reached)"),
    ("in_submission(m)", f"({_phases(IN_SUBMISSION)})"),  # MSGFLAG_SUBMIT states (R12)
)


def _cannot_serve_all(config: Config) -> str:
    """R12, R17: tightly coupled and some recipient is not of the tight transport's type."""
    others = _any(_recipients, "msg[m].address_type[{i}] != XP_ADDRESS_TYPE(0)")(config)
    return f"(tight && ({others}))"


def _spooler_needed(config: Config) -> str:
    return f"(!tight || needs_preprocessing_now(m) || {_cannot_serve_all(config)})"


def _first_waiting(config: Config) -> str:
    """R14, R39: walk the queue; the message itself first, or no earlier one waiting."""
    expression = "1"
    for i in reversed(range(config.messages)):
        waiting = (f"(msg[queue[{i}]].phase == spooled || "
                   f"msg[queue[{i}]].phase == preprocess_queued)")
        expression = (f"(queue_length <= {i} || queue[{i}] == m -> 1 : "
                      f"({waiting} -> 0 : {expression}))")
    return expression


def _no_transport_takes(config: Config) -> str:
    """R58: recipient a is open and no ready, undeclined transport has its type."""
    someone = _any(_transports, "transport_state[{i}] == ready && !((msg[m].declined >> {i}) "
                   "& 1) && takes({i}, m, a)")(config)
    return f"(msg[m].rcpt[a].outcome == pending && !msg[m].rcpt[a].resp && !({someone}))"


def _feature(name: str) -> Render:
    return _text(f"FEATURE_{name}")


def _conflict(name: str, value: str) -> Render:
    return _text(f"CONFLICT_{name}_{value}")


GUARD_PROMELA: dict[str, Render] = {
    "has_no_recipient_rows": _text("!msg[m].addressed"),
    "has_recipient_rows": _text("msg[m].addressed"),
    "no_save_conflict": _text("!msg[m].conflict"),
    "save_conflict": _text("msg[m].conflict"),
    "concurrent_edits_enabled": _text("FEATURE_save_conflicts && !msg[m].conflict"),
    "message_submitted": _text("(msg[m].flags & MSGFLAG_SUBMIT) != 0"),
    "needs_preprocessing": _text("needs_preprocessing_now(m)"),
    "no_preprocessing_needed": _text("!needs_preprocessing_now(m)"),
    "spooler_required": _spooler_needed,
    "store_routes_to_spooler": _text("!tight"),
    "store_routes_to_tight_pair": _text("tight"),
    "send_time_in_future": _text("send_time_pending(m)"),
    "send_time_due": _text("!send_time_pending(m)"),
    "no_spooler_deferral": lambda c: f"!(send_time_pending(m) && {_spooler_needed(c)})",
    "in_flight_on_tight_transport": _text("msg[m].inflight"),
    "not_in_flight_on_tight_transport": _text("!msg[m].inflight"),
    "recipient_for_tight_transport": _text("takes(0, m, a)"),
    "tight_recipients_settled": lambda c: f"!({_any(_recipients, 'takes(0, m, {i})')(c)})",
    "tight_pair_cannot_serve_every_recipient": _cannot_serve_all,
    "tight_pair_serves_every_recipient": lambda c: f"!{_cannot_serve_all(c)}",
    "not_preprocessed": _text("!msg[m].preprocessed"),
    "spooler_may_lock": _text("msg[m].in_queue && !msg[m].inflight"),
    "lock_is_free": _text("msg[m].lock_holders == 0"),
    "lock_is_held": _text("msg[m].lock_holders > 0"),
    "first_waiting_in_queue": _first_waiting,
    "preprocessors_pending": _text("!msg[m].preprocessed"),
    "preprocessors_ran": _text("msg[m].preprocessed"),
    "transport_ready": _text("transport_state[a] == ready"),
    "transport_not_declined": _text("!((msg[m].declined >> a) & 1)"),
    "transport_has_recipients": _any(_recipients, "takes(a, m, {i})"),
    "no_transport_takes_recipient": _no_transport_takes,
    "all_recipients_settled": lambda c: "!(" + _any(
        _recipients, "msg[m].rcpt[{i}].outcome == pending")(c) + ")",
    "outcome_all_handed_off": lambda c: "!(" + _any(
        _recipients, "msg[m].rcpt[{i}].outcome != sent && "
        "msg[m].rcpt[{i}].outcome != skipped")(c) + ")",
    "outcome_partly_handed_off": lambda c: (
        "(" + _any(_recipients, "msg[m].rcpt[{i}].outcome == ndr")(c) + ") && ("
        + _any(_recipients, "msg[m].rcpt[{i}].outcome == sent || "
               "msg[m].rcpt[{i}].outcome == skipped")(c) + ")"),
    "outcome_none_handed_off": lambda c: "!(" + _any(
        _recipients, "msg[m].rcpt[{i}].outcome != ndr")(c) + ")",
    "recipient_for_this_transport": _text("takes(msg[m].transport, m, a)"),
    "transport_failures_enabled": _feature("transport_failures"),
    "setback_available": _text("setbacks_left > 0"),
    "nothing_processed_in_call": _text("!msg[m].call_progress"),
    "transport_settled_its_recipients": lambda c: "!(" + _any(
        _recipients, "takes(msg[m].transport, m, {i})")(c) + ")",
    "deferral_enabled": _feature("deferral"),
    "lock_held_during_retry": _conflict("lock_during_retry", "hold"),
    "lock_released_during_retry": _conflict("lock_during_retry", "release"),
    "cancel_means_retry": _conflict("after_cancel", "retry"),
    "cancel_means_decline": _conflict("after_cancel", "decline"),
    "abort_enabled": _feature("abort"),
    "in_outgoing_queue": _text("msg[m].in_queue"),
    "not_in_outgoing_queue": _text("!msg[m].in_queue"),
    "not_locked_by_spooler": _text("msg[m].lock_holders == 0"),
    "locked_by_spooler": _text("msg[m].lock_holders > 0"),
    "direct_send_abort_not_in_queue": _conflict("abort_during_direct_send", "not_in_queue"),
    "direct_send_abort_unable": _conflict("abort_during_direct_send", "unable_to_abort"),
    "queued_and_unlocked": _text("msg[m].in_queue && msg[m].lock_holders == 0"),
}


# ---- effects (model/effects.py), as `inline NAME(m, a) { ... }` ---------------------------


def _finished_folder() -> str:
    """R63: where FinishedMsg files the message (effects._finished_folder)."""
    return (
        "if\n"
        ":: msg[m].disposition == disp_move || (msg[m].disposition == disp_move_and_delete "
        "&& CONFLICT_sentmail_and_delete_move) -> msg[m].folder = sent_items\n"
        ":: msg[m].disposition == disp_delete || (msg[m].disposition == disp_move_and_delete "
        "&& CONFLICT_sentmail_and_delete_delete) -> msg[m].folder = gone\n"
        ":: else -> skip\n"
        "fi"
    )


_SPEND_SETBACK = "setbacks_left = setbacks_left - 1"
_LOCK_AFTER_WAIT = ("if\n:: CONFLICT_lock_during_retry_hold -> skip\n"
                    ":: else -> msg[m].lock_holders = 0\nfi")
_CLEAR_SUBMIT_UNSENT = "msg[m].flags = msg[m].flags & ~(MSGFLAG_SUBMIT | MSGFLAG_UNSENT)"


def _lines(*statements: str) -> Render:
    return _text(";\n".join(statements))


def _save_and_mark(config: Config) -> str:
    rows = []
    for i in range(config.recipients):
        if i == 0:
            rows.append(
                "if\n:: msg[m].resend && CONFLICT_resend_submitted_rows_skip ->\n"
                "   msg[m].rcpt[0].resp = 1; msg[m].rcpt[0].outcome = skipped\n"
                ":: else ->\n   msg[m].rcpt[0].resp = 0; msg[m].rcpt[0].outcome = pending\n"
                "fi;\nmsg[m].rcpt[0].transmissions = 0")
        else:
            rows.append(f"msg[m].rcpt[{i}].resp = 0; msg[m].rcpt[{i}].outcome = pending; "
                        f"msg[m].rcpt[{i}].transmissions = 0")
    return ";\n".join([
        "msg[m].flags = msg[m].flags | MSGFLAG_SUBMIT",
        "if\n:: CONFLICT_unsent_while_submitted_clear -> "
        "msg[m].flags = msg[m].flags & ~MSGFLAG_UNSENT\n"
        ":: else -> msg[m].flags = msg[m].flags | MSGFLAG_UNSENT\nfi",
        *rows,
        "msg[m].declined = 0; msg[m].preprocessed = 0; msg[m].preprocess = 0",
        "msg[m].transport = -1; msg[m].call_progress = 0",
    ])


_TRANSMIT = ("msg[m].rcpt[a].resp = 1; msg[m].rcpt[a].outcome = sent;\n"
             f"if\n:: msg[m].rcpt[a].transmissions < {SATURATION} -> "
             "msg[m].rcpt[a].transmissions = msg[m].rcpt[a].transmissions + 1\n"
             ":: else -> skip\nfi")

EFFECT_PROMELA: dict[str, Render] = {
    "none": _text("skip"),
    "add_recipient_rows": _text("msg[m].addressed = 1"),
    "record_concurrent_commit": _text("msg[m].conflict = 1"),
    "overwrite_concurrent_commit": _text("msg[m].conflict = 0"),
    "save_and_mark": _save_and_mark,
    "enqueue_for_preprocessing": _lines("msg[m].preprocess = 1", "enqueue(m)"),
    "enqueue_for_spooler": _text("enqueue(m)"),
    "enqueue_until_send_time": _text("enqueue(m)"),
    "release_at_send_time": _lines("msg[m].send_time_reached = 1", "dequeue(m)"),
    "start_direct_send": _text("msg[m].inflight = 1"),
    "enqueue_in_flight": _text("enqueue(m)"),
    "tight_transmit": _text(_TRANSMIT),
    "finish_without_spooler": _lines(
        "msg[m].inflight = 0", _CLEAR_SUBMIT_UNSENT, _finished_folder(),
        "msg[m].declined = 0", "msg[m].preprocessed = 0"),
    "hand_completion_to_spooler": _text("msg[m].inflight = 0"),
    "queue_remaining_recipients": _lines("msg[m].inflight = 0", "enqueue(m)"),
    "take_lock": _text(f"if\n:: msg[m].lock_holders < {SATURATION} -> "
                       "msg[m].lock_holders = msg[m].lock_holders + 1\n:: else -> skip\nfi"),
    "run_preprocessors": _text("msg[m].preprocessed = 1"),
    "finish_preprocessing": _text("msg[m].preprocess = 0"),
    "present_to_transport": _lines("msg[m].transport = a", "msg[m].call_progress = 0"),
    "spooler_ndr": _text("msg[m].rcpt[a].outcome = ndr"),
    "finish_message": _lines(
        "msg[m].lock_holders = 0", "msg[m].preprocess = 0", "msg[m].transport = -1",
        "msg[m].declined = 0", "msg[m].preprocessed = 0", "msg[m].call_progress = 0",
        _CLEAR_SUBMIT_UNSENT, _finished_folder(), "dequeue(m)"),
    "transport_transmit": _lines(_TRANSMIT, "msg[m].call_progress = 1"),
    "transport_fails_recipient": _lines(
        "msg[m].rcpt[a].resp = 1", "msg[m].rcpt[a].outcome = ndr",
        "msg[m].call_progress = 1"),
    "end_message": _text("msg[m].transport = -1"),
    "resend_now": _lines(_SPEND_SETBACK, "msg[m].call_progress = 0"),
    "wait_keeping_progress": _lines(_SPEND_SETBACK, _LOCK_AFTER_WAIT),
    "wait_after_error": _lines(_SPEND_SETBACK, _LOCK_AFTER_WAIT),
    "decline_transport": _lines(
        _SPEND_SETBACK, "msg[m].declined = msg[m].declined | (1 << msg[m].transport)",
        "msg[m].transport = -1"),
    "transport_critical_error": _lines(
        _SPEND_SETBACK, "transport_state[msg[m].transport] = critical",
        "msg[m].transport = -1"),
    "resume_deferred": _lines(
        "if\n:: msg[m].lock_holders == 0 -> msg[m].lock_holders = 1\n:: else -> skip\nfi",
        "msg[m].call_progress = 0"),
    "retry_delay_elapsed": _text("msg[m].transport = -1"),
    "transport_recovers": _text("transport_state[a] = ready"),
    "abort_submission": _lines(
        "msg[m].lock_holders = 0", "msg[m].preprocess = 0", "msg[m].transport = -1",
        "msg[m].inflight = 0", "msg[m].call_progress = 0",
        "msg[m].flags = (msg[m].flags & ~MSGFLAG_SUBMIT) | MSGFLAG_UNSENT", "dequeue(m)"),
}


def _discard_all_progress(config: Config) -> str:
    resets = [
        f"if\n:: (msg[m].rcpt[{i}].outcome == sent || msg[m].rcpt[{i}].outcome == ndr) && "
        f"msg[m].address_type[{i}] == XP_ADDRESS_TYPE(msg[m].transport) ->\n"
        f"   msg[m].rcpt[{i}].resp = 0; msg[m].rcpt[{i}].outcome = pending\n"
        ":: else -> skip\nfi"
        for i in range(config.recipients)
    ]
    return ";\n".join([*resets, _LOCK_AFTER_WAIT, _SPEND_SETBACK])


#: Replacements of the known-bad variants (model/variants.py): variant -> name -> text.
VARIANT_GUARD_PROMELA: dict[str, dict[str, Render]] = {
    "location-only": {
        "store_routes_to_spooler": _text("!tight || msg[m].folder != outbox"),
        "store_routes_to_tight_pair": _text("tight && msg[m].folder == outbox"),
    },
    "abort-ignores-lock": {"not_locked_by_spooler": _text("1")},
    "lock-not-exclusive": {"lock_is_free": _text("1")},
    "download-in-flight": {"not_in_flight_on_tight_transport": _text("1")},
}
VARIANT_EFFECT_PROMELA: dict[str, dict[str, Render]] = {
    "error-discards-saved-progress": {"wait_after_error": _discard_all_progress},
}


# ---- properties (properties/__init__.py) ----------------------------------------------------


def _spooler_needed_property(config: Config) -> str:
    """R17 as I-ROUTE restates it (profile only, not the preprocessing progress)."""
    others = _any(_recipients, "msg[m].address_type[{i}] != EX")(config)
    return f"(!tight || msg[m].needs_preprocessing || {others})"


def _in_queue_list(config: Config) -> str:
    return _any(_messages, "queue_length > {i} && queue[{i}] == m")(config)


def _disposition_wrong() -> str:
    return ("(msg[m].disposition == disp_leave && msg[m].folder != msg[m].home_folder) || "
            "(msg[m].disposition == disp_move && msg[m].folder != sent_items) || "
            "(msg[m].disposition == disp_delete && msg[m].folder != gone) || "
            "(msg[m].disposition == disp_move_and_delete && CONFLICT_sentmail_and_delete_move "
            "&& msg[m].folder != sent_items) || "
            "(msg[m].disposition == disp_move_and_delete && CONFLICT_sentmail_and_delete_delete "
            "&& msg[m].folder != gone)")


_SUBMITTED = "(msg[m].flags & MSGFLAG_SUBMIT)"
_CUSTODY = "(msg[m].in_queue || msg[m].lock_holders > 0)"

#: State invariants: the violation for message m (the checker's `_each` runs it per message).
STATE_PROPERTY_PROMELA: dict[str, Render] = {
    "I-ROUTE": lambda c: (
        f"({_CUSTODY} && !{_SUBMITTED}) || ({_CUSTODY} && !{_spooler_needed_property(c)}) || "
        "(msg[m].phase == direct_sending && !(tight && !msg[m].needs_preprocessing))"),
    "I-EXCL": _text(f"msg[m].inflight && {_CUSTODY}"),
    "I-ONCE": _any(_recipients, "msg[m].rcpt[{i}].transmissions > 1"),
    "I-LOCK1": _text("msg[m].lock_holders > 1"),
    "I-LOCK2": _text(f"msg[m].lock_holders > 0 && !(msg[m].in_queue && {_SUBMITTED})"),
    "I-RO": _text(f"({_phases(('draft', 'saved'))}) && {_CUSTODY}"),
    "I-FLAGS": _text(
        f"(in_submission(m) && !{_SUBMITTED}) || (({_phases(('draft', 'saved'))}) "
        f"&& ({_SUBMITTED} || !(msg[m].flags & MSGFLAG_UNSENT)))"),
    "I-DONE": lambda c: (
        f"({_phases(FINISHED)}) && ({_SUBMITTED} || msg[m].in_queue || "
        f"msg[m].lock_holders > 0 || msg[m].inflight || {_in_queue_list(c)})"),
    "I-DISP": _text(f"({_phases(FINISHED)}) && ({_disposition_wrong()})"),
    "I-PREPROC": _text(
        f"({_phases(('in_transport', 'awaiting_end'))}) && (msg[m].preprocess || "
        "(msg[m].needs_preprocessing && !msg[m].preprocessed))"),
    "I-P1": _text("msg[m].resend && msg[m].rcpt[0].transmissions > 0"),
}


@dataclass(frozen=True)
class StepCheck:
    """A step invariant: the rows it judges, statements before the effect (assertions on
    the world before, or saving what `after` compares) and assertions after it."""

    applies: Callable[[Row], bool]
    before: Render
    after: Render


def _save_responsibility(config: Config) -> str:
    return "; ".join(f"resp_before[{i}] = msg[m].rcpt[{i}].resp"
                     for i in range(config.recipients))


def _responsibility_dropped(config: Config) -> str:
    return _any(_recipients, "resp_before[{i}] && !msg[m].rcpt[{i}].resp")(config)


STEP_PROPERTY_PROMELA: dict[str, StepCheck] = {
    "I-ABORT": StepCheck(
        lambda row: row.event == "IMsgStore::AbortSubmit" and row.result == S_OK,
        _text("I_ABORT = msg[m].lock_holders > 0 || !msg[m].in_queue; assert(!I_ABORT)"),
        _text(f"I_ABORT = msg[m].in_queue || {_SUBMITTED} || !(msg[m].flags & MSGFLAG_UNSENT);"
              " assert(!I_ABORT)"),
    ),
    "I-ERRSAVE": StepCheck(
        lambda row: row.event == "IXPLogon::SubmitMessage" and row.result != S_OK,
        _save_responsibility,
        lambda c: f"I_ERRSAVE = {_responsibility_dropped(c)}; assert(!I_ERRSAVE)",
    ),
    "I-RESP": StepCheck(
        lambda row: row.machine == "message" and not (
            row.event == "IMessage::SubmitMessage" and row.actor == "client"),
        lambda c: f"was_in_submission = in_submission(m); {_save_responsibility(c)}",
        lambda c: (f"I_RESP = was_in_submission && ({_responsibility_dropped(c)}); "
                   "assert(!I_RESP)"),
    ),
    "I-ACTOR": StepCheck(
        lambda row: row.event in SPOOLER_ONLY and row.result == S_OK and row.actor != "spooler",
        _text("I_ACTOR = 1; assert(!I_ACTOR)"),
        _text(""),
    ),
}

#: Properties SPIN is not asked to judge, with the reason.
NOT_EXPORTED: dict[str, str] = {
    "L1": "liveness under per-process weak fairness of the fair actors (one process here, "
          "so SPIN's -f fairness does not express it)",
    "L2": "liveness, as L1",
    "L3": "liveness, as L1",
}


def missing_translations() -> list[str]:
    """Every guard, effect, variant replacement or property without a Promela translation."""
    missing = [f"guard {name}" for name in GUARDS if name not in GUARD_PROMELA]
    missing += [f"effect {name}" for name in EFFECTS if name not in EFFECT_PROMELA]
    for name, variant in VARIANTS.items():
        missing += [f"variant {name} guard {g}" for g in variant.guard_overrides
                    if g not in VARIANT_GUARD_PROMELA.get(name, {})]
        missing += [f"variant {name} effect {e}" for e in variant.effect_overrides
                    if e not in VARIANT_EFFECT_PROMELA.get(name, {})]
    for pid, prop in PROPERTIES.items():
        known = (STATE_PROPERTY_PROMELA if prop.kind == "state" else STEP_PROPERTY_PROMELA
                 if prop.kind == "step" else NOT_EXPORTED)
        if pid not in known:
            missing.append(f"{prop.kind} property {pid}")
    return missing


def unused_translations() -> list[str]:
    """Translations whose Python function no longer exists (stale data)."""
    stale = [f"guard {name}" for name in GUARD_PROMELA if name not in GUARDS]
    stale += [f"effect {name}" for name in EFFECT_PROMELA if name not in EFFECTS]
    for name, table in (*VARIANT_GUARD_PROMELA.items(), *VARIANT_EFFECT_PROMELA.items()):
        variant = VARIANTS.get(name)
        overrides = ({**variant.guard_overrides, **variant.effect_overrides}
                     if variant else {})
        stale += [f"variant {name} {key}" for key in table if key not in overrides]
    known = {*STATE_PROPERTY_PROMELA, *STEP_PROPERTY_PROMELA, *NOT_EXPORTED}
    stale += [f"property {pid}" for pid in sorted(known) if pid not in PROPERTIES]
    return stale


class TranslationMissing(LookupError):
    """The model has a guard, effect or property the export does not translate."""


# ---- rendering --------------------------------------------------------------------------------


def _identifier(name: str) -> str:
    return name.replace("-", "_")


def _block(text: str, indent: str) -> str:
    return "\n".join(indent + line if line else line for line in text.splitlines())


def _rule_list(rules: Iterable[str]) -> str:
    return ", ".join(rules) if rules else "no rule"


def _value_names(world: World) -> list[str]:
    """The assignments that set every variable to `world` (an initial world)."""
    lines = [f"tight = {int(world.tight)}; setbacks_left = {world.setbacks_left}"]
    lines.append("; ".join(f"transport_state[{t}] = {state}"
                           for t, state in enumerate(world.transports)))
    for i, slot in enumerate(world.queue):
        lines.append(f"queue[{i}] = {slot}")
    lines.append(f"queue_length = {len(world.queue)}")
    for m, message in enumerate(world.messages):
        profile = message.profile
        fields = [
            f"msg[{m}].phase = {message.phase}",
            f"msg[{m}].folder = {FOLDER_NAMES[message.folder]}",
            f"msg[{m}].in_queue = {int(message.in_queue)}",
            f"msg[{m}].lock_holders = {message.lock_holders}",
            f"msg[{m}].flags = {message.flags}",
            f"msg[{m}].preprocess = {int(message.preprocess)}",
            f"msg[{m}].inflight = {int(message.inflight)}",
            f"msg[{m}].transport = {message.transport}",
            f"msg[{m}].declined = {message.declined}",
            f"msg[{m}].call_progress = {int(message.call_progress)}",
            f"msg[{m}].preprocessed = {int(message.preprocessed)}",
            f"msg[{m}].addressed = {int(message.addressed)}",
            f"msg[{m}].conflict = {int(message.conflict)}",
            f"msg[{m}].send_time_reached = {int(message.send_time_reached)}",
            f"msg[{m}].home_folder = {FOLDER_NAMES[profile.folder]}",
            f"msg[{m}].needs_preprocessing = {int(profile.needs_preprocessing)}",
            f"msg[{m}].deferred_send = {int(profile.deferred_send)}",
            f"msg[{m}].disposition = {DISPOSITION_NAMES[profile.disposition]}",
            f"msg[{m}].resend = {int(profile.resend)}",
        ]
        for r, recipient in enumerate(message.recipients):
            fields += [
                f"msg[{m}].address_type[{r}] = {profile.address_types[r]}",
                f"msg[{m}].rcpt[{r}].resp = {int(recipient.resp)}",
                f"msg[{m}].rcpt[{r}].outcome = {recipient.outcome}",
                f"msg[{m}].rcpt[{r}].transmissions = {recipient.transmissions}",
            ]
        lines.append("; ".join(fields))
    return lines


def _is_self_loop(row: Row, effects: dict[str, Render]) -> bool:
    return row.dest is None and row.effect == "none" and effects["none"] is EFFECT_PROMELA["none"]


def to_promela(config: Config, variant: str | None = None) -> str:
    """The Promela text of `config` (and of a known-bad variant); deterministic."""
    missing = missing_translations()
    if missing:
        raise TranslationMissing("no Promela translation for " + ", ".join(missing))
    if variant is not None and variant not in VARIANTS:
        raise KeyError(f"unknown variant {variant!r}; known: {', '.join(sorted(VARIANTS))}")
    guards = dict(GUARD_PROMELA)
    effects = dict(EFFECT_PROMELA)
    if variant is not None:
        guards.update(VARIANT_GUARD_PROMELA.get(variant, {}))
        effects.update(VARIANT_EFFECT_PROMELA.get(variant, {}))
    out: list[str] = []
    emit = out.append

    title = variant or "specification"
    emit(f"/* MAPI outgoing-message submission ({title}), exported from the transition")
    emit("   table by `mapi-submission export promela`. Do not edit: regenerate.")
    emit(f"   Bounds: {config.messages} message(s) x {config.recipients} recipient(s), "
         f"{config.transports} transport(s), setbacks {config.setbacks}, profiles "
         f"{config.profiles}.")
    emit(f"   Couplings {', '.join(config.coupling)}; address mixes "
         f"{', '.join(config.address_mixes)}; folders {', '.join(config.folders)}; "
         f"dispositions {', '.join(config.dispositions)}.")
    if variant is not None:
        emit(f"   Known-bad variant {variant} ({_rule_list(VARIANTS[variant].rules)}): "
             f"expected to break {', '.join(VARIANTS[variant].breaks)}.")
    emit("   Verify: spin -a FILE.pml && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && "
         "./pan -m1000000")
    emit("   SPIN stores one state more than `mapi-submission check --no-symmetry` reports:")
    emit("   the all-zero state before the initial world is chosen. */")
    emit("")

    emit("/* ---- bounds and configuration (model/config.py) ---- */")
    emit(f"#define MESSAGES {config.messages}")
    emit(f"#define RECIPIENTS {config.recipients}")
    emit(f"#define TRANSPORTS {config.transports}")
    emit(f"#define MSGFLAG_SUBMIT {MSGFLAG_SUBMIT}")
    emit(f"#define MSGFLAG_UNSENT {MSGFLAG_UNSENT}")
    for name in Features.__dataclass_fields__:
        emit(f"#define FEATURE_{name} {int(getattr(config.features, name))}")
    for name, values in CONFLICT_VALUES.items():
        chosen = getattr(config.conflicts, name)
        for value in values:
            emit(f"#define CONFLICT_{name}_{value} {int(value == chosen)}")
    emit("")

    emit("/* ---- values (model/states.py, model/constants.py) ---- */")
    emit(f"mtype = {{ {', '.join(STATE_NAMES)} }}  /* message phases */")
    emit(f"mtype = {{ {', '.join(RECIPIENT_STATE_NAMES)} }}  /* recipient outcomes */")
    emit(f"mtype = {{ {', '.join(TRANSPORT_STATE_NAMES)} }}  /* transport sessions (R44, R56) */")
    emit(f"mtype = {{ {', '.join(FOLDER_NAMES.values())} }}  /* folders (R1, R27, R63) */")
    emit(f"mtype = {{ {', '.join(ADDRESS_TYPES)} }}  /* address types (R43) */")
    emit(f"mtype = {{ {', '.join(DISPOSITION_NAMES.values())} }}  /* dispositions (R63) */")
    emit("")

    emit("/* ---- the world (model/world.py) ---- */")
    emit("typedef Recipient {")
    emit("    bit resp;               /* PR_RESPONSIBILITY (R49, R58) */")
    emit("    mtype outcome;          /* pending / sent / ndr / skipped */")
    emit(f"    byte transmissions      /* copies put on the wire, saturating at {SATURATION} "
         "(I-ONCE) */")
    emit("}")
    emit("typedef Message {")
    for declaration, meaning in (
        ("mtype phase", "life-cycle state"),
        ("mtype folder", "physical location (R27)"),
        ("bit in_queue", "member of the outgoing queue (R25)"),
        ("byte lock_holders", "SetLockState holders (R38, R81)"),
        ("byte flags", "PR_MESSAGE_FLAGS: SUBMIT, UNSENT (R2, R13)"),
        ("bit preprocess", "SUBMITFLAG_PREPROCESS (R26, R34)"),
        ("bit inflight", "the tight transport is sending it (R20)"),
        ("short transport", "transport of the running call, -1 when none (R46)"),
        ("byte declined", "transports that answered NOT_ME, one bit each (R47)"),
        ("bit call_progress", "the running call touched a recipient (R47)"),
        ("bit preprocessed", "preprocessing round-trip done (R34, R37)"),
        ("bit addressed", "recipient table non-empty (R9)"),
        ("bit conflict", "another handle committed meanwhile (R4)"),
        ("bit send_time_reached", "PR_DEFERRED_SEND_TIME passed (R72)"),
        ("Recipient rcpt[RECIPIENTS]", "recipient rows"),
        ("mtype address_type[RECIPIENTS]", "profile: address type per recipient (R43)"),
        ("mtype home_folder", "profile: folder composed in (R1, R19)"),
        ("bit needs_preprocessing", "profile: a preprocessor matches (R32, R33)"),
        ("bit deferred_send", "profile: send later (R72)"),
        ("mtype disposition", "profile: PR_SENTMAIL_ENTRYID / DELETE_AFTER_SUBMIT (R63)"),
        ("bit resend", "profile: MSGFLAG_RESEND (R74, R75)"),
    ):
        emit(f"    {declaration + ';':<34}/* {meaning} */")
    emit("}")
    emit("bit tight;                          /* store tightly coupled with transport 0 (R18) */")
    emit("mtype transport_state[TRANSPORTS];  /* ready / critical (R44, R56) */")
    emit("byte queue[MESSAGES];               /* outgoing queue, submission order (R14, R25) */")
    emit("byte queue_length;")
    emit("byte setbacks_left;                 /* transport setbacks still possible */")
    emit("Message msg[MESSAGES];")
    emit("bit started;                        /* an initial world has been chosen */")
    emit("")
    emit("/* Scratch for the checks, reset after every step so it never tells two states apart.")
    emit("   Hidden from the state vector, except under `spin -DMULTICORE -a` (multi-core pan,")
    emit("   gcc -DNCORE=N, cannot hide variables; SPIN hides bytes, not bits). */")
    emit("#ifdef MULTICORE")
    emit("#define SCRATCH byte")
    emit("#else")
    emit("#define SCRATCH hidden byte")
    emit("#endif")
    flags = [_identifier(pid) for pid in (*STATE_PROPERTY_PROMELA, *STEP_PROPERTY_PROMELA)]
    emit("SCRATCH i, j;")
    emit("SCRATCH was_in_submission;")
    emit("SCRATCH resp_before[RECIPIENTS];")
    emit(f"SCRATCH {', '.join(flags)};  /* one per property: pan names the failing one */")
    emit("inline forget_scratch() {")
    emit("    i = 0; j = 0; was_in_submission = 0;")
    emit("    " + " ".join(f"resp_before[{r}] = 0;" for r in range(config.recipients)))
    emit(_block(textwrap.fill(" ".join(f"{flag} = 0;" for flag in flags), 88), "    "))
    emit("}")
    emit("")

    emit("/* ---- queue helpers (model/effects.py _enqueue, _dequeue; R25) ---- */")
    emit("#define queued(m) (" + _any(_messages, "queue_length > {i} && queue[{i}] == m")(config)
         + ")")
    emit("inline enqueue(m) {")
    emit("    msg[m].in_queue = 1;")
    emit("    if")
    emit("    :: !queued(m) -> queue[queue_length] = m; queue_length = queue_length + 1")
    emit("    :: else -> skip")
    emit("    fi")
    emit("}")
    emit("inline dequeue(m) {  /* remove m, keep the order, keep unused slots 0 */")
    emit("    msg[m].in_queue = 0;")
    emit("    j = 0;")
    emit("    for (i : 0 .. MESSAGES - 1) {")
    emit("        if")
    emit("        :: i < queue_length && queue[i] != m -> queue[j] = queue[i]; j = j + 1")
    emit("        :: else -> skip")
    emit("        fi")
    emit("    }")
    emit("    for (i : 0 .. MESSAGES - 1) {")
    emit("        if")
    emit("        :: i >= j -> queue[i] = 0")
    emit("        :: else -> skip")
    emit("        fi")
    emit("    }")
    emit("    queue_length = j")
    emit("}")
    emit("")

    emit("/* ---- guards (model/guards.py) ---- */")
    for signature, expansion in HELPERS:
        emit(f"#define {signature} {expansion}")
    used_guards = sorted({g for row in TABLE for g in row.guards})
    overridden = VARIANTS[variant].guard_overrides if variant else {}
    for name in used_guards:
        note = f"{_rule_list(GUARD_RULES.get(name, ()))}"
        if name in overridden:
            note += f"; replaced by variant {variant}"
        emit(f"/* {name}: {note} */")
        emit(f"#define {name}(m, a) ({guards[name](config)})")
    emit("")

    emit("/* ---- effects (model/effects.py) ---- */")
    used_effects = sorted({row.effect for row in TABLE if not _is_self_loop(row, effects)})
    overridden_effects = VARIANTS[variant].effect_overrides if variant else {}
    for name in used_effects:
        note = _rule_list(EFFECT_RULES.get(name, ()))
        if name in overridden_effects:
            note += f"; replaced by variant {variant}"
        emit(f"inline {name}(m, a) {{  /* {note} */")
        emit(_block(effects[name](config), "    "))
        emit("}")
    emit("")

    emit("/* ---- rows (model/table.py): enabled_<row> is source state and guards, "
         "fire_<row> the")
    emit("   effect, the destination and the step invariants judging the row ---- */")
    instances: list[str] = []
    for row in TABLE:
        ident = _identifier(row.name)
        header = (f"/* {row.name}: {row.actor}, {row.event} -> {row.result}; "
                  f"{_rule_list(row.rules)} */")
        if _is_self_loop(row, effects):
            emit(f"/* {row.name}: {row.actor}, {row.event} -> {row.result}; "
                 f"{_rule_list(row.rules)}.")
            emit(f"   Error row, changes nothing (guards: {', '.join(row.guards) or 'none'}; "
                 f"from {', '.join(row.sources)}): a self-loop, not emitted. */")
            continue
        emit(header)
        if row.machine == "transport":
            source = " || ".join(f"transport_state[a] == {s}" for s in row.sources)
        else:
            source = " || ".join(f"msg[m].phase == {s}" for s in row.sources)
        condition = [f"({source})"] + [f"{g}(m, a)" for g in row.guards]
        emit(f"#define enabled_{ident}(m, a) ({' && '.join(condition)})")
        checks = [(pid, c) for pid, c in STEP_PROPERTY_PROMELA.items() if c.applies(row)]
        body: list[str] = []
        for pid, check in checks:
            text = check.before(config)
            if text:
                body.append(f"/* {pid} */ {text}")
        body.append(f"{row.effect}(m, a)")
        if row.dest is not None and row.machine == "message":
            body.append(f"msg[m].phase = {row.dest}")
        for pid, check in checks:
            text = check.after(config)
            if text:
                body.append(f"/* {pid} */ {text}")
        body.append("forget_scratch()")
        emit(f"inline fire_{ident}(m, a) {{")
        emit(_block(";\n".join(body), "    "))
        emit("}")
        if row.machine == "transport":
            pairs = [(-1, t) for t in range(config.transports)]
        else:
            args = (range(config.recipients) if row.ranges_over == "recipient"
                    else range(config.transports) if row.ranges_over == "transport" else (-1,))
            pairs = [(m, a) for m in range(config.messages) for a in args]
        for m, a in pairs:
            instances.append(f"    :: d_step {{ enabled_{ident}({m}, {a}) -> "
                             f"fire_{ident}({m}, {a}) }}")
    emit("")

    emit("/* ---- state invariants (properties/__init__.py), per message ---- */")
    for pid, render in STATE_PROPERTY_PROMELA.items():
        prop = PROPERTIES[pid]
        emit(f"/* {pid}: {prop.description} ({_rule_list(prop.rules)}) */")
        emit(f"#define violates_{_identifier(pid)}(m) ({render(config)})")
    emit("")
    emit("#define final_world (" + " && ".join(
        "(" + " || ".join(f"msg[{m}].phase == {p}" for p in sorted(TERMINAL)) + ")"
        for m in range(config.messages)) + ")")
    emit("")

    emit("/* The watcher steps only in a world violating a state invariant and returns to")
    emit("   where it was, so it adds no state; each failing assertion names its property. */")
    emit("active proctype invariants() {")
    any_violation = " ||\n            ".join(
        f"violates_{_identifier(pid)}({m})"
        for pid in STATE_PROPERTY_PROMELA for m in range(config.messages))
    emit("end_watch:")
    emit("    do")
    emit("    :: d_step {")
    emit(f"        started && ({any_violation}) ->")
    for pid in STATE_PROPERTY_PROMELA:
        flag = _identifier(pid)
        terms = " || ".join(f"violates_{flag}({m})" for m in range(config.messages))
        emit(f"        {flag} = {terms}; assert(!{flag});")
    emit("        forget_scratch()")
    emit("    }")
    emit("    od")
    emit("}")
    emit("")

    worlds = initial_worlds(config)
    unique = list(dict.fromkeys(worlds))
    emit("/* The system: choose an initial world (Model.initial_worlds), then take any enabled")
    emit("   row. A world that is not final and has no enabled row is an invalid end state:")
    emit("   DEADLOCK (R62). */")
    emit("active proctype submission() {")
    emit("    atomic {")
    emit("        if")
    for number, world in enumerate(unique, 1):
        emit(f"        :: /* initial world {number} of {len(unique)} */")
        for line in _value_names(world):
            emit(f"           {line};")
        emit("           skip")
    emit("        fi;")
    emit("        started = 1")
    emit("    };")
    emit("    do")
    out.extend(instances)
    emit("    :: final_world  /* every message finished or deleted: nothing is owed */")
    emit("    od")
    emit("}")
    return "\n".join(out) + "\n"



# ---- running SPIN -------------------------------------------------------------------------

#: Flags the assertions read -> property ids.
_FLAG_PROPERTIES: dict[str, str] = {
    _identifier(pid): pid for pid in (*STATE_PROPERTY_PROMELA, *STEP_PROPERTY_PROMELA)}
DEADLOCK_ID = "DEADLOCK"
#: Compilation: safety only (no cycle detection), and no partial-order reduction so the
#: stored states are the reachable states (every step reads shared variables anyway).
PAN_DEFINES = ("-DSAFETY", "-DNOREDUCE")
#: DFS stack bound; the search is reported incomplete if pan says it was too small.
PAN_DEPTH = 1_000_000


@dataclass(frozen=True)
class PanResult:
    """What one SPIN verification reported (parsed from pan's output: pan exits 0 even
    when it finds an error)."""

    states: int  # "states, stored": distinct reachable states
    transitions: int
    depth: int  # deepest point of the depth-first search (not a shortest-path depth)
    errors: int
    violated: tuple[str, ...]  # property ids, sorted; DEADLOCK for an invalid end state
    other_errors: tuple[str, ...]  # error lines naming no exported property
    complete: bool  # the search was not cut short (depth bound, memory)
    state_vector_bytes: int
    pan_elapsed_seconds: float | None  # the search time pan reports (no start-up)
    translate_seconds: float  # spin -a
    compile_seconds: float  # gcc
    search_seconds: float  # ./pan, wall
    peak_memory_mib: float  # of the pan process (resident set size)
    output: str

    @property
    def holds(self) -> bool:
        return self.complete and self.errors == 0

    @property
    def states_per_second(self) -> float:
        """Stored states per second of search, by pan's own clock where it reports one."""
        seconds = self.pan_elapsed_seconds or self.search_seconds
        return self.states / max(seconds, 1e-3)


class SpinProblem(RuntimeError):
    """spin or gcc failed, or pan's output could not be read."""


def spin_unavailable() -> str | None:
    """Why SPIN verification cannot run here, or None when spin and gcc are installed."""
    import shutil

    missing = [tool for tool in ("spin", "gcc") if shutil.which(tool) is None]
    if missing:
        return (f"{' and '.join(missing)} not installed (scripts/install-system-deps.sh "
                "installs them)")
    return None


def parse_pan_output(output: str) -> dict[str, object]:
    """The figures and errors of pan's report (see PanResult)."""
    import re

    def number(pattern: str) -> int:
        found = re.search(pattern, output)
        if found is None:
            raise SpinProblem(f"pan output has no {pattern!r}:\n{output[-2000:]}")
        return int(found.group(1))

    violated: set[str] = set()
    other: list[str] = []
    for line in output.splitlines():
        error = re.match(r"pan:\d+: (.*?)(?: \(at depth \d+\))?$", line)
        if error is None:
            continue
        text = error.group(1)
        flag = re.fullmatch(r"assertion violated\s+!\((\w+)\)", text)
        if flag is not None and flag.group(1) in _FLAG_PROPERTIES:
            violated.add(_FLAG_PROPERTIES[flag.group(1)])
        elif text.startswith("invalid end state"):
            violated.add(DEADLOCK_ID)
        else:
            other.append(text)
    elapsed = re.search(r"pan: elapsed time ([0-9.e+-]+) seconds", output)
    truncated = ("max search depth too small" in output or "out of memory" in output.lower()
                 or "search not completed" in output)
    return {
        "states": number(r"(\d+) states, stored"),
        "transitions": number(r"(\d+) transitions \(= stored\+matched\)"),
        "depth": number(r"depth reached (\d+)"),
        "errors": number(r"errors: (\d+)"),
        "violated": tuple(sorted(violated)),
        "other_errors": tuple(sorted(set(other))),
        "complete": not truncated,
        "state_vector_bytes": number(r"State-vector (\d+) byte"),
        "pan_elapsed_seconds": float(elapsed.group(1)) if elapsed else None,
    }


def verify_with_spin(text: str, directory: str | None = None, *, optimise: str = "-O2",
                     defines: Iterable[str] = (), pan_options: Iterable[str] = (),
                     spin_options: Iterable[str] = (), all_errors: bool = True,
                     timeout: float | None = None) -> PanResult:
    """Translate, compile and run `text` (from `to_promela`) in `directory` (a temporary
    one when None). `defines` go to gcc, `spin_options` to spin -a (e.g. -DMULTICORE for a
    model that gcc -DNCORE=N can compile), `pan_options` to pan. `all_errors` runs pan with
    -c0 so every violated property is reported, not just the first."""
    import os
    import subprocess
    import tempfile
    import threading
    import time

    def timed(command: list[str], where: str) -> tuple[float, str, float]:
        """Run `command`; wall seconds, output and peak resident MiB of that process."""
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=where, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        timer = threading.Timer(timeout, process.kill) if timeout else None
        if timer is not None:
            timer.start()
        try:
            assert process.stdout is not None
            output = process.stdout.read()
            process.stdout.close()
            # reaping the child with wait4 gives its own rusage (ru_maxrss in KiB on Linux)
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if timer is not None:
                timer.cancel()
        seconds = time.perf_counter() - started
        if timeout and seconds >= timeout and process.returncode < 0:
            raise subprocess.TimeoutExpired(command, timeout)
        if process.returncode != 0:
            raise SpinProblem(f"{' '.join(command)} failed ({process.returncode}):\n"
                              f"{output[-2000:]}")
        return seconds, output, usage.ru_maxrss / 1024

    with tempfile.TemporaryDirectory(prefix="mapi-spin-") as scratch:
        where = directory or scratch
        with open(os.path.join(where, "model.pml"), "w", encoding="utf-8") as handle:
            handle.write(text)
        translate, _, _ = timed(["spin", *spin_options, "-a", "model.pml"], where)
        compile_, _, _ = timed(["gcc", optimise, *PAN_DEFINES, *defines, "-o", "pan", "pan.c"],
                               where)
        options = [f"-m{PAN_DEPTH}", *(["-c0"] if all_errors else []), *pan_options]
        search, output, peak = timed(["./pan", *options], where)
    figures = parse_pan_output(output)
    return PanResult(translate_seconds=round(translate, 3), compile_seconds=round(compile_, 3),
                     search_seconds=round(search, 3), peak_memory_mib=round(peak, 1),
                     output=output, **figures)  # type: ignore[arg-type]
