"""Turn a time range into SQL that reads only the partitions holding it.

The templates read ``<table>_all`` (:mod:`s3logs_athena.table.names`), partitioned by
``year``, ``month``, ``day`` and ``bucket`` on both of its sides, with two meanings of the day:

* its raw side (the typed view over the raw table) by the day S3 *delivered* a log file (the
  date in a SimplePrefix file name, or the directories of a PartitionedPrefix key). A file
  holds requests from before its delivery time only: S3 delivers records minutes to hours
  after the request, so a request at 23:59:59 is usually in the *next* day's file. The
  partitions to read therefore run from ``start``'s day to the day *after* the last
  requested day (:data:`DELIVERY_LAG_DAYS`). With PartitionedPrefix and
  ``PartitionDateSource=EventTime`` a file holds one day's records and sits in that day's
  directory: the same range covers it.
* its compacted side (and the local cache) by each record's own *request* day (UTC): the same
  range covers it, plus one harmless extra day.

Reading a partition more than needed costs a little; missing one loses rows. The exact filter
on the typed ``request_time`` then keeps exactly ``[start, end)``.

The day predicate is an OR of per-month blocks, each a plain conjunction of comparisons on
the partition columns (``year = 2024 AND month = 5 AND day BETWEEN 1 AND 3``). Athena's
partition projection and DuckDB's hive partitioning both prune on such predicates; a
derived expression (``date(year, month, day) BETWEEN ...``) would defeat Athena's pruning.
Whole months and whole years merge into one block, so a range of any length stays short
(at most five blocks).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .quoting import Sql, in_list, sql_literal

__all__ = [
    "DELIVERY_LAG_DAYS",
    "RAW_REQUEST_TIME_SQL",
    "REQUEST_TIME_FORMAT",
    "REQUEST_TIME_SQL",
    "partition_days",
    "partition_predicate",
    "range_predicate",
]

#: Days after the last requested day whose partitions are read, for late deliveries.
DELIVERY_LAG_DAYS = 1

#: How ``requestdatetime`` is written (``06/Feb/2019:00:00:38 +0000``), in Trino's
#: ``parse_datetime`` (Joda) notation.
REQUEST_TIME_FORMAT = "dd/MMM/yyyy:HH:mm:ss Z"

#: The request time as a UTC ``timestamp``: a column of the typed relations.
REQUEST_TIME_SQL = Sql("request_time")

#: The same, computed from the *raw* table's text (for hand-written queries on the raw table):
#: NULL if the text is not a time, as one bad value must not fail a whole query.
RAW_REQUEST_TIME_SQL = Sql(
    f"CAST(try(parse_datetime(requestdatetime, '{REQUEST_TIME_FORMAT}')) "
    "AT TIME ZONE 'UTC' AS timestamp)"
)


def partition_days(
    start: datetime, end: datetime, *, lag_days: int = DELIVERY_LAG_DAYS
) -> tuple[date, date]:
    """First and last partition day (inclusive) holding requests of ``[start, end)``."""
    if end <= start:
        raise ValueError(f"empty range: {start} .. {end}")
    last_requested = (end - timedelta(microseconds=1)).date()
    return start.date(), last_requested + timedelta(days=lag_days)


@dataclass(frozen=True, slots=True)
class _Block:
    """Days ``day_from..day_to`` of months ``month_from..month_to`` of years
    ``year_from..year_to`` (a box; only ever a whole-month/whole-year box when it spans)."""

    year_from: int
    year_to: int
    month_from: int
    month_to: int
    day_from: int
    day_to: int

    def sql(self) -> str:
        def between(column: str, low: int, high: int) -> str:
            if low == high:
                return f"{column} = {low}"
            return f"{column} BETWEEN {low} AND {high}"

        return (
            f"({between('year', self.year_from, self.year_to)}"
            f" AND {between('month', self.month_from, self.month_to)}"
            f" AND {between('day', self.day_from, self.day_to)})"
        )


def _month_end(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _blocks(first: date, last: date) -> list[_Block]:
    """Cover the days ``first..last`` exactly with few boxes."""
    if (first.year, first.month) == (last.year, last.month):
        return [_Block(first.year, first.year, first.month, first.month, first.day, last.day)]
    blocks: list[_Block] = []
    # Leading partial month.
    y, m = first.year, first.month
    if first.day != 1:
        blocks.append(_Block(y, y, m, m, first.day, _month_end(y, m)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    # Trailing partial month (or whole month when last is its final day).
    ly, lm = last.year, last.month
    tail: _Block | None = None
    if last.day != _month_end(ly, lm):
        tail = _Block(ly, ly, lm, lm, 1, last.day)
        ly, lm = (ly - 1, 12) if lm == 1 else (ly, lm - 1)
    # Whole months y-m .. ly-lm (possibly none): rest of the first year, whole years, start
    # of the last year.
    if (y, m) <= (ly, lm):
        if y == ly:
            blocks.append(_Block(y, y, m, lm, 1, 31))
        else:
            if m != 1:
                blocks.append(_Block(y, y, m, 12, 1, 31))
                y += 1
            whole_years_to = ly - 1 if lm != 12 else ly
            if y <= whole_years_to:
                blocks.append(_Block(y, whole_years_to, 1, 12, 1, 31))
            if lm != 12:
                blocks.append(_Block(ly, ly, 1, lm, 1, 31))
    if tail is not None:
        blocks.append(tail)
    return blocks


def partition_predicate(first: date, last: date) -> Sql:
    """A predicate on ``year``/``month``/``day`` true exactly for the days ``first..last``."""
    if last < first:
        raise ValueError(f"empty day range: {first} .. {last}")
    parts = [block.sql() for block in _blocks(first, last)]
    if len(parts) == 1:
        return Sql(parts[0])
    return Sql("(" + "\n    OR ".join(parts) + ")")


def range_predicate(
    start: datetime,
    end: datetime,
    buckets: Sequence[str] | None = None,
    *,
    time_column: str = REQUEST_TIME_SQL,
) -> Sql:
    """The WHERE conditions for requests in ``[start, end)`` to ``buckets`` (all if None):
    partition pruning on the day and bucket, then the exact request-time filter."""
    first, last = partition_days(start, end)
    conditions = [partition_predicate(first, last)]
    if buckets:
        conditions.append(Sql(f"bucket IN {in_list(buckets)}"))
    conditions.append(Sql(f"{time_column} >= {sql_literal(start)}"))
    conditions.append(Sql(f"{time_column} < {sql_literal(end)}"))
    return Sql("\n  AND ".join(conditions))
