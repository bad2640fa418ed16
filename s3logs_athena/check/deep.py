"""``--deep``: read partitioned objects and check the records against their partition.

Each object is streamed through :func:`~s3logs_athena.parser.parse_stream` (never read into
memory whole) and checked record by record:

* ``foreign_record``: the record's ``bucket_name`` is not the partition's bucket (the object
  is under the wrong bucket, or a source prefix mixes buckets);
* ``out_of_window``: the request time is outside ``[day - max_lag_days, day + 1)`` of its
  partition (default: the partition day or the day before, the window queries read);
* ``unparseable``: lines that are not log records, counted, with line numbers;
* ``empty_object``: an object without a single record line.

The line and record counts also feed the ``--athena`` comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..errors import AwsError
from ..parser import ParseReport, parse_stream
from .aws import aws_errors
from .findings import CheckReport, Kind

__all__ = ["ObjectReading", "read_object", "reading_findings"]

_EXAMPLE_LINES = 3
_GONE = {"NoSuchKey", "404"}


@dataclass
class ObjectReading:
    """What one object holds, in counts (examples kept small and few)."""

    key: str
    partition: str
    bucket: str
    day: date
    size: int
    report: ParseReport = field(default_factory=lambda: ParseReport(max_examples=_EXAMPLE_LINES))
    foreign: int = 0
    foreign_example: str | None = None
    out_of_window: int = 0
    out_of_window_example: datetime | None = None
    window: tuple[datetime, datetime] | None = None


def _window(day: date, max_lag_days: int) -> tuple[datetime, datetime]:
    start = datetime.combine(day - timedelta(days=max_lag_days), time(), tzinfo=UTC)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def read_object(
    s3: Any,
    log_bucket: str,
    *,
    key: str,
    partition: str,
    bucket: str,
    day: date,
    size: int,
    max_lag_days: int = 1,
) -> ObjectReading | None:
    """Stream one object and count its lines, records and problems. ``None`` if the object
    is gone by the time it is read (moved or deleted since the listing)."""
    reading = ObjectReading(key, partition, bucket, day, size)
    reading.report.source = key
    start, end = reading.window = _window(day, max_lag_days)
    try:
        with aws_errors("GetObject", bucket=log_bucket):
            body = s3.get_object(Bucket=log_bucket, Key=key)["Body"]
    except AwsError as exc:
        if exc.code in _GONE:
            return None
        raise
    with aws_errors("GetObject (reading the body)", bucket=log_bucket), body:
        for columns in parse_stream(body, source=key, lenient=True, report=reading.report):
            names = columns["bucket_name"]
            foreign = len(names) - names.count(bucket)
            if foreign:
                reading.foreign += foreign
                if reading.foreign_example is None:
                    reading.foreign_example = next(n for n in names if n != bucket)
            for moment in columns["requestdatetime"]:
                if moment is not None and not start <= moment < end:
                    reading.out_of_window += 1
                    if reading.out_of_window_example is None:
                        reading.out_of_window_example = moment
    return reading


def reading_findings(report: CheckReport, reading: ObjectReading) -> None:
    """Add the ``--deep`` findings of one object to ``report``."""
    parsed = reading.report
    key, partition = reading.key, reading.partition
    if parsed.lines == parsed.blank:
        what = "0 bytes" if reading.size == 0 else f"{parsed.lines} blank lines, no records"
        report.add(Kind.EMPTY_OBJECT, key, partition, f"object holds no log records ({what})")
    if parsed.failed:
        numbers = ", ".join(str(e.line_number) for e in parsed.examples)
        first = parsed.examples[0].reason if parsed.examples else "unknown"
        more = ", ..." if parsed.failed > len(parsed.examples) else ""
        report.add(
            Kind.UNPARSEABLE,
            key,
            partition,
            f"{parsed.failed} of {parsed.lines} lines are not log records (lines {numbers}"
            f"{more}; first: {first})",
        )
    if reading.foreign:
        report.add(
            Kind.FOREIGN_RECORD,
            key,
            partition,
            f"{reading.foreign} of {parsed.records} records are for bucket "
            f"{reading.foreign_example!r}, not {reading.bucket!r}",
        )
    if reading.out_of_window and reading.window is not None:
        start, end = reading.window
        example = reading.out_of_window_example
        report.add(
            Kind.OUT_OF_WINDOW,
            key,
            partition,
            f"{reading.out_of_window} of {parsed.records} records have a request time outside "
            f"[{start:%Y-%m-%d}, {end:%Y-%m-%d}) (e.g. {example:%Y-%m-%dT%H:%M:%SZ})",
        )
