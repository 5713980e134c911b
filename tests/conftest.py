"""Shared test settings: hypothesis profiles sized for a 2-core CI machine.

CI (the CI environment variable is set) runs a derandomized profile, so a submission's
result does not depend on which random examples one run happens to draw; local runs draw
fresh examples each time (and more with HYPOTHESIS_PROFILE=thorough) to find new cases.
"""

import os

import mpmath
import pytest
from hypothesis import HealthCheck, settings

_common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=60, derandomize=True, **_common)
settings.register_profile("dev", max_examples=60, **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def mp50():
    """mpmath at 50 significant digits for the duration of a test."""
    with mpmath.workdps(50):
        yield
