"""``--athena``: what Athena reads from each object, against what the object holds.

One query counts Athena's rows per object (``"$path"``) over the checked partitions:
``count(*)`` (every line, matched or not: the RegexSerDe gives a row of NULLs for a line it
cannot match) and ``count(requestdatetime)`` (the lines it parsed). The checker compares
them with the lines and records it counted while reading the object. A difference means
Athena sees something else than the bucket holds (a stale or wrong table location, a
projection gap, a SerDe that splits lines differently).

The boundary is :class:`RowCounter`: :class:`PyAthenaRowCounter` runs the query with
pyathena; tests give a stub or point pyathena at moto.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, Protocol

from ..errors import InputError, QueryError, S3LogsError
from .deep import ObjectReading
from .findings import CheckReport, Kind

__all__ = [
    "AthenaComparison",
    "PyAthenaRowCounter",
    "RowCount",
    "RowCounter",
    "row_count_sql",
]


class RowCount(NamedTuple):
    rows: int
    parsed: int


class RowCounter(Protocol):
    """Counts Athena's rows per object path (``s3://bucket/key``) in some partitions."""

    def row_counts(self, days: Sequence[date], buckets: Sequence[str]) -> dict[str, RowCount]:
        """Rows per object of the partitions ``days`` x ``buckets``."""
        ...


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def row_count_sql(database: str, table: str, days: Sequence[date], buckets: Sequence[str]) -> str:
    """The query: rows and parsed rows per ``"$path"``, filtered on every partition column
    so projection prunes to exactly the checked partitions (an ``injected`` bucket column
    requires the bucket in the WHERE clause)."""
    if not days or not buckets:
        raise InputError("the Athena comparison needs at least one day and one bucket")
    day_terms = " OR ".join(
        f"(year = {d.year} AND month = {d.month} AND day = {d.day})" for d in sorted(set(days))
    )
    bucket_list = ", ".join(_literal(b) for b in sorted(set(buckets)))
    return (
        'SELECT "$path" AS path, count(*) AS row_count, count(requestdatetime) AS parsed_count\n'
        f"FROM {_identifier(database)}.{_identifier(table)}\n"
        f"WHERE bucket IN ({bucket_list})\n"
        f"  AND ({day_terms})\n"
        'GROUP BY "$path"'
    )


@dataclass
class PyAthenaRowCounter:
    """:class:`RowCounter` on Athena through a pyathena connection (any endpoint boto3 is
    set up for). ``connect`` makes the connection, e.g.
    ``lambda: connect_athena(output_location="s3://results/")``."""

    database: str
    table: str
    connect: Callable[[], Any]

    def row_counts(self, days: Sequence[date], buckets: Sequence[str]) -> dict[str, RowCount]:
        sql = row_count_sql(self.database, self.table, days, buckets)
        connection = self.connect()
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            rows = cursor.fetchall()
        except S3LogsError:
            raise
        except Exception as exc:  # pyathena wraps every failure in its own DB-API errors
            raise QueryError(f"Athena row count query failed: {exc}") from None
        finally:
            connection.close()
        return {str(path): RowCount(int(total), int(parsed)) for path, total, parsed in rows}


class AthenaComparison:
    """Matches each read object against Athena's counts; what is left over afterwards are
    objects Athena read that the listing did not find."""

    def __init__(self, log_bucket: str, counts: dict[str, RowCount]) -> None:
        self._log_bucket = log_bucket
        self._counts = dict(counts)

    def compare(self, report: CheckReport, reading: ObjectReading) -> None:
        counted = self._counts.pop(f"s3://{self._log_bucket}/{reading.key}", None)
        lines, records = reading.report.lines, reading.report.records
        if counted is None:
            if lines:
                report.add(
                    Kind.ATHENA_MISMATCH,
                    reading.key,
                    reading.partition,
                    f"Athena returns no rows for this object; it holds {lines} lines",
                )
            return
        if counted.rows != lines or counted.parsed != records:
            report.add(
                Kind.ATHENA_MISMATCH,
                reading.key,
                reading.partition,
                f"Athena reads {counted.rows} rows ({counted.parsed} parsed); the object holds "
                f"{lines} lines ({records} records)",
            )

    def skip(self, key: str) -> None:
        """Forget an object not compared (its partition is reported otherwise)."""
        self._counts.pop(f"s3://{self._log_bucket}/{key}", None)

    def leftovers(self, report: CheckReport) -> None:
        prefix = f"s3://{self._log_bucket}/"
        for path, counted in sorted(self._counts.items()):
            key = path.removeprefix(prefix)
            report.add(
                Kind.ATHENA_MISMATCH,
                key,
                None,
                f"Athena reads {counted.rows} rows from an object the listing did not find",
            )
        self._counts.clear()
