"""Parse S3 server access log lines into typed records.

The parser is the field list's regex (:func:`s3logs_athena.fields.record_regex`, the same one
the Athena table uses) plus type conversion, so Python and Athena split every line the same
way. It reads a line of any content in linear time and memory: no backtracking that grows
with the line, nothing per character kept (see :mod:`s3logs_athena.line_regex`).

Conversion follows what Athena's typed view returns for the same text:

* ``-`` means absent and becomes ``None``; an empty quoted field ``""`` (an empty header)
  stays ``''``, which is not the same as absent (trailing fields that are only spaces are
  ``None``);
* status, byte counts and times become ``int``;
* the request time becomes a timezone-aware UTC ``datetime``. A leap second (``23:59:60``,
  which S3's ``strftime``-style ``%S`` allows) becomes ``None`` and the record is kept: the
  typed view reads the time with Trino's ``parse_datetime(text, 'dd/MMM/yyyy:HH:mm:ss Z')``,
  a Joda-Time formatter whose ``secondOfMinute`` field is 0-59 (``IllegalFieldValueException``
  "Value 60 for secondOfMinute must be in the range [0,59]"), which Trino raises as
  ``INVALID_FUNCTION_ARGUMENT`` and the view's ``try()`` turns into NULL. (DuckDB's
  ``strptime``, the local engine's view, also gives NULL.) Other impossible times
  (``31/Feb``, ``:61``) still reject the line.

Speed: the work is done a slice of a few hundred lines at a time and column by column, so that
nearly every step (matching, transposing, ``-`` -> ``None``, int and time conversion through
memo tables) runs inside C loops rather than Python bytecode per field, on data that is still
in the CPU cache. ``benchmarks/parse.py`` measures it against AWS's documented regex.
``parse_columns`` returns the typed columns themselves (what the Parquet cache and DataFrames
want); ``parse_lines`` turns them into :class:`LogRecord` tuples.

Bad lines are never dropped silently: :func:`parse_line` raises :class:`LogParseError`;
:func:`parse_lines` raises it with the line number, or in lenient mode counts the line in a
:class:`ParseReport` (keeping the first few errors as examples) and goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from itertools import islice
from typing import IO, Any, NamedTuple, cast

from .errors import LogParseError
from .fields import FIELD_NAMES, LOG_FIELDS, ValueType, record_regex

__all__ = [
    "Columns",
    "LogRecord",
    "ParseReport",
    "decode_line",
    "iter_line_batches",
    "parse_columns",
    "parse_line",
    "parse_lines",
    "parse_request_time",
    "parse_stream",
    "split_line",
]


class LogRecord(NamedTuple):
    """One parsed log line. Field order and names are :data:`~s3logs_athena.fields.FIELD_NAMES`
    (a test keeps the two in step); ``None`` means the line had ``-`` or lacked the field."""

    bucketowner: str | None
    bucket_name: str | None
    requestdatetime: datetime | None
    remoteip: str | None
    requester: str | None
    requestid: str | None
    operation: str | None
    key: str | None
    request_uri: str | None
    httpstatus: int | None
    errorcode: str | None
    bytessent: int | None
    objectsize: int | None
    totaltime: int | None
    turnaroundtime: int | None
    referrer: str | None
    useragent: str | None
    versionid: str | None
    hostid: str | None
    sigv: str | None
    ciphersuite: str | None
    authtype: str | None
    endpoint: str | None
    tlsversion: str | None
    accesspointarn: str | None
    aclrequired: str | None
    sourceregion: str | None
    trailing_fields: str | None


#: Typed values by field name, one list entry per record (same order in every list).
Columns = dict[str, list[Any]]

#: The Athena table's regex.
RECORD_PATTERN = re.compile(record_regex())
_fullmatch = RECORD_PATTERN.fullmatch

# Typed loosely on purpose: only applied to matches known not to be None.
_groups: Callable[[Any], tuple[str | None, ...]] = re.Match.groups
_make_record: Callable[[Iterable[Any]], LogRecord] = partial(tuple.__new__, LogRecord)

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_TIME_SHAPE = re.compile(r"[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}")

# ISO 8601 text of the date part ("06/Feb/2019:" -> "2019-02-06T") and of the offset part
# (" +0000" -> "+00:00") of the request times seen so far. A log holds few distinct dates
# and offsets, so a time is two dict lookups and a C-level datetime.fromisoformat (about 4x
# faster than building the datetime field by field when most times are distinct).
_iso_dates: dict[str, str] = {}
_iso_offsets: dict[str, str] = {}


def parse_request_time(text: str) -> datetime | None:
    """``06/Feb/2019:00:00:38 +0000`` -> ``datetime(2019, 2, 6, 0, 0, 38, tzinfo=UTC)``.

    Offsets other than ``+0000`` (seen in old logs) are converted to UTC. A leap second
    (``:60``) of an otherwise valid time is ``None``, as in Athena's typed view (see the
    module's docstring); any other impossible time raises ``ValueError``.
    """
    try:
        iso = _iso_dates[text[:12]] + text[12:20] + _iso_offsets[text[20:]]
    except KeyError:
        iso = _learn_time_parts(text)
    if len(text) != 26 or text[14] != ":" or text[17] != ":":
        raise ValueError(f"request time {text!r} is not like 06/Feb/2019:00:00:38 +0000")
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        if text[18:20] == "60" and _is_time(iso[:17] + "59" + iso[19:]):
            return None
        raise ValueError(f"request time {text!r} is not a valid time of day") from None
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _is_time(iso: str) -> bool:
    try:
        datetime.fromisoformat(iso)
    except ValueError:
        return False
    return True


def _learn_time_parts(text: str) -> str:
    """Check and remember the date and offset parts of ``text``; its ISO 8601 form."""
    if not _TIME_SHAPE.fullmatch(text):
        raise ValueError(f"request time {text!r} is not like 06/Feb/2019:00:00:38 +0000")
    date_text, offset_text = text[:12], text[20:]  # "06/Feb/2019:", " +0000"
    if date_text not in _iso_dates:
        month = _MONTHS.get(text[3:6])
        if month is None:
            raise ValueError(f"request time {text!r} has an unknown month {text[3:6]!r}")
        try:
            day = date(int(text[7:11]), month, int(text[0:2]))
        except ValueError as exc:  # 31/Feb
            raise ValueError(f"request time {text!r}: {exc}") from None
        _iso_dates[date_text] = day.isoformat() + "T"
    if offset_text not in _iso_offsets:
        _iso_offsets[offset_text] = f"{text[21:24]}:{text[24:26]}"
    return _iso_dates[date_text] + text[12:20] + _iso_offsets[offset_text]


class _Memo(dict[str | None, Any]):
    """Text -> converted value, filled on first use. Request times repeat a lot (many
    requests per second), and a dict hit is a C-level lookup. Bounded: cleared when it grows
    past ``limit`` entries."""

    def __init__(self, convert: Callable[[str], Any], limit: int = 100_000) -> None:
        super().__init__({None: None, "-": None})
        self._convert = convert
        self._limit = limit

    def __missing__(self, text: str | None) -> Any:
        assert text is not None  # None is always present
        value = self._convert(text)
        if len(self) >= self._limit:
            self.clear()
            self.update({None: None, "-": None})
        self[text] = value
        return value


_Converter = Callable[[tuple[str | None, ...]], list[Any]]


def _column_converters() -> list[_Converter]:
    """One function per field turning a column of raw texts into typed values."""
    times = _Memo(parse_request_time)

    # Many fields are never "-" within a slice (owner, bucket, request id...): a C-level
    # scan for "-" then a plain copy beats converting value by value.
    def tokens(column: tuple[str | None, ...]) -> list[Any]:
        if "-" not in column:
            return list(column)
        return [None if text == "-" else text for text in column]

    def trailing(column: tuple[str | None, ...]) -> list[Any]:
        """Trailing fields: empty when only spaces followed the last known field."""
        if "-" not in column and "" not in column:
            return list(column)
        return [None if text == "-" or text == "" else text for text in column]

    # Ints are converted directly: int() is cheap, and byte counts and sizes vary too much
    # for a memo table to pay (misses cost more than hits save). Int fields are never absent.
    def integers(column: tuple[str | None, ...]) -> list[Any]:
        texts = cast("tuple[str, ...]", column)
        if "-" not in texts:
            return list(map(int, texts))
        return [None if text == "-" else int(text) for text in texts]

    def timestamps(column: tuple[str | None, ...]) -> list[Any]:
        return list(map(times.__getitem__, column))

    by_type: dict[ValueType, _Converter] = {
        ValueType.STR: tokens,
        ValueType.INT: integers,
        ValueType.TIMESTAMP: timestamps,
    }
    # Quoted fields are tokens here: "-" is absent, "" (an empty header) stays "".
    converters = [by_type[f.value_type] for f in LOG_FIELDS]
    converters.append(trailing)
    return converters


_CONVERTERS = _column_converters()


def split_line(line: str) -> tuple[str | None, ...]:
    """The raw text of each field, as Athena's RegexSerDe sees it (no conversion).

    One entry per :data:`~s3logs_athena.fields.FIELD_NAMES`; ``None`` for optional fields the
    line does not have. Quoted fields come without their outer quotes. ``line`` must not hold
    its line ending.
    """
    match = _fullmatch(line)
    if match is None:
        raise LogParseError(_diagnose(line), line=line)
    return match.groups()


def parse_line(line: str) -> LogRecord:
    """Parse one line (without its line ending) into a typed record."""
    raw = split_line(line)
    try:
        return _make_record(
            convert((text,))[0] for convert, text in zip(_CONVERTERS, raw, strict=True)
        )
    except ValueError as exc:
        raise LogParseError(str(exc), line=line) from None


@dataclass
class ParseReport:
    """What happened while parsing a stream: counts and the first few failures."""

    source: str | None = None
    lines: int = 0
    records: int = 0
    blank: int = 0
    failed: int = 0
    examples: list[LogParseError] = field(default_factory=list)
    max_examples: int = 20

    def add_failure(self, error: LogParseError) -> None:
        self.failed += 1
        if len(self.examples) < self.max_examples:
            self.examples.append(error)

    def merge(self, other: ParseReport) -> None:
        """Add another report's counts (and examples, up to the limit) to this one."""
        self.lines += other.lines
        self.records += other.records
        self.blank += other.blank
        self.failed += other.failed
        room = self.max_examples - len(self.examples)
        self.examples.extend(other.examples[: max(room, 0)])

    @property
    def ok(self) -> bool:
        return self.failed == 0


def decode_line(raw: str | bytes) -> str:
    """Text of a line without its ending. Bytes are UTF-8; invalid bytes become U+FFFD,
    as Athena reads them, rather than failing the line."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text.rstrip("\r\n")


#: Lines matched, transposed and converted together. Small slices are faster, for two
#: measured reasons (benchmarks/parse.py): a slice's text and field strings stay in the CPU
#: cache from one step to the next, and fewer than 700 container objects (CPython's default
#: gen-0 threshold) are alive at once, so the cyclic garbage collector never runs while
#: parsing. 8192-line batches spent ~20% of their time in the collector.
_SLICE = 256


def parse_columns(
    lines: Sequence[str],
    *,
    first_line_number: int = 1,
    source: str | None = None,
    lenient: bool = False,
    report: ParseReport | None = None,
) -> Columns:
    """Parse a batch of lines (without line endings) into typed columns.

    ``first_line_number`` numbers the lines for error messages. Blank lines are counted in
    ``report``, not parsed. A bad line raises :class:`LogParseError` unless ``lenient``.
    """
    if report is None:
        report = ParseReport(source=source)
    if len(lines) <= _SLICE:
        return _parse_slice(lines, first_line_number, source, lenient, report)
    columns: Columns = {name: [] for name in FIELD_NAMES}
    extenders = [columns[name].extend for name in FIELD_NAMES]
    for start in range(0, len(lines), _SLICE):
        part = _parse_slice(
            lines[start : start + _SLICE], first_line_number + start, source, lenient, report
        )
        for extend, name in zip(extenders, FIELD_NAMES, strict=True):
            extend(part[name])
    return columns


def _parse_slice(
    lines: Sequence[str],
    first_line_number: int,
    source: str | None,
    lenient: bool,
    report: ParseReport,
) -> Columns:
    try:
        # Match objects are dropped as soon as their groups are read (keeping them alive
        # would wake the garbage collector). A line that does not match gives None, and
        # None.groups() a TypeError.
        raw_columns = zip(*map(_groups, map(_fullmatch, lines)), strict=True)
        # (No columns at all for no lines, hence not strict.)
        typed = [convert(column) for convert, column in zip(_CONVERTERS, raw_columns, strict=False)]
    except (TypeError, ValueError):
        # A line that does not match, or a field the regex accepts but conversion rejects
        # (an impossible date). Rare: redo the slice line by line, so that failures are
        # counted once and the first bad line is the one raised.
        return _parse_line_by_line(lines, first_line_number, source, lenient, report)
    report.lines += len(lines)
    report.records += len(lines)
    if not typed:  # no lines
        return {name: [] for name in FIELD_NAMES}
    return dict(zip(FIELD_NAMES, typed, strict=True))


def _parse_line_by_line(
    lines: Sequence[str],
    first_line_number: int,
    source: str | None,
    lenient: bool,
    report: ParseReport,
) -> Columns:
    columns: Columns = {name: [] for name in FIELD_NAMES}
    appenders = [columns[name].append for name in FIELD_NAMES]
    for number, line in enumerate(lines, first_line_number):
        report.lines += 1
        if not line.strip():
            report.blank += 1
            continue
        try:
            record = parse_line(line)
        except LogParseError as exc:
            error = exc.located(line_number=number, source=source)
            if not lenient:
                raise error from None
            report.add_failure(error)
            continue
        report.records += 1
        for append, value in zip(appenders, record, strict=True):
            append(value)
    return columns


def _rows(columns: Columns) -> Iterator[LogRecord]:
    return map(_make_record, zip(*(columns[name] for name in FIELD_NAMES), strict=True))


def parse_lines(
    lines: Iterable[str | bytes],
    *,
    source: str | None = None,
    lenient: bool = False,
    report: ParseReport | None = None,
    batch_size: int = _SLICE,
) -> Iterator[LogRecord]:
    """Parse a stream of lines (str or bytes, with or without line endings) into records.

    Blank lines are counted, not parsed. A bad line raises :class:`LogParseError` with its
    line number, unless ``lenient``: then it is counted in ``report`` and skipped.
    """
    if report is None:
        report = ParseReport(source=source)
    iterator = iter(lines)
    number = 1
    while batch := [decode_line(raw) for raw in islice(iterator, batch_size)]:
        columns = parse_columns(
            batch, first_line_number=number, source=source, lenient=lenient, report=report
        )
        number += len(batch)
        yield from _rows(columns)


def iter_line_batches(stream: IO[bytes], *, chunk_size: int = 1 << 18) -> Iterator[list[str]]:
    """Read a binary stream in chunks and yield its lines as lists of text.

    Line endings (LF or CRLF) are removed; a final line without a newline is kept. Invalid
    UTF-8 becomes U+FFFD. Reading a chunk at a time and splitting in C is several times
    faster than iterating a file line by line; 256 KiB chunks stay in the CPU cache while
    they are decoded, split and parsed (measured faster than 1 and 4 MiB).
    """
    pending = b""
    while chunk := stream.read(chunk_size):
        chunk = pending + chunk
        cut = chunk.rfind(b"\n")
        if cut < 0:
            pending = chunk
            continue
        pending = chunk[cut + 1 :]
        yield _split_text(chunk[:cut].decode("utf-8", "replace"))
    if pending:
        yield _split_text(pending.decode("utf-8", "replace"))


def _split_text(text: str) -> list[str]:
    """Lines of a chunk that ended just before a newline (so a final CR was a CRLF's)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").removesuffix("\r")
    return text.split("\n")


def parse_stream(
    stream: IO[bytes],
    *,
    source: str | None = None,
    lenient: bool = False,
    report: ParseReport | None = None,
) -> Iterator[Columns]:
    """Parse a binary stream (a file, an S3 body) into batches of typed columns."""
    if report is None:
        report = ParseReport(source=source)
    number = 1
    for batch in iter_line_batches(stream):
        yield parse_columns(
            batch, first_line_number=number, source=source, lenient=lenient, report=report
        )
        number += len(batch)


# -- diagnostics -------------------------------------------------------------------------

_PREFIX_CHECKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[^ ]+ +[^ ]+ +(?:\[|-)"), "expected the request time in [brackets] as field 3"),
    (re.compile(r"[^ ]+ +[^ ]+ +(?:\[[^\]]*\]|-) +[^ ]+ +[^ ]+"), "line ends before the requester"),
)


# A field, roughly: a quoted string, a bracketed time or a run of non-spaces.
_ROUGH_FIELDS = re.compile(r'"[^"]*"|\[[^\]]*\]|[^ ]+')


def _diagnose(line: str) -> str:
    """A short reason why ``line`` did not match, for people reading the error."""
    if not line.strip():
        return "empty line"
    fields = len(_ROUGH_FIELDS.findall(line))
    if fields < 17:
        return f"only {fields} field{'' if fields == 1 else 's'}, a record has at least 17"
    for pattern, reason in _PREFIX_CHECKS:
        if not pattern.match(line):
            return reason
    if '\\"' in line:
        return 'quotes are backslash-escaped (\\"), as in a JSON string; S3 writes them raw'
    if line.count('"') % 2:
        return "unbalanced double quotes and no reading of the line fits the record format"
    return "does not match the S3 server access log format"
