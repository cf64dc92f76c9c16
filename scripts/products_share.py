"""How much of the CD-1 floor the matrix products alone take (V=784, H=300, B=100).

The floor is the five products plus numpy-Generator draws; "products" is the four GEMMs a
backend with fused outer products must do. Their ratio bounds any backend's floor multiple
from below. Run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE overrides:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/products_share.py
"""

import time

import numpy as np
import threadpoolctl

N_VISIBLE, N_HIDDEN, BATCH = 784, 300, 100
CALLS, REPEATS = 50, 15


def measure(dtype: str) -> tuple[float, float]:
    """Median seconds of one floor step and of the products alone, interleaved."""
    rng = np.random.default_rng(0)
    W = (0.01 * rng.standard_normal((N_HIDDEN, N_VISIBLE))).astype(dtype)
    v = (rng.random((BATCH, N_VISIBLE)) < 0.2).astype(dtype)
    hidden = np.empty((BATCH, N_HIDDEN), dtype)
    visible = np.empty((BATCH, N_VISIBLE), dtype)
    hidden_again = np.empty((BATCH, N_HIDDEN), dtype)
    dW = np.empty((N_HIDDEN, N_VISIBLE), dtype)
    left = np.zeros((2 * BATCH, N_HIDDEN), dtype)
    right = np.zeros((2 * BATCH, N_VISIBLE), dtype)
    uniforms = [np.empty((BATCH, n), dtype) for n in (N_VISIBLE, N_HIDDEN, N_VISIBLE)]

    def up_down_up() -> None:
        np.matmul(v, W.T, out=hidden)
        np.matmul(hidden, W, out=visible)
        np.matmul(visible, W.T, out=hidden_again)

    def floor() -> None:
        up_down_up()
        np.matmul(hidden.T, v, out=dW)
        np.matmul(hidden_again.T, visible, out=dW)
        for buffer in uniforms:
            rng.random(out=buffer, dtype=dtype)

    def products_fused() -> None:
        up_down_up()
        np.matmul(left.T, right, out=dW)

    seconds: dict[str, list[float]] = {"floor": [], "products": []}
    for _ in range(REPEATS):
        for name, step in (("floor", floor), ("products", products_fused)):
            start = time.process_time()
            for _ in range(CALLS):
                step()
            seconds[name].append((time.process_time() - start) / CALLS)
    return float(np.median(seconds["floor"])), float(np.median(seconds["products"]))


def main() -> None:
    threadpoolctl.threadpool_limits(1, user_api="blas")
    for dtype in ("float32", "float64"):
        floor_seconds, products_seconds = measure(dtype)
        floor_ms, products_ms = 1e3 * floor_seconds, 1e3 * products_seconds
        print(
            f"{dtype}: floor {floor_ms:.3f} ms, products (outer fused) {products_ms:.3f} ms "
            f"= {products_ms / floor_ms:.2f} x floor"
        )


if __name__ == "__main__":
    main()
