"""``%growth``: how a statement's cost grows with ``n``, from IPython or Jupyter.

Load it with ``%load_ext rbmperf``, then::

    %growth -n 500,1000,2000,4000 optimize(model, cd1, X[:n])
    %growth -n 500:16000:x2 -p optimize(model, cd1, X[:n])    # which function grows
    r = %growth -o -q -n 1000:32000:x2 -s "data = make(n)" work(data)

    %%growth -n 1000:8000:x2 data = make(n)
    work(data)                     # cell mode: the first line (after options) is the setup

The statement runs in the user's namespace with ``n`` bound to each size (the user's own
``n``, if any, is put back afterwards), through :func:`rbmperf.time_growth` (or, with ``-p``,
:func:`rbmperf.profile_growth`). This module imports IPython; ``import rbmperf`` does not
import this module until ``%load_ext rbmperf`` asks for ``load_ipython_extension``.
"""

from __future__ import annotations

import ast
import itertools
import linecache
import math
import types
import warnings
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from ..engine.defaults import DEFAULT_BUDGET_SECONDS, DEFAULT_MIN_ROUNDS, DEFAULT_SIZES
from .profile import profile_growth
from .timegrowth import SetupError, parse_sizes, time_growth

_MISSING = object()
_counter = itertools.count(1)


@magics_class
class GrowthMagics(Magics):
    """The ``%growth`` line and cell magic."""

    @line_cell_magic
    def growth(self, line: str = "", cell: str | None = None) -> Any:
        """Time a statement at several sizes ``n`` and say how its cost grows.

        Usage, in line mode::

          %growth [-n SIZES] [-r R] [-s SETUP] [--budget S] [--threads T] [--wall] [-p] [-o] [-q]
                  statement

        and in cell mode (the rest of the first line is setup code, the body is timed)::

          %%growth [options] [setup]
          statement

        ``n`` is bound to each size in the user's namespace. The setup runs before each
        size, untimed. Prints the verdict (the growth exponent with its interval) and, in
        Jupyter, shows the log-log plot.

        Options:

        -n SIZES: the sizes, ``500,1000,2000`` or a geometric range ``500:16000:x2``
        (default 500:16000:x2).

        -r R: rounds before deciding starts, i.e. repeats per size at least (default 3; 1
        with -p).

        -s SETUP: a setup statement run (untimed) before each size; quote it.

        --budget S: seconds of measuring in all: sizes that would not fit are skipped, and
        what is left buys more rounds until the verdict is decided (default 2; ``inf`` for
        no limit and fixed rounds).

        --threads T: BLAS threads while timing (default 1, as everywhere in rbmperf; ``all``
        leaves them as they are).

        --wall: wall time instead of this process's CPU time.

        -p: profile at each size with cProfile and print the per-function table, the
        function that makes the whole superlinear first.

        -o: return the result object (a GrowthResult, or a ProfileGrowthResult with -p).

        -q: quiet: print nothing, show no plot.
        """
        opts, rest = self.parse_options(
            line, "n:r:s:pqo", "budget=", "threads=", "wall", posix=False, strict=False,
            preserve_non_opts=True,
        )  # fmt: skip
        given = opts.get("s", [])
        setups = [_unquote(text) for text in (given if isinstance(given, list) else [given])]
        if cell is None:
            setup_source, statement_source = "\n".join(setups), rest
        else:
            setup_source, statement_source = "\n".join([*setups, rest]).strip(), cell
        if not statement_source.strip():
            raise UsageError("%growth needs a statement to time, e.g. %growth -n 1000:8000:x2 f(n)")
        try:
            sizes = parse_sizes(str(opts["n"])) if "n" in opts else DEFAULT_SIZES
            profile = "p" in opts
            repeats = int(opts.get("r", 1 if profile else DEFAULT_MIN_ROUNDS))
            budget = float(opts.get("budget", DEFAULT_BUDGET_SECONDS))
            threads_text = str(opts.get("threads", "1"))
            threads = None if threads_text == "all" else int(threads_text)
        except ValueError as error:
            raise UsageError(f"%growth: {error}") from None
        runner = _StatementRunner(self.shell, statement_source, setup_source)
        options = {
            "setup": runner.setup,
            "repeats": repeats,
            "clock": "wall" if "wall" in opts else "cpu",
            "budget": None if math.isinf(budget) else budget,
            "label": runner.label,
            "threads": threads,
        }
        try:
            if profile:
                result = profile_growth(runner.run, sizes, hide=[__file__], **options)
            else:
                result = time_growth(runner.run, sizes, **options)
        except SetupError as error:
            cause = error.__cause__ or error
            self._show_user_error(cause, runner, f"the setup raised at n={error.n:,}")
        except ValueError as error:
            if runner.current_n is None:  # bad options, found before anything ran
                raise UsageError(f"%growth: {error}") from None
            self._show_user_error(error, runner, f"the statement raised at n={runner.current_n:,}")
        except Exception as error:
            self._show_user_error(error, runner, f"the statement raised at n={runner.current_n:,}")
        finally:
            runner.restore()
        if "q" not in opts:
            if profile:
                print(result.table())
            else:
                _print_result(result)
                self._show_plot(result)
        return result if "o" in opts else None

    def _show_user_error(self, error: BaseException, runner: _StatementRunner, what: str):
        """Show `error` with the user's frames only, then stop with a one-line UsageError."""
        trimmed = runner.user_traceback(error.__traceback__)
        self.shell.showtraceback((type(error), error.with_traceback(trimmed), trimmed), tb_offset=0)
        raise UsageError(f"%growth stopped: {what} (traceback above)") from None

    def _show_plot(self, result: Any) -> None:
        # Only a kernel (Jupyter) displays images; a terminal would print the object.
        if getattr(self.shell, "kernel", None) is None or not result.sizes:
            return
        from IPython.display import Image, display

        from .text import figure_png, plot_growth

        display(Image(data=figure_png(plot_growth, result)))


def _print_result(result: Any) -> None:
    print(result.summary_line())
    from .text import _notes

    for note in _notes(result):
        print(note)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


class _StatementRunner:
    """The user's statement and setup, compiled once, run in the user's namespace."""

    def __init__(self, shell: Any, statement: str, setup: str):
        self.namespace = shell.user_ns
        self.previous_n = self.namespace.get("n", _MISSING)
        self.current_n: int | None = None
        self.bound: dict[str, Any] | None = None
        number = next(_counter)
        self.statement_file = f"<%growth statement {number}>"
        self.setup_file = f"<%growth setup {number}>"
        statement_tree = _parse(shell, statement, self.statement_file)
        setup_tree = _parse(shell, setup, self.setup_file) if setup.strip() else None
        self.label = " ".join(statement.strip().splitlines()[0].split())[:60]
        self.statement = compile(statement_tree, self.statement_file, "exec")
        self.setup_code = compile(setup_tree, self.setup_file, "exec") if setup_tree else None
        if not any(_uses_n(tree) for tree in (statement_tree, setup_tree) if tree is not None):
            warnings.warn(
                "%growth: the statement does not use n, so its time cannot depend on the size",
                UserWarning,
                stacklevel=4,
            )

    def setup(self, n: int) -> dict[str, Any]:
        """Run the setup for size `n`; return the names it bound (``n`` included).

        The engine keeps each size's argument and comes back to the size in later rounds,
        so what the setup put in the namespace is kept per size and put back by :meth:`run`.
        """
        self.current_n = n
        before = dict(self.namespace)  # references, so no object's id can be reused
        self.namespace["n"] = n
        if self.setup_code is not None:
            exec(self.setup_code, self.namespace)
        bound = {
            name: value
            for name, value in self.namespace.items()
            if name not in before or before[name] is not value
        }
        bound["n"] = n
        self.bound = bound
        return bound

    def run(self, bound: dict[str, Any]) -> None:
        if bound is not self.bound:  # a later round came back to another size
            self.namespace.update(bound)
            self.bound = bound
            self.current_n = bound["n"]
        exec(self.statement, self.namespace)

    def restore(self) -> None:
        if self.previous_n is _MISSING:
            self.namespace.pop("n", None)
        else:
            self.namespace["n"] = self.previous_n

    def user_traceback(self, tb: types.TracebackType | None) -> types.TracebackType | None:
        """The part of `tb` from the user's statement (or setup) down; all of it if absent."""
        ours = {self.statement_file, self.setup_file}
        entry = tb
        while entry is not None:
            if entry.tb_frame.f_code.co_filename in ours:
                return entry
            entry = entry.tb_next
        return tb


def _parse(shell: Any, source: str, filename: str) -> ast.Module:
    """Parse IPython source (magics, ``!`` lines) as the shell would, registering it with
    linecache so that tracebacks show its lines."""
    transformed = shell.transform_cell(source)
    linecache.cache[filename] = (len(transformed), None, transformed.splitlines(True), filename)
    try:
        tree = ast.parse(transformed, filename, "exec")
    except SyntaxError as error:
        raise UsageError(f"%growth: cannot parse {source.strip()!r}: {error.msg}") from None
    return shell.transform_ast(tree)


def _uses_n(tree: ast.AST) -> bool:
    return any(isinstance(node, ast.Name) and node.id == "n" for node in ast.walk(tree))


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%growth`` (``%load_ext rbmperf`` calls this)."""
    ipython.register_magics(GrowthMagics)


def unload_ipython_extension(ipython: Any) -> None:
    """Nothing to undo beyond what IPython does itself."""


__all__ = ["GrowthMagics", "load_ipython_extension", "unload_ipython_extension"]
