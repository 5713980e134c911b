"""Shared test settings: hypothesis profiles sized for a 2-core CI machine."""

import mpmath
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")


@pytest.fixture
def mp50():
    """mpmath at 50 significant digits for the duration of a test."""
    with mpmath.workdps(50):
        yield
