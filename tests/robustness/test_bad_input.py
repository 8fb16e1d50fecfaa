"""Every command answers bad input with one line on stderr naming what is wrong and where,
exit code 2, no traceback, and leaves its output untouched.

Each entry of BAD_INPUT is (command, input class, arguments); the arguments may name files
of the `inputs` fixture by {placeholder}."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from mapi_submission.cli import run

REGRESSION = Path(__file__).resolve().parents[1] / "regression"
GOOD_CASE = sorted((REGRESSION / "transitions").glob("*.json"))[0]
GOOD_LOG = Path(__file__).resolve().parents[2] / "examples" / "logs" / \
    "conforming-one-message.jsonl"


def _mutated_case(change: str) -> str:
    case = json.loads(GOOD_CASE.read_text(encoding="utf-8"))
    if change == "unknown-row":
        case["steps"][0]["row"] = "no-such-row"
    elif change == "unknown-event":
        case["steps"][0]["event"] = "IMessage::Teleport"
    elif change == "unknown-state":
        case["steps"][0]["expect"]["messages"][0]["state"] = "limbo"
    elif change == "unknown-variant":
        case["variant"] = "no-such-variant"
    elif change == "unknown-rule":
        case["steps"][0]["rules"] = ["R999"]
    elif change == "wrong-type":
        case["steps"][0]["message"] = "zero"
    elif change == "missing-field":
        del case["steps"][0]["result"]
    return json.dumps(case)


@pytest.fixture()
def inputs(tmp_path: Path) -> dict[str, str]:
    files = {
        "malformed": "{\"config\": {\n",
        "empty": "",
        "list": "[1, 2, 3]",
        "config_wrong_type": json.dumps({"messages": "two"}),
        "config_unknown_field": json.dumps({"mesages": 2}),
        "log_unknown_event": json.dumps({"seq": 1, "actor": "client", "event": "IFoo::Bar",
                                         "message": "m", "result": "S_OK"}) + "\n",
        "log_truncated": GOOD_LOG.read_text(encoding="utf-8")[:-25],
    }
    for change in ("unknown-row", "unknown-event", "unknown-state", "unknown-variant",
                   "unknown-rule", "wrong-type", "missing-field"):
        files[f"case_{change.replace('-', '_')}"] = _mutated_case(change)
    paths = {}
    for name, text in files.items():
        path = tmp_path / f"{name}.json"
        path.write_text(text, encoding="utf-8")
        paths[name] = str(path)
    (tmp_path / "bytes.json").write_bytes(b"\xff\xfe\x00\x81garbage")
    paths["bytes"] = str(tmp_path / "bytes.json")
    (tmp_path / "folder").mkdir()
    paths["folder"] = str(tmp_path / "folder")
    paths["missing"] = str(tmp_path / "missing.json")
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:  # sparse: no disk cost
        handle.truncate(65 * 1024 * 1024)
    paths["huge"] = str(huge)
    huge_log = tmp_path / "huge.jsonl"
    with huge_log.open("wb") as handle:
        handle.truncate(1025 * 1024 * 1024)
    paths["huge_log"] = str(huge_log)
    paths["out"] = str(tmp_path / "out")
    return paths


BAD_INPUT: list[tuple[str, str, list[str]]] = [
    ("rules", "unknown option", ["rules", "--bogus"]),
    ("(none)", "unknown command", ["no-such-command"]),
    ("check", "malformed JSON config", ["check", "--config", "{malformed}"]),
    ("check", "empty config file", ["check", "--config", "{empty}"]),
    ("check", "config not an object", ["check", "--config", "{list}"]),
    ("check", "config wrong type", ["check", "--config", "{config_wrong_type}"]),
    ("check", "config unknown field", ["check", "--config", "{config_unknown_field}"]),
    ("check", "config random bytes", ["check", "--config", "{bytes}"]),
    ("check", "config missing", ["check", "--config", "{missing}"]),
    ("check", "config is a directory", ["check", "--config", "{folder}"]),
    ("check", "unknown variant", ["check", "--variant", "no-such-variant"]),
    ("check", "unknown conflict", ["check", "--conflict", "nope=1"]),
    ("check", "unknown conflict value", ["check", "--conflict", "lock_during_retry=maybe"]),
    ("check", "out-of-range option", ["check", "--messages", "0"]),
    ("check", "wrong option type", ["check", "--transports", "two"]),
    ("check", "--max-states hit", ["check", "--messages", "1", "--max-states", "5"]),
    ("check", "--timeout hit", ["check", "--timeout", "0.001"]),
    ("generate", "unknown criterion", ["generate", "--criterion", "vibes", "-o", "{out}"]),
    ("generate", "output is a file", ["generate", "--criterion", "states", "-o", "{empty}"]),
    ("generate", "malformed config", ["generate", "--criterion", "states", "-o", "{out}",
                                      "--config", "{malformed}"]),
    ("replay", "malformed JSON", ["replay", "{malformed}"]),
    ("replay", "empty file", ["replay", "{empty}"]),
    ("replay", "random bytes", ["replay", "{bytes}"]),
    ("replay", "not an object", ["replay", "{list}"]),
    ("replay", "missing file", ["replay", "{missing}"]),
    ("replay", "empty directory", ["replay", "{folder}"]),
    ("replay", "huge file", ["replay", "{huge}"]),
    ("replay", "unknown row", ["replay", "{case_unknown_row}"]),
    ("replay", "unknown event", ["replay", "{case_unknown_event}"]),
    ("replay", "unknown state", ["replay", "{case_unknown_state}"]),
    ("replay", "unknown variant in case", ["replay", "{case_unknown_variant}"]),
    ("replay", "unknown rule id", ["replay", "{case_unknown_rule}"]),
    ("replay", "wrong type", ["replay", "{case_wrong_type}"]),
    ("replay", "missing field", ["replay", "{case_missing_field}"]),
    ("replay", "unknown variant option", ["replay", "--variant", "nope", "{missing}"]),
    ("coverage", "unknown option", ["coverage", "--bogus"]),
    ("diagram", "unknown format", ["diagram", "--format", "bogus", "-o", "{out}"]),
    ("diagram", "output is a file", ["diagram", "-o", "{empty}"]),
    ("export promela", "output is a directory", ["export", "promela", "-o", "{folder}"]),
    ("export promela", "unknown variant", ["export", "promela", "--variant", "nope", "-o",
                                           "{out}"]),
    ("export promela", "malformed config", ["export", "promela", "--config", "{malformed}",
                                            "-o", "{out}"]),
    ("export", "unknown format", ["export", "nosuch", "-o", "{out}"]),
    ("conform", "adapter without a colon", ["conform", "--adapter", "nocolon"]),
    ("conform", "adapter module missing", ["conform", "--adapter", "no.such.module:f"]),
    ("conform", "adapter factory missing", ["conform", "--adapter", "json:nosuchfactory"]),
    ("conform", "factory returns no adapter", ["conform", "--adapter", "json:JSONDecoder"]),
    ("mutants", "unknown mutant", ["mutants", "--mutant", "nope"]),
    ("mutants", "unknown technique", ["mutants", "--technique", "nope"]),
    ("validate-log", "malformed JSON", ["validate-log", "{malformed}"]),
    ("validate-log", "empty file", ["validate-log", "{empty}"]),
    ("validate-log", "random bytes", ["validate-log", "{bytes}"]),
    ("validate-log", "missing file", ["validate-log", "{missing}"]),
    ("validate-log", "directory", ["validate-log", "{folder}"]),
    ("validate-log", "huge file", ["validate-log", "{huge_log}"]),
    ("validate-log", "unknown event", ["validate-log", "{log_unknown_event}"]),
    ("validate-log", "truncated record", ["validate-log", "{log_truncated}"]),
    ("validate-log", "malformed case for --from-case", ["validate-log", "--from-case",
                                                        "{malformed}"]),
]


def invoke(args: list[str], capsys: pytest.CaptureFixture[str],
           monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["mapi-submission", *args])
    with pytest.raises(SystemExit) as exit_info:
        run()
    captured = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


@pytest.mark.parametrize(("command", "input_class", "args"), BAD_INPUT,
                         ids=[f"{c}: {k}" for c, k, _ in BAD_INPUT])
def test_bad_input_gets_one_line_and_exit_2(command: str, input_class: str, args: list[str],
                                            inputs: dict[str, str],
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    argv = [arg.format(**inputs) for arg in args]
    code, _out, err = invoke(argv, capsys, monkeypatch)
    assert code == 2, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("mapi-submission")]
    assert len(errors) == 1, err
    assert "internal error" not in errors[0], errors[0]
    # the message points at what is wrong: an input file by name, or the option or value
    given = argv[1:] or argv  # what the user typed after the command (or the command itself)
    named = [value for value in given if os.sep in value and Path(value).name in errors[0]]
    assert named or any(token in errors[0] for token in [*given, "--", "option"]), errors[0]
    if input_class not in ("--max-states hit", "--timeout hit"):
        assert len(err.splitlines()) == 1, err
    assert not Path(inputs["out"]).exists() or not any(Path(inputs["out"]).iterdir())
