"""The log format is stated three times (validator, JSON Schema, docs/log-format.md); all three
must say what the transition table says, and the page's example must give the verdicts it
shows."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from mapi_submission.harness.log_format import (
    ACTORS,
    ALL_EVENTS,
    KNOWN_FLAGS,
    KNOWN_LOCKS,
    LOGGED_EVENTS,
    OBSERVED_FIELDS,
    OBSERVED_VALUES,
    RECIPIENT_FIELDS,
    RECIPIENT_VALUES,
    RECORD_FIELDS,
    REQUIRED_FIELDS,
    SILENT_EVENTS,
    logged_arguments,
)
from mapi_submission.harness.log_observations import OBSERVATION_CALLS
from mapi_submission.harness.validate_log import validate_log_text
from mapi_submission.model.states import MESSAGE_STATES, RECIPIENT_STATES
from mapi_submission.model.table import TABLE, Kind

from .logs_support import EXAMPLES, ROOT, run

DOC = (ROOT / "docs" / "log-format.md").read_text()
SCHEMA: dict[str, Any] = json.loads(
    (ROOT / "mapi_submission" / "schemas" / "log-record.schema.json").read_text())
HEADER_FIELDS = {"config", "initial", "all_steps_logged", "source", "messages"}


def _section(title: str) -> str:
    start = DOC.index(f"\n### {title}\n")
    end = DOC.find("\n### ", start + 1)
    return DOC[start:end]


def _table_rows(text: str) -> list[list[str]]:
    """The body rows of the markdown tables in `text` (header rows left out)."""
    lines = text.splitlines()
    return [[cell.strip() for cell in line.strip("|").split("|")]
            for number, line in enumerate(lines)
            if line.startswith("| ")
            and not (number + 1 < len(lines) and lines[number + 1].startswith("|---"))]


def test_the_page_lists_every_event_of_the_table_where_it_belongs() -> None:
    logged = _table_rows(_section("Calls an implementation logs"))
    observing = _table_rows(_section("Calls that only observe"))
    internal_section = _section("Internal steps (not logged)")
    silent = _table_rows(internal_section)
    inside_call = {row.event for row in TABLE if row.kind is Kind.INSIDE_CALL}
    for row in TABLE:
        if row.kind is Kind.INSIDE_CALL:
            # taken inside SubmitMessage: named in the paragraph, not a step between records
            assert f"`{row.event}`" in internal_section, f"row {row.name}: not on the page"
            continue
        rows = silent if row.event in SILENT_EVENTS else logged
        flags, lock = logged_arguments(row)
        found = [r for r in rows if r[0] == row.actor and r[1] == f"`{row.event}`"
                 and set(re.findall(r'"flags": "(\w+)"', r[2])) <= {flags}
                 and (flags == "0" or f'"flags": "{flags}"' in r[2])
                 and re.findall(r'"lock": "(\w+)"', r[2]) == ([lock] if lock else [])]
        assert found, f"row {row.name}: {row.actor} {row.event} is not on the page"
        for line in found:
            if len(line) == 5:
                assert f"`{row.result}`" in line[3], f"row {row.name}: result {row.result}"
            assert set(row.rules) <= set(line[-1].split(", ")), f"row {row.name}: rules"
    for row in TABLE:
        if row.logged_as:
            assert [r for r in logged if r[0] == row.actor and r[1] == f"`{row.logged_as}`"
                    and set(row.rules) <= set(r[-1].split(", "))], row.name
    for actor, event, _ in OBSERVATION_CALLS:
        assert [r for r in observing if r[1] == f"`{event}`" and r[0] in (actor, "any actor")]
    assert {r[1].strip("`") for r in logged + observing} == set(LOGGED_EVENTS)
    assert {r[1].strip("`") for r in silent} == set(SILENT_EVENTS) - inside_call
    assert LOGGED_EVENTS | SILENT_EVENTS == ALL_EVENTS


def test_the_page_names_every_actor_field_value_and_result() -> None:
    for actor in ACTORS:
        assert f"`{actor}`" in DOC
    for name in [*RECORD_FIELDS, *OBSERVED_FIELDS, *RECIPIENT_FIELDS, *HEADER_FIELDS]:
        assert f"| `{name}` |" in DOC or f"`{name}`" in DOC, name
    for result in {row.result for row in TABLE}:
        assert f"`{result}`" in _section("Result codes"), result
    for state in (*MESSAGE_STATES, *RECIPIENT_STATES):
        assert f"`{state.name}`" in DOC, state.name
    for folder in OBSERVED_VALUES["folder"]:
        assert f"`{folder}`" in DOC, folder
    for value in KNOWN_LOCKS | (KNOWN_FLAGS - {"0"}):
        assert value in DOC, value


def test_the_schema_says_what_the_validator_and_the_table_say() -> None:
    record = SCHEMA["$defs"]["record"]
    assert set(record["properties"]) == set(RECORD_FIELDS)
    assert record["required"] + ["result"] == list(REQUIRED_FIELDS)
    assert {"required": ["result"]} in record["anyOf"]
    assert set(record["properties"]["actor"]["enum"]) == set(ACTORS)
    assert set(record["properties"]["event"]["enum"]) == set(ALL_EVENTS)
    assert set(record["properties"]["lock"]["enum"]) == set(KNOWN_LOCKS)
    assert set(record["properties"]["flags"]["examples"]) == set(KNOWN_FLAGS)
    assert set(record["properties"]["result"]["examples"]) == {row.result for row in TABLE}
    observed = SCHEMA["$defs"]["observed"]["properties"]
    assert set(observed) == set(OBSERVED_FIELDS)
    assert set(observed["recipients"]["items"]["properties"]) == set(RECIPIENT_FIELDS)
    for name, allowed in OBSERVED_VALUES.items():
        assert set(observed[name]["enum"]) == set(allowed), name
    recipient = observed["recipients"]["items"]["properties"]
    assert set(recipient["state"]["enum"]) == set(RECIPIENT_VALUES["state"])
    transmissions = recipient["transmissions"]
    assert (set(range(transmissions["minimum"], transmissions["maximum"] + 1))
            == RECIPIENT_VALUES["transmissions"])
    assert set(OBSERVED_VALUES["state"]) == {s.name for s in MESSAGE_STATES}
    assert set(RECIPIENT_VALUES["state"]) == {s.name for s in RECIPIENT_STATES}
    header = SCHEMA["$defs"]["header_line"]["properties"]["header"]["properties"]
    assert set(header) == HEADER_FIELDS


def test_every_example_line_is_valid_under_the_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    paths = sorted(EXAMPLES.glob("*.jsonl"))
    assert paths
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            errors = list(validator.iter_errors(json.loads(line)))
            assert not errors, f"{path.name}:{number}: {errors[0].message}"
    flags = validator.iter_errors({"seq": 1, "actor": "client", "event": "IMsgStore::OpenEntry",
                                   "message": "m", "result": "S_OK",
                                   "flags": "KEEP_OPEN_READWRITE | MAPI_MODIFY"})
    assert not list(flags)


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.S)


def test_the_pages_example_gives_the_verdicts_it_shows(tmp_path: Path) -> None:
    example, changed = _blocks("jsonl")
    conforming_output, diverging_output = _blocks("text")
    log = tmp_path / "example.jsonl"
    log.write_text(example)
    code, out, _ = run("validate-log", str(log))
    assert code == 0
    assert out.replace(str(tmp_path) + "/", "") == conforming_output
    replacement = json.loads(changed)
    lines = [replacement if json.loads(line).get("seq") == replacement["seq"] else
             json.loads(line) for line in example.splitlines()]
    diverging = tmp_path / "diverging.jsonl"
    diverging.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, out, err = run("validate-log", str(diverging))
    assert code == 1
    assert out.replace(str(tmp_path) + "/", "") == diverging_output
    assert "diverges from the specification at line 7" in err


def _worked_examples() -> list[tuple[str, str]]:
    """The worked examples of the new format elements: (verdict, log)."""
    return re.findall(r"```jsonl (conforms|diverges)\n(.*?)```", DOC, flags=re.S)


def _judge(text: str) -> dict[str, Any]:
    return validate_log_text(text, "example").to_json()


def _with_line(text: str, line: int, **changes: Any) -> str:
    lines = text.splitlines()
    record = json.loads(lines[line - 1])
    record.update(changes)
    lines[line - 1] = json.dumps(record)
    return "\n".join(lines) + "\n"


def test_the_worked_examples_give_the_verdicts_the_page_states() -> None:
    examples = _worked_examples()
    assert [verdict for verdict, _ in examples] == ["conforms"] * 6 + ["diverges"]
    bits, nested, saved, served, timed, started, ended = (text for _, text in examples)
    for text in (bits, nested, saved, served, timed, started):
        assert _judge(text)["verdict"] == "conforms"
    lost = _judge(_with_line(saved, 8, observed={"recipients": [
        {"responsibility": False}, {"responsibility": False}]}))
    assert lost["line"] == 8 and "R48" in lost["rules"]
    unsaved_lines = saved.splitlines()
    del unsaved_lines[5]  # no SaveChanges: both marks are discarded by the error
    both_open = _judge(_with_line("\n".join(unsaved_lines) + "\n", 7, observed={"recipients": [
        {"responsibility": False}, {"responsibility": False}]}))
    assert both_open["verdict"] == "conforms"
    wrong_transport = _judge(_with_line(served, 5, recipient=0))
    assert (wrong_transport["line"], wrong_transport["rules"]) == (5, ["R43", "R49"])
    wrong_bit = _judge(_with_line(bits, 4, observed={"MSGFLAG_SUBMIT": False}))
    assert wrong_bit["line"] == 4 and {"R2", "R13", "R65"} <= set(wrong_bit["rules"])
    twice = _judge(_with_line(nested, 8, recipient=0))
    assert (twice["line"], twice["rules"]) == (8, ["R43", "R49"])
    early = _judge(_with_line(timed, 5, time="2026-12-02T17:59:00Z"))
    assert (early["line"], early["rules"]) == (5, ["R72"])
    retried = _judge(_with_line(timed, 7, time="2026-12-02T18:01:00Z"))
    assert (retried["line"], retried["rules"]) == (7, ["R47"])
    reversed_queue = _judge(_with_line(started, 3, queue=["0000A2", "0000A1"]))
    assert (reversed_queue["line"], reversed_queue["rules"]) == (3, ["R14", "R25"])
    end = _judge(ended)
    assert (end["line"], end["rules"]) == (8, ["R38", "R62", "R67", "R80"])
    assert "L1" in end["reason"] and "L2" in end["reason"]
