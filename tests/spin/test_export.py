"""The Promela export: every guard, effect, variant replacement and property has a
translation (so the export cannot drift silently from the model), the text is deterministic
and traceable to table rows and rules, and the command's exit codes. No SPIN needed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from mapi_submission.cli import main
from mapi_submission.generators.promela import TranslationMissing, to_promela
from mapi_submission.generators.promela_translations import (
    GUARD_PROMELA,
    missing_translations,
    unused_translations,
)
from mapi_submission.generators.spin import SpinProblem, parse_pan_output
from mapi_submission.model import TABLE, VARIANTS, Config
from mapi_submission.model.effects import EFFECTS
from mapi_submission.model.guards import GUARDS
from mapi_submission.model.states import (
    AHEAD_IN_ORDER,
    SENT_DIRECTLY,
    STATE_NAMES,
    WITH_A_TRANSPORT,
)
from mapi_submission.model.table import INSIDE_CALL_SOURCES, Kind
from mapi_submission.model.world import (
    World,
    initial_worlds,
    replace_message,
    update_message,
    update_world,
)
from mapi_submission.properties import PROPERTIES

SMALL = Config(messages=1, recipients=1)


def test_every_guard_effect_variant_and_property_is_translated() -> None:
    assert missing_translations() == []
    assert unused_translations() == []


def test_a_new_guard_effect_or_variant_replacement_without_translation_is_reported(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(GUARDS, "brand_new_guard", GUARDS["lock_is_free"])
    monkeypatch.setitem(EFFECTS, "brand_new_effect", EFFECTS["none"])
    variant = VARIANTS["lock-not-exclusive"]
    overrides = {**variant.guard_overrides, "lock_is_held": variant.guard_overrides[
        "lock_is_free"]}
    monkeypatch.setitem(VARIANTS, "lock-not-exclusive",
                        type(variant)(variant.name, variant.description, variant.rules,
                                      variant.breaks, guard_overrides=overrides))
    missing = missing_translations()
    assert "guard brand_new_guard" in missing
    assert "effect brand_new_effect" in missing
    assert "variant lock-not-exclusive guard lock_is_held" in missing
    with pytest.raises(TranslationMissing, match="brand_new_guard"):
        to_promela(SMALL)


def test_a_stale_translation_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(GUARD_PROMELA, "guard_that_was_removed", GUARD_PROMELA["lock_is_free"])
    assert unused_translations() == ["guard guard_that_was_removed"]


def _in_phase(world: World, message: int, phase: str, **changes: object) -> World:
    return replace_message(world, message, update_message(
        world.messages[message], {"phase": phase, **changes}))


def test_the_state_sets_the_translations_derive_are_those_the_python_model_tests() -> None:
    """The state sets of model/states.py that the translations use (computed from state
    attributes) hold exactly the states the Python guard or property they translate tests."""
    config = Config(messages=2, recipients=1)
    world = initial_worlds(config)[0]
    # message 0 behind message 1 in the queue: FIFO holds it back while 1 waits for the lock
    queued = update_world(world, queue=(1, 0))
    first_waiting = GUARDS["next_in_submission_order"]
    assert {state for state in STATE_NAMES
            if not first_waiting(config, _in_phase(queued, 1, state), 0, -1)} == AHEAD_IN_ORDER
    # still to be preprocessed: I-PREPROC fails exactly where a transport has the message
    preprocess = PROPERTIES["I-PREPROC"].check
    assert {state for state in STATE_NAMES
            if preprocess(config, _in_phase(world, 0, state, preprocess=True))
            } == WITH_A_TRANSPORT
    # a loosely coupled store: I-ROUTE fails exactly where the tight pair sends (no custody)
    route = PROPERTIES["I-ROUTE"].check
    loose = world._replace(tight=False)
    assert {state for state in STATE_NAMES
            if route(config, _in_phase(loose, 0, state))} == SENT_DIRECTLY


def test_export_is_deterministic_and_names_every_row_and_its_rules() -> None:
    text = to_promela(Config(messages=2, recipients=1))
    assert text == to_promela(Config(messages=2, recipients=1))
    for row in TABLE:
        header = f"/* {row.name}: {row.actor}, {row.event} -> {row.result}; "
        assert header + ", ".join(row.rules) in text, row.name
    # one option per row instance that changes the world: message 1 has its own copies
    assert "fire_submit(1, -1)" in text and "fire_transmit(0, 0)" in text
    assert "/* abort-refused:" in text and "a self-loop, not emitted" in text


def _fire_body(text: str, row_name: str) -> list[str]:
    found = re.search(rf"^inline fire_{row_name.replace('-', '_')}\(m, a\) {{\n(.*?)\n}}$",
                      text, re.MULTILINE | re.DOTALL)
    assert found is not None, row_name
    return [line.strip() for line in found.group(1).splitlines()]


def test_rows_inside_a_call_are_taken_in_the_step_that_leads_to_their_source() -> None:
    """Kind.INSIDE_CALL rows (the store's routing) are no option of their own: every row
    leading a message into their source state fires the enabled one in the same d_step
    (as Model.successors does), before the step invariants judging that row."""
    text = to_promela(SMALL)
    inside = [row for row in TABLE if row.kind is Kind.INSIDE_CALL]
    assert inside and INSIDE_CALL_SOURCES == {"submitted"}
    for row in inside:
        ident = row.name.replace("-", "_")
        assert f"d_step {{ enabled_{ident}(" not in text, row.name
        assert f":: enabled_{ident}(m, -1) -> fire_{ident}(m, -1)" in text, row.name
        assert not any("forget_scratch" in line or "assert" in line
                       for line in _fire_body(text, row.name)), row.name
    leading = [row for row in TABLE
               if row.kind is not Kind.INSIDE_CALL and row.dest in INSIDE_CALL_SOURCES]
    assert {row.name for row in leading} == {"submit", "send-time-reached"}
    for row in leading:
        body = _fire_body(text, row.name)
        call = body.index("inside_call_submitted(m);")
        assert body[call - 1] == "msg[m].phase = submitted;"
        assert body[-1] == "forget_scratch()"
    # I-RESP judges send-time-reached over the whole step, routing included
    body = _fire_body(text, "send-time-reached")
    assert body.index("inside_call_submitted(m);") < max(
        i for i, line in enumerate(body) if "assert(!I_RESP)" in line)


def test_a_variant_replaces_exactly_its_guards_and_effects() -> None:
    spec = to_promela(SMALL)
    for name, variant in VARIANTS.items():
        text = to_promela(SMALL, name)
        assert f"Known-bad variant {name}" in text
        replaced = set(re.findall(rf"(\w+)(?:: |\(m, a\) {{  /\* )[^\n]*; replaced by variant "
                                  rf"{re.escape(name)} \*/", text))
        assert replaced == {*variant.guard_overrides, *variant.effect_overrides}
        assert "replaced by variant" not in spec
        assert text != spec


def test_pan_output_parsing_reads_errors_and_truncation() -> None:
    output = """pan:1: assertion violated  !(I_LOCK1) (at depth 15)
pan:2: invalid end state (at depth 5)
pan:3: assertion violated  !(I_LOCK1) (at depth 17)
pan:4: indexing error (at depth 3)
error: max search depth too small
State-vector 52 byte, depth reached 24, errors: 4
    11471 states, stored
    30000 transitions (= stored+matched)
"""
    figures = parse_pan_output(output)
    assert figures["states"] == 11471 and figures["errors"] == 4 and figures["depth"] == 24
    assert figures["violated"] == ("DEADLOCK", "I-LOCK1")
    assert figures["other_errors"] == ("indexing error",)
    assert figures["complete"] is False
    with pytest.raises(SpinProblem):
        parse_pan_output("spin: syntax error")


def test_command_writes_the_file_atomically_and_refuses_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "model.pml"
    result = runner.invoke(main, ["export", "promela", "--messages", "1", "--recipients", "1",
                                  "--variant", "abort-ignores-lock", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == to_promela(SMALL, "abort-ignores-lock")
    assert list(tmp_path.iterdir()) == [out]
    for bad in (["promela", "-o", str(out), "--messages", "0"],
                ["promela", "-o", str(out), "--variant", "no-such-variant"],
                ["promela"], ["uml", "-o", str(out)]):
        result = runner.invoke(main, ["export", *bad])
        assert result.exit_code == 2, bad
    stdout = runner.invoke(main, ["export", "promela", "--messages", "1", "--recipients", "1",
                                  "-o", "-"])
    assert stdout.exit_code == 0 and stdout.stdout == to_promela(SMALL)
