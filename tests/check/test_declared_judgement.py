"""A step invariant fails only where it declares it can (`applies` and `changes`,
properties/registry.py): on sampled transitions of the known-bad variants, which break the
step invariants, and of the specification, it never fails on a row it does not apply to nor
on a step that writes none of the fields whose change it judges. The checker judges a step
invariant only on the other steps (checker/safety_search.py, checker/recording.py)."""

from __future__ import annotations

from mapi_submission.checker.explore import explore
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model
from mapi_submission.model.variants import VARIANTS
from mapi_submission.properties import step_properties

MODELS = (Model(Config(messages=1, recipients=1)),
          *(Model(Config(messages=1, recipients=1), variant) for variant in sorted(VARIANTS)))
#: every how many explored worlds one is taken
SAMPLE_EVERY = 3


def test_a_step_invariant_fails_only_on_the_steps_it_judges() -> None:
    misjudged: set[tuple[str, str]] = set()
    failed: set[str] = set()
    for model in MODELS:
        exploration = explore(model, symmetry=False, keep_edges=False)
        for world in exploration.states[::SAMPLE_EVERY]:
            for step, after in model.successors(world):
                row = model.rows[step.row]
                for prop in step_properties():
                    if not prop.check(model.config, world, row, step, after):
                        continue
                    failed.add(prop.id)
                    if not prop.judges(row, model.writes[step.row]):
                        misjudged.add((prop.id, step.row))
    assert misjudged == set()
    # the variants break every step invariant but I-ACTOR, so the test is not vacuous
    assert failed >= {"I-ABORT", "I-ERRSAVE", "I-RESP"}
