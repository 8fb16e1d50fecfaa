"""`--debug` (a traceback instead of the one-line internal error) is read before or after the
subcommand, as a user types it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from mapi_submission.cli import main
from mapi_submission.cli.common import debug_first

COMMAND = [str(Path(sys.executable).parent / "mapi-submission")]


def test_debug_moves_to_the_front_from_anywhere_before_a_double_dash() -> None:
    assert debug_first(["check", "--debug", "--messages", "1"]) == [
        "--debug", "check", "--messages", "1"]
    assert debug_first(["--debug", "rules"]) == ["--debug", "rules"]
    assert debug_first(["rules"]) == ["rules"]
    # after `--` it is an argument, not the flag
    assert debug_first(["replay", "--", "--debug"]) == ["replay", "--", "--debug"]


def test_debug_after_the_subcommand_is_accepted() -> None:
    for args in (["rules", "--debug", "--json"], ["--debug", "rules", "--json"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
        assert result.stdout.lstrip().startswith("[") or result.stdout.lstrip().startswith("{")


def test_an_internal_error_is_one_line_without_debug_and_a_traceback_with_it(
        tmp_path: Path) -> None:
    # an adapter object that raises TypeError on any attribute read: no check of the harness
    # expects that, so it surfaces as an internal error
    (tmp_path / "odd_adapter.py").write_text(
        "class Odd:\n"
        "    def __getattr__(self, name):\n"
        "        raise TypeError('odd ' + name)\n"
        "def build():\n    return Odd()\n")
    plain = subprocess.run([*COMMAND, "conform", "--adapter", "odd_adapter:build"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=300,
                           check=False)
    traced = subprocess.run([*COMMAND, "conform", "--adapter", "odd_adapter:build",
                             "--debug"], capture_output=True, text=True, cwd=tmp_path,
                            timeout=300, check=False)
    assert plain.returncode == 2 and traced.returncode != 0
    assert "Traceback" not in plain.stderr and len(plain.stderr.strip().splitlines()) == 1
    assert "(run with --debug for a traceback)" in plain.stderr
    assert "Traceback" in traced.stderr and "TypeError: odd" in traced.stderr


def test_the_documented_shell_completion_completes_commands_and_options() -> None:
    # README: eval "$(_MAPI_SUBMISSION_COMPLETE=bash_source mapi-submission)"
    def complete(words: str, index: int) -> str:
        env = {"COMP_WORDS": words, "COMP_CWORD": str(index),
               "_MAPI_SUBMISSION_COMPLETE": "bash_complete", "PATH": ""}
        return subprocess.run(COMMAND, capture_output=True, text=True, env=env, timeout=60,
                              check=False).stdout

    assert "plain,check" in complete("mapi-submission ch", 1)
    assert "plain,--messages" in complete("mapi-submission check --mess", 2)
    script = subprocess.run(COMMAND, capture_output=True, text=True, timeout=60, check=False,
                            env={"_MAPI_SUBMISSION_COMPLETE": "bash_source", "PATH": ""})
    assert "complete " in script.stdout and "_mapi_submission_completion" in script.stdout
