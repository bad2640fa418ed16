from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3logs_athena.errors import InputError, KeyFormatError
from s3logs_athena.layout import KeyFormat, Layout, validate_bucket_name

# Bucket names S3 accepts, including awkward ones: dots, digits, hyphens, 3 and 63 chars.
bucket_names = st.from_regex(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", fullmatch=True).filter(
    lambda n: ".." not in n and ".-" not in n and "-." not in n
)
unique_strings = st.from_regex(r"[0-9A-F]{16}", fullmatch=True)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)
).map(lambda moment: moment.replace(microsecond=0))
roots = st.sampled_from(["PartitionedLogs/", "logs/partitioned/", "P/"])
# Literal text around {bucket} in a SimplePrefix pattern, with and without slashes.
patterns = st.sampled_from(["{bucket}/", "logs/{bucket}/", "{bucket}-", "access/{bucket}/logs-"])


def file_name(moment: datetime, unique: str) -> str:
    return moment.strftime("%Y-%m-%d-%H-%M-%S-") + unique


@given(bucket=bucket_names, moment=moments, unique=unique_strings, root=roots, pattern=patterns)
def test_simple_prefix_round_trip(
    bucket: str, moment: datetime, unique: str, root: str, pattern: str
) -> None:
    layout = Layout(partition_root=root, source_pattern=pattern)
    key = pattern.replace("{bucket}", bucket) + file_name(moment, unique)
    source = layout.parse_source_key(key)
    assert source.format is KeyFormat.SIMPLE
    assert source.bucket == bucket
    assert source.day == moment.date()
    assert source.delivered_at == moment.replace(tzinfo=UTC)

    target = layout.target_key(source)
    partition = f"Year={moment:%Y}/Month={moment:%m}/Day={moment:%d}"
    assert target == f"{root}{partition}/{bucket}/{file_name(moment, unique)}"
    back = layout.parse_target_key(target)
    assert (back.day, back.bucket, back.file_name) == (source.day, bucket, source.file_name)
    assert layout.classify(target) == back
    assert layout.is_partitioned(target)
    assert not layout.is_partitioned(key)


@given(
    bucket=bucket_names,
    moment=moments,
    unique=unique_strings,
    prefix=st.sampled_from(["", "logs/", "a/b/c/"]),
    account=st.from_regex(r"\d{12}", fullmatch=True),
    region=st.sampled_from(["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-5"]),
    days_before=st.integers(0, 1),
)
def test_partitioned_prefix_uses_the_directory_date(
    bucket: str,
    moment: datetime,
    unique: str,
    prefix: str,
    account: str,
    region: str,
    days_before: int,
) -> None:
    layout = Layout()
    event_day = date.fromordinal(moment.date().toordinal() - days_before)
    key = f"{prefix}{account}/{region}/{bucket}/{event_day:%Y/%m/%d}/{file_name(moment, unique)}"
    source = layout.parse_source_key(key)
    assert source.format is KeyFormat.PARTITIONED
    assert (source.bucket, source.account_id, source.region) == (bucket, account, region)
    assert source.day == event_day
    target = layout.parse_target_key(layout.target_key(source))
    assert (target.day, target.bucket) == (event_day, bucket)


@pytest.mark.parametrize(
    "key",
    [
        "PartitionedLogs/Year=2024/Month=01/Day=02/b/2024-01-02-03-04-05-ABC",  # loop guard
        "bucket/2024-13-02-03-04-05-ABCDEF0123456789",  # month 13
        "bucket/2024-01-02-03-04-05",  # no unique string
        "bucket/notes.txt",
        "2024-01-02-03-04-05-ABCDEF0123456789",  # no bucket prefix
        "bucket/sub/2024-01-02-03-04-05-ABCDEF0123456789",  # bucket names have no '/'
        "logs/12345678901/us-east-1/b/2024/01/02/2024-01-02-03-04-05-ABC",  # 11-digit account
    ],
)
def test_keys_in_no_log_format_are_typed_errors(key: str) -> None:
    with pytest.raises(KeyFormatError):
        Layout().parse_source_key(key)


def test_target_keys_that_do_not_parse() -> None:
    layout = Layout()
    for key in [
        "PartitionedLogs/Year=2024/Month=1/Day=02/b/2024-01-02-03-04-05-ABC",
        "PartitionedLogs/Year=2024/Month=02/Day=30/b/2024-02-30-03-04-05-ABC",
        "PartitionedLogs/Year=2024/Month=01/Day=02/2024-01-02-03-04-05-ABC",
    ]:
        with pytest.raises(KeyFormatError):
            layout.parse_target_key(key)


@pytest.mark.parametrize(
    ("root", "pattern"),
    [("", "{bucket}/"), ("/PartitionedLogs/", "{bucket}/"), ("PartitionedLogs", "{bucket}/"),
     ("PartitionedLogs/", "logs/"), ("PartitionedLogs/", "{bucket}/{bucket}/"),
     ("PartitionedLogs/", "{account}/{bucket}/")],
)  # fmt: skip
def test_bad_layouts_say_what_is_wrong(root: str, pattern: str) -> None:
    with pytest.raises(InputError):
        Layout(partition_root=root, source_pattern=pattern)


def test_location_template_has_a_placeholder_per_partition_column() -> None:
    assert Layout().location_template("s3://central-logs/PartitionedLogs") == (
        "s3://central-logs/PartitionedLogs/Year=${year}/Month=${month}/Day=${day}/${bucket}/"
    )


def test_prefixes() -> None:
    layout = Layout(source_pattern="logs/{bucket}/")
    assert layout.partition_prefix(date(2024, 3, 1)) == "PartitionedLogs/Year=2024/Month=03/Day=01/"
    assert layout.partition_prefix(date(2024, 3, 1), "b") == (
        "PartitionedLogs/Year=2024/Month=03/Day=01/b/"
    )
    assert layout.source_prefix("b") == "logs/b/"


@pytest.mark.parametrize("name", ["abc", "my.bucket-1", "a" * 63, "1bucket"])
def test_valid_bucket_names(name: str) -> None:
    assert validate_bucket_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["ab", "a" * 64, "My-Bucket", "bucket_", "-bucket", "a..b", "192.168.5.4", "xn--abc",
     "bucket-s3alias", "bucket.", "a.-b"],
)  # fmt: skip
def test_invalid_bucket_names(name: str) -> None:
    with pytest.raises(InputError, match="invalid bucket name"):
        validate_bucket_name(name)


@pytest.mark.parametrize(
    "key",
    [
        "CompactedLogs/2024-03-01-10-11-12-0123456789ABCDEF",  # a SimplePrefix-like name
        "CompactedLogs/123456789012/us-east-1/b/2024/03/01/2024-03-01-10-11-12-ABC",
        "CompactedLogs/Year=2024/Month=03/Day=01/b/from-2024-03-02.parquet",
        "CompactedLogs/_manifests/Year=2024/Month=03/Day=01/b/manifest.json",
    ],
)
def test_nothing_under_the_compacted_root_is_a_source_log(key: str) -> None:
    layout = Layout()
    assert layout.is_compacted(key) and not layout.is_partitioned(key)
    with pytest.raises(KeyFormatError, match="compacted root"):
        layout.parse_source_key(key)
    with pytest.raises(KeyFormatError):
        layout.classify(key)
    with pytest.raises(KeyFormatError):
        layout.target_key(key)


@pytest.mark.parametrize(
    ("root", "compacted"),
    [("logs/", "logs/compacted/"), ("logs/partitioned/", "logs/"), ("a/", "a/"), ("a/", "/b/")],
)
def test_the_two_roots_must_be_separate_prefixes(root: str, compacted: str) -> None:
    with pytest.raises(InputError):
        Layout(partition_root=root, compacted_root=compacted).check_roots_apart()


def test_a_compacted_root_beside_the_partition_root() -> None:
    layout = Layout("logs/partitioned/", compacted_root="logs/compacted/").check_roots_apart()
    assert layout.is_compacted("logs/compacted/x") and not layout.is_compacted("logs/x")
