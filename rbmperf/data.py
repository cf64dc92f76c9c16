"""Data sets, all as samples × features in [0, 1] plus integer labels.

- :func:`synthetic_mnist`: MNIST-shaped digits drawn in-process (the default data for timing
  runs; nothing to download, deterministic for a seed).
- :func:`load_digits`: scikit-learn's bundled real handwritten digits (1,797 images, 8×8).
- :func:`load_idx`: the MNIST IDX files, gzipped or not.
- :func:`load_kaggle_csv`: the Kaggle digit-recognizer CSV (``label,pixel0..pixel783``).

Every reader checks what it reads and raises :class:`ValueError` naming the file and what is
wrong with it, never a numpy error from deep inside a parser.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import InputError
from .validation import check_dtype, check_float, check_int

__all__ = ["load_dataset", "load_digits", "load_idx", "load_kaggle_csv", "synthetic_mnist"]

# ---------------------------------------------------------------------------------------------
# Synthetic MNIST
# ---------------------------------------------------------------------------------------------

_SIDE = 28
# Digits occupy a 20×20 box centred in the 28×28 frame, as in MNIST.
_BOX = 20.0
_MARGIN = (_SIDE - _BOX) / 2.0
# Points sampled along each prototype's strokes (same count for every class, so a whole
# chunk of samples is rendered with one vectorised splat).
_POINTS = 112
# Samples rendered per chunk: bounds memory, and each chunk has its own random stream, so
# the first n samples do not depend on how many are asked for.
_CHUNK = 500


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float) -> np.ndarray:
    """Points on an elliptical arc; angles in degrees, 0 = right, 90 = down (image axes)."""
    angles = np.radians(np.linspace(start, stop, 40))
    return np.column_stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)])


def _line(*points: tuple[float, float]) -> np.ndarray:
    return np.array(points, dtype=np.float64)


# Each digit is a list of strokes (polylines) in a unit box: x to the right, y downwards.
def _strokes() -> list[list[np.ndarray]]:
    return [
        # 0
        [_arc(0.5, 0.5, 0.30, 0.43, -90, 270)],
        # 1
        [_line((0.35, 0.25), (0.56, 0.07), (0.5, 0.5), (0.45, 0.93))],
        # 2
        [
            _arc(0.5, 0.32, 0.3, 0.24, 180, 370),
            _line((0.79, 0.38), (0.2, 0.92), (0.85, 0.92)),
        ],
        # 3
        [_arc(0.47, 0.28, 0.28, 0.21, 200, 450), _arc(0.47, 0.70, 0.32, 0.23, -90, 160)],
        # 4
        [_line((0.58, 0.07), (0.15, 0.66), (0.88, 0.66)), _line((0.66, 0.32), (0.64, 0.95))],
        # 5
        [
            _line((0.82, 0.08), (0.32, 0.08), (0.27, 0.45)),
            _arc(0.5, 0.66, 0.31, 0.27, -120, 150),
        ],
        # 6
        [_arc(1.05, 0.62, 0.78, 0.56, 180, 260), _arc(0.5, 0.68, 0.27, 0.25, 0, 360)],
        # 7
        [_line((0.17, 0.1), (0.84, 0.1), (0.42, 0.94)), _line((0.4, 0.52), (0.75, 0.52))],
        # 8
        [_arc(0.5, 0.28, 0.21, 0.2, 0, 360), _arc(0.5, 0.71, 0.26, 0.23, 0, 360)],
        # 9
        [_arc(0.48, 0.32, 0.24, 0.23, 0, 360), _line((0.72, 0.32), (0.62, 0.95))],
    ]


def _resample(strokes: list[np.ndarray], count: int) -> np.ndarray:
    """`count` points spread evenly by arc length over all strokes of one digit."""
    pieces = []
    for stroke in strokes:
        steps = np.diff(stroke, axis=0)
        lengths = np.hypot(steps[:, 0], steps[:, 1])
        pieces.append((stroke, np.concatenate([[0.0], np.cumsum(lengths)])))
    total = sum(cumulative[-1] for _, cumulative in pieces)
    points = []
    for stroke, cumulative in pieces:
        share = max(2, round(count * cumulative[-1] / total))
        at = np.linspace(0.0, cumulative[-1], share)
        points.append(
            np.column_stack(
                [np.interp(at, cumulative, stroke[:, 0]), np.interp(at, cumulative, stroke[:, 1])]
            )
        )
    joined = np.concatenate(points)
    # Rounding may leave a point or two too many or too few: pick `count` of them evenly.
    return joined[np.linspace(0, len(joined) - 1, count).round().astype(int)]


_PROTOTYPES: np.ndarray | None = None


def _prototypes() -> np.ndarray:
    """Array (10, _POINTS, 2) of stroke points, in pixel coordinates centred on the frame."""
    global _PROTOTYPES
    if _PROTOTYPES is None:
        unit = np.stack([_resample(strokes, _POINTS) for strokes in _strokes()])
        # Centre on (0, 0) in pixels; the deformation rotates and scales about the centre.
        _PROTOTYPES = (unit - 0.5) * _BOX
    return _PROTOTYPES


def _render_chunk(
    labels: np.ndarray, rng: np.random.Generator, density: float | None = None
) -> np.ndarray:
    """Draw one deformed, noisy digit per label; returns float64 (n, 784) in [0, 1]."""
    n = len(labels)
    points = _prototypes()[labels]  # (n, P, 2), a copy

    # Smooth "elastic" wobble along the stroke: two low-frequency sinusoids per axis.
    t = np.linspace(0.0, 2.0 * np.pi, _POINTS)
    for frequency in (1.0, 2.0):
        amplitude = rng.normal(0.0, 0.9 / frequency, (n, 1, 2))
        phase = rng.uniform(0.0, 2.0 * np.pi, (n, 1, 2))
        points += amplitude * np.sin(frequency * t[None, :, None] + phase)

    # A random affine map per sample: rotation, anisotropic scale, shear, then a shift.
    angle = rng.normal(0.0, 0.15, n)
    scale_x = rng.uniform(0.75, 1.1, n)
    scale_y = rng.uniform(0.85, 1.08, n)
    shear = rng.normal(0.0, 0.18, n)
    cos, sin = np.cos(angle), np.sin(angle)
    a11 = scale_x * cos
    a12 = scale_y * (shear * cos - sin)
    a21 = scale_x * sin
    a22 = scale_y * (shear * sin + cos)
    x, y = points[..., 0], points[..., 1]
    centre = _SIDE / 2.0 - 0.5
    shift = rng.normal(0.0, 1.0, (n, 2)).clip(-2.5, 2.5) + centre
    px = a11[:, None] * x + a12[:, None] * y + shift[:, 0:1]
    py = a21[:, None] * x + a22[:, None] * y + shift[:, 1:2]

    # Splat each point onto the grid with bilinear weights (one bincount for the chunk).
    px = px.clip(0.0, _SIDE - 1.001)
    py = py.clip(0.0, _SIDE - 1.001)
    x0 = px.astype(np.int64)
    y0 = py.astype(np.int64)
    fx = px - x0
    fy = py - y0
    base = (np.arange(n, dtype=np.int64) * (_SIDE * _SIDE))[:, None] + y0 * _SIDE + x0
    index = np.concatenate([base, base + 1, base + _SIDE, base + _SIDE + 1], axis=1)
    weight = np.concatenate([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy], axis=1)
    ink = np.bincount(index.ravel(), weight.ravel(), minlength=n * _SIDE * _SIDE)
    ink = ink.reshape(n, _SIDE, _SIDE)

    # Pen width: a separable [1 2 1]/4 blur, twice (about a 2.5-pixel stroke).
    for _ in range(2):
        blurred = 0.5 * ink
        blurred[:, 1:, :] += 0.25 * ink[:, :-1, :]
        blurred[:, :-1, :] += 0.25 * ink[:, 1:, :]
        ink = 0.5 * blurred
        ink[:, :, 1:] += 0.25 * blurred[:, :, :-1]
        ink[:, :, :-1] += 0.25 * blurred[:, :, 1:]

    # Pressure varies per writer; saturate so that stroke centres are near 1 (as in MNIST)
    # and the faint fringe is cut to 0, which sets the sparsity.
    pressure = rng.uniform(1.6, 2.6, (n, 1, 1))
    image = 1.0 - np.exp(-pressure * ink)
    image -= 0.35
    image *= 1.0 / 0.5
    np.clip(image, 0.0, 1.0, out=image)

    # Sensor noise on the ink only (background stays exactly 0, as in MNIST).
    image *= 1.0 - 0.15 * rng.random(image.shape)
    image = image.reshape(n, _SIDE * _SIDE)
    if density is not None:
        image = _with_density(image, ink.reshape(n, _SIDE * _SIDE), density, rng)
    return image


def _with_density(
    image: np.ndarray, ink: np.ndarray, density: float, rng: np.random.Generator
) -> np.ndarray:
    """Each row with exactly ``round(density · n_pixels)`` non-zero pixels, the inkiest.

    Pixels are ranked by the pen's ink before saturation (random order among pixels with no
    ink at all), so a lower density thins each stroke to its centre and a higher one widens
    it into the surrounding fringe and, past that, into scattered background pixels. Pixels
    that the saturation had cut to 0 but that are kept get a grey value drawn from [0.2, 1).
    Drawn after everything else, so the default (``density=None``) stream is untouched.
    """
    n, n_pixels = image.shape
    keep = round(density * n_pixels)
    rank_key = ink + 1e-9 * rng.random(ink.shape)
    grey = 0.2 + 0.8 * rng.random(ink.shape)
    result = np.zeros_like(image)
    if keep == 0:
        return result
    kept = np.argpartition(-rank_key, keep - 1, axis=1)[:, :keep]
    rows = np.arange(n)[:, None]
    values = image[rows, kept]
    result[rows, kept] = np.where(values > 0, values, grey[rows, kept])
    return result


def synthetic_mnist(
    n: int,
    seed: int = 0,
    dtype: object = "float64",
    *,
    density: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return `n` synthetic MNIST-like digits and their labels.

    Each class has a stroke prototype (a few polylines and arcs); each sample deforms its
    class prototype with a smooth wobble along the stroke, a random affine map (rotation,
    anisotropic scale, shear) and a shift of up to 2.5 pixels, draws it with a soft pen of
    random pressure, and adds multiplicative noise to the ink. About 19% of the pixels are
    non-zero, as in MNIST, and the background is exactly 0.

    Samples are made in chunks of 500, each from its own random stream, so the first `n`
    samples for a seed are the same whatever larger count is requested. 42,000 samples take
    about two seconds.

    Parameters
    ----------
    n : int
        Number of samples (≥ 1).
    seed : int, default 0
        Seed of the random streams (≥ 0).
    dtype : {"float64", "float32"}, default "float64"
        Dtype of the returned images.
    density : float in [0, 1], optional
        Fraction of non-zero pixels in every image. Default: the natural look (about 19%,
        varying with the digit). Given, each image keeps exactly ``round(density · 784)``
        non-zero pixels: the strokes thin towards their centres below the natural
        density and widen into their fringe (then scattered background) above it, for
        timing sparsity-aware code at 5%, 15%, 30% or 50% ones on otherwise MNIST-like data.

    Returns
    -------
    X : ndarray of shape (n, 784)
        Images, one row each (28×28 row-major), values in [0, 1].
    y : ndarray of shape (n,), int64
        Class labels 0..9, drawn uniformly.

    Examples
    --------
    >>> from rbmperf.data import synthetic_mnist
    >>> X, y = synthetic_mnist(100, seed=1)
    >>> X.shape, y.shape, bool(X.min() >= 0 and X.max() <= 1)
    ((100, 784), (100,), True)
    """
    n = check_int(n, "n", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    dtype = check_dtype(dtype)
    if density is not None:
        density = check_float(density, "density", minimum=0.0)
        if density > 1.0:
            raise InputError(f"density must lie in [0, 1]; got {density}")
    X = np.empty((n, _SIDE * _SIDE), dtype=dtype)
    y = np.empty(n, dtype=np.int64)
    for chunk, start in enumerate(range(0, n, _CHUNK)):
        stop = min(start + _CHUNK, n)
        rng = np.random.default_rng([seed, chunk])
        # Always a whole chunk, so that every chunk consumes its stream the same way.
        labels = rng.integers(0, 10, _CHUNK)
        images = _render_chunk(labels, rng, density)
        X[start:stop] = images[: stop - start]
        y[start:stop] = labels[: stop - start]
    return X, y


# ---------------------------------------------------------------------------------------------
# scikit-learn's digits
# ---------------------------------------------------------------------------------------------


def load_digits(dtype: object = "float64") -> tuple[np.ndarray, np.ndarray]:
    """Return scikit-learn's bundled handwritten digits, scaled to [0, 1].

    1,797 real 8×8 images (the UCI optical-recognition set, 16 grey levels), shipped inside
    scikit-learn: nothing is downloaded. scikit-learn is imported here, not at module
    import, because it loads scipy's own copy of OpenBLAS.

    Parameters
    ----------
    dtype : {"float64", "float32"}, default "float64"

    Returns
    -------
    X : ndarray of shape (1797, 64)
        Pixel values divided by 16.
    y : ndarray of shape (1797,), int64
        Labels 0..9.
    """
    dtype = check_dtype(dtype)
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    X = np.ascontiguousarray(bunch.data / 16.0, dtype=dtype)
    return X, np.asarray(bunch.target, dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# IDX files (MNIST's own format)
# ---------------------------------------------------------------------------------------------

_GZIP_MAGIC = b"\x1f\x8b"
_IDX_UNSIGNED_BYTE = 0x08


# Beyond this a gzipped file is not a data set these readers are for (MNIST: 47 MB).
_MAX_UNPACKED_BYTES = 2**32
# Unpacked bytes read before the limit is set: enough for any header the readers parse.
_PROBE_BYTES = 64


def _read_bytes(
    path: str | os.PathLike, what: str, limit: Callable[[bytes], int] | None = None
) -> tuple[Path, bytes]:
    """Read a whole file, gunzipping when it starts with the gzip magic number.

    `limit` gives, from the first unpacked bytes (a header), the most bytes the file may
    unpack to; more is refused before it is unpacked (a gzip bomb never fills memory).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} file {str(path)!r} does not exist")
    if not path.is_file():
        raise InputError(f"{what} file {str(path)!r} is not a regular file")
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        raw = _gunzip(raw, f"{what} file {str(path)!r}", limit or (lambda _: _MAX_UNPACKED_BYTES))
    return path, raw


def _gunzip(raw: bytes, what: str, limit: Callable[[bytes], int]) -> bytes:
    """Unpack gzip members one after another, never more than ``limit(first bytes)``.

    The first :data:`_PROBE_BYTES` unpacked bytes (a header) set the limit; unpacking stops
    one byte past it, so a gzip bomb is refused having cost no more than its header says.
    """
    out = bytearray()
    most: int | None = None
    pending = raw
    unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    while True:
        cap = _PROBE_BYTES if most is None else most + 1
        try:
            if pending and len(out) < cap:
                out += unpacker.decompress(pending, cap - len(out))
                pending = unpacker.unconsumed_tail
        except zlib.error as error:
            raise InputError(f"{what} is a damaged gzip file: {error}") from None
        finished = False
        if unpacker.eof:  # one member ended; another may follow (as `cat a.gz b.gz` makes)
            rest = unpacker.unused_data
            if rest[:2] == _GZIP_MAGIC:
                unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                pending = rest
            elif rest.strip(b"\0"):
                raise InputError(f"{what} is a damaged gzip file: bytes after its end")
            else:
                finished = True
        elif not pending and len(out) < cap:
            raise InputError(f"{what} is a damaged gzip file: it is cut short")
        if most is None and (len(out) >= _PROBE_BYTES or finished):
            most = min(limit(bytes(out)), _MAX_UNPACKED_BYTES)  # a header may claim anything
        if most is not None and len(out) > most:
            raise InputError(
                f"{what} unpacks to more than the {most:,} bytes it can hold; the rest was "
                "not unpacked (a gzip bomb?)"
            )
        if finished:
            return bytes(out)


def _idx_size(ndim: int) -> Callable[[bytes], int]:
    """The size an IDX file of `ndim` dimensions says it has, from its first bytes."""

    def size(prefix: bytes) -> int:
        header = 4 + 4 * ndim
        if len(prefix) < header:
            return header  # too short: the parser says so
        dims = (int.from_bytes(prefix[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
        # Slack, so that a few stray bytes get the parser's exact message, not a bomb's.
        return header + math.prod(dims) + 2**16

    return size


def _parse_idx(path: Path, raw: bytes, what: str, ndim: int) -> np.ndarray:
    """Parse an IDX file of unsigned bytes with `ndim` dimensions; check its length."""
    name = str(path)
    if len(raw) < 4:
        raise InputError(f"{what} file {name!r} is too short to be an IDX file ({len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0:
        raise InputError(
            f"{what} file {name!r} is not an IDX file (magic number starts {raw[:2].hex()}, "
            "expected 0000)"
        )
    if raw[2] != _IDX_UNSIGNED_BYTE:
        raise InputError(
            f"{what} file {name!r} holds IDX type 0x{raw[2]:02x}; only unsigned bytes (0x08) "
            "are supported"
        )
    if raw[3] != ndim:
        raise InputError(
            f"{what} file {name!r} has {raw[3]} dimensions; expected {ndim} "
            f"(magic number 0x0000080{ndim})"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise InputError(f"{what} file {name!r} is truncated inside its header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = math.prod(shape)
    present = len(raw) - header
    dims = " × ".join(f"{d:,}" for d in shape)
    if present < expected:
        raise InputError(
            f"{what} file {name!r} is truncated: its header says {dims} ({expected:,} bytes of "
            f"data) but only {present:,} bytes follow"
        )
    if present > expected:
        raise InputError(
            f"{what} file {name!r} has {present - expected:,} unexpected bytes after the "
            f"{dims} data its header describes"
        )
    if expected == 0:
        raise InputError(f"{what} file {name!r} is empty (shape {dims})")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_idx(
    images: str | os.PathLike,
    labels: str | os.PathLike | None = None,
    *,
    dtype: object = "float64",
) -> tuple[np.ndarray, np.ndarray | None]:
    """Read MNIST images (and labels) from IDX files, gzipped or not.

    Parameters
    ----------
    images : path
        IDX file of unsigned bytes with 3 dimensions, magic number 0x00000803
        (e.g. ``train-images-idx3-ubyte.gz``).
    labels : path, optional
        IDX file of unsigned bytes with 1 dimension, magic number 0x00000801; must have one
        label per image. Without it the labels returned are ``None``.
    dtype : {"float64", "float32"}, default "float64"

    Returns
    -------
    X : ndarray of shape (n_images, rows * columns)
        Pixel values divided by 255.
    y : ndarray of shape (n_images,), int64, or None

    Raises
    ------
    ValueError
        If a file is missing, not IDX, of the wrong type or dimension, truncated, has trailing
        bytes, or if the label and image counts differ. The message names the file.
    """
    dtype = check_dtype(dtype)
    image_path, raw = _read_bytes(images, "images", _idx_size(3))
    pixels = _parse_idx(image_path, raw, "images", ndim=3)
    X = np.ascontiguousarray(pixels.reshape(pixels.shape[0], -1), dtype=dtype)
    X /= 255.0
    if labels is None:
        return X, None
    label_path, raw = _read_bytes(labels, "labels", _idx_size(1))
    y = _parse_idx(label_path, raw, "labels", ndim=1).astype(np.int64)
    if len(y) != len(X):
        raise InputError(
            f"labels file {str(label_path)!r} has {len(y):,} items, images file "
            f"{str(image_path)!r} has {len(X):,}"
        )
    return X, y


# ---------------------------------------------------------------------------------------------
# Kaggle digit-recognizer CSV
# ---------------------------------------------------------------------------------------------


def load_kaggle_csv(
    path: str | os.PathLike, *, dtype: object = "float64"
) -> tuple[np.ndarray, np.ndarray | None]:
    """Read the Kaggle digit-recognizer CSV (``train.csv`` or ``test.csv``).

    The first line is a header: ``label,pixel0,...,pixel783`` for the training file, or
    ``pixel0,...,pixel783`` for the test file (whose labels are then ``None``). Every other
    line holds integers, pixels in 0..255.

    Parameters
    ----------
    path : path
        The CSV file (may be gzipped).
    dtype : {"float64", "float32"}, default "float64"

    Returns
    -------
    X : ndarray of shape (n_rows, n_pixels)
        Pixel values divided by 255.
    y : ndarray of shape (n_rows,), int64, or None

    Raises
    ------
    ValueError
        If the file is missing, has an unexpected header, a row of the wrong length, a
        non-integer value or a pixel outside 0..255. The message names the file (and line).
    """
    dtype = check_dtype(dtype)
    csv_path, raw = _read_bytes(path, "CSV")
    name = str(csv_path)
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # the byte-order mark a spreadsheet may write
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise InputError(f"CSV file {name!r} is not a text file") from None
    lines = text.splitlines()
    if not lines:
        raise InputError(f"CSV file {name!r} is empty")
    header = [column.strip().strip('"') for column in lines[0].split(",")]
    has_labels = header[:1] == ["label"]
    pixel_columns = header[1:] if has_labels else header
    expected = [f"pixel{i}" for i in range(len(pixel_columns))]
    if not pixel_columns or pixel_columns != expected:
        raise InputError(
            f"CSV file {name!r} does not have the Kaggle header "
            "'label,pixel0,...,pixel783' (or 'pixel0,...' without labels); "
            f"its first line starts {lines[0][:40]!r}"
        )
    body = [line for line in lines[1:] if line.strip()]
    if not body:
        raise InputError(f"CSV file {name!r} has a header but no data rows")
    width = len(header)
    try:
        values = np.loadtxt(body, delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as error:
        # Find the offending line ourselves, to report it in the file's own numbering.
        for number, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue
            fields = line.split(",")
            if len(fields) != width:
                raise InputError(
                    f"CSV file {name!r}, line {number}: {len(fields)} values, expected {width}"
                ) from None
            for field in fields:
                try:
                    int(field)
                except ValueError:
                    raise InputError(
                        f"CSV file {name!r}, line {number}: {field.strip()!r} is not an integer"
                    ) from None
        raise InputError(f"CSV file {name!r} could not be read: {error}") from None
    if values.shape[1] != width:  # every row one short of the header: loadtxt accepts it
        raise InputError(f"CSV file {name!r} has {values.shape[1]} columns, expected {width}")
    pixels = values[:, 1:] if has_labels else values
    bad = (pixels < 0) | (pixels > 255)
    if bad.any():
        row, column = np.unravel_index(int(np.argmax(bad)), bad.shape)
        raise InputError(
            f"CSV file {name!r}, line {int(row) + 2}: pixel{int(column)} = "
            f"{int(pixels[row, column])} is outside 0..255"
        )
    X = np.ascontiguousarray(pixels, dtype=dtype)
    X /= 255.0
    y = np.ascontiguousarray(values[:, 0], dtype=np.int64) if has_labels else None
    return X, y


# ---------------------------------------------------------------------------------------------
# One entry point for the command line
# ---------------------------------------------------------------------------------------------


def load_dataset(
    source: str | os.PathLike,
    *,
    labels: str | os.PathLike | None = None,
    n: int = 10_000,
    seed: int = 0,
    dtype: object = "float64",
) -> tuple[np.ndarray, np.ndarray | None]:
    """Load data named the way the command line names it.

    Parameters
    ----------
    source : str or path
        ``"synthetic"`` (:func:`synthetic_mnist` with `n` and `seed`), ``"digits"``
        (:func:`load_digits`), a Kaggle CSV file (name ending ``.csv`` or ``.csv.gz``) or an
        IDX images file (anything else, gzipped or not).
    labels : path, optional
        The IDX labels file that goes with an IDX images file. Not allowed for the others.
    n : int, default 10,000
        Samples drawn when `source` is ``"synthetic"``.
    seed : int, default 0
        Seed for ``"synthetic"``.
    dtype : {"float64", "float32"}, default "float64"

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or None
        None for an IDX file without `labels` or a Kaggle test file.
    """
    name = os.fspath(source)
    if name in ("synthetic", "digits") and labels is not None:
        raise InputError(f"a labels file only goes with an IDX images file, not with {name!r}")
    if name == "synthetic":
        return synthetic_mnist(n, seed=seed, dtype=dtype)
    if name == "digits":
        return load_digits(dtype=dtype)
    if name.lower().endswith((".csv", ".csv.gz")):
        if labels is not None:
            raise InputError(
                "a labels file only goes with an IDX images file; a CSV holds its labels"
            )
        return load_kaggle_csv(name, dtype=dtype)
    return load_idx(name, labels, dtype=dtype)
