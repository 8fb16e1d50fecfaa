"""Shared helpers for the call-log tests: paths, running the command, small logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from mapi_submission.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "logs"
CONFORMING = EXAMPLES / "conforming-one-message.jsonl"


def run(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of `mapi-submission ARGS` (unexpected exceptions fail)."""
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines))
    return path
