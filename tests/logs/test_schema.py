"""The log-line JSON Schema is generated from the model and the log format
(mapi_submission.harness.log_schema); the checked-in file must be what the generator writes
from the current table, states, actors and folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapi_submission.harness import log_schema
from mapi_submission.harness.log_schema import installed_schema_path, schema_text
from mapi_submission.model.states import STATE_NAMES

from .logs_support import ROOT

SCHEMA_PATH = ROOT / "mapi_submission" / "schemas" / "log-record.schema.json"
REGENERATE = ".venv/bin/python -m mapi_submission.harness.log_schema"


def test_the_checked_in_schema_is_what_the_model_implies() -> None:
    assert SCHEMA_PATH.read_text() == schema_text(), (
        f"{SCHEMA_PATH.relative_to(ROOT)} differs from what the model implies (a state, "
        f"event, actor, flag or field changed); regenerate it with `{REGENERATE}`")


def test_the_generator_writes_the_installed_schema_by_default() -> None:
    assert installed_schema_path().resolve() == SCHEMA_PATH.resolve()


def test_the_generator_writes_its_output_whole(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    log_schema.main([str(target)])
    assert target.read_text() == schema_text()
    assert [p.name for p in tmp_path.iterdir()] == ["schema.json"]  # no temporary file left


def test_a_new_state_reaches_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_schema, "STATE_NAMES", (*STATE_NAMES, "archived"))
    states = json.loads(schema_text())["$defs"]["observed"]["properties"]["state"]["enum"]
    assert states == [*STATE_NAMES, "archived"]
