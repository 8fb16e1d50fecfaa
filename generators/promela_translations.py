"""The Promela text of what the Python model expresses as functions: the guards of
model/guards.py, the effects of model/effects.py, the replacements of the known-bad variants
(model/variants.py) and the safety properties (properties/__init__.py).

Each is kept as data keyed by the function's name, so the export (generators/promela.py)
can be emitted from the transition table without rewriting the model by hand.
`missing_translations()` lists any function without a translation and
`unused_translations()` any translation whose function is gone; a test keeps both lists
empty, so the export cannot drift from the model silently.

In every text `m` is the message and `a` the recipient or transport the row ranges over;
loops over recipients, transports and messages are unrolled for the configuration's bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mapi_submission.model.actors import Actor
from mapi_submission.model.config import DISPOSITIONS, Config
from mapi_submission.model.constants import FOLDERS, MOVED, S_OK, SENT_ITEMS
from mapi_submission.model.effects import EFFECTS
from mapi_submission.model.guards import GUARDS
from mapi_submission.model.states import (
    AHEAD_IN_ORDER,
    CLIENT_STATES,
    FINISHED,
    IN_SUBMISSION,
    SENT_DIRECTLY,
    STATE_NAMES,
    WAITING_FOR_SEND_TIME,
    WAITING_FOR_TRANSPORT,
    WITH_A_TRANSPORT,
)
from mapi_submission.model.table import Row
from mapi_submission.model.variants import VARIANTS
from mapi_submission.model.world import SATURATION, max_recipient_rows
from mapi_submission.properties import PROPERTIES, SPOOLER_ONLY

#: A translation renders Promela text for a configuration (loops over recipients, transports
#: and messages are unrolled, so the bounds must be known).
Render = Callable[[Config], str]


def _text(body: str) -> Render:
    return lambda config: body


def _disjunction(count: Callable[[Config], int], template: str, empty: str = "0") -> Render:
    """`template` (with `{i}`) or-ed over range(count(config)); `empty` when the range is.
    Over recipient rows, a P1 row (past the configured recipients) counts only for a resend,
    the one message that has it (R74)."""

    def render(config: Config) -> str:
        terms = [template.format(i=i) for i in range(count(config))]
        if count is _recipients:
            terms = [term if i < config.recipients else f"msg[m].resend && ({term})"
                     for i, term in enumerate(terms)]
        return " || ".join(f"({t})" for t in terms) if terms else empty

    return render


def _recipients(config: Config) -> int:
    """Recipient rows of the record: a resend's P1 copies included (model/world.py
    max_recipient_rows). A message without them keeps those rows inert: PR_RESPONSIBILITY
    TRUE, outcome skipped, the address type of its row 0 (generators/promela.py)."""
    return max_recipient_rows(config)


def _transports(config: Config) -> int:
    return config.transports


def _messages(config: Config) -> int:
    return config.messages


# ---- names of values ----------------------------------------------------------------------

#: Python values -> Promela mtype names (prefixed where two enumerations share a word).
FOLDER_NAMES = {folder: ("sent_items" if folder == SENT_ITEMS else folder)
                for folder in FOLDERS}
DISPOSITION_NAMES = {name: f"disp_{name}" for name in DISPOSITIONS}


def _phases(names: Iterable[str]) -> str:
    """`msg[m].phase == p1 || ...` for a set of phases, in the table's state order."""
    chosen = [p for p in STATE_NAMES if p in set(names)]
    return " || ".join(f"msg[m].phase == {p}" for p in chosen) or "0"


def _phase_operand(names: frozenset[str]) -> str:
    """`_phases` as one operand of `&&`: parenthesised unless it is a single comparison."""
    text = _phases(names)
    return text if len(names) == 1 else f"({text})"


# ---- guards (model/guards.py), as `#define NAME(m, a) (...)` ------------------------------

#: Helper macros the guard translations share (mirroring the helpers of model/guards.py).
def serves_helper(config: Config) -> tuple[str, str]:
    """R43, model/world.serves: whether transport t registered address type k."""
    if not config.serves:
        return ("SERVES(t, k)", "((k) == ((t) % 2 == 0 -> EX : SMTP))")
    pairs = " || ".join(f"((t) == {t} && (k) == {kind})"
                        for t, kinds in enumerate(config.serves) for kind in kinds)
    return ("SERVES(t, k)", f"({pairs})")


HELPERS: tuple[tuple[str, str], ...] = (
    ("is_open(m, r)",  # R49, R58: no one has taken or reported the recipient yet
     "(msg[m].rcpt[r].outcome == pending && !msg[m].rcpt[r].resp)"),
    ("takes(t, m, r)",  # R43, R49
     "(is_open(m, r) && SERVES(t, msg[m].address_type[r]))"),
    # R33, R34: every preprocessor that applies ran
    ("preprocessed(m)", "(msg[m].preprocessors_run >= PREPROCESSORS)"),
    ("needs_preprocessing_now(m)", "(msg[m].needs_preprocessing && !preprocessed(m))"),
    ("send_time_pending(m)", "(msg[m].deferred_send && !msg[m].send_time_reached)"),
    ("in_submission(m)", f"({_phases(IN_SUBMISSION)})"),  # MSGFLAG_SUBMIT states (R12)
)


def _cannot_serve_all(config: Config) -> str:
    """R12, R17: tightly coupled and some recipient is not of the tight transport's type."""
    others = _disjunction(_recipients, "!SERVES(0, msg[m].address_type[{i}])")(config)
    return f"(tight && ({others}))"


def _pair_owes_completion(config: Config) -> str:
    """R34, R37: a preprocessed message the pair sent whole is handed back with CompleteMsg."""
    return f"(tight && preprocessed(m) && !{_cannot_serve_all(config)})"


def _spooler_needed(config: Config) -> str:
    return f"(!tight || needs_preprocessing_now(m) || {_cannot_serve_all(config)})"


def _held_until_send_time(config: Config) -> str:
    """model/guards.held_until_send_time (R71, R72)."""
    return (f"(send_time_pending(m) && (CONFLICT_tight_pair_send_time_honour || "
            f"{_spooler_needed(config)}))")


def _uses_another_transport(config: Config, message: str, transport: str) -> str:
    """R39, model/guards.uses_another_transport: some open recipient of `message` is taken by
    a transport other than `transport`."""
    terms = [f"({transport} != {t} && takes({t}, {message}, {r}))"
             for t in range(config.transports) for r in range(max_recipient_rows(config))]
    return "(" + " || ".join(terms) + ")"


def _next_in_submission_order(config: Config) -> str:
    """R14, R39: walk the queue; the message itself first, or no earlier one ahead of it in
    submission order, nor one waiting for its transport unless the message uses another
    transport."""
    # latest state of the life-cycle first: the order the export has always written
    waiting_states = sorted(AHEAD_IN_ORDER, key=STATE_NAMES.index, reverse=True)
    expression = "1"
    for i in reversed(range(config.messages)):
        waiting = "(" + " || ".join(f"msg[queue[{i}]].phase == {state}"
                                    for state in waiting_states) + ")"
        for_transport = "(" + " || ".join(
            f"msg[queue[{i}]].phase == {state}"
            for state in sorted(WAITING_FOR_TRANSPORT, key=STATE_NAMES.index)) + ")"
        blocked = (f"({waiting} || ({for_transport} && "
                   f"!{_uses_another_transport(config, 'm', f'msg[queue[{i}]].transport')}))")
        expression = (f"(queue_length <= {i} || queue[{i}] == m -> 1 : "
                      f"({blocked} -> 0 : {expression}))")
    return expression


def _may_take(transport: str, recipient: str) -> str:
    """model/guards._available and takes: the transport has not declined the message, is
    ready (or critical under the "wait" reading of after_critical, R56) and takes the
    recipient (R43, R47)."""
    return (f"(transport_state[{transport}] == ready || CONFLICT_after_critical_wait) && "
            f"!((msg[m].declined >> {transport}) & 1) && takes({transport}, m, {recipient})")


def _no_transport_takes(config: Config) -> str:
    """R56, R58: recipient a is open and no transport may take it."""
    someone = _disjunction(_transports, _may_take("{i}", "a"))(config)
    return f"(is_open(m, a) && !({someone}))"


def _first_in_transport_order(config: Config) -> str:
    """R43: for one of transport a's open recipients no earlier transport may take it."""
    earlier = " || ".join(f"({t} < a && {_may_take(str(t), '{i}')})"
                          for t in range(config.transports))
    return "(" + _disjunction(_recipients, f"takes(a, m, {{i}}) && !({earlier})")(config) + ")"


def _feature(name: str) -> Render:
    return _text(f"FEATURE_{name}")


def _conflict(name: str, value: str) -> Render:
    return _text(f"CONFLICT_{name}_{value}")


#: guards.transport_left_recipients_to_others (R49): the running transport is in the
#: message's declined set.
_LEFT_TO_OTHERS = "(msg[m].transport >= 0 && ((msg[m].declined >> msg[m].transport) & 1))"


GUARD_PROMELA: dict[str, Render] = {
    "has_no_recipient_rows": _text("!msg[m].addressed"),
    "has_recipient_rows": _text("msg[m].addressed"),
    "no_save_conflict": _text("!msg[m].conflict"),
    "save_conflict": _text("msg[m].conflict"),
    "concurrent_edits_enabled": _text("FEATURE_save_conflicts && !msg[m].conflict"),
    "message_submitted": _text("(msg[m].flags & MSGFLAG_SUBMIT) != 0"),
    "second_handle_open": _feature("save_conflicts"),
    "store_refusals_enabled": _feature("store_refusals"),
    "restarts_enabled": _feature("restarts"),
    "resubmit_is_refused": _conflict("resubmit", "refused"),
    "store_calls_prepare_submit": _text(
        "(msg[m].resend || CONFLICT_prepare_submit_always)"),
    "in_composition": _text(f"({_phases(CLIENT_STATES)})"),
    "store_may_refuse_move": lambda c: f"!{_conflict('move_submitted', 'forbidden')(c)}",
    "move_aborts_first": _conflict("move_submitted", "abort_first"),
    "needs_preprocessing": _text("needs_preprocessing_now(m)"),
    "no_preprocessing_needed": _text("!needs_preprocessing_now(m)"),
    "store_holds_until_send_time": _held_until_send_time,
    "store_routes_to_spooler": _text("!tight"),
    "store_routes_to_tight_pair": _text("tight"),
    "send_time_in_future": _text("send_time_pending(m)"),
    "send_time_due": _text("!send_time_pending(m)"),
    "not_held_until_send_time": lambda c: f"!{_held_until_send_time(c)}",
    "in_flight_on_tight_transport": _text("msg[m].inflight"),
    "not_in_flight_on_tight_transport": _text("!msg[m].inflight"),
    "recipient_for_tight_transport": _text("takes(0, m, a)"),
    "tight_recipients_settled": lambda c: f"!({_disjunction(_recipients, 'takes(0, m, {i})')(c)})",
    "tight_pair_cannot_serve_every_recipient": _cannot_serve_all,
    "tight_pair_serves_every_recipient": lambda c: f"!{_cannot_serve_all(c)}",
    "not_preprocessed": _text("!preprocessed(m)"),
    "pair_owes_completion": lambda c: _pair_owes_completion(c),
    "pair_owes_no_completion": lambda c: f"!{_pair_owes_completion(c)}",
    "spooler_may_lock": _text("msg[m].in_queue && !msg[m].inflight"),
    "lock_is_free": _text("msg[m].lock_holders == 0"),
    "lock_is_held": _text("msg[m].lock_holders > 0"),
    "next_in_submission_order": _next_in_submission_order,
    "preprocessors_pending": _text("!preprocessed(m)"),
    "preprocessors_ran": _text("preprocessed(m)"),
    "transport_ready": _text("transport_state[a] == ready"),
    "transport_not_declined": _text("!((msg[m].declined >> a) & 1)"),
    "transport_has_recipients": _disjunction(_recipients, "takes(a, m, {i})"),
    "no_transport_takes_recipient": _no_transport_takes,
    "first_in_transport_order": _first_in_transport_order,
    "all_recipients_settled": lambda c: "!(" + _disjunction(
        _recipients, "msg[m].rcpt[{i}].outcome == pending")(c) + ")",
    "outcome_all_handed_off": lambda c: "!(" + _disjunction(
        _recipients, "msg[m].rcpt[{i}].outcome != sent && "
        "msg[m].rcpt[{i}].outcome != skipped")(c) + ")",
    "outcome_partly_handed_off": lambda c: (
        "(" + _disjunction(_recipients, "msg[m].rcpt[{i}].outcome == ndr")(c) + ") && ("
        + _disjunction(_recipients, "msg[m].rcpt[{i}].outcome == sent || "
               "msg[m].rcpt[{i}].outcome == skipped")(c) + ")"),
    "outcome_none_handed_off": lambda c: "!(" + _disjunction(
        _recipients, "msg[m].rcpt[{i}].outcome != ndr")(c) + ")",
    "recipient_for_this_transport": _text("takes(msg[m].transport, m, a)"),
    "recipient_still_open": _text("is_open(m, a)"),
    "transport_failures_enabled": _feature("transport_failures"),
    "setback_available": _text("setbacks_left > 0"),
    "nothing_processed_in_call": _text("!msg[m].call_progress"),
    "transport_settled_its_recipients": lambda c: "!" + _open_recipients(c),
    "transport_left_recipients_open": lambda c: _open_recipients(c),
    "transport_left_recipients_to_others": _text(_LEFT_TO_OTHERS),
    "transport_done_with_its_recipients": lambda c: (
        f"(!{_open_recipients(c)} || {_LEFT_TO_OTHERS})"),
    "transport_keeps_its_recipients": _text("!" + _LEFT_TO_OTHERS),
    "resend_affordable": lambda c: f"(setbacks_left > 0 || {_open_recipients(c)})",
    "deferral_enabled": _feature("deferral"),
    "lock_held_during_retry": _text("!CONFLICT_lock_during_retry_release"),
    "lock_released_during_retry": _conflict("lock_during_retry", "release"),
    "lock_released_while_waiting": _text(
        f"(({_phases(WAITING_FOR_TRANSPORT)}) && CONFLICT_lock_during_retry_release) || "
        f"(!({_phases(WAITING_FOR_TRANSPORT)}) && !CONFLICT_lock_during_retry_hold)"),
    "cancel_means_retry": _conflict("after_cancel", "retry"),
    "cancel_means_decline": _conflict("after_cancel", "decline"),
    "abort_enabled": _feature("abort"),
    "in_outgoing_queue": _text("msg[m].in_queue"),
    "not_in_outgoing_queue": _text("!msg[m].in_queue"),
    "not_locked_by_spooler": _text("msg[m].lock_holders == 0"),
    "locked_by_spooler": _text("msg[m].lock_holders > 0"),
    "direct_send_abort_not_in_queue": _conflict("abort_during_direct_send", "not_in_queue"),
    "direct_send_abort_unable": _conflict("abort_during_direct_send", "unable_to_abort"),
    "store_sends_after_return": _conflict("direct_send", "after_return"),
    "store_sends_before_return": _conflict("direct_send", "before_return"),
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
_LOCK_AFTER_WAIT = ("if\n:: CONFLICT_lock_during_retry_release -> msg[m].lock_holders = 0\n"
                    ":: else -> skip\nfi")
_LOCK_WHILE_DEFERRED = ("if\n:: CONFLICT_lock_during_retry_hold -> skip\n"
                        ":: else -> msg[m].lock_holders = 0\nfi")
_CLEAR_SUBMIT_UNSENT = "msg[m].flags = msg[m].flags & ~(MSGFLAG_SUBMIT | MSGFLAG_UNSENT)"


def _lines(*statements: str) -> Render:
    return _text(";\n".join(statements))


def _save_and_mark(config: Config) -> str:
    """model/effects.py save_and_mark; R75: a resend's MAPI_SUBMITTED rows (the configured
    recipients) are skipped and its P1 rows sent under "skip", the other way round under
    "transmit"; a message without P1 rows leaves those inert."""
    skip = "CONFLICT_resend_submitted_rows_skip"
    rows = []
    for i in range(max_recipient_rows(config)):
        open_row = (f"msg[m].rcpt[{i}].resp = 0; msg[m].rcpt[{i}].outcome = pending; "
                    f"msg[m].rcpt[{i}].transmissions = 0")
        skipped_row = (f"msg[m].rcpt[{i}].resp = 1; msg[m].rcpt[{i}].outcome = skipped; "
                       f"msg[m].rcpt[{i}].transmissions = 0")
        if i < config.recipients:
            rows.append(f"if\n:: msg[m].resend && {skip} -> {skipped_row}\n"
                        f":: else -> {open_row}\nfi")
        else:
            rows.append(f"if\n:: msg[m].resend && {skip} -> {open_row}\n"
                        f":: msg[m].resend && !{skip} -> {skipped_row}\n"
                        ":: else -> skip\nfi")
    return ";\n".join([
        "msg[m].flags = msg[m].flags | MSGFLAG_SUBMIT",
        "if\n:: CONFLICT_unsent_while_submitted_clear -> "
        "msg[m].flags = msg[m].flags & ~MSGFLAG_UNSENT\n"
        ":: else -> msg[m].flags = msg[m].flags | MSGFLAG_UNSENT\nfi",
        *rows,
        "msg[m].declined = 0; msg[m].preprocessors_run = 0",
        "msg[m].preprocess = 0",
        "msg[m].transport = -1; msg[m].call_progress = 0",
        "join_submission(m)",
    ])


_TRANSMIT = ("msg[m].rcpt[a].resp = 1; msg[m].rcpt[a].outcome = sent;\n"
             f"if\n:: msg[m].rcpt[a].transmissions < {SATURATION} -> "
             "msg[m].rcpt[a].transmissions = msg[m].rcpt[a].transmissions + 1\n"
             ":: else -> skip\nfi")

START_DIRECT_SEND = ("msg[m].inflight = 1;\n"
                     "if\n:: queued(m) -> dequeue(m)\n:: else -> skip\nfi")
FINISH_WITHOUT_SPOOLER = ";\n".join([
    "msg[m].inflight = 0", _CLEAR_SUBMIT_UNSENT, _finished_folder(), "msg[m].declined = 0",
    "msg[m].preprocessors_run = 0", "leave_submission(m)"])
#: R33, R34: one more preprocessor ran, the next in registration order
_NEXT_PREPROCESSOR_RAN = ("msg[m].preprocessors_run = msg[m].preprocessors_run + 1",)
QUEUE_REMAINING_RECIPIENTS = "msg[m].inflight = 0;\nenqueue(m)"


def _tight_sends_own(config: Config) -> str:
    """The tight pair transmits every recipient its transport takes (no state change)."""
    return ";\n".join(
        f"if\n:: takes(0, m, {r}) ->\n" + _TRANSMIT.replace("rcpt[a]", f"rcpt[{r}]")
        + "\n:: else -> skip\nfi" for r in range(max_recipient_rows(config)))


def _send_own_recipients(config: Config) -> str:
    """Inside SubmitMessage (conflicts.direct_send before_return): the tight pair transmits
    every recipient its transport takes (model/effects.py _send_own_recipients)."""
    return ";\n".join([START_DIRECT_SEND, _tight_sends_own(config)])


def _discard_unsaved(config: Config) -> str:
    """model/effects.py _discard_unsaved: the marks the transport did not save are gone (R48)."""
    resets = [
        f"if\n:: (msg[m].unsaved >> {i}) & 1 ->\n"
        f"   msg[m].rcpt[{i}].resp = 0; msg[m].rcpt[{i}].outcome = pending;\n"
        f"   if\n   :: msg[m].rcpt[{i}].transmissions > 0 -> "
        f"msg[m].rcpt[{i}].transmissions = msg[m].rcpt[{i}].transmissions - 1\n"
        "   :: else -> skip\n   fi\n:: else -> skip\nfi"
        for i in range(max_recipient_rows(config))
    ]
    return ";\n".join([*resets, "msg[m].unsaved = 0"])


def _open_recipients(config: Config) -> str:
    """Some recipient of the message's transport is still open (model/guards.py
    transport_left_recipients_open)."""
    return "(" + _disjunction(_recipients, "takes(msg[m].transport, m, {i})")(config) + ")"


def _spend_unless_paid(config: Config) -> str:
    """model/effects.py _spend_unless_paid: no second setback after not_sending_now."""
    return f"if\n:: {_open_recipients(config)} -> skip\n:: else -> {_SPEND_SETBACK}\nfi"


def _wait(config: Config) -> str:
    """R48: the message released without saving, the lock as the reading has it."""
    return ";\n".join([_discard_unsaved(config), _LOCK_AFTER_WAIT])


def _decline(config: Config) -> str:
    """R47: the transport is not asked again for this message."""
    return ";\n".join([_discard_unsaved(config),
                       "msg[m].declined = msg[m].declined | (1 << msg[m].transport)",
                       "msg[m].transport = -1"])


#: AbortSubmit's effect (effects.abort_submission), which a move under "abort_first" repeats.
_ABORT = ("msg[m].lock_holders = 0", "msg[m].preprocess = 0", "msg[m].transport = -1",
          "msg[m].inflight = 0", "msg[m].call_progress = 0",
          "msg[m].flags = (msg[m].flags & ~MSGFLAG_SUBMIT) | MSGFLAG_UNSENT", "dequeue(m)",
          "leave_submission(m)")

EFFECT_PROMELA: dict[str, Render] = {
    "none": _text("skip"),
    "add_recipient_rows": _text("msg[m].addressed = 1"),
    "record_concurrent_commit": _text("msg[m].conflict = 1"),
    "overwrite_concurrent_commit": _text("msg[m].conflict = 0"),
    "save_and_mark": _save_and_mark,
    "enqueue_for_preprocessing": _lines("msg[m].preprocess = 1", "enqueue(m)"),
    "enqueue_for_spooler": _text("enqueue(m)"),
    "enqueue_until_send_time": _text("enqueue(m)"),
    "release_at_send_time": _text("msg[m].send_time_reached = 1"),
    "start_direct_send": _text(START_DIRECT_SEND),
    "enqueue_in_flight": _text("enqueue(m)"),
    "tight_transmit": _text(_TRANSMIT),
    "tight_fails_recipient": _lines("msg[m].rcpt[a].resp = 1", "msg[m].rcpt[a].outcome = ndr"),
    "finish_without_spooler": _text(FINISH_WITHOUT_SPOOLER),
    "hand_completion_to_spooler": _text("msg[m].inflight = 0"),
    "queue_remaining_recipients": _text(QUEUE_REMAINING_RECIPIENTS),
    "send_and_finish_directly": lambda config: ";\n".join(
        [_send_own_recipients(config), FINISH_WITHOUT_SPOOLER]),
    "send_own_and_queue_rest": lambda config: ";\n".join(
        [_send_own_recipients(config), QUEUE_REMAINING_RECIPIENTS]),
    "take_lock": _text(f"if\n:: msg[m].lock_holders < {SATURATION} -> "
                       "msg[m].lock_holders = msg[m].lock_holders + 1\n:: else -> skip\nfi"),
    "run_preprocessors": _lines(*_NEXT_PREPROCESSOR_RAN),
    "preprocessors_report_undeliverable": _lines(
        *_NEXT_PREPROCESSOR_RAN, "msg[m].rcpt[a].resp = 1", "msg[m].rcpt[a].outcome = ndr"),
    "finish_preprocessing": lambda c: ";\n".join([
        "msg[m].preprocess = 0",
        "if\n:: tight ->\n" + _tight_sends_own(c) + "\n:: else -> skip\nfi"]),
    "present_to_transport": _lines("msg[m].transport = a", "msg[m].call_progress = 0"),
    "spooler_ndr": _text("msg[m].rcpt[a].outcome = ndr"),
    "finish_message": _lines(
        "msg[m].lock_holders = 0", "msg[m].preprocess = 0", "msg[m].transport = -1",
        "msg[m].declined = 0", "msg[m].preprocessors_run = 0",
        "msg[m].call_progress = 0", _CLEAR_SUBMIT_UNSENT, _finished_folder(), "dequeue(m)",
        "leave_submission(m)"),
    "transport_transmit": _lines(_TRANSMIT, "msg[m].call_progress = 1",
                                 "msg[m].unsaved = msg[m].unsaved | (1 << a)"),
    "save_transport_changes": _text("msg[m].unsaved = 0"),
    "transport_fails_recipient": _lines(
        "msg[m].rcpt[a].resp = 1", "msg[m].rcpt[a].outcome = ndr",
        "msg[m].call_progress = 1"),
    "end_message": _text("msg[m].transport = -1"),
    "resend_now": lambda c: ";\n".join([_spend_unless_paid(c), "msg[m].call_progress = 0"]),
    "wait_keeping_progress": lambda c: ";\n".join([_spend_unless_paid(c), _LOCK_AFTER_WAIT]),
    "defer_keeping_progress": lambda c: ";\n".join([_spend_unless_paid(c),
                                                    _LOCK_WHILE_DEFERRED]),
    "leave_recipients_to_others": _lines(
        _SPEND_SETBACK, "msg[m].unsaved = 0",
        "msg[m].declined = msg[m].declined | (1 << msg[m].transport)"),
    "not_sending_now": _lines(_SPEND_SETBACK, "msg[m].unsaved = 0"),
    "wait_after_error": lambda c: ";\n".join([_SPEND_SETBACK, _wait(c)]),
    "decline_transport": lambda c: ";\n".join([_SPEND_SETBACK, _decline(c)]),
    "request_cancel": _text(_SPEND_SETBACK),
    "wait_after_cancel": lambda c: _wait(c),
    "decline_after_cancel": lambda c: _decline(c),
    "report_critical_error": _lines(_SPEND_SETBACK,
                                   "transport_state[msg[m].transport] = critical"),
    "return_after_critical_error": lambda c: ";\n".join([_discard_unsaved(c),
                                                         "msg[m].transport = -1"]),
    "resume_deferred": _lines(
        "if\n:: msg[m].lock_holders == 0 -> msg[m].lock_holders = 1\n:: else -> skip\nfi",
        "msg[m].call_progress = 0"),
    "retry_delay_elapsed": _text("msg[m].transport = -1"),
    "locks_lost": _lines(_SPEND_SETBACK, "msg[m].lock_holders = 0", "msg[m].transport = -1",
                         "msg[m].call_progress = false", "msg[m].unsaved = 0"),
    "transport_recovers": _text("transport_state[a] = ready"),
    "abort_submission": _lines(*_ABORT),
    "abort_and_move": _lines(*_ABORT, f"msg[m].folder = {FOLDER_NAMES[MOVED]}"),
    "move_out": _text(f"msg[m].folder = {FOLDER_NAMES[MOVED]}"),
}


def _discard_all_progress(config: Config) -> str:
    resets = [
        f"if\n:: (msg[m].rcpt[{i}].outcome == sent || msg[m].rcpt[{i}].outcome == ndr) && "
        f"SERVES(msg[m].transport, msg[m].address_type[{i}]) ->\n"
        f"   msg[m].rcpt[{i}].resp = 0; msg[m].rcpt[{i}].outcome = pending\n"
        ":: else -> skip\nfi"
        for i in range(max_recipient_rows(config))
    ]
    return ";\n".join([*resets, "msg[m].unsaved = 0", _LOCK_AFTER_WAIT, _SPEND_SETBACK])


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
    # the tight transport's registered types, restated from the configuration (R43)
    tight = config.serves[0] if config.serves else ("EX",)
    others = _disjunction(_recipients, " && ".join(
        f"msg[m].address_type[{{i}}] != {kind}" for kind in tight))(config)
    return f"(!tight || msg[m].needs_preprocessing || {others})"


def queue_lists_message(config: Config) -> str:
    """Message m is in one of the queue array's used slots (the `queued(m)` macro's body)."""
    return _disjunction(_messages, "queue_length > {i} && queue[{i}] == m")(config)


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
        f"({_CUSTODY} && !{_SUBMITTED}) || ({_CUSTODY} && "
        f"!({_phases(WAITING_FOR_SEND_TIME)} && CONFLICT_tight_pair_send_time_honour) && "
        f"!{_spooler_needed_property(c)}) || "
        f"({_phase_operand(SENT_DIRECTLY)} && "
        "!(tight && !msg[m].needs_preprocessing))"),
    "I-EXCL": _text(f"msg[m].inflight && {_CUSTODY}"),
    "I-ONCE": _disjunction(_recipients, "msg[m].rcpt[{i}].transmissions > 1"),
    "I-LOCK1": _text("msg[m].lock_holders > 1"),
    "I-LOCK2": _text(f"msg[m].lock_holders > 0 && !(msg[m].in_queue && {_SUBMITTED})"),
    "I-RO": _text(f"({_phases(CLIENT_STATES)}) && {_CUSTODY}"),
    "I-FLAGS": _text(
        f"(in_submission(m) && !{_SUBMITTED}) || (({_phases(CLIENT_STATES)}) "
        f"&& ({_SUBMITTED} || !(msg[m].flags & MSGFLAG_UNSENT)))"),
    "I-DONE": lambda c: (
        f"({_phases(FINISHED)}) && ({_SUBMITTED} || msg[m].in_queue || "
        f"msg[m].lock_holders > 0 || msg[m].inflight || {queue_lists_message(c)})"),
    "I-DISP": _text(f"({_phases(FINISHED)}) && ({_disposition_wrong()})"),
    "I-PREPROC": _text(
        f"({_phases(WITH_A_TRANSPORT)}) && (msg[m].preprocess || "
        "(msg[m].needs_preprocessing && !preprocessed(m)))"),
    "I-P1": lambda c: "msg[m].resend && (" + " || ".join(
        f"msg[m].rcpt[{i}].transmissions > 0" for i in range(c.recipients)) + ")",
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
                     for i in range(max_recipient_rows(config)))


def _saved_responsibility_dropped(config: Config) -> str:
    return _disjunction(_recipients, "resp_before[{i}] && !((unsaved_before >> {i}) & 1) && "
                                     "!msg[m].rcpt[{i}].resp")(config)


def _save_responsibility_and_unsaved(config: Config) -> str:
    return f"{_save_responsibility(config)}; unsaved_before = msg[m].unsaved"


def _error_save_broken(config: Config) -> str:
    """I-ERRSAVE: a saved mark dropped, or an unsaved one kept (properties/invariants.py)."""
    kept = _disjunction(_recipients,
                        "((unsaved_before >> {i}) & 1) && msg[m].rcpt[{i}].resp")(config)
    return f"({_saved_responsibility_dropped(config)}) || ({kept})"


STEP_PROPERTY_PROMELA: dict[str, StepCheck] = {
    "I-ABORT": StepCheck(
        lambda row: row.event == "IMsgStore::AbortSubmit" and row.result == S_OK,
        _text("I_ABORT = msg[m].lock_holders > 0 || !msg[m].in_queue; assert(!I_ABORT)"),
        _text(f"I_ABORT = msg[m].in_queue || {_SUBMITTED} || !(msg[m].flags & MSGFLAG_UNSENT);"
              " assert(!I_ABORT)"),
    ),
    "I-ERRSAVE": StepCheck(
        lambda row: row.event == "IXPLogon::SubmitMessage" and row.result != S_OK,
        _save_responsibility_and_unsaved,
        lambda c: f"I_ERRSAVE = {_error_save_broken(c)}; assert(!I_ERRSAVE)",
    ),
    "I-RESP": StepCheck(
        lambda row: row.machine == "message" and not (
            row.event == "IMessage::SubmitMessage" and row.actor is Actor.CLIENT),
        lambda c: (f"was_in_submission = in_submission(m); "
                   f"{_save_responsibility_and_unsaved(c)}"),
        lambda c: (f"I_RESP = was_in_submission && ({_saved_responsibility_dropped(c)}); "
                   "assert(!I_RESP)"),
    ),
    "I-ACTOR": StepCheck(
        lambda row: (row.event in SPOOLER_ONLY and row.result == S_OK
                     and row.actor is not Actor.SPOOLER),
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


def property_flag(pid: str) -> str:
    """The scratch flag the assertions of property `pid` read (`assert(!I_ROUTE)`), so that
    pan's error line names the property."""
    return pid.replace("-", "_")


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

