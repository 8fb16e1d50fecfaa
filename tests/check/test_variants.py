"""Each known-bad variant is caught with a short counterexample whose regression case replays
against the variant and fails against the specification."""

from __future__ import annotations

import pytest

from mapi_submission.checker.cases import build_case, replay_case
from mapi_submission.checker.check import VIOLATED, case_id, check
from mapi_submission.model import VARIANTS, Config, Model

SMALL = Config(messages=1)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_breaks_its_properties_with_a_short_replayable_counterexample(
        variant: str) -> None:
    model = Model(SMALL, variant)
    result = check(model, liveness=False)
    assert result.exit_code == 1
    broken = {v.property.id: v for v in result.verdicts if v.status == VIOLATED}
    for property_id in VARIANTS[variant].breaks:
        assert property_id in broken, f"{variant} should break {property_id}"
        example = broken[property_id].counterexample
        assert example is not None
        assert 1 <= len(example.steps) <= 12
        case = build_case(model, case_id(model, property_id), example.problem, example.start,
                          example.steps, criterion="counterexample", target=property_id,
                          expect_violation=property_id)
        assert replay_case(case, variant=variant) is None
        mismatch = replay_case(case)
        assert mismatch is not None, "the specification must reject the counterexample"
        assert mismatch.step == len(example.steps) - 1 or property_id not in {
            "I-ABORT", "I-ERRSAVE"}, "a step-level bug must fail at its last step"


def test_specification_passes_where_the_variants_fail() -> None:
    result = check(Model(SMALL), liveness=False)
    assert result.exit_code == 0
    assert not result.violations
