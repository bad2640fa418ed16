"""Parsed records as JSON Lines or CSV text (what ``s3logs-athena parse`` prints).

Both formats use our field names (:data:`~s3logs_athena.fields.FIELD_NAMES`) in order.
Request times are ISO 8601 UTC with a ``Z``; status, byte counts and times are numbers;
absent values are ``null`` in JSON and empty cells in CSV. Functions take the typed columns
of :func:`~s3logs_athena.parser.parse_columns` so a stream is written a batch at a time.

CSV goes through :class:`~s3logs_athena.cli.csv_output.CsvWriter`: quoted so any CSV reader
gets the same fields back, and with cells a spreadsheet would run as formulas neutralized
unless ``raw``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from ..fields import FIELD_NAMES, TRAILING_FIELD, ValueType
from ..fields import field as field_named
from ..parser import Columns
from .csv_output import CsvWriter

__all__ = ["FORMATS", "iso_utc", "json_lines", "write_csv", "write_csv_header", "write_jsonl"]

FORMATS = ("jsonl", "csv")

_TIME_FIELDS = tuple(
    name
    for name in FIELD_NAMES
    if name != TRAILING_FIELD.name and field_named(name).value_type is ValueType.TIMESTAMP
)


def iso_utc(moment: datetime) -> str:
    """``2019-02-06T00:00:38Z`` (the parser's datetimes are UTC, to the second)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_text_times(columns: Columns) -> list[list[Any]]:
    """The columns in field order, datetimes as ISO text (each distinct time formatted once:
    a log holds many requests per second)."""
    ordered = []
    for name in FIELD_NAMES:
        column = columns[name]
        if name in _TIME_FIELDS:
            texts = {moment: iso_utc(moment) for moment in set(column) if moment is not None}
            column = [None if moment is None else texts[moment] for moment in column]
        ordered.append(column)
    return ordered


def json_lines(columns: Columns) -> Iterator[str]:
    """One JSON object per record (no newline), keys in field order."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for row in zip(*_with_text_times(columns), strict=True):
        yield dumps(dict(zip(FIELD_NAMES, row, strict=True)))


def write_jsonl(columns: Columns, out: IO[str]) -> None:
    out.writelines(f"{line}\n" for line in json_lines(columns))


def write_csv_header(out: IO[str]) -> None:
    CsvWriter(out).writerow(FIELD_NAMES)


def write_csv(columns: Columns, out: IO[str], *, raw: bool = False) -> None:
    """CSV rows (RFC 4180 quoting, a lone CR included; ``None`` as an empty cell), after
    :func:`write_csv_header`; formula-like cells neutralized unless ``raw``. ``out`` must be
    opened with ``newline=""``."""
    CsvWriter(out, raw=raw).write_columns(_with_text_times(columns))
