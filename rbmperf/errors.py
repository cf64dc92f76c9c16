"""The errors rbmperf raises for bad input, and the warning it gives for skipped input.

One family, so that a caller can tell "your input is wrong" from "rbmperf has a bug":

- :class:`RbmperfError` is the base of every error rbmperf raises on purpose, about input
  it was given (an argument, a data file, a results file, a model file, a path). Its
  message says what is wrong in the user's terms and names the file where there is one.
- :class:`InputError` (a :class:`ValueError`) is a bad value: out of range, inconsistent,
  a damaged or foreign file.
- :class:`InputTypeError` (a :class:`TypeError`) is a value of the wrong kind: a string
  where a number belongs, an object array where a numeric one does.

Both keep their built-in bases, so ``except ValueError`` and ``pytest.raises(TypeError)``
written before this module existed still catch them. The ``rbmperf`` command prints an
:class:`RbmperfError` (and an :class:`OSError`, naming its path) as one line with exit
status 2; any other exception, a plain ``TypeError`` from a programming slip included, is a
bug and keeps its traceback. So code in rbmperf raises these, never a bare ``ValueError`` or
``TypeError`` (``tests/test_errors.py`` checks the source for it).

:class:`ResultsWarning` is what a reader gives when it skips part of its input (unusable
lines of a results file) rather than refuse all of it.
"""

from __future__ import annotations

__all__ = ["InputError", "InputTypeError", "RbmperfError", "ResultsWarning"]


class RbmperfError(Exception):
    """Base class of the errors rbmperf raises about the input it was given."""


class InputError(RbmperfError, ValueError):
    """A bad value or a damaged, foreign or inconsistent file; the message says which."""


class InputTypeError(RbmperfError, TypeError):
    """A value of the wrong type (a string for a number, a non-numeric array)."""


class ResultsWarning(UserWarning):
    """Part of a results file could not be used and was skipped (the rest was read)."""
