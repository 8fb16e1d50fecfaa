"""A large log file is read, parsed and checked by a second process while the records before
are judged (log_read_ahead.py): the verdicts, and which problem is reported first, are those of
reading in-process; the reader never outlives the judge; a reader that cannot start or dies is
a fallback or a one-line error, never a hang."""

from __future__ import annotations

import io
import pickle
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mapi_submission.harness import log_read_ahead
from mapi_submission.harness.log_files import validate_log_file
from mapi_submission.harness.log_format import LogError

from .logs_support import CONFORMING, lines_of, run, write_lines

CORPUS = Path(__file__).resolve().parents[1] / "acceptance" / "logs"


@pytest.fixture
def readers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every file read ahead, however small; the reader processes started."""
    started: list[subprocess.Popen[bytes]] = []
    start = log_read_ahead._start_reader

    def recorded(path: Path) -> subprocess.Popen[bytes] | None:
        reader = start(path)
        if reader is not None:
            started.append(reader)
        return reader

    monkeypatch.setattr(log_read_ahead, "READ_AHEAD_FROM_BYTES", 0)
    monkeypatch.setattr(log_read_ahead, "_start_reader", recorded)
    yield started
    assert all(reader.poll() is not None for reader in started), "a reader outlived its judge"


def _verdicts(paths: list[Path]) -> list[tuple[int, str, str]]:
    return [run("validate-log", str(path), "--json") for path in paths]


def test_read_ahead_gives_the_verdicts_of_reading_in_process(
        tmp_path: Path, readers: list[subprocess.Popen[bytes]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    lines = lines_of(CONFORMING)
    diverging = [*lines[:2], dict(lines[2], result="MAPI_E_OBJECT_CHANGED"), *lines[3:]]
    logs = [CONFORMING, *sorted(CORPUS.glob("order-tight-pair-*.jsonl"))]
    # a divergence before a malformed line, a malformed line alone, bytes that are not UTF-8,
    # and a last line cut off while being written, each in its place after many records
    for name, body, tail in (
        ("diverges-then-malformed", diverging, b'{"seq": 99, "actor": \nnot JSON\n'),
        ("malformed", lines, b"not JSON at all\n"),
        ("not-utf8", lines, b'{"seq": 99, "actor": "\xff"}\n'),
        ("cut-off", lines, b'{"seq": 99, "act'),
    ):
        log = write_lines(tmp_path / f"{name}.jsonl", body)
        with log.open("ab") as stream:
            stream.write(tail)
        logs.append(log)
    read_ahead = _verdicts(logs)
    assert len(readers) == len(logs)
    monkeypatch.setattr(log_read_ahead, "READ_AHEAD_FROM_BYTES", 1 << 62)
    assert _verdicts(logs) == read_ahead
    assert [code for code, _, _ in read_ahead] == [0, 1, 0, 0, 1, 2, 2, 2]


def test_a_verdict_before_the_end_stops_the_reader(
        tmp_path: Path, readers: list[subprocess.Popen[bytes]]) -> None:
    header, *records = lines_of(CONFORMING)
    wrong = dict(records[1], result="MAPI_E_OBJECT_CHANGED")
    # far more records after the divergence than the pipe holds: the reader is still writing
    filler = [dict(records[0], seq=n) for n in range(10, 60_000)]
    log = write_lines(tmp_path / "long.jsonl", [header, records[0], wrong, *filler])
    verdict = validate_log_file(log)
    assert not verdict.conforms and verdict.divergence is not None
    assert verdict.divergence.line == 3
    assert len(readers) == 1  # the fixture checks it has ended


def test_a_reader_that_cannot_start_leaves_reading_to_this_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_read_ahead, "READ_AHEAD_FROM_BYTES", 0)
    monkeypatch.setattr(log_read_ahead.sys, "executable", "/nonexistent/python")
    assert log_read_ahead._start_reader(CONFORMING) is None
    assert validate_log_file(CONFORMING).conforms


def _stream(*messages: tuple[str, Any]) -> io.BytesIO:
    stream = io.BytesIO()
    for message in messages:
        pickle.dump(message, stream)
    stream.seek(0)
    return stream


def test_a_reader_that_dies_is_a_one_line_error_after_the_records_it_sent() -> None:
    stream = _stream(("records", [(2, {"seq": 1})]))
    records = log_read_ahead.received(stream, "big.jsonl", lambda: -9)
    assert next(records) == (2, {"seq": 1})
    with pytest.raises(LogError, match=r"^big.jsonl: the process reading the log ended before "
                                       r"the end of the file \(exit code -9\)$"):
        next(records)


def test_the_readers_problem_is_raised_in_its_place() -> None:
    stream = _stream(("records", [(2, {"seq": 1})]),
                     ("error", LogError("big.jsonl: line 3: malformed JSON")))
    records = log_read_ahead.received(stream, "big.jsonl", lambda: 0)
    assert next(records) == (2, {"seq": 1})
    with pytest.raises(LogError, match="line 3: malformed JSON"):
        next(records)


def test_the_reader_writes_every_record_then_done(tmp_path: Path) -> None:
    stream = io.BytesIO()
    log_read_ahead.read_ahead(str(CONFORMING), stream)
    stream.seek(0)
    assert pickle.load(stream) == ("ready", None)
    sent = list(log_read_ahead.received(stream, str(CONFORMING), lambda: 0))
    assert [record for _, record in sent] == lines_of(CONFORMING)[1:]
    assert stream.read() == b""
