"""The checker against moto datasets seeded with each finding."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from s3logs_athena.check import CheckConfig, CheckReport, Kind, Projection, run_check
from s3logs_athena.errors import InputError
from s3logs_athena.layout import Layout
from tests.check_support import LOG_BUCKET, body, dataset, s3, seed

__all__ = ["s3"]

PROJECTION = Projection({"year": (2020, 2030)}, frozenset({"app", "api", "unused"}), "the test")
P = "PartitionedLogs/Year=2024/Month=01/"


def check(client: Any, **options: Any) -> CheckReport:
    settings: dict[str, Any] = {
        "log_bucket": LOG_BUCKET,
        "first_day": date(2024, 1, 2),
        "last_day": date(2024, 1, 3),
        "projection": PROJECTION,
        "now": datetime.now(UTC) + timedelta(hours=1),
    }
    settings.update(options)
    return run_check(client, CheckConfig(**settings))


def found(report: CheckReport) -> set[tuple[str, str | None]]:
    return {(f.kind.value, f.key or f.partition) for f in report.findings}


EXPECTED = {
    ("straggler", "app/2024-01-02-12-00-00-5555555555555501"),
    ("straggler", "123456789012/us-east-1/app/2024/01/02/2024-01-02-00-00-00-5555555555555502"),
    ("duplicate", "app/2024-01-02-13-00-00-D0D0D0D0D0D0D001"),
    ("duplicate", P + "Day=02/api/2024-01-03-00-05-00-D0D0D0D0D0D0D002"),
    ("misplaced", P + "Day=02/app/2024-01-05-10-00-00-3333333333333301"),
    (
        "misplaced",
        "PartitionedLogs/Year=2024/Month=1/Day=02/app/2024-01-02-10-00-00-3333333333333302",
    ),
    ("misplaced", P + "Day=02/app/nested/2024-01-02-10-00-00-3333333333333303"),
    ("misplaced", "PartitionedLogs/README.txt"),
    ("unprojected", "Year=2024/Month=01/Day=02/web"),
    ("unknown_key", "exports/report.csv"),
    ("unused_bucket_value", None),
}
DEEP = {
    ("foreign_record", P + "Day=03/app/2024-01-03-09-00-00-F0F0F0F0F0F0F001"),
    ("out_of_window", P + "Day=03/app/2024-01-03-10-00-00-0F0F0F0F0F0F0F01"),
    # The misplaced file's records are of its delivery day, not of the partition's.
    ("out_of_window", P + "Day=02/app/2024-01-05-10-00-00-3333333333333301"),
    ("unparseable", P + "Day=03/api/2024-01-03-11-00-00-0E0E0E0E0E0E0E01"),
    ("empty_object", P + "Day=03/api/2024-01-03-12-00-00-0E0E0E0E0E0E0E02"),
}


def test_every_finding_is_found_and_nothing_else(s3: Any) -> None:
    seed(s3, dataset("everything"))
    report = check(s3)
    assert found(report) == EXPECTED
    assert not report.aligned
    assert report.partitions == 5  # 02/app, 02/api, 02/web, 03/app, 03/api
    assert report.buckets == {"app", "api", "web"}
    assert report.source_objects == 3  # the out-of-window source is not counted
    assert report.objects_listed == len(dataset("everything"))


def test_details_say_what_is_wrong(s3: Any) -> None:
    seed(s3, dataset("everything"))
    details = {(f.kind.value, f.key or f.partition): f.detail for f in check(s3).findings}
    straggler = details["straggler", "app/2024-01-02-12-00-00-5555555555555501"]
    assert "1h00m" in straggler and "does not exist" in straggler
    assert (
        "(same ETag and size)" in details["duplicate", "app/2024-01-02-13-00-00-D0D0D0D0D0D0D001"]
    )
    assert (
        "its partition day must be 2024-01-05"
        in details["misplaced", P + "Day=02/app/2024-01-05-10-00-00-3333333333333301"]
    )
    assert (
        "'web' is not in projection.bucket.values"
        in details["unprojected", "Year=2024/Month=01/Day=02/web"]
    )
    assert "its 1 objects are invisible" in details["unprojected", "Year=2024/Month=01/Day=02/web"]
    assert "'unused'" in details["unused_bucket_value", None]


def test_deep_reads_every_object_and_checks_its_records(s3: Any) -> None:
    seed(s3, dataset("everything"))
    report = check(s3, deep=True)
    assert found(report) == EXPECTED | DEEP
    assert report.objects_read == report.partitioned_objects - 1  # not the nested key
    details = {(f.kind.value, f.key): f.detail for f in report.findings}
    assert details["unparseable", P + "Day=03/api/2024-01-03-11-00-00-0E0E0E0E0E0E0E01"].startswith(
        "1 of 2 lines are not log records (lines 2;"
    )
    assert (
        "for bucket 'api', not 'app'"
        in details["foreign_record", P + "Day=03/app/2024-01-03-09-00-00-F0F0F0F0F0F0F001"]
    )
    assert (
        "[2024-01-02, 2024-01-04)"
        in details["out_of_window", P + "Day=03/app/2024-01-03-10-00-00-0F0F0F0F0F0F0F01"]
    )


def test_sample_reads_only_that_many_objects(s3: Any) -> None:
    seed(s3, dataset("everything"))
    assert check(s3, deep=True, sample=3).objects_read == 3


def test_young_sources_are_in_flight_not_stragglers(s3: Any) -> None:
    seed(s3, dataset("everything"))
    report = check(s3, now=None)
    assert report.in_flight == 3
    kinds = {f.kind for f in report.findings if f.key and not f.key.startswith("PartitionedLogs/")}
    assert kinds == {Kind.UNKNOWN_KEY}


def test_bucket_filter_limits_partitions_and_sources(s3: Any) -> None:
    seed(s3, dataset("everything"))
    report = check(s3, buckets=frozenset({"api"}))
    assert report.buckets == {"api"}
    assert {f.kind.value for f in report.findings} == {
        "duplicate", "misplaced", "unknown_key",
    }  # fmt: skip
    # Misplaced keys that do not parse belong to no bucket: always reported.
    assert ("misplaced", "PartitionedLogs/README.txt") in found(report)


def test_an_aligned_bucket_is_aligned(s3: Any) -> None:
    seed(s3, [o for o in dataset("everything") if "0A0A0A0A" in o[0] or "0B0B0B0B" in o[0]])
    report = check(s3, deep=True, projection=None)
    assert report.findings == []
    assert report.aligned
    assert report.objects_read == 4


def test_seed_scenario_objects_left_behind_after_no_such_key(s3: Any) -> None:
    """The story: a loop copied each new object and swallowed NoSuchKey, so the few objects
    S3 had not caught up with stayed at their source while their neighbours moved."""
    import boto3

    from s3logs_athena.testing.faults import FaultInjector, FaultRates

    layout = Layout()
    sources = [
        f"app/2024-01-02-{hour:02d}-{minute:02d}-00-{hour:02d}{minute:02d}AAAAAAAAAAAA"
        for hour in range(24)
        for minute in range(0, 60, 20)
    ]
    for key in sources:
        s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=body([("app", "2024-01-02T00:00:00")]))
    lambda_s3 = boto3.client("s3", region_name="us-east-1")
    FaultInjector(FaultRates(not_found=0.08, not_found_attempts=1000), seed=7).install(lambda_s3)
    left_behind = []
    for key in sources:  # the seed's loop: copy, delete, log-and-swallow errors
        try:
            lambda_s3.copy_object(
                Bucket=LOG_BUCKET, Key=layout.target_key(key),
                CopySource={"Bucket": LOG_BUCKET, "Key": key},
            )  # fmt: skip
            lambda_s3.delete_object(Bucket=LOG_BUCKET, Key=key)
        except lambda_s3.exceptions.NoSuchKey:
            left_behind.append(key)
    assert 0 < len(left_behind) < len(sources) // 4

    report = check(s3, projection=None, now=datetime.now(UTC) + timedelta(hours=2))
    assert {(f.kind, f.key) for f in report.findings} == {
        (Kind.STRAGGLER, key) for key in left_behind
    }
    assert report.partitioned_objects == len(sources) - len(left_behind)


def test_stray_folders_in_the_window_are_misplaced(s3: Any) -> None:
    line = body([("app", "2024-02-28T10:00:00")])
    stray = [
        "PartitionedLogs/Year=2024/Month=02/Day=30/app/2024-02-28-10-00-00-AAAA",
        "PartitionedLogs/Year=2024/Month=13/Day=01/app/2024-02-28-10-00-00-AAAA",
        "PartitionedLogs/Year=2024/Month=02/x",
        "PartitionedLogs/Year=2024/Month=02/Day=28/loose-object",
        "PartitionedLogs/oops/2024-02-28-10-00-00-AAAA",
    ]
    ignored = ["PartitionedLogs/Year=2023/Month=1/Day=1/app/x"]  # a year outside the window
    seed(s3, [(key, line) for key in [*stray, *ignored]])
    report = check(s3, first_day=date(2024, 2, 28), last_day=date(2024, 2, 29), projection=None)
    assert found(report) == {("misplaced", key) for key in stray}


def test_nested_root_and_custom_source_pattern(s3: Any) -> None:
    layout = Layout("logs/partitioned/", "logs/simple/{bucket}/")
    data = body([("app", "2024-01-02T10:00:00")])
    seed(
        s3,
        [
            ("logs/partitioned/Year=2024/Month=01/Day=02/app/2024-01-02-10-00-00-AAAA", data),
            ("logs/simple/app/2024-01-02-11-00-00-BBBB", data),
            ("logs/other.txt", data),
        ],
    )
    report = check(s3, layout=layout, projection=None)
    assert found(report) == {
        ("straggler", "logs/simple/app/2024-01-02-11-00-00-BBBB"),
        ("unknown_key", "logs/other.txt"),
    }
    assert report.partitioned_objects == 1


def test_many_pages_and_few_open_listings(s3: Any) -> None:
    """Pages of 7 keys and at most 2 listings open: still every object, and duplicates
    spread over pages of different partitions still meet in the merge."""
    data = body([("app", "2024-01-02T10:00:00")])
    objects = []
    for day in (2, 3):
        for n in range(40):
            name = f"2024-01-03-00-{n:02d}-00-{n:04d}AAAA"
            objects.append((f"{P}Day=0{day}/app/{name}", data))
    for bucket in ("b1", "b2", "b3"):
        objects.append((f"{P}Day=02/{bucket}/2024-01-02-10-00-00-AAAA", data))
    seed(s3, objects)
    report = check(s3, projection=None, page_size=7, max_open_streams=2, concurrency=3)
    assert report.objects_listed == len(objects)
    duplicates = [f for f in report.findings if f.kind is Kind.DUPLICATE]
    assert len(duplicates) == 40
    # The copies in the file's own date (Day=03) are kept, the others are the duplicates.
    assert all("/Day=02/" in (f.key or "") for f in duplicates)
    assert len(report.findings) == 40


def test_a_missing_bucket_is_a_usage_error(s3: Any) -> None:
    with pytest.raises(InputError, match="does not exist"):
        check(s3, log_bucket="no-such-bucket")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"first_day": date(2024, 1, 5)}, "is after --to"),
        ({"sample": 0}, "at least 1"),
        ({"max_lag_days": -1}, "0 or more"),
    ],
)
def test_bad_settings_are_usage_errors(options: dict[str, Any], message: str) -> None:
    settings: dict[str, Any] = {
        "log_bucket": LOG_BUCKET, "first_day": date(2024, 1, 2), "last_day": date(2024, 1, 3),
    }  # fmt: skip
    settings.update(options)
    with pytest.raises(InputError, match=message):
        CheckConfig(**settings)
