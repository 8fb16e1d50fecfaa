"""A configuration whose initial worlds alone exceed the limit is refused before a single
world is listed: one line naming the count and the limit, exit 2, within seconds, under a
memory cap (independent profiles grow exponentially: ten messages have about 10^20 starting
worlds, which listing would need terabytes for)."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mapi_submission.model.config import Config
from mapi_submission.model.world import initial_world_count, initial_worlds

COMMAND = [str(Path(sys.executable).parent / "mapi-submission")]
HUGE = ["--messages", "10", "--recipients", "4", "--transports", "4", "--setbacks", "4",
        "--profiles", "independent", "--dispositions", "leave,move,delete,move_and_delete"]
MEMORY_CAP = 500 * 1024 * 1024


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


@pytest.mark.parametrize(("command", "extra"), [
    ("check", ["--timeout", "5"]),
    ("generate", ["--criterion", "states", "-o", "{out}"]),
    ("conform", ["--adapter", "mapi_submission.reference:make_reference"]),
])
def test_a_huge_start_is_refused_up_front(command: str, extra: list[str],
                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    started = time.monotonic()
    done = subprocess.run([*COMMAND, command, *HUGE, *(a.format(out=out) for a in extra)],
                          capture_output=True, text=True, timeout=60, check=False,
                          preexec_fn=_capped)
    assert time.monotonic() - started < 10
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "initial worlds, more than" in lines[0] and "5,000,000" in lines[0], lines[0]
    assert not out.exists()


def test_check_names_its_own_limit() -> None:
    done = subprocess.run([*COMMAND, "check", "--messages", "3", "--profiles", "independent",
                           "--max-states", "1000"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "initial worlds, more than --max-states 1,000" in done.stderr


@pytest.mark.parametrize("config", [
    Config(), Config(messages=3, profiles="independent"),
    Config(messages=2, recipients=1, coupling=("loose",), profiles="independent"),
])
def test_the_count_is_the_number_of_worlds_listed(config: Config) -> None:
    assert initial_world_count(config) == len(initial_worlds(config))
