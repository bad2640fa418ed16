"""Compacting a date range: closed days only, quiet days, re-runs, dry runs, failures kept to
their partition, and worker processes against a moto server."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from s3logs_athena.errors import AwsError, InputError
from s3logs_athena.generator import GeneratorConfig
from s3logs_athena.table.compaction import (
    CompactionRequest,
    CompactionSettings,
    last_closed_day,
    run_compaction,
)
from s3logs_athena.table.compaction import partition as partition_module

from .compaction_support import (
    KEYS,
    LATER,
    LOG_BUCKET,
    bucket_keys,
    compacted_rows,
    moved_dataset,
    raw_rows,
    s3,
)

__all__ = ["s3"]  # the moto bucket fixture, used by name

CONFIG = GeneratorConfig(buckets=2, days=3, objects_per_day=12, records_per_object=40, seed=5)
START = CONFIG.start
SETTINGS = CompactionSettings(row_group_rows=4096, read_concurrency=4)


def request(**changes: Any) -> CompactionRequest:
    values: dict[str, Any] = {
        "log_bucket": LOG_BUCKET,
        "first_day": START - timedelta(days=2),
        "last_day": START + timedelta(days=5),
        "now": LATER,
        "concurrency": 2,
    }
    values.update(changes)
    return CompactionRequest(**values)


@pytest.mark.parametrize(
    ("now", "grace", "closed"),
    [
        (datetime(2024, 5, 4, 2, 59, tzinfo=UTC), timedelta(hours=3), date(2024, 5, 1)),
        (datetime(2024, 5, 4, 3, 0, tzinfo=UTC), timedelta(hours=3), date(2024, 5, 2)),
        (datetime(2024, 5, 4, 0, 0, tzinfo=UTC), timedelta(0), date(2024, 5, 2)),
        (datetime(2024, 5, 4, 12, 0), timedelta(days=1), date(2024, 5, 1)),
    ],
)
def test_a_raw_day_is_closed_once_the_next_day_and_the_grace_are_over(
    now: datetime, grace: timedelta, closed: date
) -> None:
    assert last_closed_day(now, grace) == closed


def test_a_range_is_compacted_once_and_then_up_to_date(s3: Any) -> None:
    dataset = moved_dataset(s3, CONFIG)
    summary = run_compaction(s3, request(), SETTINGS)
    assert summary.ok and not summary.open_days
    # Three generated days, delivered over four raw days, plus one quiet day after each
    # bucket's last day; none before the first.
    assert summary.count("compacted") == 2 * 5
    assert {p.day for p in summary.partitions} == {START + timedelta(days=n) for n in range(5)}
    totals = summary.totals()
    assert totals["records"] == sum(len(o.records) for o in dataset.log_objects)
    assert totals["objects"] == len(dataset.log_objects)
    assert totals["bytes_in"] == dataset.total_bytes and 0 < totals["bytes_out"]
    assert compacted_rows(s3) == raw_rows(s3)
    before = bucket_keys(s3)
    again = run_compaction(s3, request(), SETTINGS)
    assert again.count("up_to_date") == 10 and again.totals()["records"] == 0
    assert bucket_keys(s3) == before  # nothing written, nothing removed
    document = again.to_json()
    assert document["summary"]["up_to_date"] == 10
    assert document["partitions"][0]["status"] == "up_to_date"


def test_days_that_are_not_closed_are_skipped_and_reported(s3: Any) -> None:
    moved_dataset(s3, CONFIG)
    now = datetime(START.year, START.month, START.day, tzinfo=UTC) + timedelta(days=3, hours=4)
    summary = run_compaction(s3, request(now=now), SETTINGS)
    assert summary.last_closed_day == START + timedelta(days=1)
    assert {p.day for p in summary.partitions} == {START, START + timedelta(days=1)}
    assert summary.open_days[0] == START + timedelta(days=2)


def test_a_dry_run_writes_nothing(s3: Any) -> None:
    moved_dataset(s3, CONFIG)
    before = bucket_keys(s3)
    summary = run_compaction(s3, request(dry_run=True), SETTINGS)
    assert summary.count("to_compact") == 10 and summary.dry_run
    assert bucket_keys(s3) == before


def test_only_the_given_buckets(s3: Any) -> None:
    dataset = moved_dataset(s3, CONFIG)
    name = dataset.buckets[1].name
    summary = run_compaction(s3, request(buckets=(name,)), SETTINGS)
    assert {p.bucket for p in summary.partitions} == {name}
    assert all(key.split("/")[4] == name for key in bucket_keys(s3, KEYS.partition_prefix(START)))


def test_a_failing_partition_fails_alone(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    moved_dataset(s3, CONFIG)
    real = partition_module.get_bytes
    broken = START + timedelta(days=1)

    def flaky(client: Any, bucket: str, key: str) -> Any:
        if f"Day={broken.day:02d}/acme-web-assets/" in key:
            raise AwsError("GetObject", "AccessDenied", "not for you")
        return real(client, bucket, key)

    monkeypatch.setattr(partition_module, "get_bytes", flaky)
    summary = run_compaction(s3, request(concurrency=1), SETTINGS)
    (failed,) = summary.failed
    assert (failed.day, failed.bucket) == (broken, "acme-web-assets")
    assert failed.error and "AccessDenied" in failed.error
    assert summary.count("compacted") == 9 and not summary.ok
    assert not bucket_keys(s3, KEYS.manifest_key(broken, "acme-web-assets"))


@pytest.mark.parametrize(
    "changes",
    [
        {"last_day": START - timedelta(days=3)},
        {"buckets": ()},
        {"buckets": ("Not A Bucket",)},
        {"concurrency": 0},
        {"grace": timedelta(hours=-1)},
        {"first_day": date(2000, 1, 1)},
    ],
)
def test_bad_requests_say_what_is_wrong(changes: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        request(**changes)


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    requests.post(f"http://{host}:{port}/moto-api/reset", timeout=10)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _client(endpoint: str) -> Any:
    return boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)


def test_partitions_compacted_in_worker_processes(endpoint: str) -> None:
    s3 = _client(endpoint)
    s3.create_bucket(Bucket=LOG_BUCKET)
    moved_dataset(s3, CONFIG)
    seen: list[int] = []

    class Watch:
        def planned(self, partitions: int, objects: int, size: int) -> None:
            seen.append(objects)

        def object_done(self, size: int) -> None:
            seen.append(-1)

        def partition_done(self, result: Any) -> None:
            pass

    factory = functools.partial(_client, endpoint)
    summary = run_compaction(
        s3, request(concurrency=3), SETTINGS, client_factory=factory, progress=Watch()
    )
    assert summary.ok and summary.count("compacted") == 10
    assert seen[0] == summary.totals()["objects"] == seen.count(-1)
    assert compacted_rows(s3) == raw_rows(s3)
