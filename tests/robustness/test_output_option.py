"""One spelling for every command's output, `-o/--output`; the earlier `--out` still works."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mapi_submission.cli import main

WRITERS = [["check"], ["conform"], ["diagram"], ["generate"], ["export", "promela"],
           ["validate-log"]]


@pytest.mark.parametrize("command", WRITERS, ids=" ".join)
def test_every_writer_shows_one_spelling(command: list[str]) -> None:
    help_text = CliRunner().invoke(main, [*command, "--help"]).output
    assert "-o, --output" in help_text
    assert "--out " not in help_text and "--out," not in help_text


def test_the_earlier_spelling_still_writes_and_two_outputs_are_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    for spelling in ("-o", "--output", "--out"):
        folder = tmp_path / spelling.strip("-")
        result = runner.invoke(main, ["generate", "--criterion", "states", "--messages", "1",
                                      "--quiet", spelling, str(folder)])
        assert result.exit_code == 0, result.output
        assert list(folder.glob("*.json"))
    both = runner.invoke(main, ["generate", "--criterion", "states", "--messages", "1",
                                "-o", str(tmp_path / "a"), "--out", str(tmp_path / "b")])
    assert both.exit_code == 2
    assert "give one" in both.output and not (tmp_path / "a").exists()
    neither = runner.invoke(main, ["generate", "--criterion", "states", "--messages", "1"])
    assert neither.exit_code == 2 and "missing option -o/--output" in neither.output
