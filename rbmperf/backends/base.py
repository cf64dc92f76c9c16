"""The backend contract: what every CD-1 implementation provides.

A backend computes one contrastive-divergence (CD-1) gradient and runs epochs of the
momentum mini-batch optimiser. The mathematics, for a mini-batch ``v0_probs`` of ``B`` rows
and uniforms ``(u_v0, u_h0, u_v1)`` shaped ``(B, V)``, ``(B, H)``, ``(B, V)``:

1. ``v0 = v0_probs > u_v0``                       (sampled data states)
2. ``h0 = logistic(v0 Wᵀ + hidden_bias) > u_h0``  (sampled hidden states)
3. ``v1_probs = logistic(h0 W + visible_bias)``; ``v1 = v1_probs > u_v1``
4. ``h1_probs = logistic(v1 Wᵀ + hidden_bias)``
5. ``dW = (h0ᵀ v0 − h1_probsᵀ v1) / B``, ``d_hidden_bias = mean(h0 − h1_probs)``,
   ``d_visible_bias = mean(v0_probs − v1_probs)`` (means over the batch).

That is the blog's CD-1, the default (``sample_data=True``). With ``sample_data=False``
step 1 is ``v0 = v0_probs``: the data values themselves are the visible states of the
positive phase (in steps 2 and 5), as Hinton's "A practical guide to training restricted
Boltzmann machines" (UTML TR 2010-003, sections 3.2–3.4) recommends for the visible
units, and as scikit-learn's ``BernoulliRBM`` does. For grey-level data, sampling throws
information away. For 0/1 data the two are the same (a 0/1 value compared with a uniform
in [0, 1) is itself), and a backend gives bitwise the same result either way as long as it
computes each product the same way (the binary backend's gathers round differently from
the BLAS products it runs on data values; with its dense products it too is bitwise the
same). The uniforms ``u_v0`` are drawn all the same, and simply not used: the random
stream for ``h0`` and ``v1`` does not depend on the option, so backends that share a
stream still share it.

The optimiser is the blog's momentum rule, applied to each parameter after every
mini-batch: ``speed = momentum * speed + gradient; param += learning_rate * speed``.

Backends know nothing of timing or reporting; they only compute. A backend that computes on
an accelerator (``device`` other than ``"cpu"``) runs asynchronously to the host: its
:meth:`Backend.synchronize` waits for the work it queued, and the timing code
(:mod:`rbmperf.engine.regions`) calls it at the edges of every timed region, so that a
region holds the device's work and nothing is left running past its end. On the CPU it does
nothing.

**Thread safety.** The registry hands out one backend object per process, so several
threads may train on it at once (and numba's kernels and numpy's products release the
GIL, so they really run at once). A backend therefore keeps no mutable state of a call on
``self``: buffers reused between epochs come from :meth:`Backend.workspace`, which holds
one :class:`Workspace` per thread, and other caches are declared :class:`PerThread`
(``_cache = PerThread(dict)``); anything else a call needs it allocates itself. Two
threads training concurrently on one backend give bitwise the same results as the same
runs one after the other (``tests/test_backend_contract.py`` checks every backend).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..validation import check_bool, check_dtype

Gradient = tuple[np.ndarray, np.ndarray, np.ndarray]
Uniforms = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass
class TrainingState:
    """Parameters and their momentum speeds, updated in place by a backend's epochs."""

    W: np.ndarray
    hidden_bias: np.ndarray
    visible_bias: np.ndarray
    W_speed: np.ndarray
    hidden_speed: np.ndarray
    visible_speed: np.ndarray

    @classmethod
    def starting_from(
        cls, W: np.ndarray, hidden_bias: np.ndarray, visible_bias: np.ndarray
    ) -> TrainingState:
        """Copy the parameters and start every speed at zero."""
        return cls(
            W=np.array(W, order="C"),
            hidden_bias=np.array(hidden_bias),
            visible_bias=np.array(visible_bias),
            W_speed=np.zeros_like(W, order="C"),
            hidden_speed=np.zeros_like(hidden_bias),
            visible_speed=np.zeros_like(visible_bias),
        )


def draw_uniforms(
    rng: np.random.Generator, n_rows: int, n_visible: int, n_hidden: int, dtype: np.dtype
) -> Uniforms:
    """Draw one CD-1 step's uniforms from `rng`, in the contract's order.

    Every backend that uses numpy's Generator consumes the stream exactly like this (three
    ``rng.random`` fills of `dtype`), so backends given the same seed draw the same numbers.
    """
    return (
        rng.random((n_rows, n_visible), dtype=dtype),
        rng.random((n_rows, n_hidden), dtype=dtype),
        rng.random((n_rows, n_visible), dtype=dtype),
    )


def tiny_epoch(backend: Backend, dtype: np.dtype, *, sample_data: bool = True) -> None:
    """Train `backend` for one epoch of a 2-row, 3-visible, 2-hidden problem of zeros.

    What a just-in-time backend's :meth:`Backend.prepare` runs in `dtype`, with the
    `sample_data` it was given, so that that training path compiles (or loads from the
    cache) there and never inside a timed epoch.
    """
    n_visible, n_hidden, rows = 3, 2, 2
    state = TrainingState.starting_from(
        np.zeros((n_hidden, n_visible), dtype=dtype),
        np.zeros(n_hidden, dtype=dtype),
        np.zeros(n_visible, dtype=dtype),
    )
    X = np.zeros((rows, n_visible), dtype=dtype)
    backend.run_epoch(state, X, rows, 0.1, 0.9, np.random.default_rng(0), sample_data=sample_data)


def momentum_step(
    state: TrainingState, gradient: Gradient, learning_rate: float, momentum: float
) -> None:
    """Apply the blog's momentum update to every parameter of `state`, in place."""
    pairs = (
        (state.W, state.W_speed),
        (state.hidden_bias, state.hidden_speed),
        (state.visible_bias, state.visible_speed),
    )
    for (param, speed), grad in zip(pairs, gradient, strict=True):
        speed *= momentum
        speed += grad
        param += learning_rate * speed


def slice_batches(X: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """Yield consecutive row slices of `X` (views), the last one possibly shorter."""
    for start in range(0, X.shape[0], batch_size):
        yield X[start : start + batch_size]


class Workspace:
    """Preallocated buffers for CD-1 steps of up to `batch_size` rows.

    The two gradient outer products are fused into one matrix product: with
    ``left = [h0 / B ; −h1_probs / B]`` (2B × H) and ``right = [v0 ; v1]`` (2B × V),
    ``dW = leftᵀ right``. The buffers are laid out so that a batch of ``b ≤ batch_size``
    rows uses the contiguous views ``left[:2b]`` and ``right[:2b]``.
    """

    def __init__(
        self,
        batch_size: int,
        n_visible: int,
        n_hidden: int,
        dtype: np.dtype,
        *,
        uniforms: bool = True,
    ):
        self.key = (batch_size, n_visible, n_hidden, np.dtype(dtype), uniforms)
        self.left = np.empty((2 * batch_size, n_hidden), dtype=dtype)
        self.right = np.empty((2 * batch_size, n_visible), dtype=dtype)
        self.hidden_pre = np.empty((batch_size, n_hidden), dtype=dtype)
        self.visible_pre = np.empty((batch_size, n_visible), dtype=dtype)
        # A backend that draws its uniforms inside its kernels needs no buffers for them.
        shape_v, shape_h = ((batch_size, n_visible), (batch_size, n_hidden))
        if not uniforms:
            shape_v = shape_h = (0, 0)
        self.uniform_v0 = np.empty(shape_v, dtype=dtype)
        self.uniform_h0 = np.empty(shape_h, dtype=dtype)
        self.uniform_v1 = np.empty(shape_v, dtype=dtype)
        self.dW = np.empty((n_hidden, n_visible), dtype=dtype)
        self.d_hidden_bias = np.empty(n_hidden, dtype=dtype)
        self.d_visible_bias = np.empty(n_visible, dtype=dtype)
        # Column sums of the mini-batch, for backends that accumulate as they go.
        self.visible_sums = np.empty(n_visible, dtype=dtype)

    @classmethod
    def reuse(
        cls,
        existing: Workspace | None,
        batch_size: int,
        n_visible: int,
        n_hidden: int,
        dtype: np.dtype,
        *,
        uniforms: bool = True,
    ) -> Workspace:
        """Return `existing` if it has this shape, dtype and buffers, else a new workspace."""
        key = (batch_size, n_visible, n_hidden, np.dtype(dtype), uniforms)
        if existing is not None and existing.key == key:
            return existing
        return cls(batch_size, n_visible, n_hidden, dtype, uniforms=uniforms)

    def uniforms(self, n_rows: int) -> Uniforms:
        """Views of the uniform buffers for a batch of `n_rows`."""
        return (
            self.uniform_v0[:n_rows],
            self.uniform_h0[:n_rows],
            self.uniform_v1[:n_rows],
        )


class PerThread:
    """A backend attribute with one value per thread (declare it on the class).

    ``_buffers = PerThread(dict)`` gives every thread its own dict the first time it reads
    ``self._buffers``; assignments stay in the assigning thread. For caches and buffers a
    backend keeps between calls, since one backend object serves every thread.
    """

    def __init__(self, default: Callable[[], object] = lambda: None) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def _store(self, instance: object) -> threading.local:
        # setdefault is atomic: two threads racing here still share one thread-local store.
        return instance.__dict__.setdefault("_per_thread", threading.local())

    def __get__(self, instance: object, owner: type | None = None) -> object:
        if instance is None:
            return self
        store = self._store(instance)
        if not hasattr(store, self.name):
            setattr(store, self.name, self.default())
        return getattr(store, self.name)

    def __set__(self, instance: object, value: object) -> None:
        setattr(self._store(instance), self.name, value)


class BackendUnavailable(ImportError):
    """Raised by a backend's constructor when it cannot run here; the message says why.

    The registry lists the backend as unavailable with that message (for example "needs a
    CUDA device; torch 2.13.0+cpu is built without CUDA").
    """


class Backend(ABC):
    """One implementation of CD-1 and of the epoch loop around it.

    Subclasses set `name` and `description`, implement :meth:`cd1` and may replace
    :meth:`run_epoch` (for speed) and :meth:`prepare` (for just-in-time compilation).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    # Where the epochs compute: "cpu" (the host) or an accelerator such as "cuda".
    device: ClassVar[str] = "cpu"
    # The calling thread's reused buffers (see `workspace`).
    _thread_workspace = PerThread()

    def synchronize(self) -> None:
        """Wait until the work this backend queued on its device has finished.

        A no-op for backends that compute on the host. The timing code calls it at the
        edges of each timed region; backends never time themselves.
        """
        return None

    def device_name(self) -> str | None:
        """The accelerator this backend computes on, in words (None on the host CPU)."""
        return None

    def workspace(
        self,
        batch_size: int,
        n_visible: int,
        n_hidden: int,
        dtype: np.dtype,
        *,
        uniforms: bool = True,
    ) -> Workspace:
        """The calling thread's :class:`Workspace` of this shape, kept for its next call.

        Use this, never an attribute of ``self``, for buffers reused across epochs: the
        backend object is shared by every thread of the process. One line in a
        ``run_epoch``: ``work = self.workspace(rows, n_visible, n_hidden, X.dtype)``.
        """
        work = Workspace.reuse(
            self._thread_workspace, batch_size, n_visible, n_hidden, dtype, uniforms=uniforms
        )
        self._thread_workspace = work
        return work

    def prepare(self, dtype: np.dtype, *, sample_data: bool = True) -> float:
        """Get ready to train in `dtype` (compile, warm up); return the seconds it took.

        Parameters
        ----------
        dtype : numpy dtype
            The dtype of the epochs to come.
        sample_data : bool, default True
            The :meth:`run_epoch` setting the epochs to come will use. A just-in-time
            backend whose two settings run different kernels compiles only this one's, so
            that a user's first run pays for what it uses; an epoch with the other setting
            then compiles what it lacks on first use (inside that epoch). Callers that time
            epochs pass the setting they will time.

        Returns
        -------
        float
            Seconds spent; 0 when there is nothing (more) to do.

        Raises
        ------
        InputError
            If `dtype` is not float32 or float64, or `sample_data` is not a bool (every
            backend checks both, whether or not it compiles anything).
        """
        check_dtype(dtype)
        check_bool(sample_data, "sample_data")
        return 0.0

    @abstractmethod
    def cd1(
        self,
        W: np.ndarray,
        hidden_bias: np.ndarray,
        visible_bias: np.ndarray,
        v0: np.ndarray,
        uniforms: Uniforms,
        *,
        sample_data: bool = True,
    ) -> Gradient:
        """Return the CD-1 gradient ``(dW, d_hidden_bias, d_visible_bias)``.

        A pure function of its arguments: nothing passed in is modified.

        Parameters
        ----------
        W : ndarray of shape (n_hidden, n_visible)
        hidden_bias : ndarray of shape (n_hidden,)
        visible_bias : ndarray of shape (n_visible,)
        v0 : ndarray of shape (B, n_visible)
            Visible probabilities of the mini-batch (the data), in [0, 1].
        uniforms : tuple of three ndarrays
            Shaped ``(B, n_visible)``, ``(B, n_hidden)``, ``(B, n_visible)``: for sampling
            the data states, the hidden states and the reconstruction states. A unit is on
            where its probability is greater than its uniform.
        sample_data : bool, default True
            Sample the data states (``v0 > u_v0``, the blog's CD-1). False uses the data
            values themselves as the visible states of the positive phase; the first
            uniforms are then not used (see the module docstring).

        Returns
        -------
        tuple of ndarray
            ``dW`` (n_hidden, n_visible), ``d_hidden_bias`` (n_hidden,),
            ``d_visible_bias`` (n_visible,), in the dtype of `W`.
        """

    def mini_batches(self, X: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
        """Yield the mini-batches of one epoch, in data order."""
        return slice_batches(X, batch_size)

    def run_epoch(
        self,
        state: TrainingState,
        X: np.ndarray,
        batch_size: int,
        learning_rate: float,
        momentum: float,
        rng: np.random.Generator,
        *,
        sample_data: bool = True,
    ) -> None:
        """Run one epoch of momentum mini-batch gradient descent, updating `state` in place.

        `X` is trusted: validated, C-contiguous and of the parameters' dtype. `sample_data`
        is :meth:`cd1`'s: False takes the data values as the positive phase's visible
        states. The random stream is consumed the same way whichever it is.
        """
        n_hidden, n_visible = state.W.shape
        for batch in self.mini_batches(X, batch_size):
            uniforms = draw_uniforms(rng, batch.shape[0], n_visible, n_hidden, X.dtype)
            gradient = self.cd1(
                state.W,
                state.hidden_bias,
                state.visible_bias,
                batch,
                uniforms,
                sample_data=sample_data,
            )
            momentum_step(state, gradient, learning_rate, momentum)
