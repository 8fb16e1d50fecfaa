"""The checked-in regression suite: every case replays against the specification, the suite
is what the generator makes today, every encoded rule has a case, and every known-bad variant
fails at least one case."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from mapi_submission.checker.cases import case_schema, load_case, replay_case
from mapi_submission.generators.trace import traceability
from mapi_submission.model.catalogue import CATALOGUE
from mapi_submission.model.constants import FOLDERS
from mapi_submission.model.states import RECIPIENT_STATE_NAMES, TRANSPORT_STATE_NAMES
from mapi_submission.model.variants import VARIANTS

from .regression_suite import HERE, MANIFEST, REGENERATE, SUITE, expected_files

CASE_FILES = sorted(HERE.rglob("*.json"))


@functools.cache
def _load_all() -> dict[str, dict[str, Any]]:
    return {str(path.relative_to(HERE)): load_case(path) for path in CASE_FILES}


def test_suite_is_not_empty() -> None:
    folders = {path.parent.name for path in CASE_FILES}
    assert folders == {folder for folder, _, _ in SUITE}


@pytest.mark.parametrize("path", CASE_FILES, ids=[str(p.relative_to(HERE)) for p in CASE_FILES])
def test_case_replays(path: Path) -> None:
    mismatch = replay_case(_load_all()[str(path.relative_to(HERE))])
    assert mismatch is None, f"{path}: {mismatch.describe()}"


def test_suite_has_not_drifted() -> None:
    expected = expected_files()
    present = set(CASE_FILES) | set(HERE.glob(f"*/{MANIFEST}"))
    missing = sorted(str(p.relative_to(HERE)) for p in set(expected) - present)
    extra = sorted(str(p.relative_to(HERE)) for p in present - set(expected))
    changed = sorted(str(p.relative_to(HERE)) for p in set(expected) & present
                     if p.read_text(encoding="utf-8") != expected[p])
    assert not (missing or extra or changed), (
        f"the checked-in suite differs from what the generator makes now (missing {missing[:5]}, "
        f"extra {extra[:5]}, changed {changed[:5]}); if the model change is intended, "
        f"regenerate it with: {REGENERATE}")


def test_every_encoded_rule_has_a_case() -> None:
    matrix = traceability(_load_all())
    encoded = {entry.rule for entry in CATALOGUE if entry.encoded}
    assert matrix["encoded"] == len(encoded)
    assert matrix["unexercised"] == [], (
        f"encoded rules no checked-in case exercises: {matrix['unexercised']}")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_known_bad_variant_fails_a_case(variant: str) -> None:
    cases = _load_all()
    failing = [name for name, case in sorted(cases.items())
               if replay_case(case, variant) is not None]
    assert failing, f"no checked-in case tells {variant} from the specification"


def test_the_case_schema_names_every_state_value_the_model_has() -> None:
    # the schema is written by hand: a folder, recipient or transport state the model gains
    # must reach it, or cases that observe it no longer load
    definitions = case_schema()["$defs"]
    message = definitions["message"]["properties"]
    assert set(message["folder"]["enum"]) == set(FOLDERS)
    assert set(message["recipients"]["items"]["properties"]["state"]["enum"]) == set(
        RECIPIENT_STATE_NAMES)
    observation = next(value for value in definitions.values()
                        if "queue" in value.get("properties", {}))
    assert set(observation["properties"]["transports"]["items"]["enum"]) == set(
        TRANSPORT_STATE_NAMES)
