"""A table change touches only the cases it changes: each case is stamped with the fingerprint
of the rows its steps take, so a guard added to one row (with no change in behaviour) changes
exactly the cases that take that row, and leaves every other checked-in case as it is."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from mapi_submission.model import guards
from mapi_submission.model.table import CALLS, ROWS_BY_NAME, TABLE, Row

from .regression_suite import HERE, expected_files

CASE_FILES = sorted(HERE.rglob("*.json"))

NO_OP_GUARD = "always_true"


def _takes(text: str, row: str) -> bool:
    return any(step["row"] == row for step in json.loads(text)["steps"])


@pytest.mark.parametrize("row_name", ["reopen", "present"])
def test_a_no_op_guard_changes_only_the_cases_taking_its_row(
        monkeypatch: pytest.MonkeyPatch, row_name: str) -> None:
    checked_in = {path: path.read_text(encoding="utf-8") for path in CASE_FILES}
    changed_row = dataclasses.replace(ROWS_BY_NAME[row_name],
                                      guards=(*ROWS_BY_NAME[row_name].guards, NO_OP_GUARD))
    new_table: tuple[Row, ...] = tuple(changed_row if row.name == row_name else row
                                       for row in TABLE)
    monkeypatch.setitem(guards.GUARDS, NO_OP_GUARD, lambda config, world, m, a: True)
    monkeypatch.setitem(guards.GUARD_RULES, NO_OP_GUARD, ROWS_BY_NAME[row_name].rules)
    monkeypatch.setitem(ROWS_BY_NAME, row_name, changed_row)
    key = changed_row.call
    if key in CALLS:
        monkeypatch.setitem(CALLS, key, tuple(changed_row if row.name == row_name else row
                                              for row in CALLS[key]))
    # every module that read the table sees the changed one
    for module in list(sys.modules.values()):
        if (module.__name__.startswith("mapi_submission")
                and getattr(module, "TABLE", None) is TABLE):
            monkeypatch.setattr(module, "TABLE", new_table)

    # the cases (each folder's manifest changes with the cases it lists)
    regenerated = {path: text for path, text in expected_files().items()
                   if path.suffix == ".json"}

    changed = {path for path, text in regenerated.items() if checked_in.get(path) != text}
    removed = set(checked_in) - set(regenerated)
    taking = {path for path, text in checked_in.items() if _takes(text, row_name)}
    assert removed == set()
    assert changed, f"no case takes {row_name}, so the test shows nothing"
    assert all(_takes(regenerated[path], row_name) for path in changed), sorted(
        str(Path(p).name) for p in changed if not _takes(regenerated[p], row_name))
    # every case that takes the row has a new stamp; no other case changed at all
    assert taking <= changed
    untouched = set(checked_in) - taking
    assert all(regenerated[path] == checked_in[path] for path in untouched)
