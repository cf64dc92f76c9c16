"""The floor: the least work any CD-1 implementation must do, timed at the same shapes.

One CD-1 step on a mini-batch of ``B`` rows cannot avoid five matrix products

    v0·Wᵀ (B×V by V×H), h0·W (B×H by H×V), v1·Wᵀ (B×V by V×H),
    h0ᵀ·v0 (H×B by B×V), h1ᵀ·v1 (H×B by B×V),

nor its ``B·(2V + H)`` random draws (numpy's default Generator here). A floor epoch does
exactly that for every mini-batch of the data, into preallocated buffers, and nothing else
(no logistic, no comparisons, no update). A backend's time divided by the floor's, both
measured in the same run, is a ratio that survives machine drift far better than absolute
seconds (``docs/measuring.md``).
"""

from __future__ import annotations

import numpy as np

# The products every CD-1 step needs, as the floor computes them: dense, on full matrices.
PRODUCTS = ("v0·Wᵀ", "h0·W", "v1·Wᵀ", "h0ᵀ·v0", "h1ᵀ·v1")
# Uniforms drawn per step, as a formula of the batch size B, visible V and hidden H units.
DRAWS_PER_STEP = "B·(2V + H)"


class FloorBuffers:
    """Preallocated outputs of the floor's products and draws for `batch_size` rows."""

    def __init__(self, batch_size: int, n_visible: int, n_hidden: int, dtype: np.dtype):
        self.key = (batch_size, n_visible, n_hidden, np.dtype(dtype))
        self.hidden = np.empty((batch_size, n_hidden), dtype=dtype)
        self.visible = np.empty((batch_size, n_visible), dtype=dtype)
        self.hidden_again = np.empty((batch_size, n_hidden), dtype=dtype)
        self.outer = np.empty((n_hidden, n_visible), dtype=dtype)
        self.outer_again = np.empty((n_hidden, n_visible), dtype=dtype)
        self.uniform_v0 = np.empty((batch_size, n_visible), dtype=dtype)
        self.uniform_h0 = np.empty((batch_size, n_hidden), dtype=dtype)
        self.uniform_v1 = np.empty((batch_size, n_visible), dtype=dtype)


def floor_step(
    W: np.ndarray, batch: np.ndarray, rng: np.random.Generator, buffers: FloorBuffers
) -> None:
    """The five products and the draws of one CD-1 step on `batch`, and nothing else."""
    rows = batch.shape[0]
    hidden = buffers.hidden[:rows]
    visible = buffers.visible[:rows]
    hidden_again = buffers.hidden_again[:rows]
    rng.random(out=buffers.uniform_v0[:rows], dtype=buffers.uniform_v0.dtype)
    np.matmul(batch, W.T, out=hidden)  # v0·Wᵀ
    rng.random(out=buffers.uniform_h0[:rows], dtype=buffers.uniform_h0.dtype)
    np.matmul(hidden, W, out=visible)  # h0·W
    rng.random(out=buffers.uniform_v1[:rows], dtype=buffers.uniform_v1.dtype)
    np.matmul(visible, W.T, out=hidden_again)  # v1·Wᵀ
    np.matmul(hidden.T, batch, out=buffers.outer)  # h0ᵀ·v0
    np.matmul(hidden_again.T, visible, out=buffers.outer_again)  # h1ᵀ·v1


def floor_epoch(
    W: np.ndarray,
    X: np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
    buffers: FloorBuffers | None = None,
) -> FloorBuffers:
    """Run :func:`floor_step` on every mini-batch of `X`; return the buffers for reuse.

    `W` (n_hidden, n_visible) and `X` (n_samples, n_visible) must share a float dtype and be
    C-contiguous.
    """
    n_hidden, n_visible = W.shape
    rows = min(batch_size, X.shape[0])
    if buffers is None or buffers.key != (rows, n_visible, n_hidden, X.dtype):
        buffers = FloorBuffers(rows, n_visible, n_hidden, X.dtype)
    for start in range(0, X.shape[0], batch_size):
        floor_step(W, X[start : start + batch_size], rng, buffers)
    return buffers


class ProductBuffers:
    """Inputs and outputs of :func:`products_step`: the four GEMMs of a fused CD-1 step."""

    def __init__(self, batch_size: int, n_visible: int, n_hidden: int, dtype: np.dtype):
        self.key = (batch_size, n_visible, n_hidden, np.dtype(dtype))
        self.hidden = np.empty((batch_size, n_hidden), dtype=dtype)
        self.visible = np.empty((batch_size, n_visible), dtype=dtype)
        self.hidden_again = np.empty((batch_size, n_hidden), dtype=dtype)
        # Both outer products as one GEMM over stacked [h0; -h1] and [v0; v1] rows.
        self.left = np.zeros((2 * batch_size, n_hidden), dtype=dtype)
        self.right = np.zeros((2 * batch_size, n_visible), dtype=dtype)
        self.gradient = np.empty((n_hidden, n_visible), dtype=dtype)


def products_step(W: np.ndarray, batch: np.ndarray, buffers: ProductBuffers) -> None:
    """The matrix products alone, with both outer products fused into one call.

    No draws, no logistic, no update: what a backend that fuses the outer products cannot
    avoid, so ``products_step`` time / ``floor_step`` time bounds any backend's floor
    multiple from below (``scripts/products_share.py``).
    """
    rows = batch.shape[0]
    np.matmul(batch, W.T, out=buffers.hidden[:rows])
    np.matmul(buffers.hidden[:rows], W, out=buffers.visible[:rows])
    np.matmul(buffers.visible[:rows], W.T, out=buffers.hidden_again[:rows])
    np.matmul(buffers.left.T, buffers.right, out=buffers.gradient)
