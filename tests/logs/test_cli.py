"""The validate-log command: exit 0 / 1 / 2, the verdict text and JSON, --from-case."""

from __future__ import annotations

import json
from pathlib import Path

from .logs_support import CONFORMING, EXAMPLES, ROOT, lines_of, run, write_lines

DIVERGING = EXAMPLES / "abort-ignores-lock.jsonl"
INTERLEAVED = EXAMPLES / "conforming-interleaved-partial.jsonl"
CASE = ROOT / "tests" / "regression" / "transitions" / "transitions-finished-delivered.locked.json"


def test_conforming_log_exits_0() -> None:
    code, out, err = run("validate-log", str(CONFORMING))
    assert code == 0 and err == ""
    assert out.startswith(f"{CONFORMING}: conforms to the specification (7 record(s)")


def test_diverging_log_exits_1_with_every_part_of_the_verdict() -> None:
    code, out, err = run("validate-log", str(DIVERGING))
    assert code == 1
    assert err.strip() == (f"validate-log: {DIVERGING} diverges from "
                           "the specification at line 5")
    text = out.splitlines()
    assert text[0].startswith(f"{DIVERGING}: diverges at line 5: ")
    assert text[1].startswith('  record: {"actor": "client", "event": "IMsgStore::AbortSubmit"')
    assert text[2] == "  rules broken: R41, R67"
    assert text[3] == "  model states possible just before it:"
    assert "msg-1=preprocessing" in text[4]
    allowed = text[text.index("  events the model allowed there:") + 1:]
    assert "    client IMsgStore::AbortSubmit on msg-1 -> MAPI_E_UNABLE_TO_ABORT" in allowed


def test_json_verdicts() -> None:
    code, out, _ = run("validate-log", str(DIVERGING), "--json")
    assert code == 1
    verdict = json.loads(out)
    assert verdict["verdict"] == "diverges" and verdict["line"] == 5
    assert verdict["record"] == lines_of(DIVERGING)[4]
    assert verdict["rules"] == ["R41", "R67"]
    assert verdict["possible_states"] and verdict["allowed_events"]
    assert verdict["against"] == "the specification"
    code, out, _ = run("validate-log", str(CONFORMING), "--json")
    assert code == 0
    assert json.loads(out) == {"verdict": "conforms", "records": 7, "peak_worlds": 10,
                               "against": "the specification"}


def test_configuration_options_override_the_header() -> None:
    code, out, _ = run("validate-log", str(INTERLEAVED), "--messages", "1")
    assert code == 1
    assert 'message id entry-7f3a is new but every one of the configuration\'s 1 model' in out


def test_no_log_given() -> None:
    code, out, err = run("validate-log")
    assert code == 2 and out == "" and "give a LOG file" in err


def test_unknown_variant_is_a_usage_error() -> None:
    code, _, err = run("validate-log", str(CONFORMING), "--variant", "no-such-bug")
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_from_case_writes_a_log_that_conforms_byte_identically(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    code, out, _ = run("validate-log", "--from-case", str(CASE), "-o", str(first))
    assert code == 0 and f"wrote {first}" in out
    run("validate-log", "--from-case", str(CASE), "-o", str(second))
    assert first.read_bytes() == second.read_bytes()
    records = lines_of(first)[1:]
    case = json.loads(CASE.read_text())
    assert 0 < len(records) < len(case["steps"]), "internal steps are left out of the log"
    assert records[-1]["event"] == "IMsgStore::FinishedMsg"
    code, out, _ = run("validate-log", str(first))
    assert code == 0 and "conforms" in out


def test_from_case_errors(tmp_path: Path) -> None:
    code, _, err = run("validate-log", "--from-case", str(CASE))
    assert code == 2 and "-o LOG" in err
    code, _, err = run("validate-log", "--from-case", str(tmp_path / "none.json"), "-o",
                       str(tmp_path / "x.jsonl"))
    assert code == 2 and "no such file" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.jsonl").exists()
    case = json.loads(CASE.read_text())
    case["steps"] = list(reversed(case["steps"]))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(case))
    code, _, err = run("validate-log", "--from-case", str(bad), "-o", str(tmp_path / "y.jsonl"))
    assert code == 2 and "does not replay" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "y.jsonl").exists()


def test_a_record_outside_the_model_diverges(tmp_path: Path) -> None:
    lines = lines_of(CONFORMING)
    # a transport locking a message itself: only the spooler calls SetLockState (R38)
    lines.insert(5, {"seq": 100, "actor": "transport", "event": "IMsgStore::SetLockState",
                     "lock": "MSG_LOCKED", "message": "0000A1B2", "result": "S_OK"})
    for number, line in enumerate(lines[6:], start=101):
        line["seq"] = number
    code, out, _ = run("validate-log", str(write_lines(tmp_path / "log.jsonl", lines)))
    assert code == 1
    assert ("diverges at line 6: no transport call IMsgStore::SetLockState with these flags "
            "exists in the model") in out


def test_a_header_without_records_conforms(tmp_path: Path) -> None:
    # A regression case whose steps are all internal or refusals becomes such a log.
    log = tmp_path / "header-only.jsonl"
    log.write_text('{"header": {"config": {"messages": 1}}}\n')
    code, out, _ = run("validate-log", str(log))
    assert code == 0 and "(0 record(s)" in out
