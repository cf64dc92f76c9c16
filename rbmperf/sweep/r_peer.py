"""The R peer: the blog's comparison of its Python with its R port, in the same sweep.

``r/cd1_epoch.R`` is a plain vectorised CD-1 epoch in R (whole-matrix ``%*%`` products, a
sigmoid over matrices, ``runif`` draws, the same momentum rule and mini-batches), run on
whatever BLAS the R installation links — R's reference BLAS for a default Debian R, as a
user's R would be.

How it is timed. One ``Rscript`` child process is started when the peer is prepared (that
start-up is the peer's "compile" time) and serves commands over a pipe, one line each way.
Each timed epoch is one ``epoch`` command, which R times itself with ``proc.time()``
around the epoch alone; the sweep records R's elapsed and CPU (user + system) seconds
(:class:`~rbmperf.engine.regions.ReportedTimes`); R's clocks tick in milliseconds,
fine for its epochs (0.3 s and more at the blog's shapes). The data are written to a file and
loaded by R once per data size, and the starting weights (rbmperf's own
:func:`~rbmperf.training.initial_rbm`, so every series starts from the same point) once
per epoch, both before the clocks start.

Known differences from the other series: R computes in double precision only (the peer
runs float64 and nothing else); it draws from R's Mersenne-Twister (``set.seed`` with the
sweep's seed), so its samples differ from every other series'; and ``X[rows, ]`` copies
each mini-batch, as a plain port does.

Available where ``Rscript`` is on the PATH (Debian/Ubuntu: ``apt-get install
r-base-core``); :func:`r_unavailable_reason` says why not otherwise.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..engine.regions import ReportedTimes
from ..errors import InputError
from ..training import initial_rbm
from .runners import EpochSettings, Runner

R_SCRIPT = Path(__file__).with_name("r") / "cd1_epoch.R"
INSTALL_HINT = "Debian/Ubuntu: apt-get install r-base-core"


def rscript() -> str | None:
    """The path of ``Rscript`` on the PATH, or None."""
    return shutil.which("Rscript")


def r_unavailable_reason() -> str | None:
    """Why the R peer cannot run here (None if it can)."""
    if rscript() is None:
        return f"needs R: Rscript is not on the PATH ({INSTALL_HINT})"
    if not R_SCRIPT.is_file():
        return f"the R script is missing from the installed package ({R_SCRIPT})"
    return None


class RSession:
    """One ``Rscript`` child serving ``r/cd1_epoch.R``'s commands, one line each way.

    Parameters
    ----------
    executable : str, optional
        The ``Rscript`` to run; default the one on the PATH.

    Attributes
    ----------
    r_version, blas : str
        What the child reported when it started.
    """

    def __init__(self, executable: str | None = None):
        executable = executable or rscript()
        if executable is None:
            raise RuntimeError(r_unavailable_reason())
        self.folder = Path(tempfile.mkdtemp(prefix="rbmperf-r-"))
        self._stderr = open(self.folder / "stderr.txt", "w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [executable, "--vanilla", str(R_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
        )
        self._closer = weakref.finalize(self, _close, self.process, self._stderr, self.folder)
        ready = self._read_reply("start-up")
        if not ready.startswith("ready "):
            self.close()
            raise RuntimeError(f"R did not start as expected: {ready!r}")
        self.r_version, _, self.blas = ready.removeprefix("ready ").partition("|")

    def request(self, line: str) -> str:
        """Send one command; return R's answer (raises RuntimeError on ``error ...``)."""
        if self.process.poll() is not None:
            raise RuntimeError(f"the R process has exited{self._stderr_tail()}")
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self._read_reply(line.split(" ", 1)[0])
        if answer.startswith("error"):
            raise RuntimeError(f"R failed on {line.split(' ', 1)[0]!r}: {answer[6:]}")
        return answer

    def _read_reply(self, what: str) -> str:
        assert self.process.stdout is not None
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"R gave no answer to {what!r}{self._stderr_tail()}")
        return answer.strip()

    def _stderr_tail(self) -> str:
        self._stderr.flush()
        text = (self.folder / "stderr.txt").read_text(encoding="utf-8", errors="replace")
        return f"; R said: {text.strip()[-500:]}" if text.strip() else ""

    def write(self, name: str, *arrays: np.ndarray) -> Path:
        """Write `arrays` as little-endian doubles, row-major, to a file R can read."""
        path = self.folder / name
        with open(path, "wb") as stream:
            for array in arrays:
                np.ascontiguousarray(array, dtype="<f8").tofile(stream)
        return path

    def read(self, path: Path, count: int) -> np.ndarray:
        values = np.fromfile(path, dtype="<f8")
        if values.size != count:
            raise RuntimeError(f"R wrote {values.size} values to {path}, not {count}")
        return values.astype(np.float64)

    def close(self) -> None:
        """Ask R to quit (kill it if it does not) and remove the session's files."""
        self._closer()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


def _close(process: subprocess.Popen, stderr, folder: Path) -> None:
    if process.poll() is None:
        try:
            assert process.stdin is not None
            process.stdin.write("quit\n")
            process.stdin.close()
            process.wait(timeout=5)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
    for stream in (process.stdout, process.stdin):
        if stream is not None and not stream.closed:
            stream.close()
    stderr.close()
    shutil.rmtree(folder, ignore_errors=True)


def r_cd1(
    session: RSession,
    W: np.ndarray,
    hidden_bias: np.ndarray,
    visible_bias: np.ndarray,
    v0: np.ndarray,
    uniforms: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The R script's CD-1 gradient for given inputs (float64), to check it against others."""
    n_hidden, n_visible = W.shape
    rows = v0.shape[0]
    path = session.write("cd1.bin", W, hidden_bias, visible_bias, v0, *uniforms)
    session.request(f"cd1 {path} {rows} {n_hidden} {n_visible}")
    size = n_hidden * n_visible
    values = session.read(path.with_name("cd1.bin.out"), size + n_hidden + n_visible)
    dW = values[:size].reshape(n_hidden, n_visible)
    return dW, values[size : size + n_hidden], values[size + n_hidden :]


class RPeer(Runner):
    """The plain vectorised R CD-1 epoch, in an Rscript child that times its own epochs."""

    name = "r"
    role = "peer"
    dtypes = ("float64",)
    description = "plain vectorised R CD-1 epoch (Rscript child; R times its own epochs)"

    def __init__(self, threads: int = 1):
        # R's reference BLAS is single-threaded; an R linked to a threaded BLAS is told
        # nothing here (the report's description names the BLAS R reported).
        self.threads = threads
        self.session: RSession | None = None
        self._loaded: tuple | None = None

    def _session(self) -> RSession:
        if self.session is None or not self.session.alive:
            self.session = RSession()
            self._loaded = None
            self.description = (
                f"plain vectorised R CD-1 epoch (R {self.session.r_version}, BLAS "
                f"{self.session.blas}); an Rscript child times its own epochs; float64 only"
            )
        return self.session

    def prepare(self, dtype: np.dtype) -> float:
        """Start R (once): its start-up is this peer's preparation time."""
        import time

        began = time.perf_counter()
        self._session()
        return time.perf_counter() - began

    def setup(self, X: np.ndarray, settings: EpochSettings) -> Callable[[], ReportedTimes]:
        if X.dtype != np.float64:
            raise InputError(f"the R peer computes in float64 only; got {X.dtype} data")
        session = self._session()
        n_rows, n_visible = X.shape
        # Holding the array keeps its address from being reused by other data.
        key = (X.__array_interface__["data"][0], X.shape, X.strides)
        if self._loaded is None or self._loaded[1] != key:
            path = session.write("data.bin", X)
            session.request(f"load {path} {n_rows} {n_visible}")
            self._loaded = (X, key)
        start = initial_rbm(n_visible, settings.n_hidden, dtype="float64", seed=settings.seed)
        path = session.write("weights.bin", start.W)
        session.request(f"init {path} {settings.n_hidden} {n_visible} {settings.seed}")
        command = f"epoch {settings.batch_size} {settings.learning_rate!r} {settings.momentum!r}"

        def epoch() -> ReportedTimes:
            _, wall, cpu = session.request(command).split()
            return ReportedTimes(float(wall), float(cpu))

        return epoch

    def trained_parameters(self, n_hidden: int, n_visible: int):
        """W, hidden bias and visible bias of R's model after its last epoch (for tests)."""
        session = self._session()
        path = session.folder / "model.bin"
        session.request(f"save {path}")
        values = session.read(path, n_hidden * n_visible + n_hidden + n_visible)
        size = n_hidden * n_visible
        W = values[:size].reshape(n_hidden, n_visible)
        return W, values[size : size + n_hidden], values[size + n_hidden :]

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None
