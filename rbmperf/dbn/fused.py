"""The supervised phases' element-wise passes and momentum step, fused (numba) or numpy.

Around its matrix products a back-propagation step makes many small passes over memory:
bias, logistic, softmax, the logistic's slope, the bias gradients and the momentum rule.
numpy spends one pass (and one call, ~1–3 µs) on each operation; the compiled loops here
make one pass per step of the algorithm:

* :func:`activate` — ``out = logistic(out + bias)``, with the polynomial logistic of the
  numba backend, which vectorises (numpy: ``0.5 tanh(x / 2) + 0.5``; the two agree to an
  ulp or two).
* :func:`softmax_error` — the output layer: bias, softmax, the cross-entropy loss of the
  targets and the error ``(p − onehot) / size`` with its column sums (the output bias's
  gradient), reading the targets through the epoch's permutation.
* :func:`back_through` — ``error *= (1 − h) h`` and the column sums of the result (the
  bias's gradient).
* :func:`descend` — ``speed = momentum · speed − gradient; param += learning_rate · speed``,
  one pass where numpy makes four (``speed *= m``, ``speed -= g``, ``g = lr · speed``,
  ``param += g``).
* :func:`gradient_descend` — the first layer's weight gradient ``Xᵀ error`` over the data's
  non-zeros listed by column (the sums of :func:`rbmperf.backends.sparse_data.
  lists_times_rows`, in its order) and the momentum step of each of its rows while the
  row's gradient is still in L1: the gradient is never written out and read back.

Each operation is the same IEEE operation, in the same order, as the numpy code it replaces
(no contraction into fused multiply-adds), except the logistic and ``exp``, whose
implementations differ by an ulp or so: the momentum step is bitwise numpy's, the rest
agrees to float rounding. Without numba every function runs its numpy form.
"""

from __future__ import annotations

import numpy as np

from ..activations import logistic, softmax

try:
    import numba
except ImportError:  # pragma: no cover - numba is installed wherever the tests run
    numba = None

__all__ = [
    "PROBABILITY_FLOOR",
    "activate",
    "back_through",
    "descend",
    "gradient_descend",
    "softmax_error",
]

# Probabilities are floored here before the log, so that one that underflowed to 0 gives a
# large but finite loss.
PROBABILITY_FLOOR = 1e-30


def _descend_numpy(
    param: np.ndarray, speed: np.ndarray, grad: np.ndarray, learning_rate, momentum
) -> None:
    speed *= momentum
    speed -= grad
    np.multiply(speed, learning_rate, out=grad)
    param += grad


def _activate_numpy(out: np.ndarray, bias: np.ndarray) -> None:
    out += bias
    logistic(out, out=out)


def _softmax_error_numpy(
    scores: np.ndarray,
    bias: np.ndarray,
    targets: np.ndarray,
    order: np.ndarray,
    start: int,
    grad_bias: np.ndarray,
) -> float:
    size = len(scores)
    hit = (np.arange(size), targets[order[start : start + size]])
    scores += bias
    softmax(scores, out=scores)
    loss = -float(np.log(np.maximum(scores[hit], PROBABILITY_FLOOR)).sum())
    scores[hit] -= 1.0
    scores *= scores.dtype.type(1.0 / size)
    np.sum(scores, axis=0, out=grad_bias)
    return loss


def _back_through_numpy(error: np.ndarray, activation: np.ndarray, grad_bias: np.ndarray) -> None:
    error *= (1.0 - activation) * activation
    np.sum(error, axis=0, out=grad_bias)


if numba is not None:
    import math

    from ..backends.numba_jit import _logistic

    _JIT = {"nogil": True, "cache": True, "error_model": "numpy"}

    @numba.njit(**_JIT)
    def _descend_flat(param, speed, grad, learning_rate, momentum):
        for k in range(param.size):
            s = speed[k] * momentum - grad[k]
            speed[k] = s
            param[k] += s * learning_rate

    @numba.njit(**_JIT)
    def _activate(out, bias):
        for i in range(out.shape[0]):
            row = out[i]
            for k in range(row.shape[0]):
                row[k] = _logistic(row[k] + bias[k])

    @numba.njit(**_JIT)
    def _softmax_error(scores, bias, targets, order, start, scale, underflow, grad_bias):
        size, classes = scores.shape
        for k in range(classes):
            grad_bias[k] = 0.0
        loss = 0.0
        for i in range(size):
            row = scores[i]
            top = row[0] + bias[0]
            for k in range(classes):
                row[k] += bias[k]
                top = max(top, row[k])
            total = row[0] - row[0]  # a zero of the scores' type
            for k in range(classes):
                z = row[k] - top
                # exp rounds to 0 below `underflow`; libm's exp takes a slow path there.
                e = math.exp(z) if z > underflow else z - z
                row[k] = e
                total += e
            for k in range(classes):
                row[k] /= total
            target = targets[order[start + i]]
            loss -= math.log(max(row[target], PROBABILITY_FLOOR))
            # Exact in float32 too: p − 1 is a float64 that a float32 holds.
            row[target] -= 1.0
            for k in range(classes):
                row[k] *= scale
                grad_bias[k] += row[k]
        return loss

    @numba.njit(**_JIT)
    def _back_through(error, activation, one, grad_bias):
        width = error.shape[1]
        for k in range(width):
            grad_bias[k] = 0.0
        for i in range(error.shape[0]):
            row, h = error[i], activation[i]
            for k in range(width):
                e = row[k] * ((one - h[k]) * h[k])
                row[k] = e
                grad_bias[k] += e

    @numba.njit(**_JIT)
    def _gradient_descend(
        pointers, indices, values, error, param, speed, learning_rate, momentum, scratch
    ):  # fmt: skip
        width = param.shape[1]
        for j in range(param.shape[0]):
            for k in range(width):
                scratch[k] = 0.0
            p = pointers[j]
            end = pointers[j + 1]
            # Four error rows per pass over the sum, as lists_times_rows: the same sums.
            while p + 4 <= end:
                a, b, c, d = values[p], values[p + 1], values[p + 2], values[p + 3]
                row_a, row_b = error[indices[p]], error[indices[p + 1]]
                row_c, row_d = error[indices[p + 2]], error[indices[p + 3]]
                for k in range(width):
                    scratch[k] += (a * row_a[k] + b * row_b[k]) + (c * row_c[k] + d * row_d[k])
                p += 4
            while p < end:
                a = values[p]
                row_a = error[indices[p]]
                for k in range(width):
                    scratch[k] += a * row_a[k]
                p += 1
            weights, speeds = param[j], speed[j]
            for k in range(width):
                s = speeds[k] * momentum - scratch[k]
                speeds[k] = s
                weights[k] += s * learning_rate


def descend(
    param: np.ndarray,
    speed: np.ndarray,
    grad: np.ndarray,
    learning_rate: float,
    momentum: float,
) -> None:
    """One momentum step of `param` in place (`speed` updated, `grad` used as scratch).

    All three arrays C-contiguous, of one shape and dtype; `learning_rate` and `momentum`
    in the arrays' dtype, so that float32 stays float32.
    """
    if numba is None:
        _descend_numpy(param, speed, grad, learning_rate, momentum)
    else:
        _descend_flat(
            param.reshape(-1), speed.reshape(-1), grad.reshape(-1), learning_rate, momentum
        )


def activate(out: np.ndarray, bias: np.ndarray) -> None:
    """``out = logistic(out + bias)`` in place, `bias` added to every row of `out`."""
    if numba is None:
        _activate_numpy(out, bias)
    else:
        _activate(out, bias)


def softmax_error(
    scores: np.ndarray,
    bias: np.ndarray,
    targets: np.ndarray,
    order: np.ndarray,
    start: int,
    grad_bias: np.ndarray,
) -> float:
    """The output layer of a batch: return its summed cross-entropy, leave its error.

    Row ``i`` of `scores` (its class scores without the bias) becomes ``(softmax(scores[i]
    + bias) − onehot(t)) / size`` with ``t = targets[order[start + i]]`` and ``size`` the
    number of rows; `grad_bias` becomes the column sums of that error. The loss is
    ``−Σ log p[i, t]``, each probability floored at :data:`PROBABILITY_FLOOR`.
    """
    if numba is None:
        return _softmax_error_numpy(scores, bias, targets, order, start, grad_bias)
    dtype = scores.dtype
    scale = dtype.type(1.0 / len(scores))  # as numpy's in-place multiplication
    # Below this, e**z is under half the smallest subnormal: it rounds to 0.
    underflow = dtype.type(np.log(np.finfo(dtype).smallest_subnormal) - 1.0)
    return float(_softmax_error(scores, bias, targets, order, start, scale, underflow, grad_bias))


def back_through(error: np.ndarray, activation: np.ndarray, grad_bias: np.ndarray) -> None:
    """``error *= (1 − activation) · activation`` in place; `grad_bias` = its column sums."""
    if numba is None:
        _back_through_numpy(error, activation, grad_bias)
    else:
        _back_through(error, activation, error.dtype.type(1.0), grad_bias)


def gradient_descend(
    lists,
    error: np.ndarray,
    param: np.ndarray,
    speed: np.ndarray,
    learning_rate: float,
    momentum: float,
    scratch: np.ndarray,
) -> None:
    """The momentum step of ``param`` (n_inputs, width) with gradient ``batchᵀ error``.

    `lists` is a :class:`rbmperf.backends.sparse_data.DataLists` filled with the batch and
    listed by column (numba only); `error` has one row per batch row, `scratch` at least
    `width` values. The same result, bitwise, as ``lists.transposed_times(error, grad,
    width)`` followed by :func:`descend`.
    """
    if not lists.by_column:
        raise RuntimeError("the batch was not listed by column: fill(...) above its limit")
    _gradient_descend(
        lists.column_pointers, lists.row_indices, lists.column_values, error, param, speed,
        learning_rate, momentum, scratch,
    )  # fmt: skip
