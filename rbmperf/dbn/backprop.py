"""Momentum mini-batch gradient descent on a :class:`DeepNetwork`: the supervised phases.

The same trainer runs both supervised phases of a DBN. For the softmax phase it gets the
softmax layer alone (:meth:`DeepNetwork.softmax_layer`) and the frozen top features, which
is multinomial logistic regression; for fine-tuning it gets the whole network and the data.

The loss is the mean cross-entropy of a mini-batch. With softmax outputs ``p`` and one-hot
targets ``t``, its gradient with respect to the output scores is ``(p - t) / batch_size``;
back-propagating through a logistic layer with activations ``h`` multiplies the upstream
error by ``h (1 - h)``. Every parameter then follows the blog's momentum rule, descending::

    speed = momentum * speed - gradient
    param += learning_rate * speed

Computation stays in the parameters' dtype (float32 networks never touch float64 arrays),
every array the loop touches is allocated once per call, and the softmax is shifted by its
row maximum, so neither exp nor log can overflow.

**The data's zeros.** The two products of the first layer with the data — the forward
``X W₀ᵀ`` and the weight gradient ``errorᵀ X`` — are two thirds of a 784-300-300-10
network's arithmetic, and MNIST-like data are about 80% zeros. Where numba imports, each
mini-batch's non-zeros are listed (:mod:`rbmperf.backends.sparse_data`) and, when their
density is at most `data_density_limit`, both products add up only the rows of ``W₀ᵀ`` and
of the error that a non-zero selects; above it (or without numba) they are BLAS products.
The first layer's weights live transposed, (n_inputs, n_hidden), inside the call so that
both products read and write whole rows; the momentum rule is element-wise, so the layout
changes nothing else. The two paths agree to float rounding (the sums run in another
order), not bitwise.
"""

from __future__ import annotations

import time

import numpy as np

from ..activations import logistic, softmax
from ..errors import InputError
from ..progress import progress_bar
from .fused import descend
from .network import DeepNetwork

try:  # the sparse data products need numba; without it both products stay BLAS
    from ..backends.sparse_data import DataLists
except ImportError:  # pragma: no cover - numba is installed wherever the tests run
    DataLists = None

__all__ = ["DATA_DENSITY_LIMIT", "gradient_descent"]

#: Largest fraction of non-zero values of a mini-batch at which the first layer's two
#: products skip the data's zeros. Measured on synthetic MNIST (19.5% non-zero, AMD EPYC
#: with AVX-512, 1 BLAS thread, float32, µs per batch of 100 × 784 by 300): listing 70,
#: forward 240, gradient 290, against 42 + 494 + 473 for the rows' copy and two BLAS
#: products. A gather costs about in proportion to the density, BLAS not at all: the
#: break-even lies near a third non-zeros, and the limit below it, so that a batch near it
#: costs about the same either way.
DATA_DENSITY_LIMIT = 0.3

# Probabilities are floored here before the log, so that one that underflowed to 0 gives a
# large but finite loss.
_PROBABILITY_FLOOR = 1e-30


def gradient_descent(
    X: np.ndarray,
    targets: np.ndarray,
    network: DeepNetwork,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    momentum: float,
    rng: np.random.Generator,
    progress_label: str | None = None,
    data_density_limit: float | None = None,
) -> list[float]:
    """Train `network` in place on rows `X` with class indices `targets`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_inputs)
        Trusted input rows, in the network's dtype.
    targets : ndarray of intp, shape (n_samples,)
        Class index (output unit) of each row.
    network : DeepNetwork
        Updated in place.
    epochs, batch_size : int
        Each epoch visits the rows in a fresh random order from `rng`, in mini-batches of
        `batch_size` (the last one partial).
    learning_rate, momentum : float
    rng : numpy.random.Generator
    progress_label : str, optional
        Show a progress bar with this label (each epoch's seconds and mean loss).
    data_density_limit : float, optional
        Largest fraction of non-zeros of a mini-batch of `X` at which the first hidden
        layer's products skip its zeros (default :data:`DATA_DENSITY_LIMIT`); 1 takes that
        path for every batch, a negative value never. Without numba, or for a network with
        no hidden layer, the products are always BLAS.

    Returns
    -------
    list of float
        Mean training cross-entropy of each epoch (as the epoch went, not after it).
    """
    if data_density_limit is None:
        data_density_limit = DATA_DENSITY_LIMIT
    if not isinstance(data_density_limit, (int, float)) or np.isnan(data_density_limit):
        raise InputError(f"data_density_limit must be a number; got {data_density_limit!r}")
    n_samples = len(X)
    dtype = network.output_weights.dtype
    batch_size = min(batch_size, n_samples)
    weights, biases = list(network.weights), network.biases
    n_layers = len(weights)
    first_layer = weights[0] if n_layers else None
    lists = None
    if n_layers:
        # The first layer transposed for the call (see the module's docstring); copied back.
        weights[0] = np.ascontiguousarray(first_layer.T)
        if DataLists is not None and data_density_limit >= 0:
            X = np.ascontiguousarray(X)
            lists = DataLists(batch_size, X.shape[1], dtype)
    params = [*weights, *biases, network.output_weights, network.output_bias]
    speeds = [np.zeros_like(p) for p in params]
    grads = [np.empty_like(p) for p in params]
    grad_w = grads[:n_layers]
    grad_b = grads[n_layers : 2 * n_layers]
    grad_out_w, grad_out_b = grads[-2], grads[-1]

    # Per-batch buffers: the input rows, each layer's activations and back-propagated errors.
    batch_input = np.empty((batch_size, X.shape[1]), dtype=dtype)
    widths = [b.shape[0] for b in biases]
    activations = [np.empty((batch_size, width), dtype=dtype) for width in widths]
    errors = [np.empty((batch_size, width), dtype=dtype) for width in widths]
    slopes = [np.empty((batch_size, width), dtype=dtype) for width in widths]
    scores = np.empty((batch_size, network.output_weights.shape[0]), dtype=dtype)
    batch_targets = np.empty(batch_size, dtype=np.intp)
    rows = np.arange(batch_size)

    # In the parameters' dtype, as numpy's in-place operations used them.
    step, inertia = dtype.type(learning_rate), dtype.type(momentum)
    bar = None
    if progress_label is not None and epochs > 0:
        bar = progress_bar(epochs, progress_label)
    losses: list[float] = []
    for _ in range(epochs):
        began = time.perf_counter()
        order = rng.permutation(n_samples)
        total_loss = 0.0
        for start in range(0, n_samples, batch_size):
            index = order[start : start + batch_size]
            size = len(index)
            inputs = batch_input[:size]
            sparse = False
            if lists is not None:
                lists.fill(X, order, start, size, data_density_limit)
                sparse = lists.by_column  # at most the limit non-zero
            if not sparse:
                np.take(X, index, axis=0, out=inputs)
            np.take(targets, index, out=batch_targets[:size])
            hit = (rows[:size], batch_targets[:size])

            # Forward.
            layer_in = inputs
            for k in range(n_layers):
                out = activations[k][:size]
                if k == 0 and sparse:
                    lists.times(weights[0], out, widths[0])
                elif k == 0:
                    np.matmul(inputs, weights[0], out=out)
                else:
                    np.matmul(layer_in, weights[k].T, out=out)
                out += biases[k]
                logistic(out, out=out)
                layer_in = out
            top = layer_in
            probabilities = scores[:size]
            np.matmul(top, network.output_weights.T, out=probabilities)
            probabilities += network.output_bias
            softmax(probabilities, out=probabilities)
            total_loss -= float(np.log(np.maximum(probabilities[hit], _PROBABILITY_FLOOR)).sum())

            # Backward, from the softmax + cross-entropy delta (p - onehot) / size.
            delta = probabilities
            delta[hit] -= 1.0
            delta *= dtype.type(1.0 / size)
            np.matmul(delta.T, top, out=grad_out_w)
            np.sum(delta, axis=0, out=grad_out_b)
            upstream_delta, upstream_weights = delta, network.output_weights
            for k in range(n_layers - 1, -1, -1):
                error = errors[k][:size]
                np.matmul(upstream_delta, upstream_weights, out=error)
                slope = slopes[k][:size]
                out = activations[k][:size]
                np.subtract(1.0, out, out=slope)
                slope *= out
                error *= slope
                if k > 0:
                    np.matmul(error.T, activations[k - 1][:size], out=grad_w[k])
                elif sparse:
                    lists.transposed_times(error, grad_w[0], widths[0])
                else:
                    np.matmul(inputs.T, error, out=grad_w[0])
                np.sum(error, axis=0, out=grad_b[k])
                upstream_delta, upstream_weights = error, weights[k]

            for param, speed, grad in zip(params, speeds, grads, strict=True):
                descend(param, speed, grad, step, inertia)
        losses.append(total_loss / n_samples)
        if bar is not None:
            bar.set_postfix(seconds=f"{time.perf_counter() - began:.3f}", loss=f"{losses[-1]:.4f}")
            bar.update(1)
    if bar is not None:
        bar.close()
    if first_layer is not None:
        first_layer[...] = weights[0].T
    return losses
