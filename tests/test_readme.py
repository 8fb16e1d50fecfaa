"""README.md stays true: exactly the two set-up commands, every command it lists exists, every
local link resolves."""

from __future__ import annotations

import re
from pathlib import Path

from mapi_submission.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_set_up_gives_exactly_make_check_and_make_test() -> None:
    section = README.split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    commands = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    assert [c for c in commands if c] == ["make check", "make test"]


def test_the_command_table_lists_exactly_the_commands() -> None:
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z-]+)[^`]*` \|", section, flags=re.MULTILINE))
    assert listed == set(main.commands)


def test_local_links_resolve() -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README):
        if "://" not in target:
            assert (ROOT / target).exists(), target
