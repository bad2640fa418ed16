"""``<table>_all``: one view over the compacted table and the raw table, every row once.

Columns: exactly the typed columns (:data:`~s3logs_athena.table.schema.TYPED_COLUMNS`) and
``year``, ``month``, ``day``, ``bucket``. Rows: the compacted table's for the (request day,
bucket) pairs compaction *covers*, the raw table's (typed as in ``<table>_typed``) for every
other record. The query templates read this view on Athena.

**The boundary.** Raw partition D (delivery day) of bucket B holds records of request days
D-1 (delivered late) and D; the compacted partition of request day X is filled from raw
partitions X and X+1. So:

* request day X of B is **covered** when raw partitions X and X+1 of B both have a
  manifest: the compacted partition X then holds every record of X there is (a record
  delivered more than a day late sits in a raw partition the query templates never read on
  the raw table either; it shows up in compacted X once its raw partition is compacted);
* raw partition D of B is **absorbed** when request days D-1 and D are both covered: all its
  (normal) records are in the compacted table, so the raw branch does not read it.

The view takes compacted rows of covered days, and raw rows of partitions that are not
absorbed whose own request day is not covered (a record without a time counts for its
partition's day, as compaction files it). A record is therefore counted by exactly one
branch, whatever the lag: no double counting at the boundary, and nothing missed.

**Why a literal, re-applied by the compactor, and not a state table.** Both branches must
prune *statically*: Athena's partition projection decides which partitions to read from the
query's predicates before reading anything, and a join or anti-join with a state table is
evaluated only after the rows are read (dynamic filtering cannot prune on "not in"). A
state-table view would read every raw object of every compacted day - the very cost
compaction removes. So the coverage is written into the view as predicates on the partition
columns (per bucket, merged day ranges), computed from the manifests alone (one listing of
``_manifests/``, no GETs), and re-applied with ``CREATE OR REPLACE VIEW`` by the scheduled
compactor (and ``compact --update-view``): no manual DDL after a compaction. A view that
lags behind compaction is slower, never wrong: any subset of the true coverage gives the same
rows, and coverage only ever grows (manifests are replaced, never removed). A raw object
moved into an already compacted partition (``check --fix``, ``backfill``) is not in the view
until that partition is compacted again (the next scheduled run; ``check`` reports it as
``uncompacted`` meanwhile).

Rendered in plain Python (no jinja2): the compactor's Lambda re-renders it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..errors import AwsError, QueryError
from ..layout import PARTITION_COLUMNS, Layout
from ..templates.partitions import partition_predicate
from ..templates.quoting import quote_identifier, sql_literal
from .compacted import compacted_spec
from .compaction.keys import CompactedKeys
from .compaction.s3io import list_objects
from .ddl import TableSpec, typed_view_columns
from .names import all_view
from .schema import TYPED_COLUMN_NAMES

__all__ = [
    "Coverage",
    "all_view_name",
    "all_view_query",
    "all_view_statement",
    "apply_with_athena_client",
    "day_ranges",
    "log_bucket_exists",
    "read_coverage",
    "update_all_view",
]


def day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Days merged into inclusive ranges of consecutive days, in order."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


@dataclass(frozen=True)
class Coverage:
    """Which raw partitions have a manifest, per bucket, and what follows from it."""

    compacted: Mapping[str, frozenset[date]] = field(default_factory=dict)

    @classmethod
    def of(cls, pairs: Iterable[tuple[date, str]]) -> Coverage:
        """From (raw day, bucket) pairs that have a manifest."""
        by_bucket: dict[str, set[date]] = defaultdict(set)
        for day, bucket in pairs:
            by_bucket[bucket].add(day)
        return cls({bucket: frozenset(days) for bucket, days in sorted(by_bucket.items())})

    def covered(self, bucket: str) -> list[date]:
        """Request days of ``bucket`` whose compacted partition is complete."""
        days = self.compacted.get(bucket, frozenset())
        return sorted(d for d in days if d + timedelta(days=1) in days)

    def absorbed(self, bucket: str) -> list[date]:
        """Raw partitions of ``bucket`` whose every record is in a covered compacted day."""
        covered = set(self.covered(bucket))
        return sorted(d for d in covered if d - timedelta(days=1) in covered)

    @property
    def buckets(self) -> list[str]:
        return [bucket for bucket in self.compacted if self.covered(bucket)]

    @property
    def covered_days(self) -> int:
        return sum(len(self.covered(bucket)) for bucket in self.compacted)


def read_coverage(s3: Any, log_bucket: str, layout: Layout) -> Coverage:
    """The coverage the manifests in ``log_bucket`` give (one listing of ``_manifests/``)."""
    keys = CompactedKeys(layout.compacted_root)
    pairs = []
    for item in list_objects(s3, log_bucket, keys.manifests_root):
        parsed = keys.parse_manifest_key(item.key)
        if parsed is not None:
            pairs.append(parsed)
    return Coverage.of(pairs)


def log_bucket_exists(s3: Any, bucket: str) -> bool:
    """Whether ``bucket`` exists (``HeadBucket``): a bucket not created yet holds no manifest,
    so ``ddl --apply`` can create the view with no coverage instead of failing."""
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception as exc:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__))
        if code in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise AwsError(f"HeadBucket s3://{bucket}/", code, str(exc)) from None
    return True


# -- the SQL -----------------------------------------------------------------------------


def all_view_name(spec: TableSpec) -> str:
    return all_view(spec.table)


def _or(terms: list[str]) -> str:
    if not terms:
        return "FALSE"
    if len(terms) == 1:
        return terms[0]
    return "(" + "\n    OR ".join(terms) + ")"


def _on_partitions(coverage: Coverage, days_of: Callable[[str], list[date]]) -> str:
    """Per bucket, its day ranges as predicates on ``bucket``/``year``/``month``/``day``."""
    terms = []
    for bucket in coverage.compacted:
        ranges = day_ranges(days_of(bucket))
        if ranges:
            days = _or([partition_predicate(first, last) for first, last in ranges])
            terms.append(f"({quote_identifier('bucket')} = {sql_literal(bucket)} AND {days})")
    return _or(terms)


def _on_request_time(coverage: Coverage) -> str:
    """Per bucket, its covered request days as ranges of ``request_time``."""
    column = quote_identifier("request_time")
    terms = []
    for bucket in coverage.compacted:
        spans = []
        for first, last in day_ranges(coverage.covered(bucket)):
            start = datetime(first.year, first.month, first.day)
            end = datetime(last.year, last.month, last.day) + timedelta(days=1)
            spans.append(f"({column} >= {sql_literal(start)} AND {column} < {sql_literal(end)})")
        if spans:
            terms.append(f"({quote_identifier('bucket')} = {sql_literal(bucket)} AND {_or(spans)})")
    return _or(terms)


def all_view_query(
    spec: TableSpec, coverage: Coverage, *, compacted_table: str | None = None
) -> str:
    """The view's query (Trino SQL) for ``coverage``."""
    compacted = compacted_table or compacted_spec(spec).table
    database = quote_identifier(spec.database)
    names = [*TYPED_COLUMN_NAMES, *(c.name for c in PARTITION_COLUMNS)]
    select = ",\n  ".join(quote_identifier(name) for name in names)
    typed = ",\n    ".join(
        f"{column['expression']} AS {quote_identifier(column['name'])}"
        for column in typed_view_columns()
    )
    covered_partitions = _on_partitions(coverage, coverage.covered)
    absorbed = _on_partitions(coverage, coverage.absorbed)
    raw_where = "" if absorbed == "FALSE" else f"\n  WHERE NOT {absorbed}"
    row_filter = ""
    if covered_partitions != "FALSE":
        row_filter = (
            f"\nWHERE CASE WHEN {quote_identifier('request_time')} IS NULL"
            f"\n  THEN NOT {covered_partitions}"
            f"\n  ELSE NOT {_on_request_time(coverage)} END"
        )
    return (
        "-- Compacted request days: the Parquet table.\n"
        f"SELECT\n  {select}\nFROM {database}.{quote_identifier(compacted)}\n"
        f"WHERE {covered_partitions}\n"
        "UNION ALL\n"
        "-- Every other record: the raw table, typed. Raw partitions whose records are all\n"
        "-- compacted are not read; in the others, records of compacted days are left out.\n"
        f"SELECT\n  {select}\nFROM (\n  SELECT\n    {typed}\n"
        f"  FROM {database}.{quote_identifier(spec.table)}{raw_where}\n)"
        f"{row_filter}"
    )


def all_view_statement(
    spec: TableSpec, coverage: Coverage, *, compacted_table: str | None = None
) -> str:
    """``CREATE OR REPLACE VIEW <table>_all AS ...`` for ``coverage``."""
    view = quote_identifier(all_view_name(spec))
    query = all_view_query(spec, coverage, compacted_table=compacted_table)
    return f"CREATE OR REPLACE VIEW {quote_identifier(spec.database)}.{view} AS\n{query}"


# -- applying it -------------------------------------------------------------------------


def apply_with_athena_client(
    athena: Any,
    statement: str,
    *,
    workgroup: str | None,
    output_location: str | None,
    timeout: float = 120.0,
    poll: float = 0.5,
) -> str:
    """Run one statement with a boto3 Athena client and wait for it (the compactor's
    Lambda has boto3, not pyathena). Its query id; :class:`QueryError` if it fails."""
    arguments: dict[str, Any] = {"QueryString": statement}
    if workgroup:
        arguments["WorkGroup"] = workgroup
    if output_location:
        arguments["ResultConfiguration"] = {"OutputLocation": output_location}
    try:
        query_id = str(athena.start_query_execution(**arguments)["QueryExecutionId"])
        deadline = time.monotonic() + timeout
        while True:
            status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"][
                "Status"
            ]
            state = status.get("State")
            if state == "SUCCEEDED":
                return query_id
            if state in ("FAILED", "CANCELLED"):
                reason = status.get("StateChangeReason", state)
                raise QueryError(f"Athena query {query_id} {state.lower()}: {reason}")
            if time.monotonic() > deadline:
                raise QueryError(f"Athena query {query_id} still {state} after {timeout:.0f} s")
            time.sleep(poll)
    except QueryError:
        raise
    except Exception as exc:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__))
        raise AwsError("Athena StartQueryExecution", code, str(exc)) from None


def update_all_view(
    s3: Any,
    aws: Any,
    *,
    log_bucket: str,
    database: str,
    table: str,
    layout: Layout,
    workgroup: str | None,
    output_location: str | None,
) -> dict[str, Any]:
    """Read the coverage from the manifests and ``CREATE OR REPLACE`` the view with it.
    ``aws`` builds the Athena client (:class:`~s3logs_athena.cli.aws_options.AwsOptions`)."""
    spec = TableSpec(
        location=f"s3://{log_bucket}/{layout.partition_root}",
        database=database,
        table=table,
        bucket_projection="injected",
    )
    coverage = read_coverage(s3, log_bucket, layout)
    statement = all_view_statement(
        spec, coverage, compacted_table=compacted_spec(spec, layout.compacted_root).table
    )
    query_id = apply_with_athena_client(
        aws.client("athena"), statement, workgroup=workgroup, output_location=output_location
    )
    return {
        "view": f"{database}.{all_view_name(spec)}",
        "covered_days": coverage.covered_days,
        "buckets": len(coverage.buckets),
        "query_id": query_id,
    }
