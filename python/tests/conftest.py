import os
import pathlib

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def rng():
    return np.random.default_rng(20261207)


def optional(module):
    """Imports an optional test dependency; with CI=true a missing one fails instead of skipping."""
    try:
        return __import__(module)
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{module} is required in CI (pip install {module})")
        pytest.skip(f"{module} is not installed")
