"""`diagram --config FILE` draws a given configuration's world graph, `diagram --case FILE`
a given case's path over the life-cycle."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mapi_submission.checker.cases import load_case
from mapi_submission.cli import main
from mapi_submission.generators import diagrams
from mapi_submission.model.config import Config

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "tests/regression/guards/guards-abort-direct-not-queued.abort_enabled.true.json"


def test_a_given_configuration_is_drawn_under_its_file_name(tmp_path: Path) -> None:
    config = tmp_path / "two.json"
    two = diagrams.WORLD_GRAPH_CONFIG.to_dict() | {"messages": 2, "coupling": ["loose"]}
    config.write_text(json.dumps(two))
    result = CliRunner().invoke(main, ["diagram", "--config", str(config), "-o",
                                       str(tmp_path / "out"), "--format", "dot,mmd"])
    assert result.exit_code == 0, result.output
    dot = (tmp_path / "out" / "world-graph-two.dot").read_text()
    assert "Every reachable world of two.json" in dot
    assert "m1: " in dot  # each message of a two-message world is named
    assert (tmp_path / "out" / "world-graph-two.mmd").exists()


def test_a_configuration_too_large_to_read_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "big.json"
    config.write_text(json.dumps(Config(messages=1).to_dict()))
    result = CliRunner().invoke(main, ["diagram", "--config", str(config), "-o",
                                       str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "more than 400 worlds" in result.output and len(result.output.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_case_is_drawn_as_its_numbered_path(tmp_path: Path) -> None:
    case = load_case(CASE)
    (figure,) = diagrams.case_figures(case)
    assert figure.name == f"case-{case['id']}-m0"
    dot = diagrams.to_dot(figure)
    # each step that moves the message is numbered, the store's routing inside the submit too
    for number, event in enumerate(("IMessage::ModifyRecipients", "IMessage::SubmitMessage",
                                    "send through tight pair"), start=1):
        assert f"{number}. {event}" in dot
    result = CliRunner().invoke(main, ["diagram", "--case", str(CASE), "-o",
                                       str(tmp_path), "--format", "dot"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"{figure.name}.dot").read_text() == dot


def test_a_case_the_model_does_not_follow_and_two_sources_are_refused(tmp_path: Path) -> None:
    case = json.loads(CASE.read_text())
    case["steps"] = case["steps"][1:]  # submit before the recipients: not enabled
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(case))
    result = CliRunner().invoke(main, ["diagram", "--case", str(broken), "-o", str(tmp_path)])
    assert result.exit_code == 2 and "not enabled" in result.output
    both = CliRunner().invoke(main, ["diagram", "--case", str(CASE), "--check"])
    assert both.exit_code == 2 and "give one of them" in both.output
