"""Backfill: find stragglers without reading the partition root, move them idempotently."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.errors import InputError
from s3logs_athena.layout import Layout
from s3logs_athena.mover import MoveOutcome, RetryPolicy
from s3logs_athena.mover.backfill import (
    ListingStats,
    find_stragglers,
    move_stragglers,
    parse_duration,
)
from s3logs_athena.testing.faults import FaultInjector, FaultRates, SimulatedCrash

from .mover_support import BUCKET, bucket_contents, log_body, log_key, target_of

LATER = datetime.now(UTC) + timedelta(hours=1)  # everything put now is 1h old by then
FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)
PARTITIONED_KEY = "123456789012/us-east-1/app-uploads/2024/03/05/2024-03-05-10-11-12-ABCDEF"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        for n in range(12):
            client.put_object(Bucket=BUCKET, Key=log_key(n), Body=log_body(n))
        client.put_object(Bucket=BUCKET, Key=PARTITIONED_KEY, Body=b"partitioned prefix\n")
        client.put_object(Bucket=BUCKET, Key=target_of(log_key(99)), Body=b"moved earlier\n")
        client.put_object(Bucket=BUCKET, Key="README.txt", Body=b"not a log\n")
        client.put_object(Bucket=BUCKET, Key="app-assets/notes.txt", Body=b"not a log\n")
        yield client


def listed_prefixes(s3: Any) -> list[tuple[str, bool]]:
    calls: list[tuple[str, bool]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append((params.get("Prefix", ""), "Delimiter" in params))

    s3.meta.events.register("before-parameter-build.s3.ListObjectsV2", record)
    return calls


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400), ("45", 45)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_a_bad_duration_says_how_to_write_one() -> None:
    with pytest.raises(InputError, match=r"e\.g\. 30s, 15m"):
        parse_duration("soon")


def test_stragglers_are_log_keys_outside_the_root_and_old_enough(s3: Any) -> None:
    calls = listed_prefixes(s3)
    stats = ListingStats()
    found = list(find_stragglers(s3, bucket=BUCKET, layout=Layout(), now=LATER, stats=stats))
    assert sorted(s.key for s in found) == sorted(
        [*(log_key(n) for n in range(12)), PARTITIONED_KEY]
    )
    by_key = {s.key: s for s in found}
    assert by_key[log_key(3)].target_key == target_of(log_key(3))
    assert by_key[log_key(3)].size == len(log_body(3))
    assert (stats.listed, stats.stragglers, stats.not_log_keys, stats.too_recent) == (15, 13, 2, 0)
    assert sorted(stats.not_log_examples) == ["README.txt", "app-assets/notes.txt"]
    # The partition root is never listed: top level with a delimiter, other prefixes flat.
    assert ("", True) in calls
    assert not any(prefix.startswith("PartitionedLogs/") for prefix, _ in calls)


def test_young_objects_are_left_to_the_mover(s3: Any) -> None:
    stats = ListingStats()
    found = list(find_stragglers(s3, bucket=BUCKET, layout=Layout(), stats=stats))
    assert found == [] and stats.too_recent == 13


def test_a_nested_partition_root_is_skipped_but_its_siblings_are_listed(s3: Any) -> None:
    layout = Layout(partition_root="logs/partitioned/", source_pattern="logs/{bucket}/")
    s3.put_object(Bucket=BUCKET, Key="logs/app/2024-03-01-10-11-12-ABC", Body=b"x\n")
    s3.put_object(
        Bucket=BUCKET,
        Key="logs/partitioned/Year=2024/Month=03/Day=01/app/2024-03-01-10-11-12-A",
        Body=b"y\n",
    )
    calls = listed_prefixes(s3)
    found = [s.key for s in find_stragglers(s3, bucket=BUCKET, layout=layout, now=LATER)]
    assert "logs/app/2024-03-01-10-11-12-ABC" in found
    assert not any(key.startswith("logs/partitioned/") for key in found)
    assert ("logs/", True) in calls
    assert not any(prefix.startswith("logs/partitioned/") for prefix, _ in calls)


def test_a_prefix_limits_the_search(s3: Any) -> None:
    found = list(find_stragglers(s3, bucket=BUCKET, layout=Layout(), prefix="app-", now=LATER))
    assert sorted(s.key for s in found) == sorted(log_key(n) for n in range(12))
    assert (
        list(find_stragglers(s3, bucket=BUCKET, layout=Layout(), prefix="PartitionedLogs/")) == []
    )


def test_backfill_moves_everything_once_and_a_rerun_finds_nothing(s3: Any) -> None:
    before = bucket_contents()
    stragglers = list(find_stragglers(s3, bucket=BUCKET, layout=Layout(), now=LATER))
    summary = move_stragglers(s3, stragglers, bucket=BUCKET, layout=Layout(), retry=FAST)
    assert summary.ok and summary.outcomes[MoveOutcome.MOVED] == 13
    after = bucket_contents()
    for n in range(12):
        assert after[target_of(log_key(n))] == before[log_key(n)]
        assert log_key(n) not in after
    assert "README.txt" in after and "app-assets/notes.txt" in after
    assert list(find_stragglers(s3, bucket=BUCKET, layout=Layout(), now=LATER)) == []


def test_an_interrupted_backfill_is_finished_by_the_next_run(s3: Any) -> None:
    before = bucket_contents()
    faults = FaultInjector(FaultRates(crash_before_delete=0.5), seed=7).install(s3)
    stragglers = list(find_stragglers(s3, bucket=BUCKET, layout=Layout(), now=LATER))
    with pytest.raises(SimulatedCrash):
        move_stragglers(s3, stragglers, bucket=BUCKET, layout=Layout(), retry=FAST, concurrency=4)
    assert faults.crashed_keys  # some copies are done, their sources not deleted
    rerun = list(find_stragglers(s3, bucket=BUCKET, layout=Layout(), now=LATER))
    summary = move_stragglers(s3, rerun, bucket=BUCKET, layout=Layout(), retry=FAST)
    assert summary.ok
    after = bucket_contents()
    expected = {target_of(log_key(n)): before[log_key(n)] for n in range(12)}
    assert {k: v for k, v in after.items() if k in expected} == expected
    assert not any(log_key(n) in after for n in range(12))


def test_objects_that_cannot_be_moved_are_reported_and_left(s3: Any) -> None:
    faults = FaultInjector(FaultRates(stuck=0.3), seed=1)
    faults.install(s3)
    stragglers = list(find_stragglers(s3, bucket=BUCKET, layout=Layout(), now=LATER))
    reported: list[Any] = []
    summary = move_stragglers(
        s3, stragglers, bucket=BUCKET, layout=Layout(), retry=FAST, on_result=reported.append
    )
    stuck = {s.key for s in stragglers if faults.is_stuck(s.key)}
    assert stuck and not summary.ok
    assert {r.key for r in summary.failures} == stuck
    assert all(r.outcome is MoveOutcome.FAILED for r in summary.failures)
    assert len(reported) == len(stragglers)
    assert stuck <= set(bucket_contents())


def test_two_stragglers_with_one_target_keep_both_objects(s3: Any) -> None:
    """A SimplePrefix log with the file name of the PartitionedPrefix one: both map to one
    target. One is moved; the other is rejected and stays at its source, bytes intact."""
    twin = "app-uploads/2024-03-05-10-11-12-ABCDEF"
    layout = Layout()
    assert layout.target_key(twin) == layout.target_key(PARTITIONED_KEY)
    s3.put_object(Bucket=BUCKET, Key=twin, Body=b"simple prefix twin\n")
    before = bucket_contents()
    FaultInjector().install(s3)  # S3's conditions on CopyObject, which moto ignores
    stragglers = list(find_stragglers(s3, bucket=BUCKET, layout=layout, now=LATER))
    summary = move_stragglers(s3, stragglers, bucket=BUCKET, layout=layout, retry=FAST)
    (failure,) = summary.failures
    assert failure.outcome is MoveOutcome.REJECTED and failure.error_code == "TargetExists"
    assert summary.outcomes[MoveOutcome.MOVED] == 13
    kept = failure.key
    (moved,) = {twin, PARTITIONED_KEY} - {kept}
    target = layout.target_key(twin)
    assert kept in (failure.error or "") and target in (failure.error or "")
    after = bucket_contents()
    assert after[kept] == before[kept]
    assert after[target] == before[moved]
    assert moved not in after
