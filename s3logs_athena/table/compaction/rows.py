"""Raw object bodies -> typed rows routed to their request day; rejects and counts.

The parsing half of :func:`~.partition.compact_partition`: every object goes through the
parser ``ingest`` uses, a chunk of lines at a time, column by column
(:func:`~s3logs_athena.table.typed_lines.typed_batch`) when the whole chunk parses, through
:func:`~s3logs_athena.parser.parse_columns` and
:func:`~s3logs_athena.table.schema.typed_record_batch` otherwise (which decide what is
rejected and why). A line the parser cannot read, or whose value does not fit its typed
column, is never dropped: it goes to the rejects (raw text, source key, line number, reason)
and is counted.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ...errors import LogParseError
from ...parser import Columns, ParseReport, iter_line_batches, parse_columns
from ..typed_lines import typed_batch
from .sorting import SEQUENCE, SortedDayWriter

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["Counts", "Rejects", "Router", "parse_object"]


@dataclass
class Counts:
    """Lines read (blank ones included), records typed and lines rejected so far."""

    lines: int = 0
    blank: int = 0
    records: int = 0
    rejects: int = 0


class Rejects:
    """Unparseable lines, as JSON lines in a local file (created on the first one)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._file: IO[str] | None = None

    def add(self, key: str, line_number: int | None, reason: str, line: str) -> None:
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8")
        record = {"key": key, "line_number": line_number, "reason": reason, "line": line}
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _typed_rows(
    columns: Columns, lines: list[str], first: int, failed: set[int], key: str, rejects: Rejects
) -> pa.RecordBatch | None:
    """Typed Arrow rows of parsed columns; a row whose value does not fit its type (a byte
    count beyond 64 bits) is moved to the rejects instead of failing the batch."""
    import pyarrow as pa

    from ..schema import typed_record_batch

    try:
        return typed_record_batch(columns)
    except (pa.ArrowException, OverflowError, ValueError):
        pass
    # Rare: find the offending rows one by one. Row i of the columns is the i-th line that
    # parsed (blank and failed lines produced no row).
    numbers = [
        first + offset
        for offset, line in enumerate(lines)
        if line.strip() and first + offset not in failed
    ]
    kept: list[pa.RecordBatch] = []
    names = list(columns)
    for index, number in enumerate(numbers):
        row = {name: [columns[name][index]] for name in names}
        try:
            kept.append(typed_record_batch(row))
        except (pa.ArrowException, OverflowError, ValueError) as exc:
            reason = f"a value does not fit its typed column ({type(exc).__name__}: {exc})"
            rejects.add(key, number, reason, lines[number - first])
    if not kept:
        return None
    return pa.Table.from_batches(kept).combine_chunks().to_batches()[0]


class Router:
    """Typed batches -> the writer, split by request day (UTC)."""

    def __init__(self, writer: SortedDayWriter, raw_day: date) -> None:
        self.writer = writer
        self.raw_day = raw_day
        self.sequence = 0

    def add(self, batch: pa.RecordBatch) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        rows = batch.num_rows
        sequence = pa.array(range(self.sequence, self.sequence + rows), pa.int64())
        self.sequence += rows
        batch = batch.append_column(SEQUENCE, sequence)
        times = batch.column("request_time")
        days = pc.cast(times, pa.date32())
        if times.null_count:
            days = pc.fill_null(days, pa.scalar(self.raw_day, pa.date32()))
        low, high = (scalar.as_py() for scalar in pc.min_max(days).values())
        if low == high:
            self.writer.add(low, batch)
            return
        for day in pc.unique(days).to_pylist():
            self.writer.add(day, batch.filter(pc.equal(days, pa.scalar(day, pa.date32()))))


def parse_object(
    key: str,
    body: bytes,
    router: Router,
    rejects: Rejects,
    counts: Counts,
    *,
    columnwise: bool = True,
) -> None:
    """Parse one raw object's lines into typed rows for ``router``; rejects and counts.

    A chunk of lines goes :func:`~s3logs_athena.table.typed_lines.typed_batch`'s way
    (column by column, no Python value per field) when every line of it parses; otherwise,
    or with ``columnwise=False`` (the reference the tests and the benchmark compare with),
    through the parser's ``parse_columns`` and ``typed_record_batch``, which decide what is
    rejected and why."""
    number = 1
    for lines in iter_line_batches(io.BytesIO(body)):
        fast = typed_batch(lines) if columnwise else None
        if fast is not None:
            counts.lines += len(lines)
            if fast.num_rows:
                counts.records += fast.num_rows
                router.add(fast)
            number += len(lines)
            continue
        report = ParseReport(source=key, max_examples=len(lines) + 1)
        columns = parse_columns(
            lines, first_line_number=number, source=key, lenient=True, report=report
        )
        failed: set[int] = set()
        for error in report.examples:
            _reject(rejects, key, error)
            if error.line_number is not None:
                failed.add(error.line_number)
        counts.lines += report.lines
        counts.blank += report.blank
        if report.records:
            typed = _typed_rows(columns, lines, number, failed, key, rejects)
            if typed is not None:
                counts.records += typed.num_rows
                router.add(typed)
        number += len(lines)
    counts.rejects = rejects.count


def _reject(rejects: Rejects, key: str, error: LogParseError) -> None:
    rejects.add(key, error.line_number, error.reason, error.line)
