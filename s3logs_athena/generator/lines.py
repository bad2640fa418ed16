"""Write a typed record back as a log line: the inverse of :func:`~s3logs_athena.parser.parse_line`.

The generator builds every record as a :class:`~s3logs_athena.parser.LogRecord` holding the
values it *means* (``None`` for ``-``, ints, UTC datetimes) and only then writes text, so
"every line round-trips" is a simple, testable property: ``parse_line(format_line(r, n)) == r``.

How each field is written comes from the field list (its :class:`~s3logs_athena.fields.Shape`),
not from a second copy of the format.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..fields import LOG_FIELDS, Shape
from ..parser import LogRecord

__all__ = ["MAX_FIELDS", "MIN_FIELDS", "format_line", "format_request_time"]

#: Classic lines end with the version id (18 fields); today's lines have all 27.
MIN_FIELDS = 18
MAX_FIELDS = len(LOG_FIELDS)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SHAPES = tuple(f.shape for f in LOG_FIELDS)
_OPERATION = next(i for i, f in enumerate(LOG_FIELDS) if f.name == "operation")
# S3 writes an absent quoted field as "-", except in the per-key lines of a multi-object
# delete, where the request URI, referrer and user agent are a bare -.
_BARE_DASH_OPERATIONS = frozenset({"BATCH.DELETE.OBJECT"})


def format_request_time(moment: datetime) -> str:
    """``datetime(2019, 2, 6, 0, 0, 38, tzinfo=UTC)`` -> ``06/Feb/2019:00:00:38 +0000``.

    Locale-independent (``%b`` is not)."""
    if moment.tzinfo is None:
        raise ValueError(f"request time {moment!r} must be timezone-aware")
    t = moment.astimezone(UTC)
    return (
        f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year:04d}:"
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} +0000"
    )


def format_line(record: LogRecord, field_count: int = MAX_FIELDS) -> str:
    """The log line for ``record``, with its first ``field_count`` fields (18 to 27).

    Fields past ``field_count`` must be ``None`` (writing them would lose data otherwise);
    ``trailing_fields`` is appended verbatim when the line has all 27 fields.
    """
    if not MIN_FIELDS <= field_count <= MAX_FIELDS:
        raise ValueError(f"field_count must be {MIN_FIELDS} to {MAX_FIELDS}, got {field_count}")
    cut = [LOG_FIELDS[i].name for i in range(field_count, MAX_FIELDS) if record[i] is not None]
    if cut or (record.trailing_fields is not None and field_count < MAX_FIELDS):
        raise ValueError(f"a {field_count}-field line cannot hold {cut or ['trailing_fields']}")
    bare = record[_OPERATION] in _BARE_DASH_OPERATIONS
    parts: list[str] = []
    append = parts.append
    for value, shape in zip(record[:field_count], _SHAPES, strict=False):
        if value is None:
            append('"-"' if shape is Shape.QUOTED and not bare else "-")
        elif shape is Shape.QUOTED:
            append(f'"{value}"')
        elif shape is Shape.BRACKETED:
            assert isinstance(value, datetime)
            append(f"[{format_request_time(value)}]")
        else:
            append(str(value))
    if record.trailing_fields is not None:
        append(record.trailing_fields)
    return " ".join(parts)
