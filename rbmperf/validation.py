"""Checks at the public boundary: bad input is rejected here, in the user's terms.

Everything past these checks trusts its arrays, so no numpy broadcasting error or numba
typing error ever reaches a user.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from .errors import InputError, InputTypeError

SUPPORTED_DTYPES = ("float32", "float64")


def check_dtype(dtype: object) -> np.dtype:
    """Return the numpy dtype for `dtype`, which must name float32 or float64.

    Raises
    ------
    ValueError
        If `dtype` is not one of the supported floating types.
    """
    try:
        resolved = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError as error:
        raise InputError(
            f"dtype must be one of {', '.join(SUPPORTED_DTYPES)}; got {dtype!r}"
        ) from error
    if resolved.name not in SUPPORTED_DTYPES:
        raise InputError(f"dtype must be one of {', '.join(SUPPORTED_DTYPES)}; got {dtype!r}")
    return resolved


def check_int(value: object, name: str, *, minimum: int) -> int:
    """Return `value` as an int, requiring an integer (not bool) of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"{name} must be an integer; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise InputError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def check_bool(value: object, name: str) -> bool:
    """Return `value` as a bool, requiring a bool (or numpy's): not 0, 1 or a string."""
    if not isinstance(value, bool | np.bool_):
        raise InputTypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}")
    return bool(value)


def check_float(value: object, name: str, *, minimum: float | None = None) -> float:
    """Return `value` as a finite float, optionally no smaller than `minimum`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    result = float(value)
    if not np.isfinite(result):
        raise InputError(f"{name} must be finite; got {result}")
    if minimum is not None and result < minimum:
        raise InputError(f"{name} must be >= {minimum}; got {result}")
    return result


def _as_array(value: object, name: str) -> np.ndarray:
    """``np.asarray(value)``, with numpy's refusals (ragged lists, say) in the user's terms."""
    try:
        return np.asarray(value)
    except (ValueError, TypeError, OverflowError) as error:
        raise InputTypeError(f"{name} is not an array of numbers: {error}") from None


def _first_position(mask: np.ndarray) -> tuple[int, int]:
    row, column = np.unravel_index(int(np.argmax(mask)), mask.shape)
    return int(row), int(column)


def check_data(
    X: object,
    name: str = "X",
    *,
    dtype: np.dtype | None = None,
    n_features: int | None = None,
    unit_interval: bool = True,
) -> np.ndarray:
    """Validate a samples × features data matrix and return it as a C-contiguous float array.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        The data. Rows are samples.
    name : str
        The argument's name, used in error messages.
    dtype : numpy dtype, optional
        Convert to this dtype (copying only when needed). By default float64 unless `X` is
        already float32 or float64.
    n_features : int, optional
        Required number of columns (the model's width).
    unit_interval : bool
        Require every value to lie in [0, 1].

    Returns
    -------
    ndarray
        The validated data.

    Raises
    ------
    TypeError
        If `X` is not numeric.
    ValueError
        If `X` is not 2-D, is empty, has NaN or infinite values, values outside [0, 1], or the
        wrong number of columns. NaN, infinity and range errors name the first bad position.
    """
    array = _as_array(X, name)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
    ):
        raise InputTypeError(f"{name} must be numeric; got an array of dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise InputTypeError(f"{name} must be real-valued; got dtype {array.dtype}")
    if array.ndim != 2:
        raise InputError(
            f"{name} must be 2-D (samples × features); got {array.ndim}-D with shape {array.shape}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError(f"{name} is empty: shape {array.shape}")
    if n_features is not None and array.shape[1] != n_features:
        raise InputError(
            f"{name} has {array.shape[1]} features (columns) but the model expects {n_features}"
        )
    if dtype is None:
        dtype = array.dtype if array.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    array = np.ascontiguousarray(array, dtype=dtype)
    if np.issubdtype(array.dtype, np.floating):
        bad = np.isnan(array)
        if bad.any():
            row, column = _first_position(bad)
            raise InputError(
                f"{name} has {int(bad.sum()):,} NaN values (first at row {row}, column {column})"
            )
        bad = np.isinf(array)
        if bad.any():
            row, column = _first_position(bad)
            raise InputError(
                f"{name} has {int(bad.sum()):,} infinite values (first at row {row}, "
                f"column {column})"
            )
    if unit_interval:
        bad = (array < 0) | (array > 1)
        if bad.any():
            row, column = _first_position(bad)
            raise InputError(
                f"{name} has {int(bad.sum()):,} values outside [0, 1] (first at row {row}, "
                f"column {column}: {float(array[row, column]):g})"
            )
    return array


def check_momentum(value: object, name: str = "momentum") -> float:
    """Return `value` as a float momentum in [0, 1).

    A momentum of 1 or more never forgets a past gradient, so the speed grows without bound.

    Raises
    ------
    TypeError
        If `value` is not a real number.
    ValueError
        If `value` is not finite, is negative, or is 1 or more.

    Examples
    --------
    >>> check_momentum(0.9)
    0.9
    """
    momentum = check_float(value, name, minimum=0.0)
    if momentum >= 1.0:
        raise InputError(f"{name} must be < 1; got {momentum}")
    return momentum


def check_labels(y: object, n_samples: int) -> np.ndarray:
    """Validate one integer class label per sample and return them as int64.

    Floats that are whole numbers (labels read from a CSV, say) are accepted and converted.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        Class labels.
    n_samples : int
        Rows of the data the labels belong to.

    Returns
    -------
    ndarray of int64, shape (n_samples,)

    Raises
    ------
    ValueError
        If `y` is not 1-D or its length differs from `n_samples`.
    TypeError
        If `y` holds anything but integers or whole-number floats.

    Examples
    --------
    >>> check_labels([3.0, 1.0, 3.0], 3)
    array([3, 1, 3])
    """
    labels = _as_array(y, "y")
    if labels.ndim != 1:
        raise InputError(f"y must be 1-D (one label per sample); got shape {labels.shape}")
    if len(labels) != n_samples:
        raise InputError(f"y has {len(labels):,} labels but X has {n_samples:,} samples")
    if not np.issubdtype(labels.dtype, np.integer):
        if np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
        else:
            raise InputTypeError(f"y must hold integer class labels; got dtype {labels.dtype}")
    return labels.astype(np.int64, copy=False)


# --- Growth measurements: one set of checks for every client of the engine -------------


def check_sizes(sizes: object) -> tuple[int, ...]:
    """Return `sizes` as a tuple of ints: at least two, each > 1, strictly increasing.

    Raises
    ------
    ValueError
        Saying which size is wrong (:class:`~rbmperf.errors.InputError`).
    TypeError
        If `sizes` is not a sequence of integers (:class:`~rbmperf.errors.InputTypeError`).
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence | np.ndarray):
        raise InputTypeError(f"sizes must be a sequence of integers; got {sizes!r}")
    checked: list[int] = []
    for position, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral):
            raise InputTypeError(f"sizes must be integers; got {size!r} at position {position}")
        if size < 2:
            raise InputError(f"sizes must be > 1 (the fit takes logarithms); got {size}")
        if checked and size <= checked[-1]:
            raise InputError(
                f"sizes must increase; {int(size):,} follows {checked[-1]:,} (position {position})"
            )
        checked.append(int(size))
    if len(checked) < 2:
        raise InputError(f"a growth needs at least two sizes; got {len(checked)}")
    return tuple(checked)


def parse_sizes(text: str) -> tuple[int, ...]:
    """Sizes from text: a list ``"500,1000,2000"`` or a geometric range ``"500:16000:x2"``
    (from 500, multiplying by 2, up to and including 16000; factors may be fractional:
    ``"1000:8000:x1.5"``, rounded and without repeats). Checked by :func:`check_sizes`.

    Examples
    --------
    >>> parse_sizes("500:4000:x2")
    (500, 1000, 2000, 4000)
    """
    text = text.strip().replace("_", "")
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3 or not parts[2].lower().startswith("x"):
            raise InputError(f"a size range is START:STOP:xFACTOR, e.g. 500:16000:x2; got {text!r}")
        try:
            start, stop, factor = int(parts[0]), int(parts[1]), float(parts[2][1:])
        except ValueError as error:
            raise InputError(f"cannot read the size range {text!r}: {error}") from error
        if factor <= 1:
            raise InputError(f"the factor of a size range must be > 1; got {factor:g}")
        if start < 2 or stop < start:
            raise InputError(f"a size range needs 2 <= START <= STOP; got {text!r}")
        sizes: list[int] = []
        value = float(start)
        while round(value) <= stop:
            if not sizes or round(value) > sizes[-1]:
                sizes.append(round(value))
            value *= factor
        return check_sizes(sizes)
    try:
        return check_sizes([int(part) for part in text.split(",") if part.strip()])
    except ValueError as error:
        if "invalid literal" in str(error):
            raise InputError(f"sizes must be integers like 500,1000,2000; got {text!r}") from None
        raise


def check_callable(func: object, what: str) -> None:
    """Raise :class:`~rbmperf.errors.InputTypeError` unless `func` is callable."""
    if not callable(func):
        raise InputTypeError(f"{what} must be callable; got {type(func).__name__}")


def check_clock(clock: object, clocks: Sequence[str]) -> str:
    """Return `clock` if it is one of `clocks`, else raise InputError naming them."""
    if clock not in clocks:
        raise InputError(f"clock must be one of {', '.join(clocks)}; got {clock!r}")
    return str(clock)


def check_budget(budget: object, name: str = "budget") -> float | None:
    """A budget in seconds: a number > 0 (infinity meaning none), or None for none."""
    if budget is None:
        return None
    value = budget
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"{name} must be a number of seconds > 0, or None; got {budget!r}")
    if math.isinf(value) and value > 0:
        return None
    if not value > 0 or math.isnan(value):
        raise InputError(f"{name} must be a number of seconds > 0, or None; got {budget!r}")
    return float(value)


def check_threads(threads: object) -> int | None:
    """BLAS threads: an integer >= 1, or None to leave them as they are."""
    if threads is None:
        return None
    return check_int(threads, "threads", minimum=1)


def check_measure_options(
    repeats: object, clock: object, budget: object, threads: object, clocks: Sequence[str]
) -> tuple[int, str, float | None, int | None]:
    """The options every timed growth measurement takes, checked in one place:
    ``(repeats, clock, budget, threads)``."""
    return (
        check_int(repeats, "repeats", minimum=1),
        check_clock(clock, clocks),
        check_budget(budget),
        check_threads(threads),
    )
