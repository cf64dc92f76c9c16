"""How much of the CD-1 floor the matrix products alone take (V=784, H=300, B=100).

The floor is the five products plus numpy-Generator draws (``rbmperf.sweep.floor``'s
``floor_step``, the one ``rbmperf bench`` times); "products" is the four GEMMs a backend
with fused outer products must do (``products_step``). Their ratio bounds any backend's
floor multiple from below. Run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE overrides:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/products_share.py
"""

import time

import numpy as np
import threadpoolctl

from rbmperf.data import synthetic_mnist
from rbmperf.engine.clocks import interleaved_order
from rbmperf.sweep.floor import FloorBuffers, ProductBuffers, floor_step, products_step
from rbmperf.training import initial_rbm

N_VISIBLE, N_HIDDEN, BATCH = 784, 300, 100
CALLS, REPEATS = 50, 15


def measure(dtype: str) -> tuple[float, float]:
    """Median seconds of one floor step and of the products alone, interleaved."""
    rng = np.random.default_rng(0)
    W = initial_rbm(N_VISIBLE, N_HIDDEN, dtype=dtype).W
    batch = synthetic_mnist(BATCH, seed=0, dtype=dtype)[0]
    floor_buffers = FloorBuffers(BATCH, N_VISIBLE, N_HIDDEN, np.dtype(dtype))
    product_buffers = ProductBuffers(BATCH, N_VISIBLE, N_HIDDEN, np.dtype(dtype))
    steps = {
        "floor": lambda: floor_step(W, batch, rng, floor_buffers),
        "products": lambda: products_step(W, batch, product_buffers),
    }
    seconds: dict[str, list[float]] = {name: [] for name in steps}
    for name, _ in interleaved_order(dict.fromkeys(steps, REPEATS)):
        start = time.process_time()
        for _ in range(CALLS):
            steps[name]()
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
