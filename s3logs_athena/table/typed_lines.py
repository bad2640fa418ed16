"""Log lines -> one typed Arrow record batch, column by column: the compactor's hot path.

The general route is two steps: :func:`~s3logs_athena.parser.parse_columns` turns the lines
into Python values (``int``, aware ``datetime``, ``None``), then
:func:`~s3logs_athena.table.schema.typed_record_batch` turns those into Arrow arrays
(stripping each datetime's time zone on the way). For compaction, which only wants the
Arrow batch, the Python values in between are pure cost: every integer, every datetime and
every list of them is built once to be read once. :func:`typed_batch` skips them. It runs the
same regex (the parser's, :data:`~s3logs_athena.parser.RECORD_PATTERN`) the same way (full
match, the groups transposed into columns a slice at a time), then converts whole columns:

* text: ``-`` -> NULL, an empty quoted field stays ``''``; an absent optional field is NULL;
  for ``trailing_fields`` an empty text is NULL too (as the parser's ``trailing`` does);
* integers: parsed by Arrow's string -> int cast; a column holding a value its type cannot
  hold (the regex accepts any run of digits) goes the schema's way instead (NULL for it);
* the request time: the parser's own :func:`~s3logs_athena.parser.parse_request_time`
  decides every distinct text (memoised, as the parser memoises it), kept as milliseconds
  since the epoch; a leap second is NULL, an impossible time fails the chunk.

It decides nothing the parser does not: a chunk with any line the fast route cannot take
(blank, unmatched, an impossible time) gives ``None``, and the caller runs the general route
on that chunk, so rejects (with their reasons and line numbers) and counts come from the
parser exactly as before. Same values, to the bit: ``tests/test_table_typed_lines.py``
compares both routes on the corpus, generated and hostile lines; ``benchmarks/compact_cpu.py``
measures the difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from ..fields import TRAILING_FIELD, ValueType
from ..parser import RECORD_PATTERN, parse_request_time
from .schema import TYPED_COLUMNS, typed_array, typed_arrow_schema

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["typed_batch"]

#: Lines matched and transposed together (as the parser does, for the same reasons: the
#: slice's strings stay in the CPU cache, and few enough container objects live at once
#: that the cyclic garbage collector does not run).
_SLICE = 256
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
_fullmatch = RECORD_PATTERN.fullmatch
# Typed loosely on purpose: only applied to matches (None.groups() is the TypeError caught).
_groups: Callable[[Any], tuple[str | None, ...]] = re.Match.groups


class _EpochMilliseconds(dict[str | None, int | None]):
    """Request time text -> milliseconds since the epoch (``None`` for ``-``, an absent
    field or a leap second), through the parser's :func:`parse_request_time`. Times repeat
    (many requests a second): a dict hit is a C-level lookup. Bounded like the parser's."""

    def __init__(self, limit: int = 100_000) -> None:
        super().__init__({None: None, "-": None})
        self._limit = limit

    def __missing__(self, text: str | None) -> int | None:
        assert text is not None  # None is always present
        moment = parse_request_time(text)  # ValueError for an impossible time
        value = None if moment is None else (moment - _EPOCH) // _MILLISECOND
        if len(self) >= self._limit:
            self.clear()
            self.update({None: None, "-": None})
        self[text] = value
        return value


_times = _EpochMilliseconds()


def _texts(column: Sequence[str | None]) -> pa.Array:
    import pyarrow as pa

    if "-" in column:
        column = [None if text == "-" else text for text in column]
    return pa.array(column, pa.string())


def _trailing(column: Sequence[str | None]) -> pa.Array:
    import pyarrow as pa

    if "-" in column or "" in column:
        column = [None if text == "-" or text == "" else text for text in column]
    return pa.array(column, pa.string())


def _integers(column: Sequence[str | None], arrow_type: pa.DataType) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = [None if text == "-" else text for text in column] if "-" in column else column
    try:
        return pc.cast(pa.array(texts, pa.string()), arrow_type)
    except pa.ArrowInvalid:  # a run of digits too long for the type: the schema's way
        return typed_array([None if text is None else int(text) for text in texts], arrow_type)


def _timestamps(column: Sequence[str | None], arrow_type: pa.DataType) -> pa.Array:
    import pyarrow as pa

    return pa.array(list(map(_times.__getitem__, column)), pa.int64()).view(arrow_type)


@cache
def _converters() -> tuple[Callable[[Sequence[str | None]], pa.Array], ...]:
    schema = typed_arrow_schema()
    converters: list[Callable[[Sequence[str | None]], pa.Array]] = []
    for column, arrow_field in zip(TYPED_COLUMNS, schema, strict=True):
        value_type, arrow_type = column.source.value_type, arrow_field.type
        if column.source is TRAILING_FIELD:
            converters.append(_trailing)
        elif value_type is ValueType.INT:
            converters.append(partial(_integers, arrow_type=arrow_type))
        elif value_type is ValueType.TIMESTAMP:
            converters.append(partial(_timestamps, arrow_type=arrow_type))
        else:
            converters.append(_texts)
    return tuple(converters)


@cache
def _schema() -> pa.Schema:
    return typed_arrow_schema()


def typed_batch(lines: Sequence[str]) -> pa.RecordBatch | None:
    """The typed rows of ``lines`` (without line endings) as a record batch of
    :func:`~s3logs_athena.table.schema.typed_arrow_schema`, exactly as
    ``typed_record_batch(parse_columns(lines))`` gives them; ``None`` if any line is one the
    parser would count as blank or reject (then use the parser's route for these lines)."""
    import pyarrow as pa

    schema = _schema()
    columns: list[list[str | None]] = [[] for _ in schema]
    extenders = [column.extend for column in columns]
    try:
        for start in range(0, len(lines), _SLICE):
            matched = map(_groups, map(_fullmatch, lines[start : start + _SLICE]))
            for extend, values in zip(extenders, zip(*matched, strict=True), strict=True):
                extend(values)
    except TypeError:  # a line that does not match: None.groups()
        return None
    try:
        arrays = [convert(values) for convert, values in zip(_converters(), columns, strict=True)]
    except (ValueError, OverflowError, pa.ArrowException):
        return None  # an impossible request time, or a value the parser's route must judge
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
