"""Checks of input and output paths, made before any work.

A command that will train for a minute and then write into a folder it cannot create
should say so in its first second. These functions check a path the way the work will use
it, and raise :class:`~rbmperf.errors.InputError` naming the path and the problem:

- :func:`check_input_file`: the file exists, is a regular file (not a folder) and opens
  for reading.
- :func:`prepare_output_dir`: the folder exists or can be created, and a file can be
  created in it (tried with a temporary file, removed at once; the folder itself is left,
  as the work would leave it).
- :func:`check_output_file`: a file to be created, appended to or replaced: if it exists it
  is a regular file that opens for appending; its folder is checked as above.

Permissions are tried, not read from mode bits: a root user, a read-only mount or a full
quota all answer only to an attempt.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError

__all__ = ["check_input_file", "check_output_file", "prepare_output_dir"]


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def check_input_file(path: str | os.PathLike, what: str = "input file") -> Path:
    """Return `path` as a Path if it is a readable regular file.

    Parameters
    ----------
    path : path
    what : str
        How the message names the file: ``"results file"``, ``"model file"``, ...

    Raises
    ------
    InputError
        If it does not exist, is a folder or something else than a regular file, or cannot
        be opened for reading. The message names the path.
    """
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise InputError(f"{what} {name!r} does not exist")
    if path.is_dir():
        raise InputError(f"{what} {name!r} is a directory, not a file")
    if not path.is_file():
        raise InputError(f"{what} {name!r} is not a regular file")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise InputError(f"{what} {name!r} cannot be read: {_reason(error)}") from None
    return path


def prepare_output_dir(path: str | os.PathLike, what: str = "output folder") -> Path:
    """Create the folder `path` if needed and make sure files can be written in it.

    Raises
    ------
    InputError
        If `path` is an existing file, cannot be created (a parent is a file, permission,
        read-only file system) or refuses a new file. The message names the path.
    """
    path = Path(path)
    name = str(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{what} {name!r} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"{what} {name!r} cannot be created: {_reason(error)}") from None
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".rbmperf-write-test-"):
            pass
    except OSError as error:
        raise InputError(f"{what} {name!r} is not writable: {_reason(error)}") from None
    return path


def check_output_file(path: str | os.PathLike, what: str = "output file") -> Path:
    """Make sure `path` can be created or appended to; create its folder if needed.

    The file itself is neither created nor changed.

    Raises
    ------
    InputError
        If `path` is a folder or not a regular file, exists but cannot be opened for
        appending, or its folder cannot hold a new file. The message names the path.
    """
    path = Path(path)
    name = str(path)
    if path.is_dir():
        raise InputError(f"{what} {name!r} is a directory, not a file")
    if path.exists():
        if not path.is_file():
            raise InputError(f"{what} {name!r} is not a regular file")
        try:
            with open(path, "ab"):
                pass
        except OSError as error:
            raise InputError(f"{what} {name!r} is not writable: {_reason(error)}") from None
        return path
    prepare_output_dir(path.parent, f"{what} {name!r}: its folder")
    return path
