"""Ingest into the Parquet cache: layout, incremental reruns, changes, crash recovery."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from s3logs_athena.cache import CacheStore, default_cache_dir, find_log_files, ingest
from s3logs_athena.cache.schema import data_schema
from s3logs_athena.errors import InputError
from s3logs_athena.fields import FIELD_NAMES
from s3logs_athena.parser import split_line

from .conftest import FIXTURES

PARTITIONED = FIXTURES / "logs" / "partitioned"


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    copy = tmp_path / "logs"
    shutil.copytree(PARTITIONED, copy)
    return copy


def _rows(cache: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    columns = ", ".join(FIELD_NAMES)
    query = (
        f"SELECT {columns}, year, month, day, bucket FROM read_parquet(?, hive_partitioning=true)"
    )
    rows = con.execute(query, [str(cache / "parquet" / "**" / "*.parquet")]).fetchall()
    return sorted(rows, key=repr)


def _expected(root: Path) -> list[tuple[object, ...]]:
    rows = []
    for source in find_log_files(root)[0]:
        for line in source.path.read_text().splitlines():
            try:
                raw = list(split_line(line))
            except ValueError:
                continue
            for i, name in enumerate(FIELD_NAMES):
                if name in ("bytessent", "objectsize"):
                    raw[i] = None if raw[i] in (None, "-") else int(raw[i])  # type: ignore[arg-type]
            rows.append((*raw, source.year, source.month, source.day, source.bucket))
    return sorted(rows, key=repr)


def test_ingest_writes_hive_partitions_with_the_athena_columns(logs: Path, tmp_path: Path) -> None:
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
    assert types["bytessent"] == "BIGINT" and types["objectsize"] == "BIGINT"
    assert types["requestdatetime"] == "VARCHAR" and types["httpstatus"] == "VARCHAR"
    assert [name for name, *_ in schema] == data_schema().names


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
