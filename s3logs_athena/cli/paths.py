"""Output paths checked before any work, and files written whole or not at all.

``report`` runs every query before it writes, ``demo`` a whole pipeline: an ``--out`` that
cannot be written (under ``/proc``, under an existing file, a directory without write
permission) must fail first, in one line. ``os.access`` is not enough (root may "access"
``/proc``), so the check creates and removes a probe file where the output will go.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError

__all__ = ["atomic_path", "check_writable_dir", "check_writable_file"]


def _nearest_existing(path: Path) -> Path:
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def _probe(directory: Path, option: str, target: Path) -> None:
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".s3logs-probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            f"{option} {target}: cannot write in {directory} ({reason}); choose another path"
        ) from None


def _existing_parent(path: Path, option: str) -> Path:
    """The nearest existing ancestor, which must be a directory (not a file)."""
    ancestor = _nearest_existing(path.parent if path.parent != path else path)
    if not ancestor.is_dir():
        raise InputError(f"{option} {path}: {ancestor} is a file, not a directory")
    return ancestor


def check_writable_file(path: Path, option: str = "--out") -> None:
    """:class:`InputError` unless a file can be written at ``path`` (its missing parent
    directories are created later by the writer)."""
    path = path.expanduser()
    if path.is_dir():
        raise InputError(f"{option} {path} is a directory: give a file name")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{option} {path}: permission denied")
    _probe(_existing_parent(path, option), option, path)


def check_writable_dir(path: Path, option: str = "--out") -> None:
    """:class:`InputError` unless ``path`` is (or can be created as) a writable directory."""
    path = path.expanduser()
    if path.exists():
        if not path.is_dir():
            raise InputError(f"{option} {path} exists and is not a directory")
        _probe(path, option, path)
        return
    _probe(_existing_parent(path, option), option, path)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path next to ``path`` that replaces ``path`` when the block ends without
    an error (and is removed otherwise): an interrupted write leaves the old file, or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
