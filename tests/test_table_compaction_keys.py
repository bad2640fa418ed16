"""Compaction's keys and manifests: pure functions of the raw partition, stable JSON."""

from __future__ import annotations

from datetime import date

import pytest

from s3logs_athena.errors import InputError
from s3logs_athena.layout import Layout
from s3logs_athena.table.compaction import (
    CompactedKeys,
    Manifest,
    ManifestError,
    ObjectDigest,
    OutputFile,
)

KEYS = CompactedKeys()
RAW = date(2024, 3, 5)


def test_outputs_are_named_after_their_raw_partition_in_their_request_day() -> None:
    key = KEYS.output_key(date(2024, 3, 4), "app", RAW)
    assert key == "CompactedLogs/Year=2024/Month=03/Day=04/app/from-2024-03-05.parquet"
    parsed = KEYS.parse_output_key(key)
    assert parsed is not None
    assert (parsed.request_day, parsed.bucket, parsed.raw_day) == (date(2024, 3, 4), "app", RAW)
    assert KEYS.parse_output_key(key.replace(".parquet", ".json")) is None
    assert (
        KEYS.parse_output_key("CompactedLogs/Year=2024/Month=02/Day=30/app/from-2024-03-05.parquet")
        is None
    )


def test_bookkeeping_lives_outside_the_partition_directories() -> None:
    manifest = KEYS.manifest_key(RAW, "app")
    assert manifest == "CompactedLogs/_manifests/Year=2024/Month=03/Day=05/app/manifest.json"
    assert KEYS.parse_manifest_key(manifest) == (RAW, "app")
    for key in (manifest, KEYS.objects_key(RAW, "app"), KEYS.pending_key(RAW, "app"),
                KEYS.rejects_key(RAW, "app")):  # fmt: skip
        assert not key.startswith(KEYS.partition_prefix(RAW))
        assert key.startswith("CompactedLogs/_")
        assert Layout().is_compacted(key)


@pytest.mark.parametrize("bucket", ["../x", "a/b", "", "-x"])
def test_a_bucket_name_never_becomes_a_path(bucket: str) -> None:
    with pytest.raises(InputError):
        KEYS.output_key(RAW, bucket, RAW)
    with pytest.raises(InputError):
        KEYS.manifest_key(RAW, bucket)


def test_a_custom_root() -> None:
    keys = CompactedKeys("logs/compacted/")
    assert keys.output_key(RAW, "Legacy_Bucket", RAW).startswith("logs/compacted/Year=2024/")
    with pytest.raises(InputError):
        CompactedKeys("/x")


def _manifest(**changes: object) -> Manifest:
    values: dict[str, object] = {
        "log_bucket": "central-logs",
        "raw_day": RAW,
        "bucket": "app",
        "raw_prefix": "PartitionedLogs/Year=2024/Month=03/Day=05/app/",
        "objects": 2,
        "raw_bytes": 300,
        "digest": "d" * 64,
        "objects_key": KEYS.objects_key(RAW, "app"),
        "lines": 10,
        "blank": 1,
        "records": 8,
        "rejects": 1,
        "outputs": (
            OutputFile(KEYS.output_key(date(2024, 3, 4), "app", RAW), date(2024, 3, 4), 3, 10, 1),
            OutputFile(KEYS.output_key(RAW, "app", RAW), RAW, 5, 20, 1),
        ),
        "rejects_key": KEYS.rejects_key(RAW, "app"),
        "compacted_at": "2024-03-07T04:00:00+00:00",
        "compactor": "s3logs-athena 0.1.0",
        "row_group_rows": 131072,
    }
    values.update(changes)
    return Manifest(**values)  # type: ignore[arg-type]


def test_a_manifest_round_trips_through_json() -> None:
    manifest = _manifest()
    assert Manifest.from_json(manifest.to_json()) == manifest
    assert manifest.problems() == []
    assert manifest.request_days == (date(2024, 3, 4), RAW)
    assert manifest.output_bytes == 30


def test_a_manifest_that_contradicts_itself_says_how() -> None:
    problems = _manifest(records=9, rejects=0).problems()
    assert any("outputs hold 8 rows" in p for p in problems)
    assert any("rejects" in p for p in problems)


@pytest.mark.parametrize(
    "document",
    [[], {"version": 2}, {"version": 1}, {**_manifest().to_json(), "lines": -1}],
)
def test_anything_else_is_a_manifest_error(document: object) -> None:
    with pytest.raises(ManifestError):
        Manifest.from_json(document)


def test_the_digest_depends_on_every_name_etag_and_size_in_order() -> None:
    def digest(*items: tuple[str, str, int]) -> str:
        running = ObjectDigest()
        for item in items:
            running.add(*item)
        return running.hexdigest()

    base = digest(("a", "e1", 1), ("b", "e2", 2))
    assert base == digest(("a", "e1", 1), ("b", "e2", 2))
    assert base != digest(("a", "e1", 1), ("b", "e2", 3))
    assert base != digest(("a", "e1", 1), ("b", "e3", 2))
    assert base != digest(("a", "e1", 1))
    assert base != digest(("b", "e2", 2), ("a", "e1", 1))
