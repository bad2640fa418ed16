"""The cache store: its format stamp (old caches refused or rebuilt), typed rows added for one
source object, partitions replaced by compacted rows, records without a request time."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from moto import mock_aws

from s3logs_athena.cache import CacheStore, find_log_files, ingest, sync
from s3logs_athena.cache.partitioning import SourceObject
from s3logs_athena.cli.main import cli
from s3logs_athena.engines.duckdb import DuckDBEngine
from s3logs_athena.errors import ConfigError, InputError
from s3logs_athena.fields import FIELD_NAMES
from s3logs_athena.parser import parse_columns
from s3logs_athena.table.schema import TYPED_COLUMN_NAMES, typed_record_batch

from .conftest import FIXTURES

PARTITIONED = FIXTURES / "logs" / "partitioned"
LOG_BUCKET = "central-logs"
Row = tuple[Any, ...]


def _rows(cache: Path, where: str = "TRUE") -> list[Row]:
    if not any((cache / "parquet").rglob("*.parquet")):
        return []
    columns = ", ".join(f'"{name}"' for name in TYPED_COLUMN_NAMES)
    rows = (
        duckdb.connect()
        .execute(
            f"SELECT {columns}, year, month, day, bucket "
            f"FROM read_parquet(?, hive_partitioning = true) WHERE {where}",
            [str(cache / "parquet" / "**" / "*.parquet")],
        )
        .fetchall()
    )
    return sorted(rows, key=repr)


def _typed(lines: list[str]) -> pa.RecordBatch:
    return typed_record_batch(parse_columns(lines, lenient=True))


def _fixture_lines() -> list[tuple[str, str]]:
    """(bucket, line) of every fixture line."""
    return [
        (source.bucket, line)
        for source in find_log_files(PARTITIONED)[0]
        for line in source.path.read_text().splitlines()
    ]


def _write_old_cache(root: Path) -> None:
    """A cache as the version before the typed one left it: raw strings, no format stamp."""
    part = root / "parquet" / "year=2024" / "month=3" / "day=1" / "bucket=app-assets"
    part.mkdir(parents=True)
    table = pa.table({name: pa.array(["-"], pa.string()) for name in FIELD_NAMES})
    pq.write_table(table.append_column("_source_file", pa.array(["f"])), part / "b1.parquet")
    with sqlite3.connect(root / "manifest.sqlite3") as db:
        db.executescript(
            "CREATE TABLE objects (partition TEXT NOT NULL, name TEXT NOT NULL, "
            "fingerprint TEXT NOT NULL, batch TEXT NOT NULL, records INTEGER NOT NULL, "
            "failed INTEGER NOT NULL, PRIMARY KEY (partition, name));"
            "INSERT INTO objects VALUES "
            "('year=2024/month=3/day=1/bucket=app-assets', 'f', 'x', 'b1', 1, 0);"
        )


# -- format ---------------------------------------------------------------------------------


def test_an_old_cache_is_refused_by_every_reader_and_writer(tmp_path: Path) -> None:
    _write_old_cache(tmp_path)
    with pytest.raises(ConfigError, match=r"older version .*--rebuild"):
        CacheStore(tmp_path)
    with pytest.raises(ConfigError, match="older version"):
        ingest(PARTITIONED, tmp_path)
    with DuckDBEngine(tmp_path) as engine, pytest.raises(ConfigError, match="older version"):
        engine.run("SELECT count(*) FROM s3_access_logs_db.s3_access_logs_all")
    # Without a manifest, the files themselves tell.
    (tmp_path / "manifest.sqlite3").unlink()
    with DuckDBEngine(tmp_path) as engine, pytest.raises(ConfigError, match="older version"):
        engine.run("SELECT count(*) FROM s3_access_logs_db.s3_access_logs_all")


def test_the_cli_says_how_to_rebuild_in_one_line(tmp_path: Path) -> None:
    _write_old_cache(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["query", "run", "top-ips", "--cache", str(tmp_path)])
    assert result.exit_code == 2
    assert "older version" in result.stderr and "--rebuild" in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1
    result = runner.invoke(cli, ["ingest", str(PARTITIONED), "--cache", str(tmp_path)])
    assert result.exit_code == 2 and "--rebuild" in result.stderr
    result = runner.invoke(cli, ["ingest", str(PARTITIONED), "--cache", str(tmp_path), "--rebuild"])
    assert result.exit_code == 0, result.output
    assert len(_rows(tmp_path)) == 39
    assert not (
        tmp_path / "parquet" / "year=2024/month=3/day=1/bucket=app-assets/b1.parquet"
    ).exists()


def test_a_cache_given_as_a_relative_path_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's own next command names its cache relative to the working directory."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", str(PARTITIONED), "--cache", "cache"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli,
        [
            "query",
            "run",
            "top-ips",
            "--cache",
            "cache",
            "-p",
            "start=2024-03-01",
            "-p",
            "end=2024-03-03",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    _write_old_cache(tmp_path / "old")
    with pytest.raises(ConfigError, match="older version"):
        CacheStore("old")


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=LOG_BUCKET)
        for path in sorted(PARTITIONED.rglob("*")):
            if path.is_file():
                key = path.relative_to(PARTITIONED).as_posix()
                client.put_object(Bucket=LOG_BUCKET, Key=key, Body=path.read_bytes())
        yield client


def test_rebuild_reuses_the_downloads(s3: Any, tmp_path: Path) -> None:
    first = sync(s3, LOG_BUCKET, date(2024, 2, 29), date(2024, 3, 3), None, tmp_path)
    expected = _rows(tmp_path)
    assert first.objects_downloaded == 6 and len(expected) == 39
    with sqlite3.connect(tmp_path / "manifest.sqlite3") as db:
        db.execute("DELETE FROM meta")  # as if an older version had written it
    with pytest.raises(ConfigError, match="older version"):
        sync(s3, LOG_BUCKET, date(2024, 2, 29), date(2024, 3, 3), None, tmp_path)
    again = sync(s3, LOG_BUCKET, date(2024, 2, 29), date(2024, 3, 3), None, tmp_path, rebuild=True)
    assert again.objects_downloaded == 0 and again.objects_unchanged == 6
    assert again.ingest.files_ingested == 6
    assert _rows(tmp_path) == expected


# -- typed rows from other sources ----------------------------------------------------------


def test_typed_batches_of_one_source_are_filed_by_request_day_and_replaced(tmp_path: Path) -> None:
    lines = [line for bucket, line in _fixture_lines() if bucket == "app-assets"]
    source = SourceObject((2024, 3, 2, "app-assets"), "compacted-0.parquet", "etag=1")
    with CacheStore(tmp_path) as store:
        assert not store.is_current(source)
        written = store.add_typed_batches(source, [_typed(lines[:10]), _typed(lines[10:])])
        assert store.is_current(source)
        assert not store.is_current(SourceObject(source.partition, source.name, "etag=2"))
    typed = _typed(lines).to_pylist()
    days = [row["request_time"].date() for row in typed]
    expected = sorted(
        (
            (*row.values(), d.year, d.month, d.day, "app-assets")
            for row, d in zip(typed, days, strict=True)
        ),
        key=repr,
    )
    assert _rows(tmp_path) == expected and written.rows_written == len(typed)
    assert written.partitions_written == len(set(days))
    # The source changed: its old rows go, in every partition they were in.
    with CacheStore(tmp_path) as store:
        store.add_typed_batches(SourceObject(source.partition, source.name, "etag=2"), [])
    assert _rows(tmp_path) == []
    with CacheStore(tmp_path) as store, pytest.raises(InputError, match="typed columns"):
        store.add_typed_batches(source, [pa.record_batch({"x": [1]})])


def test_a_replaced_partition_holds_its_compacted_rows_once(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    shutil.copytree(PARTITIONED, logs)
    cache = tmp_path / "cache"
    ingest(logs, cache)
    expected = _rows(cache)
    day = "year = 2024 AND month = 3 AND day = 1 AND bucket = 'app-assets'"
    # The compacted partition of 2024-03-01: every app-assets record of that request day, from
    # the objects delivered on the 1st and the 2nd.
    compacted = [
        row
        for row in _typed([line for b, line in _fixture_lines() if b == "app-assets"]).to_pylist()
        if row["request_time"].date() == date(2024, 3, 1)
    ]
    batch = pa.RecordBatch.from_pylist(
        compacted, schema=typed_record_batch(parse_columns([])).schema
    )
    source = SourceObject((2024, 3, 1, "app-assets"), "part-0.parquet", "etag=1")
    with CacheStore(cache) as store:
        store.replace_partition(source.partition, [(source, [batch])])
        assert (2024, 3, 1, "app-assets") in store.replaced_partitions()
    assert _rows(cache) == expected  # the same rows, not twice
    assert len(_rows(cache, day)) == len(compacted) > 0
    # A raw object delivered on the 2nd changes: its record of the 1st is not added again.
    late = next(p for p in logs.rglob("2024-03-02-00-05-00-*") if p.is_file())
    late.write_text(late.read_text() + "\n")
    report = ingest(logs, cache)
    assert report.files_ingested == 1 and report.records_in_replaced_partitions >= 1
    assert _rows(cache) == expected
    # Replacing again (the compacted object changed) swaps the partition's rows.
    with CacheStore(cache) as store:
        store.replace_partition(
            source.partition, [(SourceObject(source.partition, source.name, "etag=2"), [])]
        )
    assert _rows(cache, day) == [] and len(_rows(cache)) == len(expected) - len(compacted)
    wrong = SourceObject((2024, 3, 2, "app-assets"), "part-0.parquet", "etag=1")
    with CacheStore(cache) as store, pytest.raises(InputError, match="other request days"):
        store.replace_partition((2024, 3, 2, "app-assets"), [(wrong, [batch])])


def test_a_record_without_a_request_time_stays_in_its_objects_day(tmp_path: Path) -> None:
    line = next(line for bucket, line in _fixture_lines() if "[01/Mar/2024:10:02:00" in line)
    folder = tmp_path / "logs" / "PartitionedLogs" / "Year=2024" / "Month=03" / "Day=05" / "b"
    folder.mkdir(parents=True)
    (folder / "2024-03-05-00-00-00-ABCDEF").write_text(
        line.replace("[01/Mar/2024:10:02:00 +0000]", "-") + "\n" + line + "\n"
    )
    ingest(tmp_path / "logs", tmp_path / "cache")
    rows = _rows(tmp_path / "cache")
    assert [(r[2], r[-4:]) for r in rows] == sorted(
        [(None, (2024, 3, 5, "b")), (datetime(2024, 3, 1, 10, 2), (2024, 3, 1, "b"))], key=repr
    )
