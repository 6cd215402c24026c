"""Argument types for the project's command lines: each parses one value and refuses a bad one
with an `argparse.ArgumentTypeError` that says what was expected (argparse turns it into a usage
error naming the option). Non-finite numbers ("nan", "inf" parse as floats) are refused everywhere.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Nautilus's log levels (any other string aborts the process in its Rust logger).
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "OFF")


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def non_finite_problem(value: Any, where: str = "config") -> str | None:
    """What is wrong with the first NaN or ±Infinity in a decoded JSON document (Python's reader
    takes them, and `1e400` too), with the field's path; None when there is none. A NaN limit
    would disable every comparison made with it."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{where}: {value} is not a finite number"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        path = f"{where}[{key}]" if isinstance(value, list) else f"{where}.{key}" if where != "config" else str(key)
        problem = non_finite_problem(item, path)
        if problem is not None:
            return problem
    return None


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _bounded(parse: Callable[[str], float], ok: Callable[[float], bool], expected: str) -> Callable[[str], Any]:
    """An argument type: `parse`, then refuse what `ok` does not accept, saying what was `expected`."""

    def checked(text: str) -> Any:
        value = parse(text)
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return checked


finite_float = _number
non_negative_float = _bounded(_number, lambda v: v >= 0, "a finite number >= 0")
positive_float = _bounded(_number, lambda v: v > 0, "a number > 0")
non_negative_int = _bounded(_integer, lambda v: v >= 0, "an integer >= 0")
positive_int = _bounded(_integer, lambda v: v >= 1, "an integer >= 1")
port = _bounded(_integer, lambda v: 0 <= v <= 65535, "a port 0..65535")


def checked(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argument type from a parser of our own that raises `ValueError` with a message: argparse
    would drop that message ("invalid value"), so it is passed on as the usage error."""

    def argument(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    argument.__name__ = getattr(parse, "__name__", "value")
    return argument


def check_writable_dir(path: Path, what: str, *, create: bool = True) -> Path:
    """`path` as a folder this process can write into; a `ValueError` naming `what` otherwise. Checked
    before any work, so a long run never ends with its output lost. A missing folder is created, or,
    with `create=False`, left for the caller to create once its other checks passed (its nearest
    existing parent must then be a writable folder)."""
    if path.exists() and not path.is_dir():
        raise ValueError(f"{what} {path} exists and is not a folder")
    target = path
    if not create:
        while not target.exists():
            target = target.parent
        if not target.is_dir():
            raise ValueError(f"{what} {path}: a part of that path is a file")
    else:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise ValueError(f"{what} {path}: a part of that path is a file") from None
        except OSError as exc:
            raise ValueError(f"{what} {path} cannot be created ({exc.strerror})") from None
    if (reason := _cannot_write_in(target)) is not None:
        raise ValueError(f"{what} {path} is not writable ({reason})")
    return path


def check_writable_file(path: Path, what: str) -> Path:
    """`path` as a file this process can (over)write: not a folder, no file where a folder of its path
    should be, and its folder (or the nearest one that exists: the writer creates the rest) writable;
    a `ValueError` naming `what` otherwise. Nothing is created. Checked before any work, so a run
    does not end in a traceback with its output lost."""
    if path.is_dir():
        raise ValueError(f"{what} {path} is a folder, not a file")
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise ValueError(f"{what} {path}: {folder} is a file, not a folder")
    if (reason := _cannot_write_in(folder)) is not None:
        raise ValueError(f"{what} {path}: folder {folder} is not writable ({reason})")
    return path


def _cannot_write_in(folder: Path) -> str | None:
    """None if this process can create a file in `folder` (tried, as permissions alone do not tell:
    root, read-only mounts), else the OS's reason."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def readable_file(text: str) -> Path:
    """An argument type: a path to an existing regular file (not a folder)."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    return path
