"""Shared fixtures and helpers for the test-suite."""

from __future__ import annotations

import numpy as np
import pytest

import rbmperf

BACKENDS = rbmperf.available_backends()


def structured_data(n_samples: int, n_features: int = 64, *, seed: int = 0) -> np.ndarray:
    """Binary-ish data with structure an RBM can learn: noisy copies of a few prototypes.

    Not an MNIST-like generator (that is :func:`rbmperf.data.synthetic_mnist`, which the
    timing code, scripts and CLI all use): the contract tests need tiny, nearly binary data
    on which backends with different random streams reach the same reconstruction error
    within 5%. Tried here: ``synthetic_mnist`` area-averaged to 8×8 (grey strokes) spread
    13–44% between backends over four seeds at the contract's settings.
    """
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((5, n_features)) < 0.3).astype(np.float64)
    labels = rng.integers(0, len(prototypes), n_samples)
    flips = rng.random((n_samples, n_features)) < 0.05
    data = np.abs(prototypes[labels] - flips)
    # A few grey values, as in real images, so that sampling the data states matters.
    grey = rng.random((n_samples, n_features)) < 0.1
    return np.where(grey, rng.random((n_samples, n_features)), data)


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    """Every backend registered and available here."""
    return request.param
