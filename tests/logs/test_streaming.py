"""Long logs: message ids released when their message is finished (the bound is on messages
alive at once), records judged as they are read (the first problem in line order wins), and
progress on stderr."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from mapi_submission.harness import progress
from mapi_submission.harness.log_files import validate_log_file
from mapi_submission.harness.progress import ValidationProgress

from .logs_support import CONFORMING, lines_of, run, write_lines

Lines = list[dict[str, Any]]


def _one_message() -> tuple[dict[str, Any], Lines]:
    """The conforming example (configuration: one message) as header and records."""
    header, *records = lines_of(CONFORMING)
    assert header["header"]["config"]["messages"] == 1
    return header, records


def _as(records: Lines, message: str) -> Lines:
    return [dict(record, message=message) for record in records]


def _numbered(lines: Lines) -> Lines:
    """The lines with their seq renumbered in order (the header has none)."""
    seq = 0
    for line in lines:
        if "seq" in line:
            seq += 1
            line["seq"] = seq
    return lines


def test_more_ids_than_messages_conform_when_each_finishes_before_the_next(
        tmp_path: Path) -> None:
    header, records = _one_message()
    lines = _numbered([header, *(record for n in range(4) for record in _as(records, f"m{n}"))])
    log = write_lines(tmp_path / "four.jsonl", lines)
    code, out, err = run("validate-log", str(log))
    assert code == 0, out + err
    assert f"conforms to the specification ({4 * len(records)} record(s)" in out


def test_one_more_message_alive_than_the_bound_says_so(tmp_path: Path) -> None:
    header, records = _one_message()
    second = _as(records, "m1")
    # m1 is created while m0 is still being sent: two alive at once, the bound is one.
    lines = _numbered([header, *_as(records[:3], "m0"), second[0], *_as(records[3:], "m0"),
                       *second[1:]])
    log = write_lines(tmp_path / "two-alive.jsonl", lines)
    code, out, err = run("validate-log", str(log))
    assert code == 1
    first = out.splitlines()[0]
    assert first.endswith(
        "diverges at line 5: message id m1 is new but every one of the configuration's 1 model "
        "messages is alive (bound to an id, not finished or deleted): the configuration allows "
        "1 message(s) alive at once (raise messages in the header's config, or --messages, "
        "up to 10)")
    assert "diverges from the specification at line 5" in err
    header["header"]["config"]["messages"] = 2
    header["header"]["initial"]["messages"] *= 2
    write_lines(log, lines)
    code, out, err = run("validate-log", str(log))
    assert code == 0, out + err


def test_a_finished_message_keeps_its_id_until_a_new_message_needs_the_slot(
        tmp_path: Path) -> None:
    header, records = _one_message()
    finished_state = records[-1]["observed"]
    abort = {"seq": 0, "actor": "client", "event": "IMsgStore::AbortSubmit", "message": "m0",
             "result": "MAPI_E_NOT_IN_QUEUE", "observed": finished_state}
    # AbortSubmit on the message that has just finished is judged against it (R67); the id
    # named again for a new message's calls is a new message in the same slot.
    lines = _numbered([header, *_as(records, "m0"), abort, *_as(records, "m0")])
    log = write_lines(tmp_path / "reused-id.jsonl", lines)
    code, out, err = run("validate-log", str(log))
    assert code == 0, out + err
    # Once a new id has taken the slot, the finished message is forgotten: AbortSubmit on its
    # id is a call on a new, unsaved message, which the model does not allow.
    lines = _numbered([header, *_as(records, "m0"), _as(records, "m1")[0], abort])
    write_lines(log, lines)
    code, out, _ = run("validate-log", str(log))
    assert code == 1 and "diverges at line 10:" in out


def test_a_divergence_is_reported_before_a_later_malformed_line(tmp_path: Path) -> None:
    lines = lines_of(CONFORMING)
    assert lines[2]["event"] == "IMAPIProp::SaveChanges"
    lines[2]["result"] = "MAPI_E_OBJECT_CHANGED"  # no other handle has committed
    log = tmp_path / "diverges-then-malformed.jsonl"
    write_lines(log, lines)
    with log.open("a") as stream:
        stream.write('{"seq": 99, "actor": \n' + "not JSON at all\n")
    code, out, err = run("validate-log", str(log))
    assert code == 1, err
    assert "diverges at line 3:" in out
    # The same malformed line with nothing diverging before it is an unusable log.
    write_lines(log, lines_of(CONFORMING))
    with log.open("a") as stream:
        stream.write("not JSON at all\n")
    code, out, err = run("validate-log", str(log))
    assert code == 2 and out == ""
    assert err.strip().endswith(
        f"{log}: line {len(lines) + 1}: malformed JSON: Expecting value at column 1")


def test_progress_lines_name_records_rate_messages_and_worlds() -> None:
    stream = io.StringIO()
    reporter = ValidationProgress(stream, "example.jsonl", delay=0, interval=0)
    verdict = validate_log_file(CONFORMING, progress=reporter)
    assert verdict.conforms
    lines = stream.getvalue().splitlines()
    assert len(lines) == verdict.records
    assert lines[0].startswith("validate-log: example.jsonl: 1 records judged, ")
    # The last record finishes the message: none is alive after it.
    assert lines[-1].endswith(" records/s, 0 message(s) alive, 1 model world(s)")
    assert "\x1b" not in stream.getvalue()  # no escape codes when not a terminal


def test_progress_goes_to_stderr_never_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DEFAULT_DELAY", 0.0)
    monkeypatch.setattr(progress, "DEFAULT_INTERVAL", 0.0)
    code, out, err = run("validate-log", str(CONFORMING), "--json")
    assert code == 0
    assert json.loads(out)["verdict"] == "conforms"
    assert "records judged" in err and "records judged" not in out


def test_a_short_log_reports_no_progress() -> None:
    code, out, err = run("validate-log", str(CONFORMING))
    assert code == 0 and err == "" and "records judged" not in out
