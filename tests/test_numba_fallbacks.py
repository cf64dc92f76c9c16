"""The numba backend's pure-Python bodies (``NUMBA_DISABLE_JIT=1``) compute what the JIT does.

``rbmperf/backends/numba_jit.py`` keeps Python bodies for its ``@overload``-ed helpers and
replaces its bit-casting intrinsics when the JIT is off (for coverage runs). Nothing else runs
them, so this test trains a tiny RBM in a subprocess with the JIT disabled and compares the
weights with the same run compiled, here.

Bitwise equality is the right tolerance: every element-wise kernel runs the same IEEE
operations in the same order either way (no ``fastmath``, so LLVM may not reassociate the
column sums), the matrix products are numpy's BLAS in both, and the generator is integer
arithmetic. The problem is small (60 × 24, 10 hidden units, 3 epochs, and one cd1 call with
given uniforms): the test takes ~2.5 s, most of it the child's imports.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import structured_data

pytest.importorskip("numba")

import rbmperf

# The pure-Python SplitMix64 wraps uint64 products and sums as intended, but numpy scalars
# warn on that wraparound ("overflow encountered in scalar multiply/add"); the compiled
# kernels do not. The warning is ignored in the child only, and only that message.
_CHILD = """
import sys
import numba
import numpy as np
import rbmperf
from rbmperf.backends import numba_jit

assert numba.config.DISABLE_JIT
assert not isinstance(numba_jit._sample_data, numba.core.dispatcher.Dispatcher)
X = np.load(sys.argv[1])
uniforms = tuple(np.load(sys.argv[3])[name] for name in ("v0", "h0", "v1"))
arrays = {}
for dtype in ("float64", "float32"):
    rbm = rbmperf.train_rbm(
        X, 10, backend="numba", epochs=3, batch_size=16, dtype=dtype, seed=3
    )
    arrays.update({f"{dtype}_W": rbm.W, f"{dtype}_hb": rbm.hidden_bias,
                   f"{dtype}_vb": rbm.visible_bias})
    W = (0.5 * np.random.default_rng(1).standard_normal((10, 24))).astype(dtype)
    gradient = rbmperf.get_backend("numba").cd1(
        W, np.zeros(10, dtype), np.zeros(24, dtype), X[:7].astype(dtype),
        tuple(u.astype(dtype) for u in uniforms),
    )
    arrays.update({f"{dtype}_cd1_{i}": g for i, g in enumerate(gradient)})
np.savez(sys.argv[2], **arrays)
"""


def _jit_arrays(X: np.ndarray, uniforms: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    arrays = {}
    for dtype in ("float64", "float32"):
        rbm = rbmperf.train_rbm(
            X, 10, backend="numba", epochs=3, batch_size=16, dtype=dtype, seed=3
        )
        arrays.update(
            {f"{dtype}_W": rbm.W, f"{dtype}_hb": rbm.hidden_bias, f"{dtype}_vb": rbm.visible_bias}
        )
        W = (0.5 * np.random.default_rng(1).standard_normal((10, 24))).astype(dtype)
        gradient = rbmperf.get_backend("numba").cd1(
            W,
            np.zeros(10, dtype),
            np.zeros(24, dtype),
            X[:7].astype(dtype),
            tuple(uniforms[name].astype(dtype) for name in ("v0", "h0", "v1")),
        )
        arrays.update({f"{dtype}_cd1_{i}": g for i, g in enumerate(gradient)})
    return arrays


def test_pure_python_fallbacks_train_bitwise_like_the_jit(tmp_path):
    X = structured_data(60, 24, seed=5)  # 60 rows at batch 16: the last batch is partial
    rng = np.random.default_rng(9)
    uniforms = {"v0": rng.random((7, 24)), "h0": rng.random((7, 10)), "v1": rng.random((7, 24))}
    np.save(tmp_path / "X.npy", X)
    np.savez(tmp_path / "uniforms.npz", **uniforms)
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    command = [
        sys.executable,
        "-W",
        "ignore:overflow encountered in scalar:RuntimeWarning",
        "-c",
        _CHILD,
        str(tmp_path / "X.npy"),
        str(tmp_path / "python.npz"),
        str(tmp_path / "uniforms.npz"),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
    python = np.load(tmp_path / "python.npz")
    compiled = _jit_arrays(X, uniforms)
    assert set(python.files) == set(compiled)
    for name, array in compiled.items():
        assert python[name].dtype == array.dtype, name
        np.testing.assert_array_equal(python[name], array, err_msg=name)
    # The run trained: the weights moved from their N(0, 0.01²) start.
    assert np.abs(compiled["float64_W"]).max() > 0.1
