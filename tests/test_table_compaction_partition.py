"""Compacting one raw partition on moto: every record once, in its own request day, sorted;
rejects kept; re-runs idempotent; late, removed and crashed-on objects repaired."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from s3logs_athena.errors import AwsError
from s3logs_athena.generator import GeneratorConfig
from s3logs_athena.table.compaction import (
    CompactionSettings,
    Manifest,
    compact_partition,
    partition_state,
)
from s3logs_athena.table.compaction import partition as partition_module
from s3logs_athena.table.schema import TYPED_COLUMN_NAMES

from .compaction_support import (
    KEYS,
    LAYOUT,
    LOG_BUCKET,
    bucket_keys,
    compacted_objects,
    compacted_rows,
    moved_dataset,
    raw_rows,
    s3,
    typed_rows,
)

__all__ = ["s3"]  # the moto bucket fixture, used by name

SETTINGS = CompactionSettings(row_group_rows=2048, read_concurrency=4)
CONFIG = GeneratorConfig(buckets=1, days=2, objects_per_day=24, records_per_object=60, seed=11)
LINE = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be app "
    '[{time} +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT k "GET /k HTTP/1.1" 200 - '
    '{sent} 113 7 6 "-" "curl/8" -'
)


def line(time: str, sent: str = "113") -> str:
    return LINE.format(time=time, sent=sent)


def put_raw(s3: Any, day: date, name: str, body: bytes, bucket: str = "app") -> str:
    key = LAYOUT.partition_prefix(day, bucket) + name
    s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=body)
    return key


def compact(s3: Any, day: date, bucket: str, settings: CompactionSettings = SETTINGS) -> Manifest:
    manifest, _ = compact_partition(s3, LOG_BUCKET, day, bucket, settings)
    return manifest


def test_a_partition_becomes_sorted_parquet_by_request_day_nothing_lost(s3: Any) -> None:
    dataset = moved_dataset(s3, CONFIG)
    bucket = dataset.buckets[0].name
    second = CONFIG.start + timedelta(days=1)
    manifest = compact(s3, second, bucket)
    # Raw partition D holds the records of D-1 that S3 delivered after midnight.
    assert manifest.request_days == (CONFIG.start, second)
    assert [o.key for o in manifest.outputs] == [
        KEYS.output_key(CONFIG.start, bucket, second),
        KEYS.output_key(second, bucket, second),
    ]
    expected = raw_rows(s3, [second])
    assert compacted_rows(s3) == expected
    assert manifest.records == sum(expected.values()) == sum(o.rows for o in manifest.outputs)
    assert manifest.objects == CONFIG.objects_per_day
    assert manifest.problems() == []
    for _, body in compacted_objects(s3).values():
        times = pq.read_table(pa.BufferReader(body))["request_time"].to_pylist()
        assert times == sorted(times)
        metadata = pq.ParquetFile(pa.BufferReader(body)).metadata
        assert metadata.row_group(0).column(0).compression == "ZSTD"
    stored = json.loads(
        s3.get_object(Bucket=LOG_BUCKET, Key=KEYS.manifest_key(second, bucket))["Body"].read()
    )
    assert Manifest.from_json(stored) == manifest
    listed = gzip.decompress(
        s3.get_object(Bucket=LOG_BUCKET, Key=manifest.objects_key)["Body"].read()
    ).decode()
    assert len(listed.splitlines()) == manifest.objects
    assert not bucket_keys(s3, KEYS.pending_key(second, bucket))


def test_unparseable_lines_and_empty_objects_are_kept_and_counted(s3: Any) -> None:
    day = date(2024, 5, 2)
    good = "\n".join(
        [
            line("02/May/2024:10:00:00"),
            "this is not a log line",
            "",
            line("01/May/2024:23:59:59"),  # late: request day May 1
            line("02/May/2024:09:00:00", sent="99999999999999999999"),  # beyond 64 bits: NULL
            line("02/May/2024:08:00:00"),
        ]
    ).encode()
    good_key = put_raw(s3, day, "2024-05-02-10-00-00-AAAAAAAAAAAAAAAA", good)
    put_raw(s3, day, "2024-05-02-11-00-00-BBBBBBBBBBBBBBBB", b"")
    manifest = compact(s3, day, "app")
    assert (manifest.objects, manifest.lines, manifest.blank) == (2, 6, 1)
    assert (manifest.records, manifest.rejects) == (4, 1)
    assert manifest.problems() == []
    assert manifest.request_days == (date(2024, 5, 1), day)
    assert manifest.rejects_key == KEYS.rejects_key(day, "app")
    rejects = [
        json.loads(text)
        for text in s3.get_object(Bucket=LOG_BUCKET, Key=manifest.rejects_key)["Body"]
        .read()
        .decode()
        .splitlines()
    ]
    assert [(r["key"], r["line_number"]) for r in rejects] == [(good_key, 2)]
    assert rejects[0]["line"] == "this is not a log line" and rejects[0]["reason"]
    rows = compacted_rows(s3)
    assert sum(rows.values()) == 4
    # A number beyond its column's type is NULL, as Athena's SerDe reads it (the typed
    # schema's rule), not a reason to drop the record.
    sent = TYPED_COLUMN_NAMES.index("bytes_sent")
    assert sorted(str(row[sent]) for _, row in rows) == ["113", "113", "113", "None"]


def test_rerunning_an_up_to_date_partition_changes_nothing(s3: Any) -> None:
    dataset = moved_dataset(s3, CONFIG)
    bucket = dataset.buckets[0].name
    day = CONFIG.start + timedelta(days=1)
    assert partition_state(s3, LOG_BUCKET, day, bucket, SETTINGS).status == "new"
    compact(s3, day, bucket)
    state = partition_state(s3, LOG_BUCKET, day, bucket, SETTINGS)
    assert state.status == "up_to_date"
    before = compacted_objects(s3)
    compact(s3, day, bucket)  # forced: the same bytes under the same keys
    after = compacted_objects(s3)
    assert {k: body for k, (_, body) in after.items()} == {
        k: body for k, (_, body) in before.items()
    }


def test_a_late_object_is_compacted_once_into_its_own_request_days(s3: Any) -> None:
    day = date(2024, 5, 2)
    put_raw(s3, day, "2024-05-02-10-00-00-AAAAAAAAAAAAAAAA", line("02/May/2024:10:00:00").encode())
    first = compact(s3, day, "app")
    assert first.request_days == (day,)
    late = "\n".join([line("30/Apr/2024:12:00:00"), line("02/May/2024:10:30:00")]).encode()
    put_raw(s3, day, "2024-05-02-23-00-00-LATELATELATELATE", late)
    state = partition_state(s3, LOG_BUCKET, day, "app", SETTINGS)
    assert state.status == "stale" and state.manifest == first
    second = compact(s3, day, "app")
    assert second.request_days == (date(2024, 4, 30), day)
    assert compacted_rows(s3) == raw_rows(s3)
    assert sum(compacted_rows(s3).values()) == 3
    assert set(compacted_objects(s3)) == second.output_keys


def test_an_object_removed_from_the_raw_partition_leaves_the_table_too(s3: Any) -> None:
    day = date(2024, 5, 2)
    put_raw(s3, day, "2024-05-02-10-00-00-AAAAAAAAAAAAAAAA", line("02/May/2024:10:00:00").encode())
    late_key = put_raw(s3, day, "2024-05-02-00-10-00-CCCCCCCCCCCCCCCC",
                       line("01/May/2024:23:00:00").encode())  # fmt: skip
    assert compact(s3, day, "app").request_days == (date(2024, 5, 1), day)
    s3.delete_object(Bucket=LOG_BUCKET, Key=late_key)  # e.g. a duplicate check --fix removed
    assert partition_state(s3, LOG_BUCKET, day, "app", SETTINGS).status == "stale"
    manifest = compact(s3, day, "app")
    assert manifest.request_days == (day,)
    assert set(compacted_objects(s3)) == manifest.output_keys
    assert compacted_rows(s3) == raw_rows(s3)


def test_a_crash_between_outputs_and_manifest_is_repaired_by_the_next_run(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = date(2024, 5, 2)
    put_raw(s3, day, "2024-05-02-10-00-00-AAAAAAAAAAAAAAAA", line("02/May/2024:10:00:00").encode())
    late_key = put_raw(s3, day, "2024-05-02-00-10-00-CCCCCCCCCCCCCCCC",
                       line("01/May/2024:23:00:00").encode())  # fmt: skip
    real_put_json = partition_module.put_json

    def crash_on_manifest(client: Any, bucket: str, key: str, document: Any) -> str:
        if key.endswith("/manifest.json"):
            raise AwsError("PutObject", "InternalError", "the process died here")
        return real_put_json(client, bucket, key, document)

    monkeypatch.setattr(partition_module, "put_json", crash_on_manifest)
    with pytest.raises(AwsError):
        compact(s3, day, "app")
    monkeypatch.undo()
    # The outputs are there but nothing claims them complete: no manifest, a pending list.
    written = set(compacted_objects(s3))
    assert len(written) == 2
    assert bucket_keys(s3, KEYS.pending_key(day, "app"))
    assert partition_state(s3, LOG_BUCKET, day, "app", SETTINGS).status == "new"
    # Meanwhile the late object is removed: its output must not survive the repair.
    s3.delete_object(Bucket=LOG_BUCKET, Key=late_key)
    manifest = compact(s3, day, "app")
    assert set(compacted_objects(s3)) == manifest.output_keys == {KEYS.output_key(day, "app", day)}
    assert not bucket_keys(s3, KEYS.pending_key(day, "app"))
    assert partition_state(s3, LOG_BUCKET, day, "app", SETTINGS).status == "up_to_date"
    assert compacted_rows(s3) == raw_rows(s3)


def test_an_unreadable_manifest_means_compact_again(s3: Any) -> None:
    day = date(2024, 5, 2)
    put_raw(s3, day, "2024-05-02-10-00-00-AAAAAAAAAAAAAAAA", line("02/May/2024:10:00:00").encode())
    compact(s3, day, "app")
    s3.put_object(Bucket=LOG_BUCKET, Key=KEYS.manifest_key(day, "app"), Body=b"{not json")
    state = partition_state(s3, LOG_BUCKET, day, "app", SETTINGS)
    assert state.status == "stale" and state.manifest is None
    assert state.manifest_problem and "InvalidJSON" in state.manifest_problem


def test_rows_match_the_parser_for_every_raw_object(s3: Any) -> None:
    dataset = moved_dataset(s3, CONFIG)
    bucket = dataset.buckets[0].name
    for offset in range(3):
        compact(s3, CONFIG.start + timedelta(days=offset), bucket)
    expected: Counter[tuple[str, Any]] = Counter()
    for log_object in dataset.log_objects:
        expected.update((log_object.bucket, row) for row in typed_rows(log_object.body))
    assert compacted_rows(s3) == expected
