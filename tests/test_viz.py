"""Tests for rbmperf.viz: reconstructions, probes and the PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import rbmperf
from rbmperf import viz
from rbmperf.data import synthetic_mnist

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def mnist_stack() -> tuple[list[rbmperf.RBM], np.ndarray]:
    """Two small RBMs trained on synthetic 28×28 digits (under a second)."""
    X, _ = synthetic_mnist(1000, seed=0)
    # One BLAS thread: small products on this project's 2-vCPU machines run up to 30 times
    # slower with two threads (see NOTES).
    with threadpool_limits(1, user_api="blas"):
        first = rbmperf.train_rbm(X, 40, epochs=8, batch_size=50, seed=0)
        second = rbmperf.train_rbm(first.transform(X), 20, epochs=8, batch_size=50, seed=1)
    return [first, second], X


def _untrained(stack: list[rbmperf.RBM]) -> list[rbmperf.RBM]:
    return [rbmperf.initial_rbm(r.n_visible, r.n_hidden, seed=9) for r in stack]


def test_image_shape() -> None:
    assert viz.image_shape(64) == (8, 8)
    assert viz.image_shape(784) == (28, 28)
    with pytest.raises(ValueError, match="cannot draw 50 features as a square image"):
        viz.image_shape(50)


def test_reconstructions_of_a_trained_stack_resemble_the_inputs(mnist_stack) -> None:
    stack, X = mnist_stack
    sample = X[:200]
    for depth in (1, 2):
        trained = viz.reconstruct_through(stack, sample, depth)
        untrained = viz.reconstruct_through(_untrained(stack), sample, depth)
        assert trained.shape == sample.shape
        trained_error = np.mean((trained - sample) ** 2)
        untrained_error = np.mean((untrained - sample) ** 2)
        # An untrained stack gives ~0.5 everywhere (error ~0.2); trained it must be far less.
        assert trained_error < 0.5 * untrained_error
    with pytest.raises(ValueError, match="depth must be <= 2"):
        viz.reconstruct_through(stack, sample, 3)


def test_probes_of_trained_and_untrained_models_differ(mnist_stack) -> None:
    stack, _ = mnist_stack
    for layer in (1, 2):
        trained = viz.unit_probes(stack, layer, range(10))
        untrained = viz.unit_probes(_untrained(stack), layer, range(10))
        assert trained.shape == untrained.shape == (10, 784)
        # Untrained weights are N(0, 0.01²): one unit barely moves any pixel (< 0.01).
        # Trained units draw strokes that change some pixels by far more.
        assert np.abs(untrained).max() < 0.02
        assert np.abs(trained).max() > 0.1
        assert viz.bias_probe(stack, layer).shape == (784,)
    # The probe is "one unit on" minus "all off".
    one_hot = np.zeros((1, stack[0].n_hidden))
    one_hot[0, 3] = 1.0
    expected = stack[0].visible_probabilities(one_hot)[0] - viz.bias_probe(stack, 1)
    np.testing.assert_allclose(viz.unit_probes(stack, 1, [3])[0], expected)
    with pytest.raises(ValueError, match=r"units must lie in 0\.\.39"):
        viz.unit_probes(stack, 1, [40])
    with pytest.raises(ValueError, match="layer must be <= 2"):
        viz.bias_probe(stack, 3)


def test_write_pictures_28x28(mnist_stack, tmp_path: Path) -> None:
    stack, X = mnist_stack
    written = viz.write_pictures(stack, X[:50], tmp_path / "pictures")
    names = sorted(p.name for p in written)
    assert names == [
        "bias_probes.png",
        "probes_layer1.png",
        "probes_layer2.png",
        "reconstructions.png",
    ]
    for path in written:
        assert path.read_bytes()[:8] == PNG_MAGIC
        assert path.stat().st_size > 2000


def test_write_pictures_8x8_single_rbm(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = (rng.random((60, 64)) < 0.3).astype(float)
    rbm = rbmperf.train_rbm(X, 10, epochs=2, batch_size=20)
    written = viz.write_pictures(rbm, X, tmp_path)
    assert sorted(p.name for p in written) == [
        "bias_probes.png",
        "probes_layer1.png",
        "reconstructions.png",
    ]
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in written)


def test_write_pictures_rejects_non_square_and_non_models(tmp_path: Path) -> None:
    rbm = rbmperf.initial_rbm(50, 4)
    with pytest.raises(ValueError, match="square image"):
        viz.write_pictures(rbm, np.zeros((3, 50)), tmp_path)
    with pytest.raises(TypeError, match="expected a fitted DBN"):
        viz.write_pictures("model.npz", np.zeros((3, 64)), tmp_path)
    assert not any(tmp_path.iterdir())
