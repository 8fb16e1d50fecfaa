from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from mapi_submission.kill_matrix import regression_cases


@pytest.fixture(scope="session")
def generated_cases() -> list[dict[str, Any]]:
    """The regression suite generated from the current table (as `mutants` uses it)."""
    return regression_cases()


def profile_settings(max_examples: int | None = None) -> settings:
    """The loaded profile (tests/conftest.py) as machine settings; health checks about slow
    data generation do not apply to a stateful run whose steps call an implementation."""
    chosen = settings.default
    return settings(chosen, max_examples=max_examples or chosen.max_examples,
                    suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
