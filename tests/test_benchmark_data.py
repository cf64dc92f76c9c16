"""The asv suite's shared data (``benchmarks/common.py``): what the benchmarks rely on."""

from __future__ import annotations

import numpy as np
import pytest

common = pytest.importorskip("benchmarks.common")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mnist_centred_is_seeded_and_as_sparse_as_mnist_like(dtype):
    X = common.mnist_centred(2500, dtype)
    assert X.shape == (2500, common.N_VISIBLE) and X.dtype == dtype
    assert X.flags.c_contiguous
    # The first rows do not depend on how many are asked for (chunks of their own seeds).
    np.testing.assert_array_equal(common.mnist_centred(1200, dtype), X[:1200])
    # 19% non-zero overall, like mnist_like: ±1% at 2,500 × 784 draws.
    assert abs(np.count_nonzero(X) / X.size - common.NONZERO_FRACTION) < 0.01
    assert np.all((X >= 0) & (X <= 1))


def test_mnist_centred_crowds_its_non_zeros_at_the_centre():
    # What the fine-tuning benchmark needs: some columns dense enough for BLAS (> 0.3
    # non-zero), the corners empty and the border sparse; i.i.d. mnist_like data have
    # none of that.
    centred = np.count_nonzero(common.mnist_centred(2000), axis=0) / 2000
    iid = np.count_nonzero(common.mnist_like(2000), axis=0) / 2000
    side = int(np.sqrt(common.N_VISIBLE))
    image = centred.reshape(side, side)
    assert image[side // 2, side // 2] > 0.5
    assert image[0, 0] == image[-1, -1] == 0
    assert image[0].max() < 0.1 and image[:, 0].max() < 0.1
    assert 150 <= np.count_nonzero(centred > 0.3) <= 300
    assert np.count_nonzero(iid > 0.3) == 0
