"""``<table>_all``: coverage from manifests, and on DuckDB (the same view SQL, transpiled) the
same rows as the raw table whatever part of it is compacted, with absorbed raw partitions
pruned."""

from __future__ import annotations

import io
import random
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from s3logs_athena.errors import LogParseError
from s3logs_athena.fields import FIELD_NAMES, LOG_FIELDS
from s3logs_athena.generator import GeneratorConfig
from s3logs_athena.parser import iter_line_batches, split_line
from s3logs_athena.table.compaction import CompactionSettings, compact_partition
from s3logs_athena.table.ddl import TableSpec
from s3logs_athena.table.schema import TYPED_COLUMN_NAMES, typed_arrow_schema
from s3logs_athena.table.views import (
    Coverage,
    all_view_query,
    all_view_statement,
    day_ranges,
    read_coverage,
)
from s3logs_athena.templates.dialect import install_duckdb_macros, parse_athena, to_duckdb

from .compaction_support import KEYS, LAYOUT, LOG_BUCKET, moved_dataset, s3

__all__ = ["s3"]  # the moto bucket fixture, used by name

SPEC = TableSpec(f"s3://{LOG_BUCKET}/PartitionedLogs/", bucket_projection="injected")
SETTINGS = CompactionSettings(row_group_rows=4096, read_concurrency=4)
CONFIG = GeneratorConfig(buckets=2, days=4, objects_per_day=12, records_per_object=40, seed=21)
D = CONFIG.start
BIGINT = {f.name for f in LOG_FIELDS if f.athena_type == "bigint"}
HIVE = {"year": "INTEGER", "month": "INTEGER", "day": "INTEGER", "bucket": "VARCHAR"}


def days(first: int, last: int) -> list[date]:
    return [D + timedelta(days=n) for n in range(first, last + 1)]


# -- coverage ----------------------------------------------------------------------------


def test_day_ranges_merge_consecutive_days() -> None:
    assert day_ranges([D + timedelta(days=n) for n in (3, 0, 1, 5, 4, 1)]) == [
        (D, D + timedelta(days=1)),
        (D + timedelta(days=3), D + timedelta(days=5)),
    ]
    assert day_ranges([]) == []


def test_a_day_is_covered_with_its_next_day_and_absorbed_with_its_neighbours() -> None:
    coverage = Coverage.of([(day, "a") for day in days(0, 4)] + [(D, "b")])
    assert coverage.covered("a") == days(0, 3)  # day 4 waits for raw partition 5
    assert coverage.absorbed("a") == days(1, 3)  # raw 0 holds records of day -1
    assert coverage.covered("b") == coverage.absorbed("b") == []
    assert coverage.buckets == ["a"] and coverage.covered_days == 4


def test_the_view_parses_as_athena_sql_and_names_exactly_the_typed_columns() -> None:
    coverage = Coverage.of([(day, "app") for day in days(0, 3)])
    statement = all_view_statement(SPEC, coverage)
    assert statement.startswith('CREATE OR REPLACE VIEW "s3_access_logs_db"."s3_access_logs_all"')
    query = parse_athena(all_view_query(SPEC, coverage))
    assert query.named_selects == [*TYPED_COLUMN_NAMES, "year", "month", "day", "bucket"]
    empty = all_view_query(SPEC, Coverage())
    assert "WHERE FALSE" in empty and "NOT" not in empty


def test_bucket_names_are_literals_never_sql() -> None:
    coverage = Coverage.of([(D, "it's"), (D + timedelta(days=1), "it's")])
    assert "'it''s'" in all_view_query(SPEC, coverage)


# -- DuckDB: the boundary ------------------------------------------------------------------


def _raw_row(line: str) -> tuple[Any, ...]:
    """What Athena's RegexSerDe makes of a line: its fields as text (bigint columns as
    numbers), or all NULL when the line does not match."""
    try:
        fields = split_line(line)
    except LogParseError:
        return (None,) * len(FIELD_NAMES)
    return tuple(
        (int(v) if v is not None and v.isdigit() else None) if name in BIGINT else v
        for name, v in zip(FIELD_NAMES, fields, strict=True)
    )


def _raw_schema() -> pa.Schema:
    return pa.schema([(n, pa.int64() if n in BIGINT else pa.string()) for n in FIELD_NAMES])


def _hive_dir(root: Path, day: date, bucket: str) -> Path:
    folder = root / f"year={day.year}/month={day.month}/day={day.day}/bucket={bucket}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def duckdb_over(s3: Any, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB with the raw table (one Parquet file per raw object, hive-partitioned) and
    the compacted table (its objects, hive-partitioned) as Athena has them."""
    raw_root, compacted_root = tmp_path / "raw", tmp_path / "compacted"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=LOG_BUCKET):
        for item in page.get("Contents", ()):
            key = item["Key"]
            body = s3.get_object(Bucket=LOG_BUCKET, Key=key)["Body"].read()
            if LAYOUT.is_partitioned(key):
                target = LAYOUT.parse_target_key(key)
                lines = [line for chunk in iter_line_batches(io.BytesIO(body)) for line in chunk]
                rows = [_raw_row(line) for line in lines]
                table = pa.Table.from_pylist(
                    [dict(zip(FIELD_NAMES, row, strict=True)) for row in rows],
                    schema=_raw_schema(),
                )
                folder = _hive_dir(raw_root, target.day, target.bucket)
                pq.write_table(table, folder / f"{target.file_name}.parquet")
            elif (output := KEYS.parse_output_key(key)) is not None:
                folder = _hive_dir(compacted_root, output.request_day, output.bucket)
                (folder / key.rsplit("/", 1)[1]).write_bytes(body)
    con = duckdb.connect()
    install_duckdb_macros(con)
    con.execute('CREATE SCHEMA "s3_access_logs_db"')
    hive = ", ".join(f"'{k}': {v}" for k, v in HIVE.items())
    for name, root, schema in (
        ("s3_access_logs", raw_root, _raw_schema()),
        ("s3_access_logs_compacted", compacted_root, typed_arrow_schema()),
    ):
        if not any(root.rglob("*.parquet")):  # an empty table of the right shape
            folder = _hive_dir(root, date(2000, 1, 1), "none")
            pq.write_table(schema.empty_table(), folder / "empty.parquet")
        con.execute(
            f'CREATE VIEW "s3_access_logs_db"."{name}" AS SELECT * FROM read_parquet('
            f"'{root}/*/*/*/*/*.parquet', hive_partitioning=true, hive_types={{{hive}}})"
        )
    return con


def view_rows(con: duckdb.DuckDBPyConnection, coverage: Coverage) -> Counter[tuple[Any, ...]]:
    """The view's rows for ``coverage`` (typed columns and bucket), less the all-NULL rows
    Athena's RegexSerDe makes of lines that are not log records (compaction keeps those in
    its rejects instead). ``year``/``month``/``day`` are each table's partition: the
    delivery day on the raw side, the request day on the compacted side."""
    sql = to_duckdb(all_view_query(SPEC, coverage))
    rows = con.execute(sql).fetchall()
    width = len(TYPED_COLUMN_NAMES)
    return Counter(
        (*row[:width], row[-1]) for row in rows if any(v is not None for v in row[:width])
    )


def put_raw(s3: Any, day: date, bucket: str, name: str, lines: list[str]) -> None:
    key = LAYOUT.partition_prefix(day, bucket) + name
    s3.put_object(Bucket=LOG_BUCKET, Key=key, Body="\n".join(lines).encode())


def test_every_coverage_gives_the_raw_tables_rows(s3: Any, tmp_path: Path) -> None:
    dataset = moved_dataset(s3, CONFIG)
    buckets = [spec.name for spec in dataset.buckets]
    odd_day = D + timedelta(days=2)
    same_day = next(o for o in dataset.log_objects if o.day == odd_day and o.bucket == buckets[0])
    sample = same_day.body.decode().splitlines()
    # A duplicated record, an unparseable line, a record without a time and an empty
    # object, in a raw partition. (Every record is at most a day late, as S3 delivers:
    # test_records_more_than_a_day_late covers the others.)
    no_time = sample[0].split(" [", 1)[0] + " - " + sample[0].split("] ", 1)[1]
    put_raw(s3, odd_day, buckets[0], "2024-03-06-12-00-00-ODDODDODDODD0001",
            [sample[1], "not a log line at all", no_time])  # fmt: skip
    put_raw(s3, odd_day, buckets[0], "2024-03-06-12-00-01-EMPTYEMPTY000001", [])
    compacted = [(day, bucket) for bucket in buckets for day in days(0, 4)]
    for day, bucket in compacted:
        compact_partition(s3, LOG_BUCKET, day, bucket, SETTINGS)
    con = duckdb_over(s3, tmp_path)
    everything = view_rows(con, Coverage())  # the raw table, typed
    assert sum(everything.values()) == sum(len(o.records) for o in dataset.log_objects) + 2
    full = read_coverage(s3, LOG_BUCKET, LAYOUT)
    assert full == Coverage.of(compacted)
    assert view_rows(con, full) == everything
    # Any subset of the manifests (a view that lags behind the compactor) gives the same.
    rng = random.Random(3)
    for _ in range(6):
        subset = Coverage.of(rng.sample(compacted, rng.randrange(1, len(compacted))))
        assert view_rows(con, subset) == everything


def test_records_more_than_a_day_late(s3: Any, tmp_path: Path) -> None:
    """A raw object moved in two days after its records (``check --fix`` of an old
    straggler): the templates never read it on the raw table (they read a day's partition
    and the next); once its partition is compacted, the view has its records in their own
    request day, once per copy, exactly as the whole raw table holds them."""
    dataset = moved_dataset(s3, CONFIG)
    bucket = dataset.buckets[0].name
    for day in days(0, 4):
        compact_partition(s3, LOG_BUCKET, day, bucket, SETTINGS)
    late = next(o for o in dataset.log_objects if o.bucket == bucket and o.day == D)
    late_day = D + timedelta(days=2)
    put_raw(s3, late_day, bucket, "2024-03-06-23-59-59-LATELATELATE0001",
            late.body.decode().splitlines())  # fmt: skip
    con = duckdb_over(s3, tmp_path)
    everything = view_rows(con, Coverage())
    # Until raw D+2 is compacted again, the copy is in no covered compacted day.
    stale = view_rows(con, read_coverage(s3, LOG_BUCKET, LAYOUT))
    assert everything - stale == Counter({(*row, bucket): 1 for row in _typed(late.body)})
    compact_partition(s3, LOG_BUCKET, late_day, bucket, SETTINGS)
    con = duckdb_over(s3, tmp_path / "after")
    assert view_rows(con, read_coverage(s3, LOG_BUCKET, LAYOUT)) == everything


def _typed(body: bytes) -> list[tuple[Any, ...]]:
    from .compaction_support import typed_rows

    return typed_rows(body)


def test_absorbed_raw_partitions_are_not_read(s3: Any, tmp_path: Path) -> None:
    dataset = moved_dataset(s3, CONFIG)
    for spec in dataset.buckets:
        for day in days(0, 4):
            compact_partition(s3, LOG_BUCKET, day, spec.name, SETTINGS)
    con = duckdb_over(s3, tmp_path)
    # A one-day query reads partitions D and D+1 (late deliveries), as the templates do.
    one_day = D + timedelta(days=2)
    where = (
        f" WHERE year = {one_day.year} AND month = {one_day.month}"
        f" AND day BETWEEN {one_day.day} AND {one_day.day + 1}"
    )
    raw_files = sum(
        1 for o in dataset.log_objects if o.day in (one_day, one_day + timedelta(days=1))
    )
    coverage = read_coverage(s3, LOG_BUCKET, LAYOUT)
    # Compacted partitions D and D+1 of two buckets: from raw D, D+1 and D+2.
    compacted_files = 2 * 4
    for view_coverage, expected in ((Coverage(), raw_files), (coverage, compacted_files)):
        sql = "SELECT count(*) FROM (" + to_duckdb(all_view_query(SPEC, view_coverage)) + ")"
        plan = con.execute("EXPLAIN ANALYZE " + sql + where).fetchall()[0][1]
        read = [int(n) for n in re.findall(r"Total Files Read: (\d+)", plan)]
        assert sum(read) == expected, plan
        assert ("/raw/year=" in plan) == (view_coverage == Coverage())
