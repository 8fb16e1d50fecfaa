"""Fuzzing the regression-case loader: whatever the bytes, loading either succeeds or raises
CaseError with a one-line message naming the file; nothing else escapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_trees import json_documents, paths

from mapi_submission.checker.cases import (
    CaseError,
    build_case,
    dump_case,
    load_case,
    replay_case,
)
from mapi_submission.checker.explore import explore
from mapi_submission.model import Config, Model

CONFIG = Config(messages=1, recipients=1, coupling=("loose",), folders=("outbox",))


def _valid_case() -> dict[str, Any]:
    model = Model(CONFIG)
    exploration = explore(model, symmetry=False)
    deepest = max(range(len(exploration.states)), key=exploration.depth.__getitem__)
    start, steps = exploration.concrete_path(deepest)
    return build_case(model, "fuzz-seed", "seed for fuzzing", start, steps,
                      criterion="states", target=None)


VALID = _valid_case()
VALID_TEXT = dump_case(VALID)

json_values = json_documents(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    key_size=8, max_leaves=12)



PATHS = [p for p in paths(VALID) if p]


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(document))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def _load(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "case.json"
    path.write_bytes(content)
    try:
        load_case(path)
    except CaseError as error:
        message = str(error)
        assert message.startswith(str(path)), message
        assert "\n" not in message, message


SETTINGS = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture],
                    deadline=None)


def test_valid_case_loads(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(VALID_TEXT)
    assert load_case(path) == VALID


@SETTINGS
@given(content=st.binary(max_size=200))
def test_random_bytes_are_refused_cleanly(tmp_path: Path, content: bytes) -> None:
    _load(tmp_path, content)


@SETTINGS
@given(document=json_values)
def test_random_json_is_refused_cleanly(tmp_path: Path, document: Any) -> None:
    _load(tmp_path, json.dumps(document).encode())


@SETTINGS
@given(path=st.sampled_from(PATHS), value=json_values)
def test_mutated_valid_case_is_loaded_or_refused_cleanly(tmp_path: Path, path: tuple[Any, ...],
                                                         value: Any) -> None:
    _load(tmp_path, json.dumps(_replace(VALID, path, value)).encode())


@SETTINGS
@given(cut=st.integers(min_value=0, max_value=len(VALID_TEXT) - 2))
def test_truncated_case_is_refused(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "case.json"
    path.write_text(VALID_TEXT[:cut])
    try:
        load_case(path)
    except CaseError as error:
        assert str(error).startswith(str(path))
    else:
        raise AssertionError("a truncated case loaded")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    for path, words in ((tmp_path / "absent.json", "no such file"), (tmp_path, "is a directory")):
        try:
            load_case(path)
        except CaseError as error:
            assert words in str(error)
        else:
            raise AssertionError(f"{path} loaded")


@SETTINGS
@given(path=st.sampled_from(PATHS), value=json_values)
def test_mutated_case_replays_or_is_refused(tmp_path: Path, path: tuple[Any, ...],
                                            value: Any) -> None:
    """A case that loads must replay to a verdict (pass or mismatch), never crash."""
    file = tmp_path / "case.json"
    file.write_text(json.dumps(_replace(VALID, path, value)))
    try:
        case = load_case(file)
    except CaseError:
        return
    replay_case(case)


def test_valid_case_replays() -> None:
    assert replay_case(VALID) is None


def test_inconsistent_transport_count_is_refused(tmp_path: Path) -> None:
    broken = _replace(VALID, ("initial", "transports"), ["ready"] * 3)
    file = tmp_path / "case.json"
    file.write_text(json.dumps(broken))
    try:
        load_case(file)
    except CaseError as error:
        assert "initial/transports" in str(error)
    else:
        raise AssertionError("a case with the wrong transport count loaded")
