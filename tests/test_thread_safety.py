"""Backends are shared by the whole process: threads training at once must not share buffers."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from conftest import structured_data

import rbmperf


def _train(name: str, X: np.ndarray, seed: int) -> np.ndarray:
    rbm = rbmperf.train_rbm(X, n_hidden=48, backend=name, epochs=3, batch_size=50, seed=seed)
    return np.concatenate([rbm.W.ravel(), rbm.hidden_bias, rbm.visible_bias])


def test_two_threads_on_one_backend_match_the_same_runs_one_after_the_other(backend_name):
    # Different data and seeds, the same shapes: with buffers kept on the backend object
    # the two threads overwrote each other's (tried: numba's weights differed).
    # naive's "mini-batches" are the whole data set (O(N²) an epoch): fewer rows for it.
    n = 200 if backend_name == "naive" else 1_000
    jobs = [(structured_data(n, 196, seed=1), 11), (structured_data(n, 196, seed=2), 22)]
    rbmperf.get_backend(backend_name).prepare(np.float64)
    one_after_the_other = [_train(backend_name, X, seed) for X, seed in jobs]

    together: list[np.ndarray | None] = [None, None]
    start = threading.Barrier(len(jobs))
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            start.wait()
            together[index] = _train(backend_name, *jobs[index])
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    for alone, concurrent in zip(one_after_the_other, together, strict=True):
        np.testing.assert_array_equal(concurrent, alone)


@pytest.mark.parametrize("name", ["numpy", "numba"])
def test_each_thread_keeps_its_own_workspace(name):
    backend = rbmperf.get_backend(name)
    mine = backend.workspace(10, 4, 3, np.float64)
    assert backend.workspace(10, 4, 3, np.float64) is mine  # reused within the thread
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(backend.workspace(10, 4, 3, "f8")))
    thread.start()
    thread.join()
    assert theirs[0] is not mine
