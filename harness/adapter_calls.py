"""Which adapter call (harness/adapter.py) performs each table row, what it returns when the
row happens, and making it on a system under test.

A MAPI call (Kind.CALL) is made as the method of the caller's side; a step no call marks
(Kind.INTERNAL: a timer, the wire, a spooler decision) is asked of the component that takes
it. A step inside a call (Kind.INSIDE_CALL: the store's routing decision) has no adapter call:
the implementation takes it inside the call that put the message in its source state, and the
model's step for that call already includes it (`Model.successors`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from mapi_submission.model.actors import Actor
from mapi_submission.model.constants import S_OK
from mapi_submission.model.engine import Step
from mapi_submission.model.table import TABLE, Kind, Row

from .adapter import SystemInputs


class AdapterCall(NamedTuple):
    """One adapter call: method name, message (-1 for a transport call), recipient or
    transport index (-1 when none), and the extra argument (FORCE_SAVE, EndMessage flags, the
    code a transport returns)."""

    method: str
    message: int
    arg: int
    extra: str | bool | None


class CallShape(NamedTuple):
    """The adapter call of a row, without the message and argument of a step."""

    method: str
    extra: str | bool | None
    #: the result is the implementation's own answer (client calls, the spooler's lock);
    #: otherwise the component answers S_OK for a step it took
    answers: bool


#: (actor, event) -> adapter method, for rows whose call needs no extra argument.
PLAIN_CALLS: dict[tuple[Actor, str], str] = {
    (Actor.CLIENT, "IMessage::ModifyRecipients"): "modify_recipients",
    (Actor.CLIENT, "IMessage::SetProps"): "set_props",
    (Actor.OTHER_CLIENT, "IMAPIProp::SaveChanges (other handle)"): "other_handle_save",
    (Actor.OTHER_CLIENT, "IMessage::SubmitMessage (other handle)"): "other_handle_submit",
    (Actor.CLIENT, "IMsgStore::OpenEntry"): "open_for_write",
    (Actor.CLIENT, "IMAPIFolder::DeleteMessages"): "delete_message",
    (Actor.CLIENT, "IMAPIFolder::EmptyFolder"): "empty_folder",
    (Actor.CLIENT, "IMAPIFolder::CopyMessages"): "copy_message",
    (Actor.CLIENT, "IMessage::SubmitMessage"): "submit_message",
    (Actor.CLIENT, "IMsgStore::AbortSubmit"): "abort_submit",
    (Actor.CLIENT, "IMsgStore::FinishedMsg"): "client_finished_msg",
    (Actor.STORE, "send time reached"): "send_time_reached",
    (Actor.STORE, "locks lost (store restart or spooler logoff)"): "locks_lost",
    (Actor.SPOOLER, "spooler logs on again"): "spooler_logs_on_again",
    (Actor.TIGHT_PAIR, "transmit recipient (tight pair)"): "tight_transmit",
    (Actor.TIGHT_PAIR, "IMAPISupport::StatusRecips"): "tight_fail_recipient",
    (Actor.TIGHT_PAIR, "IMAPISupport::SpoolerNotify"): "tight_request_download",
    (Actor.TIGHT_PAIR, "finish without spooler"): "tight_finish",
    (Actor.TIGHT_PAIR, "IMAPISupport::CompleteMsg"): "tight_complete",
    (Actor.TIGHT_PAIR, "queue remaining recipients"): "tight_queue_rest",
    (Actor.SPOOLER, "IMsgStore::SetLockState"): "spooler_lock",
    (Actor.PREPROCESSOR, "PreprocessMessage"): "preprocess",
    (Actor.SPOOLER, "IMessage::SubmitMessage"): "spooler_submit_after_preprocess",
    (Actor.SPOOLER, "present to transport"): "present",
    (Actor.TRANSPORT, "transmit recipient"): "transport_transmit",
    (Actor.TRANSPORT, "IMAPISupport::StatusRecips"): "transport_fail_recipient",
    (Actor.TRANSPORT, "IMAPISupport::SpoolerYield"): "transport_yield",
    (Actor.TRANSPORT, "save transport changes"): "transport_save",
    (Actor.SPOOLER, "retry delay elapsed"): "retry_elapsed",
    (Actor.SPOOLER, "spooler NDR"): "spooler_ndr",
    (Actor.SPOOLER, "IMsgStore::FinishedMsg"): "finished_msg",
    (Actor.SPOOLER, "IXPLogon::FlushQueues"): "flush_queues",
    (Actor.SPOOLER, "IXPLogon::TransportNotify"): "spooler_cancel",
}
#: SpoolerNotify flags of a transport -> adapter method (R52, R56).
TRANSPORT_NOTIFICATIONS: dict[str, str] = {
    "NOTIFY_CRITICAL_ERROR": "transport_critical_error",
    "NOTIFY_SENTDEFERRED": "transport_sent_deferred",
    "NOTIFY_READYTOSEND": "transport_recovers",
}
#: The calls the harness asks a component (not a client) to make whose result is still the
#: implementation's own answer: the spooler's SetLockState, which the store grants or refuses
#: with MAPI_E_NOT_IN_QUEUE when another holder has the lock (R41, R81), and a transport's
#: SpoolerYield, which the spooler answers S_OK or MAPI_W_CANCEL_MESSAGE (R54). Every other
#: step a component is asked to take either happens (S_OK) or is not due.
STORE_ANSWERED_COMPONENT_CALLS: frozenset[tuple[Actor, str]] = frozenset(
    {(Actor.SPOOLER, "IMsgStore::SetLockState"),
     (Actor.TRANSPORT, "IMAPISupport::SpoolerYield")})
#: Calls whose selecting argument picks another adapter method than PLAIN_CALLS gives.
SELECTED_CALLS: dict[tuple[Actor, str, tuple[tuple[str, str], ...]], str] = {
    (Actor.SPOOLER, "IXPLogon::TransportNotify", (("flags", "NOTIFY_ABORT_DEFERRED"),)):
        "spooler_abort_deferred",
    (Actor.CLIENT, "IMsgStore::OpenEntry", (("flags", "MAPI_BEST_ACCESS"),)): "open_best_access",
    (Actor.CLIENT, "IMAPIFolder::CopyMessages", (("flags", "MESSAGE_MOVE"),)): "move_message",
    (Actor.SPOOLER, "IMsgStore::SetLockState", (("lock", "MSG_UNLOCKED"),)): "spooler_unlock",
}


def call_shape(row: Row) -> CallShape | None:
    """The adapter call that performs `row`; None for a step inside a call (the store's
    routing decision, taken inside the call that submitted or released the message: R17,
    R26, R72)."""
    if row.kind is Kind.INSIDE_CALL:
        return None
    key = (row.actor, row.event)
    answers = row.actor.answers_itself or key in STORE_ANSWERED_COMPONENT_CALLS
    if key == (Actor.CLIENT, "IMAPIProp::SaveChanges"):
        return CallShape("save_changes", row.flags == "FORCE_SAVE", answers)
    if key == (Actor.TRANSPORT, "IXPLogon::SubmitMessage"):
        return CallShape("transport_returns", row.result, answers)
    if key == (Actor.SPOOLER, "IXPLogon::EndMessage"):
        return CallShape("end_message", row.flags, answers)
    if key == (Actor.TRANSPORT, "IMAPISupport::SpoolerNotify"):
        return CallShape(TRANSPORT_NOTIFICATIONS[row.flags], None, answers)
    selected = SELECTED_CALLS.get((row.actor, row.event, row.call_arguments))
    if selected is not None:
        return CallShape(selected, None, answers)
    if key in PLAIN_CALLS:
        return CallShape(PLAIN_CALLS[key], None, answers)
    raise KeyError(f"row {row.name}: no adapter call for {row.actor} {row.event}")


#: Row name -> its adapter call (None for a step inside a call).
CALL_SHAPES: dict[str, CallShape | None] = {row.name: call_shape(row) for row in TABLE}


def _rows_by_adapter_call() -> dict[tuple[str, str | bool | None], tuple[Row, ...]]:
    grouped: dict[tuple[str, str | bool | None], list[Row]] = {}
    for row in TABLE:
        shape = CALL_SHAPES[row.name]
        if shape is not None:
            grouped.setdefault((shape.method, shape.extra), []).append(row)
    return {key: tuple(rows) for key, rows in grouped.items()}


#: (method, extra argument) -> the rows one adapter call may perform, in table order.
ROWS_BY_ADAPTER_CALL: dict[tuple[str, str | bool | None], tuple[Row, ...]] = (
    _rows_by_adapter_call())


def call_for(step: Step) -> AdapterCall | None:
    shape = CALL_SHAPES[step.row]
    if shape is None:
        return None
    return AdapterCall(shape.method, step.message, step.arg, shape.extra)


def rows_of(call: AdapterCall) -> tuple[Row, ...]:
    """The table rows the call can perform (they share actor, event and flags)."""
    rows = ROWS_BY_ADAPTER_CALL.get((call.method, call.extra))
    if rows is None:
        raise KeyError(f"no table row is performed by {call.method}({call.extra!r})")
    return rows


def first_row_of(call: AdapterCall) -> Row:
    """The first table row the call can perform."""
    return rows_of(call)[0]


def acting_row(call: AdapterCall, result: str) -> Row | None:
    """The row whose call and answer are what the implementation just did (so a step
    property judges what happened, not what was asked)."""
    return next((row for row in rows_of(call) if gives_answer(row, result)), None)


def expected_answer(row: Row) -> str:
    """What the adapter call returns when the row happens: the MAPI result of a call the
    implementation answers, S_OK for a step the harness asks a component to take."""
    shape = CALL_SHAPES[row.name]
    return row.result if shape is not None and shape.answers else S_OK


def gives_answer(row: Row, result: str) -> bool:
    """Whether an adapter call answering `result` performed `row` (a row whose error the
    documents do not name takes any error: Row.any_error)."""
    shape = CALL_SHAPES[row.name]
    if shape is not None and shape.answers:
        return row.answers_with(result)
    return result == S_OK


class CallObserver:
    """A system wrapper told of every call the harness makes on it and what it answered
    (implementation_logs.RecordingSystem writes them as a call log)."""

    def called(self, call: AdapterCall, result: str, *, probe: bool = False) -> None:
        """`probe`: the harness asked for a decision the model does not enable
        (harness/decision_probes.py), expecting it to be declined."""
        raise NotImplementedError


def invoke(system: SystemInputs, call: AdapterCall, *, probe: bool = False) -> str:
    """Make the call; an exception the implementation raises becomes its answer (a
    divergence like any other, reported and shrunk)."""
    try:
        result = _invoke(system, call)
    except Exception as error:  # the system under test may fail in any way
        result = f"raised {type(error).__name__}: {error}"
    if isinstance(system, CallObserver):
        system.called(call, result, probe=probe)
    return result


def _invoke(system: SystemInputs, call: AdapterCall) -> str:
    method = getattr(system, call.method)
    if call.message < 0:  # a call about a transport session, not a message
        return str(method(call.arg))
    arguments: list[Any] = [call.message]
    if call.arg >= 0:
        arguments.append(call.arg)
    if call.extra is not None:
        arguments.append(call.extra)
    return str(method(*arguments))
