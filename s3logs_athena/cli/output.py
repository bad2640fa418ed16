"""What every command's output shares: ``--format table|json``, ``--progress/--no-progress``,
JSON documents that keep dates as dates, and counts in words ("1 row", "2 rows").

Progress bars go to stderr and only when someone watches (stderr is a terminal), unless
``--progress``/``--no-progress`` says otherwise; JSON goes to stdout as one document.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import Progress, ProgressColumn

__all__ = [
    "dumps_json",
    "echo_json",
    "format_option",
    "json_default",
    "plural",
    "progress_bars",
    "progress_option",
    "show_progress",
]

F = TypeVar("F", bound=Callable[..., Any])


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 row``, ``2 rows``, ``1,234 rows``."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


def json_default(value: Any) -> Any:
    """JSON for the values commands report: dates as ``2024-03-04``, times as ISO 8601,
    paths as text, dataclasses and enums by value."""
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# JSON escapes C0 controls itself; these others (DEL, C1 controls such as the one-byte CSI,
# text-reordering and invisible characters) are escaped too, so that JSON read on a terminal
# is as safe as a table (non-ASCII text stays readable).
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def dumps_json(document: Any) -> str:
    """``document`` as indented JSON; dates as dates; terminal-safe."""
    text = json.dumps(document, indent=2, ensure_ascii=False, default=json_default)
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def echo_json(document: Any) -> None:
    """``document`` as indented JSON on stdout (:func:`dumps_json`)."""
    click.echo(dumps_json(document))


def format_option(
    *choices: str, default: str = "table", help: str | None = None
) -> Callable[[F], F]:
    """``--format`` with ``choices`` (the command receives ``output: str``)."""
    return click.option(
        "--format",
        "output",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help=help
        or "table: for people; json: one document on stdout with everything (for programs).",
    )


def progress_option(function: F) -> F:
    """``--progress/--no-progress`` (the command receives ``progress: bool | None``)."""
    return click.option(
        "--progress/--no-progress",
        default=None,
        help="Progress bars on stderr (default: when stderr is a terminal).",
    )(function)


def show_progress(flag: bool | None) -> bool:
    """The ``--progress`` flag, or whether stderr is a terminal."""
    return sys.stderr.isatty() if flag is None else flag


@contextmanager
def progress_bars(
    enabled: bool, *columns: ProgressColumn | str, transient: bool = True
) -> Iterator[Progress]:
    """A rich :class:`Progress` on stderr, drawn only when ``enabled`` (tasks may be added
    and advanced either way). Off a terminal (``--progress`` into a file) the final state
    is kept."""
    console = Console(stderr=True)
    with Progress(
        *columns,
        console=console,
        transient=transient and console.is_terminal,
        disable=not enabled,
    ) as progress:
        yield progress
