"""Run a regex on the JVM the way Athena's RegexSerDe does, from Python.

Hive's and Trino's ``RegexSerDe`` apply the table's ``input.regex`` with ``java.util.regex``:
``Pattern.compile(regex, DOTALL).matcher(line).matches()``. Python's ``re`` and Java's engine
agree on the constructs the field list's regex uses, but not on how deep they recurse: Java
recurses once per repetition of a group, so a line can throw ``StackOverflowError`` in
Athena and parse fine in Python. The only honest check is the JVM itself.

``tests/jvm/RegexCheck.java`` is the program: it matches every line in one thread with a
chosen stack size and reports each line's groups, no match, or the overflow, and the time it
took. :func:`compile_checker` builds it with ``javac``; :func:`run_checker` runs it on a batch
of lines (JVM start-up costs about a second: batch everything into one run).
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["JavaMissing", "JvmLine", "JvmRun", "compile_checker", "java_tools", "run_checker"]

CLASS_NAME = "RegexCheck"


class JavaMissing(RuntimeError):
    """``java`` or ``javac`` is not on the PATH."""


@dataclass(frozen=True)
class JvmLine:
    """What ``matches()`` did with one line."""

    outcome: Literal["match", "no match", "stack overflow"]
    nanos: int
    #: Characters the matcher read: its work, independent of the machine and the JIT.
    reads: int
    groups: tuple[str | None, ...] | None  # for a match


@dataclass(frozen=True)
class JvmRun:
    group_count: int
    lines: list[JvmLine]


def java_tools() -> tuple[str, str]:
    """Paths of ``java`` and ``javac``; :class:`JavaMissing` says which is absent."""
    java, javac = shutil.which("java"), shutil.which("javac")
    missing = [name for name, path in (("java", java), ("javac", javac)) if path is None]
    if missing or java is None or javac is None:
        raise JavaMissing(f"{' and '.join(missing)} not found on PATH (a JDK 11+ is needed)")
    return java, javac


def compile_checker(source: Path, out_dir: Path) -> Path:
    """Compile ``source`` (``RegexCheck.java``) into ``out_dir``; the class path to run it."""
    _, javac = java_tools()
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [javac, "-encoding", "UTF-8", "-d", str(out_dir), str(source)],
        check=True,
        capture_output=True,
        text=True,
    )
    return out_dir


def _encode(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _decode(text: str) -> str | None:
    return None if text == "!" else base64.b64decode(text).decode("utf-8")


def run_checker(
    class_path: Path,
    regex: str,
    lines: Sequence[str],
    *,
    work_dir: Path,
    stack_kib: int = 512,
    repeat: int = 1,
    timeout: float = 600,
) -> JvmRun:
    """Match every line in one JVM, in a thread with a ``stack_kib`` KiB stack.

    With ``repeat`` > 1 each line is matched that many times and the fastest time is kept.
    Lines must not hold a line feed (Athena never sees one inside a line).
    """
    java, _ = java_tools()
    work_dir.mkdir(parents=True, exist_ok=True)
    request, response = work_dir / "lines.b64", work_dir / "results.txt"
    with request.open("w", encoding="ascii") as out:
        out.write(_encode(regex) + "\n")
        for line in lines:
            out.write(_encode(line) + "\n")
    subprocess.run(
        [
            java,
            "-Xshare:auto",
            "-XX:+UseSerialGC",
            "-cp",
            str(class_path),
            CLASS_NAME,
            str(stack_kib),
            str(repeat),
            str(request),
            str(response),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    head, *rows = response.read_text(encoding="ascii").splitlines()
    results: list[JvmLine] = []
    for row in rows:
        kind, nanos, reads, *rest = row.split(" ")
        if kind == "M":
            groups = tuple(_decode(text) for text in rest[0].split(",")) if rest else ()
            results.append(JvmLine("match", int(nanos), int(reads), groups))
        else:
            outcome: Literal["no match", "stack overflow"] = (
                "no match" if kind == "N" else "stack overflow"
            )
            results.append(JvmLine(outcome, int(nanos), int(reads), None))
    if len(results) != len(lines):
        raise RuntimeError(f"{CLASS_NAME} answered {len(results)} of {len(lines)} lines")
    return JvmRun(int(head.split()[1]), results)
