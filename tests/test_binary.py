"""The binary backend's own machinery: bit packing, exact popcounts, both paths, its stream."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("numba")

from conftest import structured_data
from reference import reference_cd1
from test_backend_contract import random_problem, relative_error

import rbmperf
from rbmperf.backends import binary, numba_jit
from rbmperf.backends.base import TrainingState, momentum_step
from rbmperf.backends.binary import BinaryBackend, BinaryWorkspace, DensityLimits

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}
LIMITS = {
    "binary": DensityLimits.always(),
    "dense": DensityLimits.never(),
    "auto": DensityLimits(),
}
# h0 W by gather with h0.T v0 by BLAS, and the other way round: the step expands h0 into
# floats only for a BLAS product that reads them.
MIXED_LIMITS = {
    "p2 gather, p4 blas": DensityLimits(-1.0, -1.0, -1.0, 1.0, -1.0),
    "p2 blas, p4 popcount": DensityLimits(1.0, 1.0, 1.0, -1.0, 1.0),
}


def packed(states: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Row bits, column bits and ones of 0/1 `states`, packed by the backend's kernel."""
    rows, cols = states.shape
    work = BinaryWorkspace(rows, cols, 1, np.float64)
    work.v0_flags[:, :cols] = states
    ones = binary._pack_bits(
        work.v0_flags, work.v0_flag_words, rows, cols, work.v0_row_bits, work.v0_column_bits
    )
    return work.v0_row_bits, work.v0_column_bits, ones


@pytest.mark.parametrize("rows", [1, 7, 64, 65, 100, 130])
def test_bits_are_numpys_packbits(rows):
    rng = np.random.default_rng(rows)
    states = (rng.random((rows, 150)) < 0.3).astype(np.uint8)
    row_bits, column_bits, ones = packed(states)
    assert ones == states.sum()
    expected_rows = np.packbits(states, axis=1, bitorder="little")
    assert row_bits.view(np.uint8)[:, : expected_rows.shape[1]].tolist() == expected_rows.tolist()
    expected_columns = np.packbits(states, axis=0, bitorder="little")
    n_words = -(-rows // 64)
    got = column_bits[:n_words].T.copy().view(np.uint8)[:, : expected_columns.shape[0]]
    assert got.tolist() == expected_columns.T.tolist()


def test_eight_flags_gather_into_one_byte_for_every_pattern():
    # The multiply trick, exhaustively: all 256 patterns of 8 flags (one flag row each).
    patterns = ((np.arange(256)[:, None] >> np.arange(8)) & 1).astype(np.uint8)
    row_bits, _, ones = packed(patterns)
    np.testing.assert_array_equal(row_bits[:, 0], np.arange(256, dtype=np.uint64))
    assert ones == patterns.sum()


@pytest.mark.parametrize("rows", [1, 63, 64, 100, 129])
def test_popcount_product_is_bit_exact(rows):
    rng = np.random.default_rng(rows)
    v0 = (rng.random((rows, 90)) < 0.15).astype(np.uint8)
    h0 = (rng.random((rows, 37)) < 0.5).astype(np.uint8)
    v0[:, :5] = 0  # whole columns of zeros, as MNIST's borders
    v0[:, 5] = 1  # and of ones
    _, v_bits, _ = packed(v0)
    _, h_bits, _ = packed(h0)
    counts = binary.coincidence_counts(v_bits, h_bits, rows)
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts, h0.T.astype(np.int64) @ v0.astype(np.int64))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_h0_v0_inside_a_step_is_the_exact_dense_product(dtype):
    W, hidden_bias, visible_bias, v0, uniforms = random_problem(batch=70, dtype=dtype)
    work = BinaryWorkspace(70, W.shape[1], W.shape[0], dtype)
    work.load(W, np.zeros_like(W))
    binary._cd1_into(
        work, hidden_bias, visible_bias, v0, uniforms, np.uint64(0), np.uint64(0), LIMITS["auto"]
    )
    # The sampling kernel's 0/1 bytes (h0 as floats is only expanded for a BLAS product).
    h0 = work.h0_flags[:, : W.shape[0]].astype(np.float64)
    v0_states = (v0 > uniforms[0]).astype(np.float64)
    np.testing.assert_array_equal(h0, reference_states(W, hidden_bias, v0_states, uniforms[1]))
    counts = binary.coincidence_counts(work.v0_column_bits, work.h0_column_bits, 70)
    n_hidden = W.shape[0]
    np.testing.assert_array_equal(counts[:n_hidden], h0.T @ v0_states)
    assert not counts[n_hidden:].any()  # the padded hidden columns count nothing


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_gather_from_a_base_product_equals_a_fresh_gather(dtype):
    # P3 after P1: rows of v1 close to their v0 are updated from P1, the others gathered
    # afresh. Rows 0-39 differ from their base in a few ones (updated), rows 40-69 in all
    # (gathered: their base product is poisoned with NaN, which an update would keep).
    rng = np.random.default_rng(11)
    rows, n_source, width = 70, 150, 37
    source = np.zeros((n_source + 1, 48), dtype=dtype)  # last row zero: the padding row
    source[:n_source, :width] = rng.standard_normal((n_source, width))
    v = rng.random((rows, n_source)) < 0.2
    base = v.copy()
    flips = rng.random((40, n_source)) < 0.03
    base[:40] ^= flips
    base[40:] = rng.random((30, n_source)) < 0.2
    bits_v, _, _ = packed(v.astype(np.uint8))
    bits_base, _, _ = packed(base.astype(np.uint8))
    indices = np.zeros(3 * (n_source + 8), dtype=np.int64)
    out = np.zeros((rows, 48), dtype=dtype)
    binary._gather_rows(source, bits_base, rows, width, out, indices, bits_base, False)
    out[40:] = np.nan
    binary._gather_rows(source, bits_v, rows, width, out, indices, bits_base, True)
    wanted = v.astype(np.float64) @ source[:n_source, :width].astype(np.float64)
    assert relative_error(out[:, :width].astype(np.float64), wanted) <= TOLERANCE[dtype]
    # Rows 0-39 were updated: their sums differ from a fresh gather's in order (rounding).
    fresh = np.zeros_like(out)
    binary._gather_rows(source, bits_v, rows, width, fresh, indices, bits_v, False)
    assert not np.array_equal(out[:40, :width], fresh[:40, :width])


@pytest.mark.parametrize("rows", [1, 2, 7, 64])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_gather_in_pairs_equals_the_dense_product(rows, dtype):
    # Output rows in pairs (the rows both take read once), the last one alone if `rows` is
    # odd; rows 0 and 1 identical (every row shared), 2 and 3 disjoint (none shared).
    rng = np.random.default_rng(rows)
    n_source, width = 130, 37
    source = np.zeros((n_source + 1, 48), dtype=dtype)
    source[:n_source, :width] = rng.standard_normal((n_source, width))
    v = rng.random((rows, n_source)) < 0.3
    if rows >= 4:
        v[1] = v[0]
        v[3] = ~v[2]
    bits, _, _ = packed(v.astype(np.uint8))
    indices = np.zeros(3 * (n_source + 8), dtype=np.int64)
    out = np.full((rows + 1, 48), np.nan, dtype=dtype)  # a row past `rows` stays untouched
    binary._gather_rows(source, bits, rows, width, out, indices, bits, False)
    wanted = v.astype(np.float64) @ source[:n_source, :width].astype(np.float64)
    assert relative_error(out[:rows, :width].astype(np.float64), wanted) <= TOLERANCE[dtype]
    assert np.isnan(out[rows]).all()


def reference_states(W, hidden_bias, v0_states, u_h0):
    pre = v0_states @ W.astype(np.float64).T + hidden_bias.astype(np.float64)
    return (1.0 / (1.0 + np.exp(-pre)) > u_h0).astype(np.float64)


@pytest.mark.parametrize("path", ["binary", "dense", "auto"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_each_path_matches_the_reference(path, dtype):
    backend = BinaryBackend(LIMITS[path])
    for seed, batch in ((3, 17), (4, 100), (5, 130)):
        problem = random_problem(n_visible=80, n_hidden=30, batch=batch, dtype=dtype, seed=seed)
        gradient = backend.cd1(*problem)
        for actual, wanted in zip(gradient, reference_cd1(*problem), strict=True):
            assert actual.dtype == dtype
            assert relative_error(actual.astype(np.float64), wanted) <= TOLERANCE[dtype]
    taken = {kind for (_, kind) in backend.paths}
    if path == "binary":
        assert taken == {"binary"}
    elif path == "dense":
        assert taken == {"dense"}


def test_density_chooses_each_products_path():
    # Thresholded uniforms: 50% ones (dense) and 5% ones (binary). A fresh model's zero
    # visible biases make v1 about half ones either way, so v1's products go dense.
    rng = np.random.default_rng(0)
    for fraction, v0_path in ((0.5, "dense"), (0.05, "binary")):
        X = (rng.random((200, 64)) < fraction).astype(np.float64)
        backend = BinaryBackend()
        init = rbmperf.initial_rbm(64, 16)
        state = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
        backend.run_epoch(state, X, 100, 0.1, 0.9, np.random.default_rng(1))
        assert backend.paths == {
            ("v0 W.T", v0_path): 2,
            ("h0 W", "dense"): 2,  # a fresh model's h0 is about half ones
            ("h0.T v0", "binary"): 2,  # popcount at any density by default
            ("v1 W.T", "dense"): 2,
            ("h1_probs.T v1", "dense"): 2,
        }


@pytest.mark.parametrize(
    "hidden_bias, limit, wanted",
    [(-4.0, 0.25, "binary"), (-4.0, -1.0, "dense"), (0.0, 0.25, "dense")],
)
def test_h0_density_chooses_the_path_of_h0_W(hidden_bias, limit, wanted):
    # A hidden bias of -4 with tiny weights puts h0 near logistic(-4) ≈ 2% ones (below the
    # 0.25 limit: gather, unless the limit forbids it); 0 puts it near 50% (BLAS).
    rng = np.random.default_rng(0)
    X = (rng.random((200, 64)) < 0.1).astype(np.float64)
    backend = BinaryBackend(DensityLimits(hidden_gather=limit))
    init = rbmperf.initial_rbm(64, 16)
    state = TrainingState.starting_from(init.W, init.hidden_bias + hidden_bias, init.visible_bias)
    backend.run_epoch(state, X, 100, 0.0, 0.0, np.random.default_rng(1))
    assert backend.paths["h0 W", wanted] == 2
    assert backend.paths["h0 W", "dense" if wanted == "binary" else "binary"] == 0


@pytest.mark.parametrize("sample_data", [True, False], ids=["sampled", "values"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_kernels_draw_exactly_the_numba_backends_stream(dtype, sample_data):
    """One generator step equals the contract path fed with `numba_jit._FILL_UNIFORMS`.

    With the data values as v0 no uniform is drawn for it, but the counter skips the same
    B × V values, so h0's and v1's uniforms are the same either way.
    """
    W, hidden_bias, visible_bias, v0, _ = random_problem(batch=17, dtype=dtype)
    n_hidden, n_visible = W.shape
    key = np.uint64(987654321)
    fill = numba_jit._FILL_UNIFORMS[np.dtype(dtype).name]
    uniforms, counter = [], np.uint64(0)
    for shape in ((17, n_visible), (17, n_hidden), (17, n_visible)):
        uniforms.append(np.empty(shape, dtype=dtype))
        counter = np.uint64(fill(uniforms[-1], key, counter))

    results = []
    for given in (None, tuple(uniforms)):
        work = BinaryWorkspace(17, n_visible, n_hidden, dtype)
        work.load(W, np.zeros_like(W))
        end = binary._cd1_into(
            work, hidden_bias, visible_bias, v0, given, key, np.uint64(0), LIMITS["auto"],
            sample_data=sample_data,
        )  # fmt: skip
        results.append((end, work.weight_gradient(), work.d_hidden_bias, work.d_visible_bias))
    (drawn_end, *drawn), (_, *given) = results
    assert drawn_end == counter == 17 * (2 * n_visible + n_hidden)
    for a, b in zip(drawn, given, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("sample_data", [True, False], ids=["sampled", "values"])
@pytest.mark.parametrize("path", ["binary", "dense", *MIXED_LIMITS])
def test_epoch_equals_a_reference_epoch_on_the_same_stream(path, sample_data):
    """Whole epochs, batches of 130 rows (three words of bits) and a 50-row tail (one)."""
    X = structured_data(310)
    n_visible, n_hidden, batch = X.shape[1], 20, 130
    init = rbmperf.initial_rbm(n_visible, n_hidden)
    state = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
    expected = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
    backend = BinaryBackend({**LIMITS, **MIXED_LIMITS}[path])
    for epoch in range(2):
        rng = np.random.default_rng(epoch)
        backend.run_epoch(state, X, batch, 0.1, 0.9, rng, sample_data=sample_data)
        key = np.uint64(np.random.default_rng(epoch).integers(0, 2**63, dtype=np.int64))
        counter = np.uint64(0)
        for start in range(0, X.shape[0], batch):
            rows = X[start : start + batch]
            uniforms = []
            for cols in (n_visible, n_hidden, n_visible):
                uniforms.append(np.empty((rows.shape[0], cols)))
                counter = np.uint64(numba_jit._fill_uniforms(uniforms[-1], key, counter))
            gradient = reference_cd1(
                expected.W, expected.hidden_bias, expected.visible_bias, rows, uniforms,
                sample_data=sample_data,
            )  # fmt: skip
            momentum_step(expected, gradient, 0.1, 0.9)
    for name in ("W", "hidden_bias", "visible_bias", "W_speed"):
        actual, wanted = getattr(state, name), getattr(expected, name)
        assert relative_error(actual, wanted) <= 1e-12, name


# The products with a visible operand, v0 or v1.
PRODUCTS_OF_V = ("v0 W.T", "h0.T v0", "v1 W.T", "h1_probs.T v1")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_data_values_skip_the_datas_zeros_or_take_blas_by_density(dtype):
    # With the data values as v0, P1 and P4 have no 0/1 operand: they skip the data's zeros
    # (a weighted gather) at most `limits.data` non-zero, else run BLAS on the data itself;
    # v1's products still take their binary kernels.
    rng = np.random.default_rng(0)
    X = (rng.random((230, 64)) * (rng.random((230, 64)) < 0.3)).astype(dtype)  # 70% zeros
    init = rbmperf.initial_rbm(64, 16, dtype=dtype)
    states = {}
    for name, limits in (
        ("sparse", DensityLimits.always()),
        ("blas", DensityLimits(**{**LIMITS["binary"].__dict__, "data": -1.0})),
        ("dense", DensityLimits.never()),
    ):
        backend = BinaryBackend(limits)
        state = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
        backend.run_epoch(state, X, 100, 0.1, 0.9, np.random.default_rng(1), sample_data=False)
        states[name] = state
        # Only the products with a visible operand: the option changes nothing for the others.
        taken = {key: count for key, count in backend.paths.items() if key[0] in PRODUCTS_OF_V}
        on_data = "sparse" if name == "sparse" else "dense"
        on_v1 = "dense" if name == "dense" else "binary"
        assert taken == {
            ("v0 W.T", on_data): 3,
            ("h0.T v0", on_data): 3,
            ("v1 W.T", on_v1): 3,
            ("h1_probs.T v1", on_v1): 3,
        }
        # v0's density is the fraction of non-zero data values.
        assert backend.epoch_densities()["v0"] == np.count_nonzero(X) / X.size
    # The paths agree to rounding (the sums of the gathers run in another order than BLAS's).
    for name in ("sparse", "blas"):
        for attribute in ("W", "hidden_bias", "visible_bias", "W_speed"):
            error = relative_error(
                getattr(states[name], attribute), getattr(states["dense"], attribute)
            )
            assert error <= TOLERANCE[dtype], (name, attribute)


def test_data_values_choose_the_sparse_path_by_measured_density():
    rng = np.random.default_rng(3)
    init = rbmperf.initial_rbm(64, 16)
    sparse = rng.random((200, 64)) * (rng.random((200, 64)) < 0.2)
    dense = 0.1 + 0.9 * rng.random((200, 64))  # no zeros
    backend = BinaryBackend()
    for X in (sparse, dense):
        state = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
        backend.run_epoch(state, X, 100, 0.1, 0.9, np.random.default_rng(1), sample_data=False)
    assert backend.paths["v0 W.T", "sparse"] == 2
    assert backend.paths["v0 W.T", "dense"] == 2
    assert backend.paths["h0.T v0", "sparse"] == 2


def test_data_values_and_sampled_states_agree_on_binary_data_on_every_path():
    # On 0/1 data the two settings are the same mathematics. With the binary kernels forced
    # on they differ only by rounding (P1 gathers the sampled states, BLAS takes the data
    # values; P4's popcount and BLAS are both exact on 0/1 operands).
    X = (structured_data(230) > 0.5).astype(np.float64)
    init = rbmperf.initial_rbm(64, 16)
    states = []
    for sample_data in (True, False):
        state = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
        backend = BinaryBackend(DensityLimits.always())
        for epoch in range(2):
            rng = np.random.default_rng(epoch)
            backend.run_epoch(state, X, 50, 0.1, 0.9, rng, sample_data=sample_data)
        states.append(state)
    for name in ("W", "hidden_bias", "visible_bias"):
        actual, wanted = getattr(states[1], name), getattr(states[0], name)
        assert relative_error(actual, wanted) <= 1e-12, name


@pytest.mark.parametrize("path", ["binary", "dense"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_gives_bitwise_identical_weights_on_each_path(path, dtype):
    X = structured_data(230)
    runs = []
    for _ in range(2):  # a fresh backend (and workspace) each run
        backend = BinaryBackend(LIMITS[path])
        runs.append(
            rbmperf.train_rbm(X, 16, backend=backend, epochs=2, batch_size=50, dtype=dtype).W
        )
    np.testing.assert_array_equal(runs[0], runs[1])


def test_path_codes_name_each_products_path():
    # A step tallies one code (a bit per product, one for the data's values); the epoch
    # expands the tally into the (product, path) counts of `paths`.
    sampled = 0b01011  # v0 W.T, h0 W and h0.T v0 binary; v1 W.T, h1_probs.T v1 dense
    assert binary._PATH_KEYS[sampled] == (
        ("v0 W.T", "binary"),
        ("h0 W", "binary"),
        ("v1 W.T", "dense"),
        ("h0.T v0", "binary"),
        ("h1_probs.T v1", "dense"),
    )
    on_values = binary._ON_VALUES | 0b01001  # the data's zeros skipped by P1 and P4
    assert binary._PATH_KEYS[on_values][0] == ("v0 W.T", "sparse")
    assert binary._PATH_KEYS[on_values][3] == ("h0.T v0", "sparse")
    assert binary._PATH_KEYS[binary._ON_VALUES][0] == ("v0 W.T", "dense")
    paths = Counter({("h0 W", "dense"): 1})
    tally = [0] * len(binary._PATH_KEYS)
    tally[sampled] = 2
    tally[0] = 1
    binary._count_paths(paths, tally)
    assert paths == {
        ("v0 W.T", "binary"): 2,
        ("v0 W.T", "dense"): 1,
        ("h0 W", "binary"): 2,
        ("h0 W", "dense"): 2,
        ("v1 W.T", "dense"): 3,
        ("h0.T v0", "binary"): 2,
        ("h0.T v0", "dense"): 1,
        ("h1_probs.T v1", "dense"): 3,
    }


def test_step_views_are_made_once_per_row_count_and_see_the_buffers():
    work = BinaryWorkspace(100, 30, 20, np.float32)
    full, tail = work.step_views(100), work.step_views(37)
    assert work.step_views(100) is full and work.step_views(37) is tail
    assert full.scale == np.float32(1 / 100) and tail.scale == np.float32(1 / 37)
    assert tail.h0.shape == (37, 20) and tail.v1_flags.shape == (37, 30)
    assert np.shares_memory(tail.h0, work.h0_states)
    assert np.shares_memory(tail.pre, work.hidden_pre)
    for rows in range(1, 10):  # epochs over many row counts keep only a few
        work.step_views(rows)
    assert len(work._step_views) <= 4


def test_run_epoch_memory_stays_small():
    backend = BinaryBackend()
    backend.prepare(np.float64)
    n_visible, n_hidden = 784, 300
    X = np.random.default_rng(0).random((1_000, n_visible)) * 0.3
    init = rbmperf.initial_rbm(n_visible, n_hidden)
    state = TrainingState.starting_from(init.W, init.hidden_bias, init.visible_bias)
    tracemalloc.start()
    try:
        backend.run_epoch(state, X, 100, 0.1, 0.9, np.random.default_rng(1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # W, its speed and dW in the padded layout (3 × 1.9 MB), dense 0/1 states, bits:
    # about 7.4 MB in float64; the budget beyond data and model is 50 MB.
    assert peak < 12e6


def test_cd1_accepts_non_contiguous_and_other_dtype_inputs():
    rng = np.random.default_rng(2)
    W = np.asfortranarray(rng.normal(0.0, 0.5, (6, 9)))
    v0 = rng.random((4, 9))
    uniforms = (rng.random((4, 9)), rng.random((4, 6)), rng.random((4, 9)))
    backend = rbmperf.get_backend("binary")
    fortran = backend.cd1(W, np.zeros(6), np.zeros(9), v0, uniforms)
    contiguous = backend.cd1(np.ascontiguousarray(W), np.zeros(6), np.zeros(9), v0, uniforms)
    for a, b in zip(fortran, contiguous, strict=True):
        np.testing.assert_array_equal(a, b)


def test_prepare_reports_compile_time_once_per_sample_data_setting():
    backend = BinaryBackend()  # a fresh instance: the shared one may be prepared already
    first = backend.prepare(np.float32)
    assert first > 0.0 and backend.prepare(np.float32) == 0.0
    assert backend.compile_seconds == {"float32": first}
    # The other setting is prepared on its own (its kernels may be compiled already by
    # another instance: still > 0, a tiny epoch), and adds to the dtype's seconds.
    values = backend.prepare(np.float32, sample_data=False)
    assert values > 0.0 and backend.prepare(np.float32, sample_data=False) == 0.0
    assert backend.prepare(np.float32, sample_data=True) == 0.0
    assert backend.compile_seconds == {"float32": first + values}


# A short training run whose weights are printed as hex, in this process and in one with
# NUMBA_DISABLE_JIT=1.
_RUN = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    sys.path.insert(0, "tests")
    from conftest import structured_data
    import rbmperf
    from rbmperf.backends.binary import BinaryBackend, DensityLimits
    limits = {"binary": DensityLimits.always(), "dense": DensityLimits.never()}
    X = structured_data(70, 24)
    out = {}
    X[X < 0.3] = 0.0  # zeros for the sparse data products of sample_data=False
    for path, lim in limits.items():
        for dtype in ("float32", "float64"):
            for sample_data in (True, False):
                backend = BinaryBackend(lim)
                model = rbmperf.train_rbm(X, 10, backend=backend, epochs=2, batch_size=30,
                                          dtype=dtype, sample_data=sample_data)
                out[f"{path}-{dtype}-{sample_data}"] = model.W.tobytes().hex()
    print(json.dumps(out))
    """
)


def _run(script: str, env_extra: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script],
        cwd=ROOT,
        env={**os.environ, **env_extra},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return result.stdout.splitlines()[-1]


def test_pure_python_run_gives_bitwise_the_same_weights(capsys):
    # NUMBA_DISABLE_JIT=1 runs every kernel as Python (the intrinsics have Python bodies).
    exec(compile(_RUN, "<run>", "exec"), {"__name__": "run"})
    compiled = json.loads(capsys.readouterr().out.splitlines()[-1])
    interpreted = json.loads(_run(_RUN, {"NUMBA_DISABLE_JIT": "1"}))
    assert compiled.keys() == interpreted.keys()
    for name in compiled:
        assert compiled[name] == interpreted[name], name


_GENERIC = textwrap.dedent(
    """
    import numpy as np
    from rbmperf.backends import binary
    rng = np.random.default_rng(0)
    rows = 100
    v = (rng.random((rows, 70)) < 0.2).astype(np.uint8)
    h = (rng.random((rows, 30)) < 0.5).astype(np.uint8)
    def column_bits(states):  # (words, columns), bit i - 64w of word w = row i
        padded = np.zeros((128, states.shape[1]), dtype=np.uint8)
        padded[:rows] = states
        packed = np.packbits(padded, axis=0, bitorder="little")
        return np.ascontiguousarray(packed.T).view(np.uint64).T.copy()
    counts = binary.coincidence_counts(column_bits(v), column_bits(h), rows)
    assert (counts == h.T.astype(np.int64) @ v.astype(np.int64)).all()
    asm = binary._weight_gradient.inspect_asm(binary._weight_gradient.signatures[0])
    print("popcnt" in asm)
    """
)


def test_counts_are_exact_without_a_popcount_instruction(tmp_path):
    # A generic x86-64 (or any CPU) without POPCNT: LLVM lowers ctpop to bit arithmetic.
    # A fresh cache, so that the kernel is compiled here and its assembly can be read.
    env = {"NUMBA_CPU_NAME": "generic", "NUMBA_CACHE_DIR": str(tmp_path)}
    uses_popcnt = _run(_GENERIC, env)
    if os.uname().machine == "x86_64":
        assert uses_popcnt == "False"
