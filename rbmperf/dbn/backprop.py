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
network's arithmetic, and MNIST-like data are about 80% zeros, unevenly: centre pixels are
non-zero in half the images, border pixels almost never. Where numba imports, each call
splits the data's columns (:mod:`.split_data`): those more than `data_density_limit`
non-zero in a sample of the rows go to BLAS as a small dense block of each batch, the
others are listed by row and by column and both products add up only the rows of ``W₀ᵀ``
and of the error that a non-zero selects; a batch whose sparse columns hold more than the
limit of non-zeros (or every batch without numba) takes BLAS for all of them. The first
layer's weights live transposed, (n_inputs, n_hidden), inside the call, as two matrices
(the sparse and the dense columns' rows), so that both products read and write whole rows;
the momentum rule is element-wise, so the layout changes nothing else. The paths agree to
float rounding (the sums run in another order), not bitwise.

**Fused passes.** Everything between the products runs as a few compiled passes
(:mod:`.fused`): bias + logistic, the output layer's softmax, loss and error, the slope
with the bias gradient; the sparse rows' momentum step in the same pass as their gradient
(never written out), and every other parameter's step as one call over a single flat
buffer that holds all of them.
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import InputError
from ..progress import progress_bar
from ..validation import check_dtype
from .fused import activate, back_through, descend, gradient_descend, softmax_error
from .network import DeepNetwork

try:  # the sparse data products need numba; without it both products stay BLAS
    from .split_data import SplitBatches
except ImportError:  # pragma: no cover - numba is installed wherever the tests run
    SplitBatches = None

__all__ = ["DATA_DENSITY_LIMIT", "gradient_descent", "prepare_gradient_descent"]

#: Largest fraction of non-zero values of a column of the data (in a sample of its rows), and
#: of a mini-batch's other columns, at which the first layer's two products skip the
#: data's zeros (:mod:`.split_data`; per column of a batch the break-even is near 0.4).
#: Measured on synthetic MNIST (19.5% non-zero, AMD EPYC with AVX-512, 1 BLAS thread,
#: float32, µs per batch of 100 × 784 by 300), all columns gathered: listing 70,
#: forward 240, gradient 290, against 42 + 494 + 473 for the rows' copy and two BLAS
#: products. A gather costs about in proportion to the density, BLAS not at all: the
#: break-even lies near a third non-zeros, and the limit below it, so that a batch near it
#: costs about the same either way.
DATA_DENSITY_LIMIT = 0.3


# Dtypes whose compiled passes this process has prepared, and the seconds it took.
_PREPARED: dict[str, float] = {}


def prepare_gradient_descent(dtype: np.dtype | str) -> float:
    """Compile (or load from numba's cache) every pass of :func:`gradient_descent` for `dtype`.

    Trains a tiny network with two hidden layers for one epoch on data with a dense column
    and sparse ones, so that both halves of the first layer's split and every fused pass
    run (the softmax phase's passes are among them). A DBN's fit calls it
    before its supervised phases, so that their timed seconds hold no compilation; the
    seconds are reported apart (``DBN.info["finetune_compile_seconds"]``). Later calls for
    the same dtype cost nothing and return 0; without numba there is nothing to compile.

    Parameters
    ----------
    dtype : numpy dtype or str
        float32 or float64: the networks' dtype.

    Returns
    -------
    float
        Wall seconds this call spent (0.0 if `dtype` was prepared before in this process).

    Raises
    ------
    InputError
        If `dtype` is not float32 or float64.
    """
    dtype = check_dtype(dtype)
    if dtype.name in _PREPARED:
        return 0.0
    began = time.perf_counter()
    rng = np.random.default_rng(0)
    # Column 0 is non-zero in every row (dense: BLAS), the others in one row in four.
    X = np.zeros((8, 6), dtype=dtype)
    X[:, 0] = 1
    X[::4, 1:] = 0.5
    targets = np.arange(8, dtype=np.intp) % 2
    hidden = DeepNetwork(
        [rng.standard_normal((3, 6)).astype(dtype), rng.standard_normal((3, 3)).astype(dtype)],
        [np.zeros(3, dtype=dtype), np.zeros(3, dtype=dtype)],
        rng.standard_normal((2, 3)).astype(dtype),
        np.zeros(2, dtype=dtype),
    )
    options = {"epochs": 1, "batch_size": 4, "learning_rate": 0.1, "momentum": 0.9}
    gradient_descent(X, targets, hidden, rng=rng, **options)
    seconds = time.perf_counter() - began
    _PREPARED[dtype.name] = seconds
    return seconds


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
        Largest fraction of non-zeros of a column of `X` (in a sample of its rows), and of
        a mini-batch's remaining columns, at which the first hidden layer's products skip
        its zeros (default :data:`DATA_DENSITY_LIMIT`); 1 skips them in every column of
        every batch, a negative value never. Without numba, or for a network with no hidden
        layer, the products are always BLAS.

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
    targets = np.ascontiguousarray(targets, dtype=np.intp)
    n_layers = len(network.weights)
    n_columns = X.shape[1]
    split = None
    if n_layers and SplitBatches is not None and data_density_limit >= 0:
        X = np.ascontiguousarray(X)
        split = SplitBatches(X, batch_size, float(data_density_limit))
        dense_columns, sparse_columns = split.dense_columns, split.sparse_columns
    else:  # every column dense: BLAS
        dense_columns, sparse_columns = np.arange(n_columns), np.arange(0)
    n_dense, n_sparse = len(dense_columns), len(sparse_columns)

    # Every parameter, its speed and its gradient live in one flat buffer each, so that the
    # momentum step is one call. The first layer is held transposed (see the module's
    # docstring) and split by rows into its sparse and its dense input columns, sparse
    # first: with the sparse rows' step fused into their gradient, the rest is one call.
    # The network's own arrays get the trained values back at the end.
    layouts = []
    if n_layers:
        first = network.weights[0].T
        layouts += [first[sparse_columns], first[dense_columns], *network.weights[1:]]
    layouts += [*network.biases, network.output_weights, network.output_bias]
    flat = np.empty(sum(p.size for p in layouts), dtype=dtype)
    flat_speeds = np.zeros_like(flat)
    flat_grads = np.empty_like(flat)
    params, speeds, grads = [], [], []
    offset = 0
    for layout in layouts:
        end = offset + layout.size
        params.append(flat[offset:end].reshape(layout.shape))
        speeds.append(flat_speeds[offset:end].reshape(layout.shape))
        grads.append(flat_grads[offset:end].reshape(layout.shape))
        params[-1][...] = layout
        offset = end
    # params: [sparse_w, dense_w] (the first layer), the other layers' weights, the biases,
    # the output layer's weights and bias.
    first_params = 2 if n_layers else 0
    weights = [None, *params[first_params : first_params + n_layers - 1]]
    grad_w = [None, *grads[first_params : first_params + n_layers - 1]]
    if n_layers:
        sparse_w, dense_w = params[0], params[1]
        sparse_grad, dense_grad = grads[0], grads[1]
    first_bias = first_params + max(n_layers - 1, 0)
    biases = params[first_bias : first_bias + n_layers]
    grad_b = grads[first_bias : first_bias + n_layers]
    output_weights, output_bias = params[-2], params[-1]
    grad_out_w, grad_out_b = grads[-2], grads[-1]
    rest = params[0].size if n_layers else 0
    rest_params, rest_speeds, rest_grads = flat[rest:], flat_speeds[rest:], flat_grads[rest:]

    # Per-batch buffers: the input rows, each layer's activations and back-propagated errors.
    batch_input = np.empty((batch_size, n_columns), dtype=dtype)
    sparse_input = np.empty((batch_size, n_sparse), dtype=dtype)
    widths = [b.shape[0] for b in biases]
    activations = [np.empty((batch_size, width), dtype=dtype) for width in widths]
    errors = [np.empty((batch_size, width), dtype=dtype) for width in widths]
    partial = np.empty((batch_size, widths[0] if n_layers else 0), dtype=dtype)
    scores = np.empty((batch_size, output_weights.shape[0]), dtype=dtype)
    scratch = np.empty(widths[0] if n_layers else 0, dtype=dtype)

    # In the parameters' dtype, as numpy's in-place operations used them.
    step, inertia = dtype.type(learning_rate), dtype.type(momentum)
    bar = None
    if progress_label is not None and epochs > 0:
        bar = progress_bar(epochs, progress_label)
    losses: list[float] = []
    try:
        for _ in range(epochs):
            began = time.perf_counter()
            order = rng.permutation(n_samples)
            total_loss = 0.0
            for start in range(0, n_samples, batch_size):
                size = min(batch_size, n_samples - start)
                inputs = batch_input[:size]
                listed = split is not None and split.fill(X, order, start, size)
                if not listed:
                    np.take(X, order[start : start + size], axis=0, out=inputs)
                    if split is not None:
                        np.take(inputs, dense_columns, axis=1, out=split.block[:size])
                        np.take(inputs, sparse_columns, axis=1, out=sparse_input[:size])
                block = inputs if split is None else split.block[:size]
                sparse_block = sparse_input[:size]

                # Forward.
                layer_in = block
                for k in range(n_layers):
                    out = activations[k][:size]
                    if k > 0:
                        np.matmul(layer_in, weights[k].T, out=out)
                    else:
                        if n_dense:
                            np.matmul(block, dense_w, out=out)
                        if n_sparse:
                            target = partial[:size] if n_dense else out
                            if listed:
                                split.sparse_times(sparse_w, target)
                            else:
                                np.matmul(sparse_block, sparse_w, out=target)
                            if n_dense:
                                out += target
                    activate(out, biases[k])
                    layer_in = out
                top = layer_in
                delta = scores[:size]
                np.matmul(top, output_weights.T, out=delta)
                # Backward, from the softmax + cross-entropy delta (p - onehot) / size.
                total_loss += softmax_error(delta, output_bias, targets, order, start, grad_out_b)
                np.matmul(delta.T, top, out=grad_out_w)
                upstream_delta, upstream_weights = delta, output_weights
                for k in range(n_layers - 1, -1, -1):
                    error = errors[k][:size]
                    np.matmul(upstream_delta, upstream_weights, out=error)
                    back_through(error, activations[k][:size], grad_b[k])
                    if k > 0:
                        np.matmul(error.T, activations[k - 1][:size], out=grad_w[k])
                        upstream_delta, upstream_weights = error, weights[k]
                    else:
                        if n_dense:
                            np.matmul(block.T, error, out=dense_grad)
                        if n_sparse and not listed:
                            np.matmul(sparse_block.T, error, out=sparse_grad)

                if listed:
                    gradient_descend(
                        split, errors[0][:size], sparse_w, speeds[0], step, inertia, scratch
                    )
                    descend(rest_params, rest_speeds, rest_grads, step, inertia)
                else:
                    descend(flat, flat_speeds, flat_grads, step, inertia)
            losses.append(total_loss / n_samples)
            if bar is not None:
                seconds = f"{time.perf_counter() - began:.3f}"
                bar.set_postfix(seconds=seconds, loss=f"{losses[-1]:.4f}")
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        originals = [*network.weights[1:], *network.biases]
        originals += [network.output_weights, network.output_bias]
        for original, param in zip(originals, params[first_params:], strict=True):
            original[...] = param
        if n_layers:
            network.weights[0][:, sparse_columns] = sparse_w.T
            network.weights[0][:, dense_columns] = dense_w.T
    return losses
