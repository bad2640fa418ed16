"""Ingest into the Parquet cache: typed columns by request day, incremental reruns, changes,
crash recovery, the old format refused, typed rows added by other writers."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from s3logs_athena.cache import CacheStore, default_cache_dir, find_log_files, ingest
from s3logs_athena.cache.schema import data_schema
from s3logs_athena.errors import InputError
from s3logs_athena.parser import parse_columns
from s3logs_athena.table.schema import TYPED_COLUMN_NAMES, typed_record_batch

from .conftest import FIXTURES

PARTITIONED = FIXTURES / "logs" / "partitioned"


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    copy = tmp_path / "logs"
    shutil.copytree(PARTITIONED, copy)
    return copy


def _rows(cache: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    columns = ", ".join(f'"{name}"' for name in TYPED_COLUMN_NAMES)
    query = (
        f"SELECT {columns}, year, month, day, bucket FROM read_parquet(?, hive_partitioning=true)"
    )
    rows = con.execute(query, [str(cache / "parquet" / "**" / "*.parquet")]).fetchall()
    return sorted(rows, key=repr)


def _expected(root: Path) -> list[tuple[object, ...]]:
    """The parser's typed values of every record, in the partition of its request day."""
    rows = []
    for source in find_log_files(root)[0]:
        lines = source.path.read_text().splitlines()
        for row in typed_record_batch(parse_columns(lines, lenient=True)).to_pylist():
            moment = row["request_time"]
            day = (
                moment.date() if moment is not None else date(source.year, source.month, source.day)
            )
            rows.append((*row.values(), day.year, day.month, day.day, source.bucket))
    return sorted(rows, key=repr)


def test_ingest_writes_typed_columns_by_request_day(logs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    report = ingest(logs, cache)
    assert report.files_ingested == 6
    assert report.parse.records == 39 and report.parse.failed == 1 and report.parse.blank == 1
    assert "not an access log record" in str(report.parse.examples[0])
    files = sorted(
        p.relative_to(cache / "parquet").parent.as_posix() for p in cache.rglob("*.parquet")
    )
    assert "year=2024/month=3/day=2/bucket=app-uploads" in files
    assert _rows(cache) == _expected(logs)
    con = duckdb.connect()
    schema = con.execute(
        "DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning=false)",
        [str(next(cache.rglob("*.parquet")))],
    ).fetchall()
    types = {name: kind for name, kind, *_ in schema}
    assert types["bytes_sent"] == "BIGINT" and types["object_size"] == "BIGINT"
    assert types["request_time"] == "TIMESTAMP" and types["http_status"] == "INTEGER"
    assert types["total_time_ms"] == "BIGINT" and types["user_agent"] == "VARCHAR"
    assert [name for name, *_ in schema] == data_schema().names
    # The record at 23:59:59 on the 1st, delivered in a file of the 2nd, is filed on the 1st.
    late = con.execute(
        "SELECT year, month, day FROM read_parquet(?, hive_partitioning=true) "
        "WHERE request_time = TIMESTAMP '2024-03-01 23:59:59'",
        [str(cache / "parquet" / "**" / "*.parquet")],
    ).fetchall()
    assert late and set(late) == {(2024, 3, 1)}


def test_rerun_skips_unchanged_files_and_replaces_changed_ones(logs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    ingest(logs, cache)
    again = ingest(logs, cache)
    assert again.files_ingested == 0 and again.files_unchanged == 6
    assert len(_rows(cache)) == 39

    changed = next(p for p in logs.rglob("2024-03-01-*") if p.is_file())
    lines = changed.read_text().splitlines()
    changed.write_text("\n".join(lines[:3]) + "\n")
    os.utime(changed, ns=(1, 1))
    third = ingest(logs, cache)
    assert third.files_ingested == 1 and third.files_replaced == 1
    assert _rows(cache) == _expected(logs)
    assert len(_rows(cache)) == 39 - len(lines) + 3


def test_new_files_land_in_a_new_batch_of_the_same_partition(logs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    ingest(logs, cache)
    source = next(p for p in logs.rglob("2024-03-01-*") if p.is_file())
    extra = source.with_name("2024-03-01-23-00-00-FFFF000011112222")
    extra.write_text(source.read_text().splitlines()[0] + "\n")
    report = ingest(logs, cache)
    assert report.files_ingested == 1
    assert len(list(source.parent.parent.parent.rglob("*"))) > 0
    day_dir = cache / "parquet" / "year=2024" / "month=3" / "day=1" / "bucket=app-assets"
    assert len(list(day_dir.glob("*.parquet"))) == 2
    assert _rows(cache) == _expected(logs)


def test_files_that_are_not_log_objects_are_reported(logs: Path, tmp_path: Path) -> None:
    (logs / "README.txt").write_text("hello")
    (logs / "PartitionedLogs" / "Year=2024" / "notes.txt").write_text("x")
    report = ingest(logs, tmp_path / "cache")
    assert sorted(report.not_log_files) == ["PartitionedLogs/Year=2024/notes.txt", "README.txt"]
    assert report.files_ingested == 6


def test_ingest_accepts_the_partition_root_itself(logs: Path, tmp_path: Path) -> None:
    report = ingest(logs / "PartitionedLogs", tmp_path / "cache")
    assert report.files_ingested == 6 and not report.not_log_files


def test_a_half_written_batch_is_removed_on_open(logs: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    ingest(logs, cache)
    with CacheStore(cache) as store:
        # Simulate a crash after the batch's files were written but before it was recorded.
        store._db.execute("INSERT INTO batches VALUES ('crashed', 'writing')")
        orphan = "year=2024/month=3/day=1/bucket=app-assets/crashed.parquet"
        store._db.execute("INSERT INTO batch_files VALUES ('crashed', ?)", (orphan,))
        existing = next((cache / "parquet").rglob("*.parquet"))
        shutil.copy(existing, cache / "parquet" / orphan)
    with CacheStore(cache) as store:
        assert not (cache / "parquet" / orphan).exists()
        assert len(store.known_objects()) == 6
    assert len(_rows(cache)) == 39


def test_ingest_rejects_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"):
        ingest(tmp_path / "nope", tmp_path / "cache")


def test_default_cache_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("S3LOGS_ATHENA_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("S3LOGS_ATHENA_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "s3logs-athena"
