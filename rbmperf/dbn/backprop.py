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
"""

from __future__ import annotations

import time

import numpy as np

from ..activations import logistic, softmax
from ..progress import progress_bar
from .network import DeepNetwork

__all__ = ["gradient_descent"]

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

    Returns
    -------
    list of float
        Mean training cross-entropy of each epoch (as the epoch went, not after it).
    """
    n_samples = len(X)
    dtype = network.output_weights.dtype
    batch_size = min(batch_size, n_samples)
    weights, biases = network.weights, network.biases
    n_layers = len(weights)
    params = network.parameters
    speeds = [np.zeros_like(p) for p in params]
    grads = [np.empty_like(p) for p in params]
    grad_w = grads[:n_layers]
    grad_b = grads[n_layers : 2 * n_layers]
    grad_out_w, grad_out_b = grads[-2], grads[-1]

    # Per-batch buffers: the input rows, each layer's activations and back-propagated errors.
    batch_input = np.empty((batch_size, X.shape[1]), dtype=dtype)
    activations = [np.empty((batch_size, w.shape[0]), dtype=dtype) for w in weights]
    errors = [np.empty((batch_size, w.shape[0]), dtype=dtype) for w in weights]
    slopes = [np.empty((batch_size, w.shape[0]), dtype=dtype) for w in weights]
    scores = np.empty((batch_size, network.output_weights.shape[0]), dtype=dtype)
    batch_targets = np.empty(batch_size, dtype=np.intp)
    rows = np.arange(batch_size)

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
            np.take(X, index, axis=0, out=inputs)
            np.take(targets, index, out=batch_targets[:size])
            hit = (rows[:size], batch_targets[:size])

            # Forward.
            layer_in = inputs
            for k in range(n_layers):
                out = activations[k][:size]
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
                below = activations[k - 1][:size] if k > 0 else inputs
                np.matmul(error.T, below, out=grad_w[k])
                np.sum(error, axis=0, out=grad_b[k])
                upstream_delta, upstream_weights = error, weights[k]

            # The gradient buffer is free again, so it holds the step.
            for param, speed, grad in zip(params, speeds, grads, strict=True):
                speed *= momentum
                speed -= grad
                np.multiply(speed, learning_rate, out=grad)
                param += grad
        losses.append(total_loss / n_samples)
        if bar is not None:
            bar.set_postfix(seconds=f"{time.perf_counter() - began:.3f}", loss=f"{losses[-1]:.4f}")
            bar.update(1)
    if bar is not None:
        bar.close()
    return losses
