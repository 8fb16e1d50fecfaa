"""`check --property ID`: only the properties asked for are judged and reported, as TLC's
configuration file names the ones to check."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mapi_submission.checker.check import PROPERTY_IDS, VIOLATED, check
from mapi_submission.cli import main
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model

ONE = Config(messages=1)


def test_only_the_selected_properties_are_reported() -> None:
    result = check(Model(ONE), selected=frozenset({"I-ONCE", "L1"}))
    assert [v.property.id for v in result.verdicts] == ["I-ONCE", "L1"]
    assert result.exit_code == 0


def test_a_selection_of_invariants_keeps_no_edge_lists() -> None:
    result = check(Model(ONE), selected=frozenset({"I-ROUTE"}))
    assert not result.liveness  # no graph property asked for: no liveness phase
    assert [v.property.id for v in result.verdicts] == ["I-ROUTE"]


def test_a_variant_fails_only_the_properties_it_breaks_among_those_selected() -> None:
    model = Model(ONE, "location-only")
    broken = check(model, selected=frozenset({"I-ROUTE"}), liveness=False)
    assert [v.status for v in broken.verdicts] == [VIOLATED] and broken.exit_code == 1
    untouched = check(model, selected=frozenset({"I-ONCE"}), liveness=False)
    assert untouched.exit_code == 0


def test_an_unknown_property_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown properties: NOPE"):
        check(Model(ONE), selected=frozenset({"NOPE"}))
    result = CliRunner().invoke(main, ["check", "--messages", "1", "--property", "NOPE"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "I-ROUTE" in result.output


def test_the_command_checks_the_repeated_property_option() -> None:
    result = CliRunner().invoke(main, ["check", "--messages", "1", "--quiet", "--json",
                                       "--property", "I-EXCL", "--property", "DEADLOCK"])
    assert result.exit_code == 0, result.output
    assert '"I-EXCL"' in result.stdout and '"DEADLOCK"' in result.stdout
    assert '"I-ROUTE"' not in result.stdout
    assert set(PROPERTY_IDS) >= {"I-EXCL", "DEADLOCK", "L-FINAL", "L3"}
