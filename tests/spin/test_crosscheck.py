"""The model checked twice: by the Python checker and by SPIN on the exported Promela.

Reachable state counts agree up to one documented difference (SPIN also stores the all-zero
state before the initial world is chosen, so it reports one state more than the explorer
without symmetry), and so do the verdicts: the specification holds in both, every known-bad
variant breaks the same properties in both. Skipped, with the reason, where spin or gcc is
not installed (scripts/install-system-deps.sh installs them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mapi_submission.checker.cases import replay_case
from mapi_submission.checker.check import VIOLATED, CheckResult, Counterexample, check
from mapi_submission.cli import main
from mapi_submission.generators.promela import to_promela
from mapi_submission.generators.promela_translations import (
    GUARD_PROMELA,
    STATE_PROPERTY_PROMELA,
    STEP_PROPERTY_PROMELA,
)
from mapi_submission.generators.spin import (
    DEADLOCK_ID,
    PanResult,
    spin_unavailable,
    verify_with_spin,
)
from mapi_submission.generators.spin_trail import trail_case, trail_counterexample
from mapi_submission.model import VARIANTS, Config, Model
from mapi_submission.model.config import CONFLICT_VALUES, Conflicts, Features
from mapi_submission.properties import PROPERTIES

REASON = spin_unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"SPIN cross-check: {REASON}")

#: The properties SPIN judges: invariants, step invariants and DEADLOCK (invalid end state).
EXPORTED = {*STATE_PROPERTY_PROMELA, *STEP_PROPERTY_PROMELA, DEADLOCK_ID}
#: SPIN stores the state before the initial world is chosen (generators/promela.py).
EXTRA_SPIN_STATES = 1

ALTERNATIVE = Conflicts(**{name: values[1] for name, values in CONFLICT_VALUES.items()})
CONFIGURATIONS = {
    # the features off by default included, and two preprocessors in registration order, so
    # their Promela translations are checked too
    "1 message, every feature, 2 preprocessors": Config(
        messages=1, features=Features(store_refusals=True, restarts=True), preprocessors=2),
    "1 message x 1 recipient, alternative readings, every disposition": Config(
        messages=1, recipients=1, conflicts=ALTERNATIVE,
        dispositions=("leave", "move", "delete", "move_and_delete")),
    "2 messages x 1 recipient, 1 transport": Config(messages=2, recipients=1, transports=1),
}


def _python(config: Config, variant: str | None = None) -> tuple[CheckResult, set[str]]:
    result = check(Model(config, variant), symmetry=False, liveness=False)
    violated = {v.property.id for v in result.verdicts if v.status == VIOLATED}
    return result, violated & EXPORTED


def _spin(config: Config, variant: str | None = None, keep_trail: bool = False) -> PanResult:
    # -O0: compiling dominates on models this small
    result = verify_with_spin(to_promela(config, variant), optimise="-O0",
                              keep_trail=keep_trail)
    assert result.complete, result.output
    assert not result.other_errors, result.other_errors
    return result


@pytest.fixture(scope="module")
def specification_runs() -> Iterator[dict[str, tuple[CheckResult, set[str], PanResult]]]:
    yield {name: (*_python(config), _spin(config)) for name, config in CONFIGURATIONS.items()}


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_state_counts_agree_and_the_specification_holds_in_both(
        name: str, specification_runs: dict[str, tuple[CheckResult, set[str], PanResult]]
) -> None:
    python, python_violated, spin = specification_runs[name]
    assert spin.states == python.states + EXTRA_SPIN_STATES
    assert python.exit_code == 0 and python_violated == set()
    assert spin.holds and spin.errors == 0


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_known_bad_variant_fails_the_same_properties_in_both(variant: str) -> None:
    config = Config(messages=1)
    python, python_violated = _python(config, variant)
    spin = _spin(config, variant, keep_trail=True)
    assert set(VARIANTS[variant].breaks) <= python_violated
    assert spin.errors > 0
    assert set(spin.violated) == python_violated
    # pan -c0 keeps searching past errors, and every violation ends its step, so the
    # reachable spaces still agree
    assert spin.states == python.states + EXTRA_SPIN_STATES
    # SPIN's first error, read back from its trail, is a path of the variant's model that
    # `replay --variant` reproduces, ending where the property it names fails
    assert spin.trail is not None and spin.trail_property in python_violated
    model = Model(config, variant)
    example = trail_counterexample(model, to_promela(config, variant), spin.trail,
                                   spin.trail_property)
    case = trail_case(model, example)
    assert replay_case(case, variant) is None
    assert _fails_on_the_path(model, example)


def _fails_on_the_path(model: Model, example: Counterexample) -> bool:
    """Whether the property the counterexample names fails in one of its worlds or steps."""
    prop = next((p for p in PROPERTIES.values() if p.id == example.property), None)
    if prop is None:  # DEADLOCK: the last world is stuck
        world = example.steps[-1][1] if example.steps else example.start
        return not model.is_final(world) and all(after == world
                                                 for _, after in model.successors(world))
    before = example.start
    for step, after in example.steps:
        if prop.kind == "state" and prop.check(model.config, after):
            return True
        if prop.kind == "step" and prop.check(model.config, before, model.rows[step.row],
                                              step, after):
            return True
        before = after
    return False


def test_a_wrong_translation_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cross-check can fail: a guard translated too permissively (SetLockState always
    succeeding, R81) makes SPIN disagree with the Python specification."""
    monkeypatch.setitem(GUARD_PROMELA, "lock_is_free", lambda config: "1")
    config = Config(messages=1, recipients=1)
    python, python_violated = _python(config)
    spin = _spin(config)
    assert python_violated == set()
    assert "I-LOCK1" in spin.violated
    assert spin.states != python.states + EXTRA_SPIN_STATES


def test_an_ambiguous_choice_inside_a_call_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """A d_step takes the first enabled option, so where two rows inside a call (the store's
    routing) are enabled at once the export could not offer both as successors, as the
    checker does: pan reports it, as an assertion naming no property."""
    monkeypatch.setitem(GUARD_PROMELA, "store_routes_to_spooler", lambda config: "1")
    result = verify_with_spin(to_promela(Config(messages=1, recipients=1)), optimise="-O0")
    assert result.complete, result.output
    assert [re.sub(r"\s+", " ", error) for error in result.other_errors] == [
        "assertion violated !(INSIDE_CALL_AMBIGUOUS)"]


def test_the_multicore_form_keeps_scratch_out_of_the_state_count() -> None:
    """Under spin -DMULTICORE the scratch variables are part of the state vector (multi-core
    pan cannot hide them); resetting them after every step keeps the count the same."""
    config = Config(messages=1, recipients=1)
    text = to_promela(config, "error-discards-saved-progress")
    hidden = verify_with_spin(text, optimise="-O0")
    visible = verify_with_spin(text, optimise="-O0", spin_options=["-DMULTICORE"])
    assert visible.state_vector_bytes > hidden.state_vector_bytes
    assert visible.states == hidden.states
    assert visible.violated == hidden.violated != ()


def test_export_command_verify_exits_1_on_a_variant_and_0_on_the_specification(
        tmp_path: Path) -> None:
    runner = CliRunner()
    small = ["export", "promela", "--messages", "1", "--recipients", "1", "--transports", "1"]
    bad = runner.invoke(main, [*small, "--variant", "abort-ignores-lock",
                               "-o", str(tmp_path / "bad.pml"), "--verify",
                               "--cases", str(tmp_path / "cases")])
    assert bad.exit_code == 1, bad.output
    assert "VIOLATED: I-ABORT" in bad.stderr
    # the trail, printed as MAPI calls and written as a case replay --variant reproduces
    assert "I-ABORT (" in bad.stdout and "IMsgStore::AbortSubmit" in bad.stdout
    (written,) = (tmp_path / "cases").glob("spin-abort-ignores-lock-*.json")
    replayed = runner.invoke(main, ["replay", "--variant", "abort-ignores-lock", str(written)])
    assert replayed.exit_code == 0, replayed.output
    good = runner.invoke(main, [*small, "-o", str(tmp_path / "good.pml"), "--verify",
                                "--cases", str(tmp_path / "none")])
    assert good.exit_code == 0, good.output
    assert "holds" in good.stderr and not (tmp_path / "none").exists()
    alone = runner.invoke(main, [*small, "-o", str(tmp_path / "x.pml"), "--cases", "c"])
    assert alone.exit_code == 2 and "--cases needs --verify" in alone.output
