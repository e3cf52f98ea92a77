"""pytest setup for einc's Python tests: a seeded random generator per test."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261207)
