"""Open a log file as its text bytes: gzip read transparently, other binary files refused.

People gzip local copies of their logs (``aws s3 sync`` then ``gzip -r``), and a directory of
logs may hold a stray archive or image. Reading either as log lines would print one error
per line of garbage; instead a gzip stream is decompressed (by its magic bytes, whatever the
file is called, concatenated members included) and any other binary content raises
:class:`BinaryFileError`, "binary, not a log", once.

"Binary" is judged on the first 8 KiB: a NUL byte or more than 10% control characters,
unless the data starts like a log record (``owner bucket [``), so that a hostile NUL inside
a real log's User-Agent does not hide the whole file.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from pathlib import Path
from typing import IO

from .errors import InputError

__all__ = [
    "BinaryFileError",
    "is_gzip",
    "looks_binary",
    "open_log",
    "read_log_bytes",
    "sniff_file",
]

GZIP_MAGIC = b"\x1f\x8b"
_HEAD = 8192
_LOG_START = re.compile(rb"[^ \r\n]+ [^ \r\n]+ \[")
# Bytes that do not occur in text: C0 controls other than TAB, LF, VT, FF, CR and ESC; DEL.
_NOT_TEXT = bytes(b for b in range(32) if b not in b"\t\n\x0b\x0c\r\x1b") + b"\x7f"


class BinaryFileError(InputError):
    """A file given as a log is binary (and not gzip): it cannot hold log lines."""

    def __init__(self, name: str, detail: str = "") -> None:
        super().__init__(f"{name}: binary, not a log{f' ({detail})' if detail else ''}")
        self.name = name


def is_gzip(head: bytes) -> bool:
    return head.startswith(GZIP_MAGIC)


def looks_binary(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) is binary rather than text."""
    if not head or _LOG_START.match(head):
        return False
    if b"\0" in head:
        return True
    control = len(head) - len(head.translate(None, _NOT_TEXT))
    return control * 10 > len(head)


class _Prepended(io.RawIOBase):
    """``head`` followed by the rest of ``stream`` (what was read to sniff it is not lost)."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _read_head(stream: IO[bytes]) -> bytes:
    parts: list[bytes] = []
    size = 0
    while size < _HEAD:
        part = stream.read(_HEAD - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


class _GzipErrors(io.RawIOBase):
    """A gzip stream whose corruption is an :class:`InputError` naming the file."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self._stream = stream
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            data = self._stream.read(len(buffer))
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{self._name}: a damaged or cut-short gzip file ({exc})") from None
        buffer[: len(data)] = data
        return len(data)


def open_log(stream: IO[bytes], name: str) -> IO[bytes]:
    """``stream`` as log text bytes: gunzipped if it is gzip, :class:`BinaryFileError` if it
    is other binary data. ``name`` is used in messages."""
    head = _read_head(stream)
    if is_gzip(head):
        unzipped = gzip.GzipFile(fileobj=io.BufferedReader(_Prepended(head, stream)), mode="rb")
        checked = io.BufferedReader(_GzipErrors(unzipped, name))  # type: ignore[arg-type]
        inner = _read_head(checked)
        if looks_binary(inner):
            raise BinaryFileError(name, "gzip of binary data")
        return io.BufferedReader(_Prepended(inner, checked))
    if looks_binary(head):
        raise BinaryFileError(name)
    return io.BufferedReader(_Prepended(head, stream))


def read_log_bytes(path: Path | str) -> bytes:
    """The whole log text of the file at ``path`` (gunzipped if gzip)."""
    data = Path(path).read_bytes()
    if is_gzip(data):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{path}: a damaged or cut-short gzip file ({exc})") from None
        if looks_binary(data[:_HEAD]):
            raise BinaryFileError(str(path), "gzip of binary data")
    elif looks_binary(data[:_HEAD]):
        raise BinaryFileError(str(path))
    return data


def sniff_file(path: Path | str) -> str:
    """``"gzip"``, ``"binary"`` or ``"text"``: what the file at ``path`` holds, from its head."""
    with Path(path).open("rb") as raw:
        head = _read_head(raw)
    if is_gzip(head):
        return "gzip"
    return "binary" if looks_binary(head) else "text"
