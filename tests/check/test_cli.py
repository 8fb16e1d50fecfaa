"""`mapi-submission check` through click's CliRunner: exit codes, --json shape, cases, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from mapi_submission.checker.cases import load_case, replay_case
from mapi_submission.cli import main
from mapi_submission.cli.common import build_config
from mapi_submission.properties import PROPERTIES

from .counts import CONFIGURATIONS, pinned

#: the command-line form of the pinned "1-message-1-recipient" configuration
SMALL = ["--messages", "1", "--recipients", "1"]
SMALL_STATES: int = pinned("1-message-1-recipient")["states"]


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, ["check", *args])


def test_specification_exits_0_with_a_verdict_per_property() -> None:
    result = _run(*SMALL)
    assert result.exit_code == 0, result.output
    for property_id in [*PROPERTIES, "DEADLOCK", "L-FINAL"]:
        assert f" {property_id} " in result.stdout
    assert f"states {SMALL_STATES:,}" in result.stdout
    assert "every checked property holds" in result.stdout


def test_json_summary_shape_and_determinism_without_timing() -> None:
    first = _run(*SMALL, "--json")
    second = _run(*SMALL, "--json")
    assert first.exit_code == 0
    data = json.loads(first.stdout)
    assert set(data["timing"]) == {"wall_seconds", "states_per_second", "peak_memory_mib"}
    assert data["states"] == SMALL_STATES and data["result"] == "holds" and data["complete"]
    ids = [p["id"] for p in data["properties"]]
    assert sorted(ids) == sorted({*PROPERTIES, "DEADLOCK", "L-FINAL"})
    assert all(p["status"] == "holds" and p["rules"] for p in data["properties"])
    other = json.loads(second.stdout)
    del data["timing"], other["timing"]
    assert data == other


def test_variant_exits_1_and_writes_a_replayable_case(tmp_path: Path) -> None:
    result = _run("--messages", "1", "--variant", "abort-ignores-lock", "--no-liveness",
                  "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "I-ABORT (R41, R67, R68) violated" in result.stdout
    assert "  1. client: IMessage::ModifyRecipients" in result.stdout
    case = load_case(tmp_path / "counterexample-abort-ignores-lock-i-abort.json")
    assert case["expect_violation"] == "I-ABORT"
    assert case["provenance"]["criterion"] == "counterexample"
    assert len(case["steps"]) <= 12
    assert replay_case(case, variant="abort-ignores-lock") is None
    assert replay_case(case) is not None


def test_variant_json_names_the_counterexample() -> None:
    result = _run("--messages", "1", "--variant", "lock-not-exclusive", "--no-liveness", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["result"] == "violated"
    verdict = next(p for p in data["properties"] if p["id"] == "I-LOCK1")
    assert verdict["status"] == "violated"
    steps = verdict["counterexample"]["steps"]
    assert steps[-1]["row"] == "lock-again" and steps[-1]["rules"] == ["R81"]


def test_limit_exits_2_after_a_partial_summary() -> None:
    result = _run(*SMALL, "--max-states", "200")
    assert result.exit_code == 2
    assert "states " in result.stdout and "INCOMPLETE" in result.stdout
    assert "--max-states 200 reached" in result.stderr


def test_bad_options_exit_2_with_one_line() -> None:
    for args in (["--messages", "0"], ["--bogus"], ["--variant", "nonsense"],
                 ["--conflict", "lock_during_retry"], ["--max-states", "0"],
                 ["--timeout", "-1"], ["--with", "resend", "--without", "resend"]):
        result = _run(*args)
        assert result.exit_code == 2, args
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
        assert result.stderr.startswith("mapi-submission: error:"), result.stderr


def test_with_turns_on_a_feature_that_is_off_by_default() -> None:
    assert not build_config().features.store_refusals
    assert build_config(with_=("store_refusals",)).features.store_refusals
    assert not build_config(without=("resend",)).features.resend


def test_the_small_options_are_the_pinned_configuration() -> None:
    config, variant, symmetry = CONFIGURATIONS["1-message-1-recipient"]
    assert build_config(messages=1, recipients=1) == config
    assert variant is None and symmetry


def test_a_counterexample_names_the_routing_the_store_did_inside_submit() -> None:
    result = _run("--messages", "1", "--variant", "location-only", "--no-liveness")
    assert result.exit_code == 1
    submit = result.stdout.index("IMessage::SubmitMessage [submit]")
    assert result.stdout.index(
        "inside the call: queue for spooler [route-spooler]  rules R17, R19, R26") > submit
