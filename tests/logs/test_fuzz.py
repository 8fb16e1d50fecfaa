"""Fuzzing the log loader and validate-log: mutated valid logs, random JSON lines and random
bytes either give a verdict or the documented one-line error (LogError / WorldLimit; exit 2
from the command); nothing else escapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_trees import json_documents, paths

from mapi_submission.harness.log_format import (
    ACTORS,
    ALL_EVENTS,
    KNOWN_FLAGS,
    KNOWN_LOCKS,
    LogError,
    parse_log,
    read_log,
)
from mapi_submission.harness.validate_log import WorldLimit, validate_log_text
from mapi_submission.model.table import TABLE

from .logs_support import CONFORMING, EXAMPLES, run

VALID_TEXTS = [CONFORMING.read_text(),
               (EXAMPLES / "duplicate-send-after-network-error.jsonl").read_text()]
VALID = [[json.loads(line) for line in text.splitlines()] for text in VALID_TEXTS]
#: Small enough that a mutated header cannot make one example slow.
MAX_WORLDS = 2_000

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

json_values = json_documents(
    st.none() | st.booleans() | st.integers(-3, 2**70) | st.floats() | st.text(max_size=12)
    | st.sampled_from(["S_OK", "client", "spooler", "IMsgStore::SetLockState", "MSG_LOCKED",
                       "FORCE_SAVE|KEEP_OPEN_READWRITE", "msg-1", "outbox", "tight"]),
    key_size=10, max_leaves=10)



def _judge(text: str) -> None:
    """Parse and validate; only the documented errors may come out, as one line each."""
    try:
        verdict = validate_log_text(text, "fuzz.jsonl", max_worlds=MAX_WORLDS)
    except LogError as error:
        message = str(error)
        assert message.startswith("fuzz.jsonl"), message
        assert "\n" not in message, message
        return
    except WorldLimit as error:
        assert "\n" not in str(error)
        return
    assert verdict.records >= 0
    if verdict.divergence is not None:
        assert verdict.divergence.line >= 1
        json.dumps(verdict.to_json())  # the JSON verdict can always be printed
        verdict.divergence.describe().encode("utf-8")


#: Well-typed values for record fields, so that many mutants get past the loader and exercise
#: the validator itself.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "actor": st.sampled_from(sorted(ACTORS)),
    "event": st.sampled_from(sorted(ALL_EVENTS)),
    "result": st.sampled_from(sorted({row.result for row in TABLE})),
    "message": st.sampled_from(["msg-1", "msg-2", "outbox/42", "0000A1B2", None]),
    "flags": st.sampled_from(sorted(KNOWN_FLAGS) + ["KEEP_OPEN_READONLY"]),
    "lock": st.sampled_from(sorted(KNOWN_LOCKS)),
    "transport": st.integers(0, 3),
    "recipient": st.integers(0, 3),
    "observed": st.fixed_dictionaries({}, optional={
        "state": st.sampled_from(["draft", "saved", "submitted", "locked", "delivered"]),
        "in_queue": st.booleans(), "locked": st.booleans(),
        "message_flags": st.sampled_from([0, 4, 8, 12]),
        "recipients": st.lists(st.fixed_dictionaries({}, optional={
            "responsibility": st.booleans(), "transmissions": st.integers(0, 2)}),
            max_size=3)}),
}


@st.composite
def mutated_logs(draw: st.DrawFn) -> str:
    lines = json.loads(json.dumps(draw(st.sampled_from(VALID))))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["plausible", "plausible", "replace", "delete", "swap",
                                     "duplicate", "insert"]))
        number = draw(st.integers(0, len(lines) - 1))
        if kind == "plausible" and isinstance(lines[number], dict) and number > 0:
            name = draw(st.sampled_from(sorted(PLAUSIBLE)))
            lines[number][name] = draw(PLAUSIBLE[name])
        elif kind == "replace":
            places = paths(lines[number])
            path = draw(st.sampled_from(places))
            value = draw(json_values)
            if not path:
                lines[number] = value
                continue
            target = lines[number]
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        elif kind == "delete" and isinstance(lines[number], dict) and lines[number]:
            del lines[number][draw(st.sampled_from(sorted(lines[number])))]
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[number], lines[other] = lines[other], lines[number]
        elif kind == "duplicate":
            lines.insert(number, json.loads(json.dumps(lines[number])))
        else:
            lines.insert(number, draw(json_values))
    if draw(st.integers(0, 9)) < 7:  # most mutants keep their sequence numbers in order
        for seq, line in enumerate(lines, start=1):
            if isinstance(line, dict) and isinstance(line.get("seq"), int):
                line["seq"] = seq
    text = "".join(json.dumps(line) + "\n" for line in lines)
    if draw(st.integers(0, 9)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return text


@SETTINGS
@given(mutated_logs())
def test_mutated_valid_logs(text: str) -> None:
    _judge(text)


@SETTINGS
@given(st.lists(json_values, max_size=6))
def test_random_json_lines(values: list[Any]) -> None:
    _judge("".join(json.dumps(value) + "\n" for value in values))


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_through_the_file_loader(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(content)
    try:
        read_log(path)
    except LogError as error:
        assert str(error).startswith(str(path)) and "\n" not in str(error)


@SETTINGS
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    try:
        parse_log(text, "fuzz.jsonl")
    except LogError as error:
        assert str(error).startswith("fuzz.jsonl") and "\n" not in str(error)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.one_of(mutated_logs(), st.binary(max_size=200).map(
    lambda b: b.decode("utf-8", "surrogateescape"))))
def test_the_command_exits_0_1_or_2_with_one_line_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    code, out, err = run("validate-log", str(path), "--max-worlds", str(MAX_WORLDS))
    assert code in (0, 1, 2), (code, out, err)
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and out == "", err
    if code == 1:
        assert "diverges at line" in out
