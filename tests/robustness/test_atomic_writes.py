"""Writes go through a temporary file and a rename: a run that fails or is interrupted while
writing leaves every output file either as it was or complete, never truncated."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mapi_submission.checker import files as files_module
from mapi_submission.checker.cases import load_case
from mapi_submission.checker.files import write_atomic
from mapi_submission.generators.generate import generate, write_cases
from mapi_submission.generators.suite_folder import MANIFEST, read_manifest
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model


def test_a_failing_write_keeps_the_previous_file_and_leaves_no_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "summary.json"
    write_atomic(target, '{"version": 1}\n')

    def interrupted(source: str, destination: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, '{"version": 2, "much": "' + "x" * 100_000 + '"}\n')
    assert json.loads(target.read_text(encoding="utf-8")) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_generation_interrupted_midway_leaves_only_whole_case_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(messages=1, recipients=1, transports=1)
    produced = generate(Model(config), "transitions", seed=0)
    assert len(produced.cases) > 2
    write_cases(produced.cases, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.json")}
    calls = {"n": 0}
    real_replace = os.replace

    def dies_on_the_third(source: str, destination: str) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real_replace(source, destination)

    monkeypatch.setattr(files_module.os, "replace", dies_on_the_third)
    with pytest.raises(OSError, match="disk full"):
        write_cases(produced.cases, tmp_path)
    after = {p.name: p.read_bytes() for p in tmp_path.glob("*.json")}
    assert after == before  # same content: every file is whole
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, MANIFEST])
    for path in tmp_path.glob("*.json"):
        load_case(path)
    # the manifest says the run did not finish, so the folder is not taken for a whole suite
    manifest = read_manifest(tmp_path)
    assert manifest is not None and not manifest.complete


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "case.json"
    write_atomic(target, "{}\n")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
