"""The log vocabulary beyond one record per model step: observation records, entry records
and nesting, times, a mid-life start and the end of the run (docs/log-format.md). Each is
shown to accept a correct log and to reject the wrong one, and bad input to fail in one line
naming the line and the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mapi_submission.harness.log_format import LogError
from mapi_submission.harness.validate_log import validate_log_text

HEADER = {"header": {"config": {"messages": 2, "recipients": 1, "transports": 1,
                                "coupling": ["loose"], "features": {"deferral": False}}}}


def _call(seq: int, actor: str, event: str, message: str | None, result: str | None = "S_OK",
          **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"seq": seq, "actor": actor, "event": event, "message": message}
    if result is not None:
        record["result"] = result
    record.update(fields)
    return record


def _submitted(message: str, first: int) -> list[dict[str, Any]]:
    return [_call(first, "client", "IMessage::ModifyRecipients", message),
            _call(first + 1, "client", "IMAPIProp::SaveChanges", message),
            _call(first + 2, "client", "IMessage::SubmitMessage", message)]


def _log(*lines: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    return "".join(json.dumps(line) + "\n" for line in [header or HEADER, *lines])


def _verdict(*lines: dict[str, Any], header: dict[str, Any] | None = None) -> dict[str, Any]:
    return validate_log_text(_log(*lines, header=header), "log").to_json()


def _lock(seq: int, message: str) -> dict[str, Any]:
    return _call(seq, "spooler", "IMsgStore::SetLockState", message, lock="MSG_LOCKED")


def test_the_queue_read_follows_submission_order() -> None:
    both = [*_submitted("b", 1), *_submitted("a", 4)]
    right = _call(7, "spooler", "IMsgStore::GetOutgoingQueue", None, queue=["b", "a"])
    assert _verdict(*both, right)["verdict"] == "conforms"
    wrong = _verdict(*both, dict(right, queue=["a", "b"]))
    assert (wrong["line"], wrong["rules"]) == (8, ["R14", "R25"])
    missing = _verdict(*both, dict(right, queue=["b"]))
    assert missing["line"] == 8
    taken = [*both, _lock(7, "b"), dict(right, seq=8, queue=["b", "a"])]
    assert _verdict(*taken)["verdict"] == "conforms", "a locked message is still queued (R25)"


def test_a_transport_saves_only_a_message_it_was_handed() -> None:
    save = _call(5, "transport", "IMAPIProp::SaveChanges", "a", transport=0)
    assert _verdict(*_submitted("a", 1), save)["line"] == 5
    sent = [*_submitted("a", 1), _lock(4, "a"), dict(save, seq=5),
            _call(6, "transport", "IXPLogon::SubmitMessage", "a", transport=0)]
    assert _verdict(*sent)["verdict"] == "conforms"


def test_an_entry_record_is_judged_where_the_call_begins() -> None:
    entry = _call(4, "transport", "IXPLogon::SubmitMessage", "a", None, entry=True, transport=0)
    early = _verdict(*_submitted("a", 1), entry)
    assert early["line"] == 5 and "cannot begin here" in early["reason"]
    assert {"R38"} <= set(early["rules"]), "the lock the log skipped (R38)"
    inside = [*_submitted("a", 1), _lock(4, "a"), dict(entry, seq=5),
              _call(6, "transport", "IMessage::ModifyRecipients", "a", recipient=0),
              _call(7, "transport", "IXPLogon::SubmitMessage", "a", transport=0)]
    assert _verdict(*inside)["verdict"] == "conforms"


@pytest.mark.parametrize(("lines", "message"), [
    ([_call(1, "client", "IMessage::SubmitMessage", "a", None, entry=True),
      _call(2, "client", "IMAPIProp::SaveChanges", "a", None, entry=True),
      _call(3, "client", "IMessage::SubmitMessage", "a")],
     "line 4: client IMessage::SubmitMessage returns (entered at line 2) while client "
     "IMAPIProp::SaveChanges, entered inside it at line 3, has not returned"),
    ([_call(1, "client", "IMessage::SubmitMessage", "a", None, entry=True), {"end": {}}],
     "line 3: field end: the run ends while client IMessage::SubmitMessage (entered at line 2) "
     "has not returned"),
    ([_call(1, "client", "IMessage::SubmitMessage", "a", entry=True)],
     "line 2: field result: an entry record"),
    ([_call(1, "client", "IMessage::SubmitMessage", "a", entry=False)],
     "line 2: field entry: false"),
    ([{"end": {}}, _call(1, "client", "IMessage::SubmitMessage", "a")],
     "line 3: a record after the end-of-run line"),
    ([{"end": {"when": 1}}], "line 2: field end/when: unknown field"),
    ([_call(1, "client", "IMessage::SubmitMessage", "a", time="10:00")],
     'line 2: field time: "10:00" is not an RFC 3339 time'),
    ([_call(1, "client", "IMessage::SubmitMessage", "a", time="2026-12-02T10:00:00")],
     "is not an RFC 3339 time with a UTC offset"),
    ([_call(1, "client", "IMessage::SubmitMessage", "a", return_parm=5)],
     "line 2: field return_parm: only IXPLogon::SubmitMessage"),
    ([_call(1, "spooler", "IMsgStore::GetOutgoingQueue", "a", queue=[])],
     "line 2: field message: IMsgStore::GetOutgoingQueue reads the whole queue"),
    ([_call(1, "spooler", "IMsgStore::GetOutgoingQueue", None)],
     "line 2: field queue: missing"),
    ([_call(1, "spooler", "IMsgStore::GetOutgoingQueue", None, queue=[1])],
     "line 2: field queue/0: expected a message id"),
    ([_call(1, "client", "IMessage::SubmitMessage", "a", queue=[])],
     "line 2: field queue: only IMsgStore::GetOutgoingQueue"),
    ([_call(1, "client", "IMAPIProp::GetProps", "a", observed={"MSGFLAG_SUBMIT": 1})],
     "line 2: field observed/MSGFLAG_SUBMIT: expected boolean"),
])
def test_bad_lines_are_one_line_errors(lines: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(LogError) as caught:
        validate_log_text(_log(*lines), "log")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_times_judge_deferred_send_and_retry_delays() -> None:
    deferred = [_call(1, "client", "IMessage::ModifyRecipients", "a"),
                _call(2, "client", "IMAPIProp::SaveChanges", "a",
                      observed={"deferred_send_time": "2026-12-02T12:00:00+01:00"}),
                _call(3, "client", "IMessage::SubmitMessage", "a", time="2026-12-02T09:00:00Z")]
    early = _verdict(*deferred, dict(_lock(4, "a"), time="2026-12-02T10:59:59Z"))
    assert (early["line"], early["rules"]) == (5, ["R72"])
    on_time = _verdict(*deferred, dict(_lock(4, "a"), time="2026-12-02T11:00:00Z"))
    assert on_time["verdict"] == "conforms"
    untimed = _verdict(*deferred, _lock(4, "a"))
    assert untimed["verdict"] == "conforms", "a record without a time is not judged"


def test_a_retry_delay_binds_only_the_same_transport_and_message() -> None:
    header = {"header": {"config": {"messages": 1, "recipients": 1, "transports": 1,
                                    "coupling": ["loose"]}}}
    error = _call(5, "transport", "IXPLogon::SubmitMessage", "a", "MAPI_E_NETWORK_ERROR",
                  transport=0, return_parm=60, time="2026-12-02T10:00:00Z")
    again = _call(6, "transport", "IXPLogon::SubmitMessage", "a", transport=0,
                  time="2026-12-02T10:00:59.5Z")
    lines = [*_submitted("a", 1), _lock(4, "a"), error]
    assert _verdict(*lines, again, header=header)["rules"] == ["R47"]
    later = dict(again, time="2026-12-02T10:01:00Z")
    assert _verdict(*lines, later, header=header)["verdict"] == "conforms"
    entered = dict(again, entry=True, time="2026-12-02T10:00:30Z")
    entered.pop("result")
    late_return = dict(again, seq=7, time="2026-12-02T10:01:30Z")
    broken = _verdict(*lines, entered, late_return, header=header)
    assert (broken["line"], broken["rules"]) == (7, ["R47"]), "began before the delay passed"


def test_a_log_may_start_with_messages_under_way() -> None:
    header = {"header": {**HEADER["header"], "messages": {"old": {"state": "spooled"}}}}
    lock = _verdict(_lock(1, "old"), header=header)
    assert lock["verdict"] == "conforms"
    new = _verdict(*_submitted("new", 1),
                   _call(4, "spooler", "IMsgStore::GetOutgoingQueue", None,
                         queue=["old", "new"]), header=header)
    assert new["verdict"] == "conforms"
    saved = {"header": {**HEADER["header"], "messages": {"old": {"state": "saved"}}}}
    assert _verdict(_lock(1, "old"), header=saved)["line"] == 2


@pytest.mark.parametrize(("messages", "message"), [
    ({"a": {}, "b": {}, "c": {}}, "3 messages under way, the configuration has 2"),
    ({"a": {"state": "spooled", "in_queue": False}}, "no world of the configuration has"),
    ({"a": {"state": "sleeping"}}, 'field header/messages/a/state: unknown value "sleeping"'),
    ([], "field header/messages: expected object"),
    ({"a": {"deferred_send_time": "noon"}},
     'field header/messages/a/deferred_send_time: "noon" is not an RFC 3339 time'),
    ({"a": {"recipients": [{"state": "gone"}]}},
     'field header/messages/a/recipients/0/state: unknown value "gone"'),
])
def test_a_start_no_world_fits_is_an_error(messages: Any, message: str) -> None:
    header = {"header": {**HEADER["header"], "messages": messages}}
    with pytest.raises(LogError) as caught:
        validate_log_text(_log(_lock(1, "a"), header=header), "log")
    assert message in str(caught.value)


def test_the_end_of_run_judges_what_is_owed() -> None:
    finished = [*_submitted("a", 1), _lock(4, "a"),
                _call(5, "transport", "IXPLogon::SubmitMessage", "a", transport=0),
                _call(6, "spooler", "IXPLogon::EndMessage", "a", transport=0),
                _call(7, "spooler", "IMsgStore::FinishedMsg", "a")]
    assert _verdict(*finished, {"end": {}})["verdict"] == "conforms"
    queued = _verdict(*_submitted("a", 1), {"end": {}})
    assert queued["line"] == 5 and "L1" in queued["reason"] and "R62" in queued["rules"]
    assert _verdict(*_submitted("a", 1))["verdict"] == "conforms", "no end: a prefix"
    drafts = _verdict(_call(1, "client", "IMessage::ModifyRecipients", "a"), {"end": {}})
    assert drafts["verdict"] == "conforms", "a draft owes nothing: clients stop at will"


def test_a_later_message_passes_a_waiting_one_only_for_another_transport() -> None:
    # R39: while the oldest message waits out its retry delay (R47), the spooler may lock a
    # later one that uses another transport; one that needs the same transport waits, before
    # the delay has passed and after it (the oldest is then due to be resent first, R14).
    lines = [*_submitted("a", 1), *_submitted("b", 4), _lock(7, "a"),
             _call(8, "transport", "IXPLogon::SubmitMessage", "a", "MAPI_E_NETWORK_ERROR",
                   transport=0, return_parm=60, time="2026-12-02T10:00:00Z")]
    config: dict[str, Any] = {"messages": 2, "recipients": 1, "coupling": ["loose"],
                              "features": {"deferral": False}}
    two = {"header": {"config": {**config, "transports": 2,
                                 "address_mixes": ["servable", "mixed"],
                                 "profiles": "independent"}}}
    one = {"header": {"config": {**config, "transports": 1}}}
    early = dict(_lock(9, "b"), time="2026-12-02T10:00:30Z")
    late = dict(_lock(9, "b"), time="2026-12-02T10:01:00Z")
    assert _verdict(*lines, early, header=two)["verdict"] == "conforms"
    for lock in (early, late, _lock(9, "b")):
        verdict = _verdict(*lines, lock, header=one)
        assert (verdict["line"], verdict["rules"]) == (10, ["R14", "R39"]), lock
