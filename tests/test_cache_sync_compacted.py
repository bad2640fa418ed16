"""``sync`` takes compacted days from the compacted table (one GET per compacted object) and
the rest from the raw objects; the cache holds the same rows as a sync of raw objects only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pyarrow.dataset as ds
import pytest
from moto import mock_aws

from s3logs_athena.cache import sync
from s3logs_athena.cache.schema import SOURCE_COLUMN
from s3logs_athena.generator import GeneratorConfig
from s3logs_athena.table.compaction import CompactionSettings, compact_partition

from .compaction_support import KEYS, LAYOUT, LOG_BUCKET, moved_dataset

CONFIG = GeneratorConfig(buckets=2, days=4, objects_per_day=12, records_per_object=40, seed=23)
D = CONFIG.start
SETTINGS = CompactionSettings(row_group_rows=4096, read_concurrency=8)


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=LOG_BUCKET)
        gets: list[str] = []
        client.meta.events.register(
            "provide-client-params.s3.GetObject", lambda params, **_: gets.append(params["Key"])
        )
        client.gets = gets  # type: ignore[attr-defined]
        yield client


def cache_rows(cache: Path) -> Counter[tuple[Any, ...]]:
    """Every row of a cache with its partition, without the column naming its source."""
    dataset = ds.dataset(cache / "parquet", format="parquet", partitioning="hive")
    table = dataset.to_table()
    names = [n for n in table.column_names if n != SOURCE_COLUMN]
    columns = [table.column(n).to_pylist() for n in names]
    return Counter(zip(*columns, strict=True))


def test_the_cache_is_the_same_from_compacted_or_raw_objects(s3: Any, tmp_path: Path) -> None:
    dataset = moved_dataset(s3, CONFIG)
    for spec in dataset.buckets:
        for offset in range(5):
            compact_partition(s3, LOG_BUCKET, D + timedelta(days=offset), spec.name, SETTINGS)
    first, last = D, D + timedelta(days=4)
    raw = sync(s3, LOG_BUCKET, first, last, None, tmp_path / "raw", compacted=False)
    assert raw.compacted_partitions == 0
    s3.gets.clear()
    fast = sync(s3, LOG_BUCKET, first, last, None, tmp_path / "compacted")
    # Request days D..D+3 are complete in the compacted table (their raw partitions and the
    # next are in the range and current); raw days D+1..D+3 are then not needed at all.
    assert fast.compacted_partitions == 2 * 4
    assert fast.raw_partitions_skipped == 2 * 3
    raw_gets = [k for k in s3.gets if LAYOUT.is_partitioned(k)]
    assert len(raw_gets) == fast.objects_downloaded == raw.objects_downloaded - 2 * 3 * 12
    data_gets = [k for k in s3.gets if KEYS.parse_output_key(k)]
    assert fast.compacted_objects_downloaded == len(data_gets)
    assert fast.compacted_objects_downloaded <= 2 * 4 * 2  # a few objects per day, not dozens
    assert cache_rows(tmp_path / "compacted") == cache_rows(tmp_path / "raw")

    # Nothing changed: nothing is fetched again.
    s3.gets.clear()
    again = sync(s3, LOG_BUCKET, first, last, None, tmp_path / "compacted")
    assert (again.compacted_objects_downloaded, again.objects_downloaded) == (0, 0)
    assert not [k for k in s3.gets if LAYOUT.is_partitioned(k) or KEYS.parse_output_key(k)]


def test_a_stale_partition_comes_from_its_raw_objects(s3: Any, tmp_path: Path) -> None:
    dataset = moved_dataset(s3, CONFIG)
    bucket = dataset.buckets[0].name
    for offset in range(5):
        compact_partition(s3, LOG_BUCKET, D + timedelta(days=offset), bucket, SETTINGS)
    late = next(o for o in dataset.log_objects if o.bucket == bucket and o.day == D)
    key = LAYOUT.partition_prefix(D + timedelta(days=2), bucket) + "2024-03-06-23-59-00-LATE01"
    s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=late.body)  # not compacted again yet
    first, last = D, D + timedelta(days=4)
    fast = sync(s3, LOG_BUCKET, first, last, [bucket], tmp_path / "compacted")
    raw = sync(s3, LOG_BUCKET, first, last, [bucket], tmp_path / "raw", compacted=False)
    # Raw day D+2 is stale (its new object holds records of day D): request days D to D+2
    # come from raw objects; D+3 (raw D+3 and D+4 current) from the compacted table.
    assert fast.compacted_partitions == 1
    assert cache_rows(tmp_path / "compacted") == cache_rows(tmp_path / "raw")
    # One compacted day alone does not cover a raw partition (its records span two days).
    assert fast.raw_partitions_skipped == 0 and raw.compacted_partitions == 0
