"""The acceptance bars of log validation: every regression case, written as a log,
conforms; every known-bad variant's counterexample, written as a log, diverges from the
specification at the record where the variant's run leaves the specification (and conforms
to the variant)."""

from __future__ import annotations

import json

import pytest

from mapi_submission.checker.check import VIOLATED, check
from mapi_submission.harness.log_paths import extend_to_logged
from mapi_submission.harness.model_logs import case_to_log, path_to_log
from mapi_submission.harness.validate_log import validate_log_text
from mapi_submission.model import VARIANTS, Config, Model
from mapi_submission.model.engine import Step
from mapi_submission.model.world import World

from .logs_support import ROOT

REGRESSION = sorted((ROOT / "tests" / "regression").rglob("*.json"))


def test_every_regression_case_as_a_log_conforms() -> None:
    assert len(REGRESSION) > 200
    failures = []
    for path in REGRESSION:
        # Read as plain JSON: the case loader's checks are the regression suite's own tests.
        case = json.loads(path.read_text())
        verdict = validate_log_text(case_to_log(case), str(path), variant=case["variant"])
        if verdict.divergence is not None:
            failures.append(f"{path.relative_to(ROOT)}: {verdict.divergence.describe()}")
    assert not failures, "\n".join(failures[:3])


def _leaves_specification(start: World, steps: list[tuple[Step, World]]) -> int:
    """Index of the first step the specification cannot take to the same world."""
    specification = Model(Config(messages=1))
    world = start
    for index, (step, after) in enumerate(steps):
        if dict(specification.successors(world)).get(step) != after:
            return index
        world = after
    raise AssertionError("the variant's run never leaves the specification")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_counterexample_as_a_log_diverges_at_the_right_record(variant: str) -> None:
    model = Model(Config(messages=1), variant)
    result = check(model, liveness=False)
    judged = 0
    for verdict in result.verdicts:
        if verdict.status != VIOLATED or verdict.property.id not in VARIANTS[variant].breaks:
            continue
        example = verdict.counterexample
        assert example is not None
        # A run ending in an internal step leaves nothing to judge: go on to a logged call.
        steps = extend_to_logged(model, list(example.steps), example.start)
        leaves = _leaves_specification(example.start, steps)
        logged = [i for i, (step, _) in enumerate(steps)
                  if model.rows[step.row].is_call]
        # Line 1 is the header; the record of the first logged step from `leaves` on.
        expected_line = 2 + next(k for k, i in enumerate(logged) if i >= leaves)
        text = path_to_log(model, example.start, steps)
        against_specification = validate_log_text(text, variant)
        assert against_specification.divergence is not None, verdict.property.id
        assert against_specification.divergence.line == expected_line, (
            verdict.property.id, against_specification.divergence.describe())
        # The verdict names a rule the variant's bug is documented to break.
        assert set(against_specification.divergence.rules) & set(VARIANTS[variant].rules), (
            verdict.property.id, against_specification.divergence.rules)
        assert validate_log_text(text, variant, variant=variant).conforms
        judged += 1
    assert judged >= 1, f"{variant}: no counterexample for the properties it breaks"
