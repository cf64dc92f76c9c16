"""``%growth``: how a statement's cost grows with ``n``, from IPython or Jupyter.

Load it with ``%load_ext rbmperf``, then::

    %growth -n 500,1000,2000,4000 optimize(model, cd1, X[:n])
    %growth -n 500:16000:x2 -p optimize(model, cd1, X[:n])    # which function grows
    r = %growth -o -q -n 1000:32000:x2 -s "data = make(n)" work(data)

    %%growth -n 1000:8000:x2 data = make(n)
    work(data)                     # cell mode: the first line (after options) is the setup

    %growth --memory -n 1000:32000:x2 np.zeros(n)           # peak traced bytes too
    %growth --clock instructions -n 10000:80000:x2 -s "x = list(range(n))" sorted(x)

The statement runs in the user's namespace with ``n`` bound to each size (the user's own
``n``, if any, is put back afterwards), through :func:`rbmperf.time_growth` (or, with ``-p``,
:func:`rbmperf.profile_growth`). This module imports IPython; ``import rbmperf`` does not
import this module until ``%load_ext rbmperf`` asks for ``load_ipython_extension``.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import itertools
import linecache
import math
import os
import shutil
import sys
import tempfile
import types
import uuid
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

          %growth [-n SIZES] [-r R] [-s SETUP] [--budget S] [--threads T] [--wall]
                  [--clock cpu|wall|instructions] [--memory] [-p] [-o] [-q] statement

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

        --wall: wall time instead of this process's CPU time (``--clock wall``).

        --clock CLOCK: ``cpu`` (default), ``wall``, or ``instructions``: instructions per
        call counted by valgrind in a child Python process, start-up, setup and a warm-up
        call subtracted (see :func:`rbmperf.time_growth`; -r, --budget and --threads do not
        apply). The child cannot see this session: the statement and setup are written to a
        temporary module, with the session's imported modules and the functions and classes
        it imported from real modules; any other name they use (a function defined here,
        data) is refused before anything runs: define it in a module, or build it in -s.

        --memory: also the peak traced bytes (tracemalloc) of one call at each size, in
        calls apart from the timed ones, and their growth (a ``memory:`` line).

        -p: profile at each size with cProfile and print the per-function table, the
        function that makes the whole superlinear first.

        -o: return the result object (a GrowthResult, or a ProfileGrowthResult with -p).

        -q: quiet: print nothing, show no plot.
        """
        opts, rest = self.parse_options(
            line, "n:r:s:pqo", "budget=", "threads=", "wall", "clock=", "memory", posix=False,
            strict=False, preserve_non_opts=True,
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
        clock = _clock(opts)
        memory = "memory" in opts
        if profile and (clock == "instructions" or memory):
            what = "--clock instructions" if clock == "instructions" else "--memory"
            raise UsageError(f"%growth: -p profiles CPU or wall time; it cannot take {what}")
        if clock == "instructions":
            result = self._count(statement_source, setup_source, sizes, memory)
            if "q" not in opts:
                _print_result(result)
                self._show_plot(result)
            return result if "o" in opts else None
        runner = _StatementRunner(self.shell, statement_source, setup_source)
        options = {
            "setup": runner.setup,
            "repeats": repeats,
            "clock": clock,
            "budget": None if math.isinf(budget) else budget,
            "label": runner.label,
            "threads": threads,
        }
        try:
            if profile:
                result = profile_growth(runner.run, sizes, hide=[__file__], **options)
            else:
                result = time_growth(runner.run, sizes, memory=memory, **options)
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

    def _count(self, statement: str, setup: str, sizes: Any, memory: bool) -> Any:
        """``--clock instructions``: the statement and setup as a temporary module that a
        child process imports (:class:`_ChildModule`), counted by :func:`time_growth`."""
        from ..engine.memory import ChildFailedError

        with _ChildModule(self.shell, statement, setup) as module:
            try:
                return time_growth(
                    module.statement, sizes, setup=module.setup, clock="instructions",
                    memory=memory, label=module.label,
                )  # fmt: skip
            except ChildFailedError as error:
                print(_child_traceback(str(error)), file=sys.stderr)
                raise UsageError(
                    "%growth stopped: the statement or setup raised in the child process "
                    "(its traceback above)"
                ) from None
            except SetupError as error:  # with --memory, the setup also runs here
                cause = error.__cause__ or error
                self.shell.showtraceback((type(cause), cause, cause.__traceback__))
                raise UsageError(f"%growth stopped: the setup raised at n={error.n:,}") from None
            except ValueError as error:  # sizes, or valgrind missing: before anything ran
                raise UsageError(f"%growth: {error}") from None

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


def _clock(opts: Any) -> str:
    """The clock of ``--clock`` and ``--wall`` (one or the other, or both saying wall)."""
    clock = str(opts.get("clock", "wall" if "wall" in opts else "cpu"))
    if clock not in ("cpu", "wall", "instructions"):
        raise UsageError(f"%growth: --clock must be cpu, wall or instructions; got {clock!r}")
    if "wall" in opts and clock != "wall":
        raise UsageError(f"%growth: --wall and --clock {clock} ask for two clocks")
    return clock


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


_REBUILD_ADVICE = "define it in a module, or build it in -s SETUP"


class _ChildModule:
    """The statement and setup as a module that a fresh interpreter can import.

    ``--clock instructions`` counts in child processes, which import the function they
    count by module and name (:mod:`rbmperf.engine.instructions`); IPython's statements
    live in no module. So they are written to a temporary module: ``setup(n)`` builds a
    fresh namespace (the carried names and ``n``) and runs the setup in it,
    ``statement(namespace)`` runs the statement in it. Of the session's names only what a
    fresh interpreter can rebuild is carried: modules (by their import name) and functions
    and classes that a real module defines (by module and qualified name, checked to lead
    back to the same object). Any other name the code uses, a function defined in this
    session, data, an undefined name, is refused with one :class:`UsageError` naming them
    all, before anything runs.

    The module's folder is put last on ``sys.path`` (so that other imports never search
    it) while the ``with`` block runs, and removed with the module afterwards.
    """

    def __init__(self, shell: Any, statement: str, setup: str):
        number = next(_counter)
        self.label = " ".join(statement.strip().splitlines()[0].split())[:60]
        statement_file = f"<%growth statement {number}>"
        setup_file = f"<%growth setup {number}>"
        statement_tree = _parse(shell, statement, statement_file)
        setup_tree = _parse(shell, setup, setup_file) if setup.strip() else None
        trees = [tree for tree in (setup_tree, statement_tree) if tree is not None]
        if not any(_uses_n(tree) for tree in trees):
            warnings.warn(
                "%growth: the statement does not use n, so its cost cannot depend on the size",
                UserWarning,
                stacklevel=5,
            )
        carried, refused = _carry(shell.user_ns, _free_names(trees))
        if refused:
            raise UsageError(
                "%growth --clock instructions counts in a fresh Python process, which cannot "
                f"rebuild {', '.join(refused)}: {_REBUILD_ADVICE}"
            )
        self.source = _module_source(
            carried,
            ast.unparse(statement_tree),
            ast.unparse(setup_tree) if setup_tree is not None else None,
            statement_file,
            setup_file,
        )
        self.name = f"_rbmperf_growth_{uuid.uuid4().hex[:12]}"
        self.folder: str | None = None

    def __enter__(self) -> types.ModuleType:
        self.folder = tempfile.mkdtemp(prefix="rbmperf-growth-")
        with open(os.path.join(self.folder, f"{self.name}.py"), "w", encoding="utf-8") as file:
            file.write(self.source)
        sys.path.append(self.folder)
        importlib.invalidate_caches()
        module = importlib.import_module(self.name)
        module.label = self.label
        return module

    def __exit__(self, *exc: object) -> None:
        sys.modules.pop(self.name, None)
        if self.folder is not None:
            if self.folder in sys.path:
                sys.path.remove(self.folder)
            shutil.rmtree(self.folder, ignore_errors=True)


def _child_traceback(message: str) -> str:
    """The child's traceback from its user's code down (the statement or setup's frames),
    out of a :class:`ChildFailedError`'s message; the whole message if there is none."""
    head = "Traceback (most recent call last):"
    if head not in message:
        return message
    lines = message[message.rindex(head) :].splitlines()
    for index, line in enumerate(lines):
        if line.lstrip().startswith('File "<%growth '):
            return "\n".join([head, *lines[index:]])
    return "\n".join(lines)


def _free_names(trees: list[ast.Module]) -> list[str]:
    """Names the code reads but never binds itself (``n`` aside), sorted."""
    loaded: set[str] = set()
    bound: set[str] = {"n"}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bound.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
                bound.add(node.name)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                bound.add(node.rest)
    return sorted(loaded - bound)


def _carry(namespace: dict[str, Any], names: list[str]) -> tuple[dict[str, str], list[str]]:
    """For each name: the expression that rebuilds it in a fresh interpreter, or why not."""
    from ..engine.instructions import callable_reference
    from ..errors import InputTypeError

    carried: dict[str, str] = {}
    refused: list[str] = []
    for name in names:
        if name not in namespace:
            if not hasattr(builtins, name):
                refused.append(f"{name} (not defined)")
            continue
        value = namespace[name]
        if name == "get_ipython":
            refused.append(f"{name} (IPython magics and ! lines run only in IPython)")
        elif isinstance(value, types.ModuleType):
            module_name = getattr(value, "__name__", "")
            if module_name != "__main__" and sys.modules.get(module_name) is value:
                carried[name] = f"_importlib.import_module({module_name!r})"
            else:
                refused.append(f"{name} (a module that cannot be imported by name)")
        elif not callable(value):
            refused.append(f"{name} (data: {type(value).__name__})")
        else:
            try:
                module, qualname = callable_reference(value, name)
            except InputTypeError:
                if getattr(value, "__module__", None) == "__main__":
                    refused.append(f"{name} (defined in this session)")
                else:
                    refused.append(
                        f"{name} (not importable by module and name: a lambda, a nested "
                        "function, a bound method or a partial?)"
                    )
                continue
            carried[name] = f"_resolve({module!r}, {qualname!r})"
    return carried, refused


def _module_source(
    carried: dict[str, str],
    statement: str,
    setup: str | None,
    statement_file: str,
    setup_file: str,
) -> str:
    names = "".join(f"    {name!r}: {expression},\n" for name, expression in carried.items())
    setup_code = "None" if setup is None else f"compile({setup!r}, {setup_file!r}, 'exec')"
    return f'''"""Written by %growth --clock instructions: its statement and setup, for a child."""

import builtins as _builtins
import importlib as _importlib


def _resolve(module, qualname):
    found = _importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


_CARRIED = {{
{names}}}
_SETUP = {setup_code}
_STATEMENT = compile({statement!r}, {statement_file!r}, "exec")


def setup(n):
    namespace = {{"__builtins__": _builtins, "__name__": "__growth__", **_CARRIED, "n": n}}
    if _SETUP is not None:
        exec(_SETUP, namespace)
    return namespace


def statement(namespace):
    exec(_STATEMENT, namespace)
'''


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
