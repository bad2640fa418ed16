"""sync: list and download partitions from S3 (moto), resumably, then ingest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.cache import CacheStore, sync
from s3logs_athena.cache import remote as sync_module
from s3logs_athena.errors import AwsError, InputError

from .conftest import FIXTURES

PARTITIONED = FIXTURES / "logs" / "partitioned"
LOG_BUCKET = "central-logs"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=LOG_BUCKET)
        for path in sorted(PARTITIONED.rglob("*")):
            if path.is_file():
                key = path.relative_to(PARTITIONED).as_posix()
                client.put_object(Bucket=LOG_BUCKET, Key=key, Body=path.read_bytes())
        client.put_object(
            Bucket=LOG_BUCKET, Key="PartitionedLogs/Year=2024/Month=03/Day=01/x", Body=b""
        )
        yield client


def test_sync_downloads_the_range_and_ingests_it(s3: Any, tmp_path: Path) -> None:
    events: list[sync_module.SyncProgress] = []
    report = sync(
        s3, LOG_BUCKET, date(2024, 3, 1), date(2024, 3, 2), None, tmp_path, progress=events.append
    )
    assert report.days == 2
    assert report.objects_listed == 5 and report.objects_downloaded == 4
    assert report.skipped_keys == ["PartitionedLogs/Year=2024/Month=03/Day=01/x"]
    assert report.ingest.files_ingested == 4
    assert report.ingest.parse.records == 13 + 2 + 14 + 4
    assert {e.phase for e in events} == {"list", "download", "ingest"}
    raw = tmp_path / "raw" / LOG_BUCKET / "PartitionedLogs" / "Year=2024" / "Month=03"
    assert (raw / "Day=02" / "app-uploads" / "2024-03-02-06-00-00-4D5E6F7A8B9C0D1E").is_file()
    assert not list(tmp_path.rglob("*.part"))


def test_sync_filters_buckets_and_skips_unchanged_objects(s3: Any, tmp_path: Path) -> None:
    first = sync(s3, LOG_BUCKET, date(2024, 3, 2), date(2024, 3, 2), ["app-uploads"], tmp_path)
    assert first.objects_downloaded == 1 and first.ingest.parse.records == 4
    again = sync(s3, LOG_BUCKET, date(2024, 3, 2), date(2024, 3, 2), ["app-uploads"], tmp_path)
    assert again.objects_downloaded == 0 and again.objects_unchanged == 1
    assert again.ingest.files_unchanged == 1 and again.ingest.files_ingested == 0

    key = (
        "PartitionedLogs/Year=2024/Month=03/Day=02/app-uploads/2024-03-02-06-00-00-4D5E6F7A8B9C0D1E"
    )
    body = s3.get_object(Bucket=LOG_BUCKET, Key=key)["Body"].read()
    s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=body.splitlines(keepends=True)[0])
    third = sync(s3, LOG_BUCKET, date(2024, 3, 2), date(2024, 3, 2), ["app-uploads"], tmp_path)
    assert third.objects_downloaded == 1
    assert third.ingest.files_replaced == 1 and third.ingest.parse.records == 1


def test_an_interrupted_sync_resumes_where_it_stopped(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = sync_module._download
    calls = {"n": 0}

    def flaky(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise AwsError("GetObject", "SlowDown", "please reduce your request rate")
        return original(*args)

    monkeypatch.setattr(sync_module, "_download", flaky)
    with pytest.raises(AwsError, match=r"SlowDown.*1 of 6 downloads failed.*other 5 are saved"):
        sync(s3, LOG_BUCKET, date(2024, 2, 29), date(2024, 3, 3), None, tmp_path, workers=2)
    with CacheStore(tmp_path) as store:
        done = len(store.downloads(LOG_BUCKET))
        assert not store.known_objects()  # nothing ingested from a failed sync
    assert done == 5
    monkeypatch.setattr(sync_module, "_download", original)
    report = sync(s3, LOG_BUCKET, date(2024, 2, 29), date(2024, 3, 3), None, tmp_path)
    assert report.objects_unchanged == 5 and report.objects_downloaded == 1
    assert report.ingest.parse.records == 39


def test_sync_reports_aws_errors_and_bad_input(s3: Any, tmp_path: Path) -> None:
    with pytest.raises(AwsError, match="NoSuchBucket"):
        sync(s3, "no-such-bucket", date(2024, 3, 1), date(2024, 3, 1), None, tmp_path)
    with pytest.raises(InputError, match="before"):
        sync(s3, LOG_BUCKET, date(2024, 3, 2), date(2024, 3, 1), None, tmp_path)
    with pytest.raises(InputError, match="invalid bucket name"):
        sync(s3, LOG_BUCKET, date(2024, 3, 1), date(2024, 3, 1), ["Bad_Bucket"], tmp_path)
