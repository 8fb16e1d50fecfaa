"""Input hygiene, for every kind of file a command reads (a call log, a case, a configuration,
a suite's manifest): a UTF-8 byte order mark is accepted; UTF-16, a key given twice, nesting
too deep, a device without end and an overlong line each get one error line and exit 2; `-`
reads standard input; a long value the input gives is cut where an error line or a verdict
echoes it. Commands run as a user runs them (a subprocess), so standard input and memory
are real."""

from __future__ import annotations

import codecs
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mapi_submission.checker.json_input import MAX_DEPTH, duplicate_line, shown

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "examples" / "logs" / "conforming-one-message.jsonl"
DIVERGING_LOG = ROOT / "examples" / "logs" / "abort-ignores-lock.jsonl"
CASE = sorted((ROOT / "tests" / "regression" / "transitions").glob("*.json"))[0]
CONFIG = json.dumps({"messages": 1, "recipients": 1, "transports": 1,
                     "coupling": ["loose"], "folders": ["outbox"]}, indent=2)
#: the commands and arguments that read each kind of file, FILE standing for it
READERS: dict[str, list[str]] = {
    "log": ["validate-log", "FILE"],
    "case": ["replay", "FILE"],
    "config": ["check", "--no-liveness", "-q", "--config", "FILE"],
}
GOOD: dict[str, str] = {
    "log": LOG.read_text(encoding="utf-8"),
    "case": CASE.read_text(encoding="utf-8"),
    "config": CONFIG,
}
MEMORY_CAP = 2 * 1024 ** 3


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _run(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "mapi-submission"), *args]
    result = subprocess.run(command, input=stdin, capture_output=True, timeout=120,
                            preexec_fn=_limit_memory, check=False)
    return subprocess.CompletedProcess(result.args, result.returncode,
                                       result.stdout.decode("utf-8", "replace"),
                                       result.stderr.decode("utf-8", "replace"))


def _args(kind: str, path: Path | str) -> list[str]:
    return [str(path) if arg == "FILE" else arg for arg in READERS[kind]]


def _one_error_line(result: subprocess.CompletedProcess[str], *parts: str) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("kind", sorted(READERS))
def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(codecs.BOM_UTF8 + GOOD[kind].encode("utf-8"))
    result = _run(_args(kind, path))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("kind", sorted(READERS))
def test_utf16_gets_one_line_saying_so(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(GOOD[kind].encode("utf-16"))  # with its byte order mark, as PowerShell
    _one_error_line(_run(_args(kind, path)), str(path), "UTF-16")


def _with_duplicate(kind: str) -> tuple[str, int, str]:
    """The good input with one key given twice; the line of the second, and the key."""
    if kind == "log":
        lines = GOOD[kind].splitlines()
        lines[2] = lines[2].replace('"seq": 2}', '"seq": 2, "seq": 3}')
        assert '"seq": 3' in lines[2]
        return "\n".join(lines) + "\n", 3, "seq"
    if kind == "case":
        text = GOOD[kind].replace('"id": ', '"id": "first", "id": ', 1)
    else:
        text = GOOD[kind].replace('"messages": 1,', '"messages": 1,\n  "messages": 2,')
    key = "id" if kind == "case" else "messages"
    second = [number for number, line in enumerate(text.splitlines(), 1)
              if f'"{key}"' in line][-1 if kind == "config" else 0]
    return text, second, key


@pytest.mark.parametrize("kind", sorted(READERS))
def test_a_key_given_twice_is_named_with_its_line(tmp_path: Path, kind: str) -> None:
    text, line, key = _with_duplicate(kind)
    path = tmp_path / "input.json"
    path.write_text(text, encoding="utf-8")
    _one_error_line(_run(_args(kind, path)), f"line {line}", f'"{key}" given twice')


def test_the_duplicate_is_found_in_document_order_at_any_depth() -> None:
    text = '{\n "a": {"x": 1},\n "b": [{"y": 1,\n "y": 2}],\n "c": 3\n}'
    assert duplicate_line(text) == 4
    assert duplicate_line('{"a": 1, "b": {"a": 2}}') is None
    assert duplicate_line('[1, "x", {"k": [true, null]}, {"k": 1, "k": 2}]') == 1


@pytest.mark.parametrize("kind", ["case", "config"])
@pytest.mark.parametrize("levels", [MAX_DEPTH + 5, 100_000])  # the second past json's limit
def test_deep_nesting_gets_one_line(tmp_path: Path, kind: str, levels: int) -> None:
    path = tmp_path / "input.json"
    path.write_text('{"x": ' * levels + "1" + "}" * levels, encoding="utf-8")
    line = _one_error_line(_run(_args(kind, path)), str(path))
    assert "nested" in line


@pytest.mark.parametrize("kind", sorted(READERS))
def test_a_device_without_end_is_refused_under_a_memory_cap(kind: str) -> None:
    line = _one_error_line(_run(_args(kind, "/dev/zero")), "/dev/zero")
    assert "limited to" in line or "longer than" in line or "UTF-16" in line


def test_a_log_line_too_long_to_be_a_record_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_text('{"seq": 1, "actor": "client", "message": "' + "m" * 2_000_000 + '"}\n',
                    encoding="utf-8")
    _one_error_line(_run(_args("log", path)), "line 1", "longer than")


@pytest.mark.parametrize("kind", sorted(READERS))
def test_a_dash_reads_standard_input(kind: str) -> None:
    result = _run(_args(kind, "-"), stdin=GOOD[kind].encode("utf-8"))
    assert result.returncode == 0, result.stderr


def test_a_dash_names_standard_input_in_the_verdict() -> None:
    result = _run(_args("log", "-"), stdin=DIVERGING_LOG.read_bytes())
    assert result.returncode == 1
    assert result.stdout.startswith("<stdin>: diverges at line"), result.stdout


def _log_with_message_id(message_id: str) -> str:
    lines = DIVERGING_LOG.read_text(encoding="utf-8").splitlines()
    records: list[dict[str, Any]] = [json.loads(line) for line in lines]
    for record in records[1:]:
        if record.get("message") is not None:
            record["message"] = message_id
    return "\n".join(json.dumps(record) for record in records) + "\n"


def test_a_long_message_id_is_cut_where_the_verdict_echoes_it(tmp_path: Path) -> None:
    path = tmp_path / "long-id.jsonl"
    path.write_text(_log_with_message_id("i" * 900_000), encoding="utf-8")
    result = _run(_args("log", path))
    assert result.returncode == 1, result.stderr
    assert len(result.stdout) < 20_000, len(result.stdout)
    assert "more characters)" in result.stdout


def test_a_long_key_is_cut_in_the_error_line(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    key = "k" * 100_000
    path.write_text(f'{{"{key}": 1, "{key}": 2}}', encoding="utf-8")
    line = _one_error_line(_run(_args("config", path)), "given twice", "more characters")
    assert len(line) < 500


def test_shown_says_how_much_it_cut() -> None:
    assert shown("short") == "short"
    assert shown("x" * 100, keep=10) == "x" * 10 + "... (90 more characters)"


def test_a_manifest_with_a_key_given_twice_is_named(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    generated = _run(["generate", "--messages", "1", "--recipients", "1", "--transports", "1",
                      "--criterion", "states", "-o", str(suite), "-q"])
    assert generated.returncode == 0, generated.stderr
    manifest = suite / "suite.manifest"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('"complete": true', '"complete": true, "complete": true',
                                     1), encoding="utf-8")
    _one_error_line(_run(["replay", str(suite)]), str(manifest), '"complete" given twice')
