"""Split log files into the cache's typed columns, fast, with the Python parser as the referee.

The reference is :func:`s3logs_athena.parser.parse_columns` (the field list's regex, the same
one Athena's RegexSerDe runs, and the parser's conversions) turned into the typed schema by
:func:`s3logs_athena.table.schema.typed_record_batch`. Running it on every line costs about
as much as AWS's own regex in Python, so ingest takes a *vectorised fast path* in DuckDB and
hands the parser only the lines the fast path cannot vouch for:

1. Python reads each file's bytes and checks, at C speed, that DuckDB will see exactly the
   lines Python would (valid UTF-8, no byte-order mark, every CR part of a CRLF). A file that
   fails is split by the Python parser alone.
2. The lines go to DuckDB as one Arrow string array (zero copy: offsets into the file bytes,
   each line keeping its ``\\n``). SQL splits each line at its double quotes and spaces and
   checks the *canonical* shape: exactly six quotes (request URI, referrer and user agent
   quoted, none inside), single spaces, a bracketed ``[dd/Mon/yyyy:HH:MM:SS +hhmm]`` time, an
   operation, a 3-digit status and numeric byte and time fields, at most ten optional fields.
3. For such a line the regex's first choice at every branch (fewest requester words, shortest
   quoted fields; the user agent's greedy end has no later quote to reach) is this very split,
   so the texts are equal by construction. The requester may hold spaces (CloudFront OAI):
   then a shorter requester would need a bare ``-`` request URI among the following words, so
   the fast path takes the line only when no such word is ``-``.
4. The same SQL types the texts the way the parser does, and only where the conversion is
   beyond doubt: ``-`` is NULL; the status an INTEGER, byte counts and times BIGINT (a number
   too big for BIGINT is the parser's to judge); the request time only in the form
   ``[dd/Mon/yyyy:HH:MM:SS +0000]`` with a real date and time (any other offset, a leap second
   or an impossible date goes to the parser); an empty quoted field (``""``) goes to the parser
   too, which decides what it becomes.
5. Every other line (blank, unquoted ``-`` fields, quotes inside values, extra spaces, trailing
   fields, garbage) goes to ``parse_columns``; lines that do not parse there are counted in the
   :class:`~s3logs_athena.parser.ParseReport` with examples, never dropped silently.

A test runs both paths on the corpus and on generated edge cases and requires equal output.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from ..errors import InputError, LogParseError
from ..fields import FIELD_NAMES, LOG_FIELDS, TRAILING_FIELD
from ..logfile import open_log, read_log_bytes
from ..parser import Columns, ParseReport, decode_line, iter_line_batches, parse_columns
from ..table.schema import TYPED_COLUMN_NAMES, TYPED_COLUMNS, typed_arrow_schema, typed_record_batch

__all__ = ["SourceFile", "parse_lines_python", "split_files", "split_files_in_pieces"]

_OPTIONAL = [f.name for f in LOG_FIELDS if f.optional]
_OP_SHAPE = r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+|-"
_MIDDLE_SHAPE = r" (?:-|[0-9]{3}) [^ ]+ (?:-|[0-9]+) (?:-|[0-9]+) (?:-|[0-9]+) (?:-|[0-9]+) "
_TIME_HEAD = r"\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2}"
#: The only offset the fast path reads (S3 writes it); any other is converted by the parser.
_TIME_TAIL = "+0000]"


@dataclass(frozen=True)
class SourceFile:
    """One log object on local disk and the partition it belongs to."""

    path: Path
    #: The log object's file name (unique within its partition).
    name: str
    year: int
    month: int
    day: int
    bucket: str
    #: What "unchanged" means for this file (size and mtime, or the S3 ETag).
    fingerprint: str

    @property
    def partition(self) -> tuple[int, int, int, str]:
        """The partition the object sits in (its delivery day and source bucket)."""
        return (self.year, self.month, self.day, self.bucket)


def _typed_select() -> dict[str, str]:
    """Typed column -> its DuckDB expression over the split parts of a canonical line."""
    text = {
        "bucketowner": "h[1]",
        "bucket_name": "h[2]",
        "remoteip": "h[5]",
        "requester": "CASE WHEN n = 9 THEN h[6] ELSE array_to_string(h[6:n-3], ' ') END",
        "requestid": "h[n-2]",
        "operation": "h[n-1]",
        "key": "h[n]",
        "request_uri": "p[2]",
        "httpstatus": "m[2]",
        "errorcode": "m[3]",
        "bytessent": "m[4]",
        "objectsize": "m[5]",
        "totaltime": "m[6]",
        "turnaroundtime": "m[7]",
        "referrer": "p[4]",
        "useragent": "p[6]",
    }
    text.update({name: f"o[{i}]" for i, name in enumerate(_OPTIONAL, start=2)})
    select: dict[str, str] = {}
    for column in TYPED_COLUMNS:
        field = column.source
        if field is TRAILING_FIELD:
            select[column.name] = "NULL::VARCHAR"
        elif column.trino_type == "timestamp":
            select[column.name] = "ts"
        elif column.trino_type == "varchar":
            select[column.name] = f"NULLIF({text[field.name]}, '-')"
        else:
            select[column.name] = (
                f"TRY_CAST(NULLIF({text[field.name]}, '-') AS {column.duckdb_type})"
            )
    assert tuple(select) == TYPED_COLUMN_NAMES
    return select


def _fast_sql() -> str:
    """The SQL of the fast path over a table ``lines(line, file, lineno, idx)``: the typed
    rows of the lines it vouches for, with ``idx`` (the line's row number) to find the others.

    ``p`` = the line split at double quotes, ``h`` = the part before the request URI split at
    spaces (``n`` words), ``m`` = status to turn-around time, ``o`` = the optional fields,
    ``ts`` = the request time read without its offset (vouched for only when it is +0000).
    """
    select = ",\n  ".join(f"{expr} AS {name}" for name, expr in _typed_select().items())
    # Byte counts and times: digits (the shape says so) that fit a BIGINT; a longer number
    # is the parser's to judge.
    numbers = " AND ".join(
        f"(m[{i}] = '-' OR TRY_CAST(m[{i}] AS BIGINT) IS NOT NULL)" for i in range(4, 8)
    )
    ok = f"""
    len(p) = 7 AND p[5] = ' ' AND regexp_full_match(p[3], '{_MIDDLE_SHAPE}')
    AND (t = '' OR (starts_with(t, ' ') AND NOT contains(t, '  ') AND NOT suffix(t, ' ')))
    AND len(o) <= {len(_OPTIONAL) + 1}
    AND n >= 9 AND list_position(h, '') = n + 1
    AND regexp_full_match(h[3], '{_TIME_HEAD}') AND h[4] = '{_TIME_TAIL}'
    AND ts >= TIMESTAMP '0001-01-01'
    AND (n = 9 OR NOT list_contains(h[10:n], '-'))
    AND regexp_full_match(h[n-1], '{_OP_SHAPE}')
    AND p[2] <> '' AND p[4] <> '' AND p[6] <> ''
    AND {numbers}"""
    return f"""
SELECT {select}, file, idx
FROM (
  SELECT *
  FROM (
    SELECT *, len(h) - 1 AS n, string_split(p[3], ' ') AS m, string_split(t, ' ') AS o,
      try_strptime(h[3][2:], '%d/%b/%Y:%H:%M:%S') AS ts
    FROM (
      SELECT *, string_split(p[1], ' ') AS h, rtrim(p[-1], E'\\r\\n') AS t
      FROM (SELECT line, file, idx, string_split(line, '"') AS p FROM lines)
    )
  )
  WHERE coalesce({ok}, false)
)"""


_FAST_SQL = _fast_sql()


def _duckdb_friendly(data: bytes) -> bool:
    """Whether DuckDB, given this file's bytes cut at ``\\n``, sees Python's lines exactly."""
    if data.startswith(codecs.BOM_UTF8):
        return False
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return b"\r" not in data or data.count(b"\r") == data.count(b"\r\n")


def _empty_columns() -> Columns:
    return {name: [] for name in FIELD_NAMES}


def _extend(into: Columns, more: Columns) -> None:
    for name in FIELD_NAMES:
        into[name].extend(more[name])


def parse_lines_python(
    lines: Sequence[str],
    *,
    source: str | None,
    line_numbers: Sequence[int],
    report: ParseReport,
) -> Columns:
    """Parsed columns of ``lines`` (without line endings) by the reference parser, leniently.

    Blank lines are counted; lines that do not parse are counted with examples (``source`` and
    their number in ``line_numbers``) in ``report``. Consecutive line numbers are parsed
    together, which is what the parser is fast at.
    """
    columns = _empty_columns()
    start = 0
    while start < len(lines):
        end = start + 1
        while end < len(lines) and line_numbers[end] == line_numbers[end - 1] + 1:
            end += 1
        _extend(
            columns,
            parse_columns(
                lines[start:end],
                first_line_number=line_numbers[start],
                source=source,
                lenient=True,
                report=report,
            ),
        )
        start = end
    return columns


def _typed_table(columns: Columns, file_index: list[int]) -> pa.Table:
    """Parsed columns as a typed table plus the ``file`` index column."""
    batch = typed_record_batch(columns)
    return pa.Table.from_batches([batch]).append_column(
        "file", pa.array(file_index, type=pa.int32())
    )


def _slow_file(path: Path, source: str, report: ParseReport, index: int) -> pa.Table:
    """A whole file through the Python parser (odd encodings, stray CRs, byte-order marks)."""
    columns = _empty_columns()
    number = 1
    with path.open("rb") as raw:
        for batch in iter_line_batches(open_log(raw, source)):
            _extend(
                columns,
                parse_columns(
                    batch, first_line_number=number, source=source, lenient=True, report=report
                ),
            )
            number += len(batch)
    return _typed_table(columns, [index] * len(columns[FIELD_NAMES[0]]))


def _result_schema() -> pa.Schema:
    return typed_arrow_schema().append(pa.field("file", pa.int32()))


def split_files(
    files: Sequence[SourceFile],
    *,
    report: ParseReport,
    connection: duckdb.DuckDBPyConnection | None = None,
    failures: dict[int, int] | None = None,
) -> pa.Table:
    """Typed columns of every record in ``files``, plus ``file`` (the index into ``files``).

    ``report`` receives the line, record, blank and failure counts (with examples);
    ``failures``, if given, the number of unparseable lines per file index.
    """
    return pa.concat_tables(
        split_files_in_pieces(files, report=report, connection=connection, failures=failures)
    )


def split_files_in_pieces(
    files: Sequence[SourceFile],
    *,
    report: ParseReport,
    connection: duckdb.DuckDBPyConnection | None = None,
    failures: dict[int, int] | None = None,
) -> list[pa.Table]:
    """Like :func:`split_files`, as a few tables whose rows are each in file order (so a
    caller can cut them into per-file or per-partition slices without copying)."""
    failures = {} if failures is None else failures
    con = connection or duckdb.connect()
    pieces: list[pa.Table] = []
    chunks: list[bytes] = []
    fast_indexes: list[int] = []
    for index, source in enumerate(files):
        try:
            data = read_log_bytes(source.path)
        except InputError as exc:  # binary, or a damaged gzip: one failure, not the batch's
            reason = str(exc).removeprefix(f"{source.path}: ")
            report.add_failure(LogParseError(reason, line="", source=str(source.path)))
            failures[index] = failures.get(index, 0) + 1
            continue
        if not _duckdb_friendly(data):
            before = report.failed
            pieces.append(_slow_file(source.path, str(source.path), report, index))
            if report.failed > before:
                failures[index] = report.failed - before
            continue
        if data and not data.endswith(b"\n"):
            data += b"\n"
        chunks.append(data)
        fast_indexes.append(index)
    if chunks:
        pieces.extend(_split_fast(chunks, fast_indexes, files, con, report, failures))
    if connection is None:
        con.close()
    return pieces or [_typed_table(_empty_columns(), [])]


_BATCH_BYTES = 4 << 20


def _line_batch(chunks: list[bytes], indexes: list[int], first_index: int) -> pa.RecordBatch:
    """One Arrow row per line of ``chunks`` (each ends with LF and each line keeps it),
    zero-copy over the joined bytes."""
    blob = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    ends = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == 10) + 1
    offsets = np.concatenate((np.zeros(1, dtype=np.int64), ends))
    count = len(ends)
    lines = pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(blob))
    sizes = np.array([len(chunk) for chunk in chunks], dtype=np.int64)
    # File of each line: the chunk whose byte range holds the line's first byte.
    chunk_of_line = np.searchsorted(np.cumsum(sizes), offsets[:-1], side="right")
    first_line = np.searchsorted(offsets[:-1], np.cumsum(sizes) - sizes)
    lineno = np.arange(count, dtype=np.int64) - first_line[chunk_of_line] + 1
    return pa.record_batch(
        {
            "line": lines,
            "file": pa.array(np.asarray(indexes, dtype=np.int32)[chunk_of_line]),
            "lineno": pa.array(lineno.astype(np.int32)),
            "idx": pa.array(np.arange(first_index, first_index + count, dtype=np.int64)),
        }
    )


def _line_table(chunks: list[bytes], indexes: list[int]) -> pa.Table:
    """The lines of every chunk, in record batches of a few MB so DuckDB scans them on every
    thread (one big buffer would also cost a slow, page-faulting scan for newlines)."""
    batches: list[pa.RecordBatch] = []
    group: list[bytes] = []
    group_indexes: list[int] = []
    size = 0
    for chunk, index in zip(chunks, indexes, strict=True):
        group.append(chunk)
        group_indexes.append(index)
        size += len(chunk)
        if size >= _BATCH_BYTES:
            batches.append(_line_batch(group, group_indexes, sum(b.num_rows for b in batches)))
            group, group_indexes, size = [], [], 0
    if group:
        batches.append(_line_batch(group, group_indexes, sum(b.num_rows for b in batches)))
    return pa.Table.from_batches(batches)


def _split_fast(
    chunks: list[bytes],
    fast_indexes: list[int],
    files: Sequence[SourceFile],
    con: duckdb.DuckDBPyConnection,
    report: ParseReport,
    failures: dict[int, int],
) -> list[pa.Table]:
    lines = _line_table(chunks, fast_indexes)
    con.register("lines", lines)
    try:
        result = con.sql(_FAST_SQL).to_arrow_table()
    finally:
        con.unregister("lines")
    fast = result.select([*TYPED_COLUMN_NAMES, "file"])
    report.lines += fast.num_rows
    report.records += fast.num_rows
    pieces = [fast.cast(_result_schema())]
    # The lines the fast path did not return (no filter over the big result: copying every
    # column would cost as much as the split itself).
    declined = np.ones(lines.num_rows, dtype=bool)
    declined[result["idx"].to_numpy()] = False
    if declined.any():
        # Batch by batch: a take over the whole table would first concatenate every line.
        taken = []
        start = 0
        for batch in lines.to_batches():
            picked = np.flatnonzero(declined[start : start + batch.num_rows])
            start += batch.num_rows
            if len(picked):
                taken.append(batch.select(["file", "lineno", "line"]).take(pa.array(picked)))
        rest = pa.Table.from_batches(taken)
        pieces.append(_split_rest(rest, files, report, failures))
    return pieces


def _split_rest(
    rest: pa.Table,
    files: Sequence[SourceFile],
    report: ParseReport,
    failures: dict[int, int],
) -> pa.Table:
    """The lines the fast path declined, through the reference parser, file by file."""
    columns = _empty_columns()
    indexes: list[int] = []
    file_column = rest["file"].to_pylist()
    numbers = rest["lineno"].to_pylist()
    texts = [decode_line(text) for text in rest["line"].to_pylist()]
    start = 0
    while start < len(texts):
        index = file_column[start]
        end = start
        while end < len(texts) and file_column[end] == index:
            end += 1
        before_failed, before_records = report.failed, report.records
        _extend(
            columns,
            parse_lines_python(
                texts[start:end],
                source=str(files[index].path),
                line_numbers=numbers[start:end],
                report=report,
            ),
        )
        if report.failed > before_failed:
            failures[index] = failures.get(index, 0) + report.failed - before_failed
        indexes.extend([index] * (report.records - before_records))
        start = end
    return _typed_table(columns, indexes)
