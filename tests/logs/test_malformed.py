"""Malformed logs: exit 2 with one line on stderr naming the file, the line and the field;
nothing on stdout, never a traceback. Covers unknown events, reordered sequence numbers,
truncated records, malformed JSON, empty and missing files, a directory."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .logs_support import CONFORMING, lines_of, run, write_lines

Lines = list[dict[str, Any]]


def _set(index: int, key: str, value: Any) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        lines[index][key] = value
        return lines
    return change


def _drop(index: int, key: str) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        del lines[index][key]
        return lines
    return change


def _observed(index: int, key: str, value: Any) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        lines[index]["observed"][key] = value
        return lines
    return change


def _header(key: str, value: Any) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        lines[0]["header"][key] = value
        return lines
    return change


def _swap_seq(lines: Lines) -> Lines:
    lines[2]["seq"], lines[3]["seq"] = lines[3]["seq"], lines[2]["seq"]
    return lines


def _initial_messages(lines: Lines) -> Lines:
    lines[0]["header"]["initial"]["messages"].append(lines[0]["header"]["initial"]["messages"][0])
    return lines


def _initial_profile(lines: Lines) -> Lines:
    lines[0]["header"]["initial"]["messages"][0]["address_types"] = ["X400", "EX"]
    return lines


def _recipient_value(key: str, value: Any) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        lines[1]["observed"]["recipients"][0][key] = value
        return lines
    return change


def _session_with_message(lines: Lines) -> Lines:
    lines[1] = {"seq": 1, "actor": "transport", "event": "IMAPISupport::SpoolerNotify",
                "flags": "NOTIFY_READYTOSEND", "message": "m", "transport": 0, "result": "S_OK"}
    return lines


def _header_late(lines: Lines) -> Lines:
    return [lines[1], lines[0], *lines[2:]]


def _recipient_not_object(lines: Lines) -> Lines:
    lines[1]["observed"]["recipients"] = [3]
    return lines


#: (name, change to the conforming example, line and field the error must name)
RECORD_CHANGES: list[tuple[str, Callable[[Lines], Lines], str, str]] = [
    ("unknown event", _set(2, "event", "IMessage::Explode"), "line 3", "field event"),
    ("internal step name in the wrong case", _set(2, "event", "Queue For Spooler"), "line 3",
     "field event"),
    ("unknown actor", _set(1, "actor", "postmaster"), "line 2", "field actor"),
    ("flags that are not flag names", _set(1, "flags", "keep open"), "line 2", "field flags"),
    ("flags selecting two calls", _set(2, "flags", "FORCE_SAVE|MAPI_MODIFY"), "line 3",
     "field flags"),
    ("unknown lock state", _set(1, "lock", "MSG_HALF_LOCKED"), "line 2", "field lock"),
    ("reordered sequence numbers", _swap_seq, "line 4", "field seq"),
    ("repeated sequence number", _set(3, "seq", 2), "line 4", "field seq"),
    ("sequence number as text", _set(1, "seq", "1"), "line 2", "field seq"),
    ("sequence number as boolean", _set(1, "seq", True), "line 2", "field seq"),
    ("sequence number as float", _set(1, "seq", 1.5), "line 2", "field seq"),
    ("missing result", _drop(2, "result"), "line 3", "field result"),
    ("missing message", _drop(2, "message"), "line 3", "field message"),
    ("unknown field", _set(2, "thread", 7), "line 3", "field thread: unknown field"),
    ("unknown field with a line break", _set(2, "a\nb", 7), "line 3", "field 'a\\nb'"),
    ("negative recipient", _set(2, "recipient", -1), "line 3", "field recipient"),
    ("unknown observed property", _observed(1, "colour", "red"), "line 2",
     "field observed/colour"),
    ("observed flags as text", _observed(1, "message_flags", "8"), "line 2",
     "field observed/message_flags"),
    ("misspelt observed state", _observed(1, "state", "Draft"), "line 2",
     "field observed/state"),
    ("unknown folder", _observed(1, "folder", "Outbox"), "line 2", "field observed/folder"),
    ("transmissions out of range", _recipient_value("transmissions", 3), "line 2",
     "field observed/recipients/0/transmissions"),
    # Booleans are ints to Python (True == 1 is in range): the exact-type check of every
    # record must not let one through where a number is meant, nor a number for a boolean.
    ("transmissions as boolean", _recipient_value("transmissions", True), "line 2",
     "field observed/recipients/0/transmissions"),
    ("observed in_queue as number", _observed(1, "in_queue", 0), "line 2",
     "field observed/in_queue"),
    ("unknown recipient state", _recipient_value("state", "delivered"), "line 2",
     "field observed/recipients/0/state"),
    ("recipient row not an object", _recipient_not_object, "line 2",
     "field observed/recipients/0"),
    ("message event without a message", _set(3, "message", None), "line 4", "field message"),
    ("transport-session event with a message", _session_with_message, "line 2",
     "field message"),
    ("header after a record", _header_late, "line 2", "field header"),
    ("unknown header field", _header("clock", 1), "line 1", "field header/clock: unknown field"),
    ("configuration out of range", _header("config", {"messages": 0}), "line 1",
     "field header/config.messages"),
    ("configuration of the wrong type", _header("config", [1]), "line 1", "field header/config"),
    ("initial world with another message count", _initial_messages, "line 1",
     "field header/initial/messages"),
    ("initial world the configuration does not start from", _initial_profile, "line 1",
     "field header/initial"),
    ("malformed initial world", _header("initial", {"messages": 3}), "line 1",
     "field header/initial"),
    ("all_steps_logged not a boolean", _header("all_steps_logged", "yes"), "line 1",
     "field header/all_steps_logged"),
]


def _assert_one_line_error(code: int, out: str, err: str, path: Path, *parts: str) -> None:
    assert code == 2, out + err
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert str(path) in err
    for part in parts:
        assert part in err, (part, err)


@pytest.mark.parametrize(("name", "change", "line", "field"), RECORD_CHANGES,
                         ids=[c[0] for c in RECORD_CHANGES])
def test_malformed_record_is_a_one_line_error_naming_line_and_field(
        tmp_path: Path, name: str, change: Callable[[Lines], Lines], line: str,
        field: str) -> None:
    log = write_lines(tmp_path / "log.jsonl", change(copy.deepcopy(lines_of(CONFORMING))))
    code, out, err = run("validate-log", str(log))
    _assert_one_line_error(code, out, err, log, f"{line}: ", field)


def _text(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "log.jsonl"
    path.write_bytes(content)
    return path


def test_truncated_last_record(tmp_path: Path) -> None:
    text = CONFORMING.read_text()
    log = _text(tmp_path, text[: text.rindex("}", 0, len(text) - 2)].encode())
    code, out, err = run("validate-log", str(log))
    lines = text.count("\n")
    _assert_one_line_error(code, out, err, log, f"line {lines}: ", "truncated record")


def test_record_cut_in_the_middle_of_the_log(tmp_path: Path) -> None:
    lines = CONFORMING.read_text().splitlines()
    lines[2] = lines[2][:40]
    log = _text(tmp_path, ("\n".join(lines) + "\n").encode())
    code, out, err = run("validate-log", str(log))
    _assert_one_line_error(code, out, err, log, "line 3: ", "malformed JSON", "column")


@pytest.mark.parametrize(("content", "parts"), [
    (b"", ("no records",)),
    (b"\n  \n\n", ("no records",)),
    (b'{"seq": 1}\n', ("line 1: ", "field actor: missing")),
    (b"[1, 2]\n", ("line 1: ", "expected a JSON object")),
    (b"\xc3\x28junk\n", ("line 1: ", "cannot read")),
    (b"\xff\xfe{\x00\n\x00", ("is UTF-16 text",)),
    (b"[" * 100_000 + b"\n", ("line 1: ", "malformed JSON")),
    (b"NaN\n", ("line 1: ", "expected a JSON object")),
    (b'{"seq": ' + b"9" * 5000 + b"}\n", ("line 1: ", "malformed JSON")),
], ids=["empty", "blank lines", "missing fields", "array", "not UTF-8", "UTF-16",
        "deep nesting", "NaN", "huge number"])
def test_unusable_content(tmp_path: Path, content: bytes, parts: tuple[str, ...]) -> None:
    log = _text(tmp_path, content)
    code, out, err = run("validate-log", str(log))
    _assert_one_line_error(code, out, err, log, *parts)


def test_missing_file(tmp_path: Path) -> None:
    log = tmp_path / "absent.jsonl"
    code, out, err = run("validate-log", str(log))
    _assert_one_line_error(code, out, err, log, "no such file")


def test_directory(tmp_path: Path) -> None:
    code, out, err = run("validate-log", str(tmp_path))
    _assert_one_line_error(code, out, err, tmp_path, "is a directory")


def test_log_names_more_initial_worlds_than_the_bound(tmp_path: Path) -> None:
    lines = lines_of(CONFORMING)
    lines[0]["header"] = {"config": {"messages": 4, "profiles": "independent"}}
    log = write_lines(tmp_path / "log.jsonl", lines)
    code, out, err = run("validate-log", str(log))
    _assert_one_line_error(code, out, err, log, "initial worlds", "header/initial")


def test_world_bound_exceeded_names_the_line(tmp_path: Path) -> None:
    lines = lines_of(CONFORMING)
    del lines[0]["header"]["initial"]
    for line in lines[1:]:
        line.pop("observed", None)
    log = write_lines(tmp_path / "log.jsonl", lines)
    code, out, err = run("validate-log", str(log), "--max-worlds", "3")
    _assert_one_line_error(code, out, err, log, "line ", "more than 3 model worlds")
    assert json.loads(CONFORMING.read_text().splitlines()[0])  # the example itself is intact
