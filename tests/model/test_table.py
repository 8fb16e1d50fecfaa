"""Integrity of the transition table and the rule catalogue: every row names documented rules,
every name it uses resolves, and every rule of the reference is either encoded or listed as
out of scope with a reason."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from mapi_submission.model import Config, Model, engine
from mapi_submission.model.actors import Actor
from mapi_submission.model.catalogue import CATALOGUE, OUT_OF_SCOPE, TITLES, encoded_rules
from mapi_submission.model.constants import S_OK
from mapi_submission.model.effects import EFFECT_RULES, EFFECTS
from mapi_submission.model.errors import MapiSubmissionError, TableError
from mapi_submission.model.guards import GUARD_RULES, GUARDS
from mapi_submission.model.integrity import check_table
from mapi_submission.model.states import (
    ALWAYS_LOCKED,
    CLIENT_STATES,
    FINISHED,
    IN_QUEUE,
    IN_SUBMISSION,
    INITIAL_STATE,
    MESSAGE_STATES,
    QUEUED_WAITING,
    SPOOLER_HELD,
    STATE_NAMES,
    TERMINAL,
    TRANSPORT_STATES,
)
from mapi_submission.model.table import CALLS, ROWS_BY_NAME, TABLE, Kind, Row, table_fingerprint
from mapi_submission.model.variants import VARIANTS

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "mapi-rules.md"
ALL_RULES = {f"R{n}" for n in range(1, 84)}
MINIMUM = {"R3", "R8", "R9", "R10", "R12", "R14", "R17", "R19", "R20", "R23", "R25", "R26",
           "R27", "R28", "R29", "R34", "R38", "R39", "R40", "R41", "R47", "R49", "R51",
           "R58", "R62", "R63", "R67", "R68", "R72"}
MESSAGE_STATE_NAMES = {s.name for s in MESSAGE_STATES}
TRANSPORT_STATE_NAMES = {s.name for s in TRANSPORT_STATES}


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.name)
def test_row_names_rules_that_the_catalogue_knows(row: Row) -> None:
    assert row.rules, f"{row.name} names no rule"
    for rule in row.rules:
        assert rule in TITLES, f"{row.name} names {rule}, which is not in the catalogue"
        assert rule not in OUT_OF_SCOPE, f"{row.name} encodes {rule}, listed out of scope"


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.name)
def test_row_guards_effect_and_states_resolve(row: Row) -> None:
    for name in row.guards:
        assert name in GUARDS, f"{row.name}: guard {name!r} does not resolve"
    assert row.effect in EFFECTS, f"{row.name}: effect {row.effect!r} does not resolve"
    states = TRANSPORT_STATE_NAMES if row.machine == "transport" else MESSAGE_STATE_NAMES
    for state in (*row.sources, *([row.dest] if row.dest else [])):
        assert state in states, f"{row.name}: unknown state {state!r}"
    assert row.ranges_over in (None, "recipient", "transport")


def test_refused_calls_change_nothing() -> None:
    """A call the documents answer with an error changes nothing; the only error rows that
    move a message are a transport's answers to IXPLogon::SubmitMessage (R47) and the
    spooler's answer to SpoolerYield that stops the transport (R54)."""
    for row in TABLE:
        if row.result == S_OK:
            continue
        assert re.fullmatch(r"(MAPI_[EW]_[A-Z_]+|ec[A-Za-z]+)", row.result), row.name
        if row.event == "IXPLogon::SubmitMessage":
            assert row.actor == "transport" and "R47" in row.rules, row.name
        elif row.result == "MAPI_W_CANCEL_MESSAGE":  # R54: the spooler's answer stops it
            assert row.event == "IMAPISupport::SpoolerYield" and "R54" in row.rules, row.name
        else:
            assert row.dest is None and row.effect == "none", row.name


def test_row_names_are_unique_and_the_fingerprint_follows_the_table() -> None:
    names = [row.name for row in TABLE]
    assert len(names) == len(set(names))
    assert re.fullmatch(r"[0-9a-f]{16,64}", table_fingerprint())


def test_every_guard_and_effect_names_its_rules() -> None:
    assert set(GUARD_RULES) == set(GUARDS)
    assert set(EFFECT_RULES) == set(EFFECTS)
    for name, rules in [*GUARD_RULES.items(), *EFFECT_RULES.items()]:
        if name == "none":
            continue  # the effect of refused calls: it changes nothing, so encodes no rule
        assert rules, f"{name} names no rule"
        assert set(rules) <= ALL_RULES, name


def test_every_state_documents_its_rules() -> None:
    for state in MESSAGE_STATES + TRANSPORT_STATES:
        assert state.rules and set(state.rules) <= ALL_RULES, state.name


def test_catalogue_lists_each_rule_once_encoded_or_out_of_scope_with_a_reason() -> None:
    assert [entry.rule for entry in CATALOGUE] == [f"R{n}" for n in range(1, 84)]
    encoded = encoded_rules()
    for entry in CATALOGUE:
        assert entry.encoded == (entry.rule in encoded)
        if entry.encoded:
            assert not entry.reason, f"{entry.rule} is encoded and also listed out of scope"
        else:
            assert len(entry.reason) > 20, f"{entry.rule}: out of scope without a reason"


def test_minimum_rule_set_is_encoded() -> None:
    assert MINIMUM <= encoded_rules()


def test_explicit_guards_of_the_central_rules() -> None:
    assert "R20" in GUARD_RULES["not_in_flight_on_tight_transport"]
    assert "R19" in GUARD_RULES["store_routes_to_spooler"]
    assert "R17" in GUARD_RULES["store_routes_to_tight_pair"]


def test_every_variant_names_rules_and_the_properties_it_breaks() -> None:
    assert {"location-only", "abort-ignores-lock", "lock-not-exclusive",
            "error-discards-saved-progress"} <= set(VARIANTS)
    for variant in VARIANTS.values():
        assert variant.rules and set(variant.rules) <= ALL_RULES, variant.name
        assert variant.breaks, variant.name
        assert variant.guard_overrides or variant.effect_overrides, variant.name


@pytest.mark.skipif(not REFERENCE.exists(), reason="domain reference not present beside the repo")
def test_catalogue_titles_match_the_reference() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    for rule, title in TITLES.items():
        assert f"**{rule} — {title}**" in text, rule


BROKEN_ROWS = [
    ("guards", ("has_no_recipent_rows",), "unknown guard 'has_no_recipent_rows'"),
    ("effect", "add_recipient_row", "unknown effect 'add_recipient_row'"),
    ("sources", ("drafted",), "unknown source state 'drafted'"),
    ("dest", "sent", "unknown destination state 'sent'"),
    ("rules", ("R9", "R999"), "unknown rule id 'R999'"),
    ("ranges_over", "recipients", "unknown range 'recipients'"),
    ("recipient_change", ("pending", "gone"), "unknown recipient state 'gone'"),
]


@pytest.mark.parametrize(("field", "value", "problem"), BROKEN_ROWS,
                         ids=[field for field, _, _ in BROKEN_ROWS])
def test_a_model_is_not_built_from_a_table_naming_something_unknown(
        monkeypatch: pytest.MonkeyPatch, field: str, value: object, problem: str) -> None:
    broken = dataclasses.replace(TABLE[0], **{field: value})
    monkeypatch.setattr(engine, "TABLE", (broken, *TABLE[1:]))
    with pytest.raises(TableError) as raised:
        Model(Config(messages=1, recipients=1, transports=1))
    assert str(raised.value) == f"table row {TABLE[0].name!r}: {problem}"
    assert isinstance(raised.value, MapiSubmissionError)


def test_two_rows_with_one_name_are_refused() -> None:
    with pytest.raises(TableError, match="table row 'save': a second row has this name"):
        check_table([*TABLE, ROWS_BY_NAME["save"]], GUARDS, EFFECTS, TITLES)


def test_every_row_states_its_kind_and_calls_are_indexed_once() -> None:
    indexed = [row for rows in CALLS.values() for row in rows]
    assert sorted(r.name for r in indexed) == sorted(r.name for r in TABLE if r.is_call)
    assert all(isinstance(row.actor, Actor) and isinstance(row.kind, Kind) for row in TABLE)
    # internal steps are never MAPI methods of an interface ("IFoo::Method")
    assert all("::" not in row.event for row in TABLE if not row.is_call)
    assert {row.name for row in TABLE if row.kind is Kind.INSIDE_CALL} == {
        "route-preprocess", "route-defer", "route-spooler", "route-direct", "route-direct-finish",
        "route-direct-partial"}


def test_state_sets_come_from_the_state_attributes() -> None:
    assert FINISHED < TERMINAL
    assert set(ALWAYS_LOCKED) <= set(SPOOLER_HELD) <= set(IN_QUEUE)
    assert set(QUEUED_WAITING) == set(IN_QUEUE) - set(SPOOLER_HELD)
    assert IN_SUBMISSION == set(STATE_NAMES) - CLIENT_STATES - TERMINAL
    assert INITIAL_STATE == "draft" and INITIAL_STATE in CLIENT_STATES
