"""Hypothesis settings profiles for the whole suite.

- "ci" (chosen when the CI environment variable is set): deterministic (derandomize, no example
  database), at most 100 examples, 40 steps per stateful run, no explain phase (it cost 14 to
  133 s per reported failure on the conformance harness, against under 2 s without it).
- "dev" (the default elsewhere): random seeds, the example database replays past failures
  first, 300 examples and 40 steps per stateful run, still without the explain phase.
- "explain": "dev" plus the explain phase, for reading one failure in detail
  (HYPOTHESIS_PROFILE=explain).
Tests that set max_examples themselves keep their own number.
"""

from __future__ import annotations

import os

from hypothesis import Phase, settings

settings.register_profile(
    "ci",
    max_examples=100,
    stateful_step_count=40,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
)
settings.register_profile(
    "dev",
    max_examples=300,
    # the machines run every example to its last step (harness/machine.py, run_as_test): 40
    # full steps reach further than 60 did when Hypothesis cut half the runs short
    stateful_step_count=40,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
)
settings.register_profile(
    "explain",
    parent=settings.get_profile("dev"),
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink,
            Phase.explain),
)

settings.load_profile(
    "ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
