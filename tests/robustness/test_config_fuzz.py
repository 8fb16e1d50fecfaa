"""Fuzzing configuration files: whatever JSON a configuration file holds, `check --config`
either runs or fails with exactly one line naming the file and the field (a field name with a
line break is quoted, like the case and log loaders do)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from json_trees import json_documents

from mapi_submission.cli.common import UsageProblem, build_config
from mapi_submission.model.config import Config, ConfigError
from mapi_submission.model.errors import MapiSubmissionError, quoted_field

VALID = Config(messages=1, recipients=1, transports=1).to_dict()

field_names = st.text(max_size=8) | st.sampled_from(sorted(VALID))
values = json_documents(st.none() | st.booleans() | st.integers() | st.text(max_size=6),
                        key_size=6, max_leaves=6)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=st.dictionaries(field_names, values, max_size=3),
       section=st.sampled_from([None, "features", "conflicts"]))
@example(extra={"mess\nages": 1}, section=None)
@example(extra={"line\nbreak": True}, section="features")
@example(extra={"tab\there": "hold"}, section="conflicts")
def test_a_configuration_file_is_accepted_or_refused_in_one_line(
        tmp_path: Path, extra: dict[str, Any], section: str | None) -> None:
    document = json.loads(json.dumps(VALID))
    if section is None:
        document.update(extra)
    else:
        document[section] = {**document[section], **extra}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(document))
    try:
        build_config(config_file=path)
    except UsageProblem as error:
        message = str(error)
        assert message.startswith(f"{path}: field config"), message
        assert "\n" not in message, message


def test_an_unknown_field_with_a_line_break_is_quoted() -> None:
    data = {**VALID, "mess\nages": 2}
    try:
        Config.from_dict(data)
    except ConfigError as error:
        assert str(error) == "config.'mess\\nages': unknown field"
    else:
        raise AssertionError("an unknown field was accepted")


def test_the_quoting_helper_leaves_plain_names_alone() -> None:
    assert quoted_field("messages") == "messages"
    assert quoted_field("two words") == "two words"
    assert quoted_field("a\nb") == "'a\\nb'"


def test_configuration_errors_are_library_errors() -> None:
    assert issubclass(ConfigError, MapiSubmissionError)


@pytest.mark.parametrize(("serves", "message"), [
    ("EX", "config.serves: expected a list with a list of address types per transport"),
    ([["EX"]], "config.serves: 1 transport(s) listed, the configuration has 2"),
    ([["EX"], []], "config.serves/1: expected a non-empty list of distinct address types"),
    ([["EX"], ["X400"]], "config.serves/1: expected a non-empty list of distinct address types"),
    ([["EX"], ["SMTP", "SMTP"]], "config.serves/1: expected a non-empty list of distinct"),
    ([["EX"], [{"type": "SMTP"}]], "config.serves/1: expected a non-empty list of distinct"),
    ([["EX"], "SMTP"], "config.serves: expected a list with a list of address types"),
])
def test_a_serving_relation_is_checked(serves: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_dict({"transports": 2, "serves": serves})
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_serving_relation_round_trips_and_the_default_is_left_out() -> None:
    config = Config.from_dict({"transports": 2, "serves": [["EX", "SMTP"], ["SMTP"]]})
    assert config.serves == (("EX", "SMTP"), ("SMTP",))
    assert Config.from_dict(config.to_dict()) == config
    assert "serves" not in Config().to_dict(), "cases written before it stay byte-identical"
