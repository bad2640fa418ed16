"""Compaction end to end on moto: generated days delivered and moved by the mover, odd
objects among them, compacted, re-run, a late object compacted again, a crash repaired;
every record exactly once in its own request day, and the view over both tables giving
the raw table's rows (DuckDB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from s3logs_athena.check import CheckConfig, run_check
from s3logs_athena.errors import AwsError
from s3logs_athena.generator import GeneratorConfig
from s3logs_athena.layout import Layout
from s3logs_athena.mover import move_object
from s3logs_athena.table.compaction import (
    CompactionRequest,
    CompactionSettings,
    run_compaction,
)
from s3logs_athena.table.compaction import partition as partition_module
from s3logs_athena.table.views import Coverage, read_coverage

from .compaction_support import (
    LATER,
    LOG_BUCKET,
    bucket_keys,
    compacted_rows,
    moved_dataset,
    raw_rows,
    s3,
)

__all__ = ["s3"]  # the moto bucket fixture, used by name
from .test_table_views import duckdb_over, view_rows

CONFIG = GeneratorConfig(buckets=2, days=3, objects_per_day=24, records_per_object=50, seed=17)
D = CONFIG.start
SETTINGS = CompactionSettings(row_group_rows=2048, read_concurrency=8)


def deliver_and_move(s3: Any, key: str, body: bytes) -> None:
    """What S3 and the mover do with one log object."""
    s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=body)
    result = move_object(s3, bucket=LOG_BUCKET, key=key, layout=Layout())
    assert result.ok, result


def compact(s3: Any) -> Any:
    request = CompactionRequest(
        LOG_BUCKET, D - timedelta(days=1), D + timedelta(days=5), now=LATER, concurrency=2
    )
    return run_compaction(s3, request, SETTINGS)


def test_compaction_end_to_end(s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset = moved_dataset(s3, CONFIG)
    web, uploads = (spec.name for spec in dataset.buckets)
    # The generator's last window of each day is delivered after midnight: records of day
    # D sit in raw partition D+1.
    straddling = [o for o in dataset.log_objects if any(r.requestdatetime.date() < o.day
                                                        for r in o.records)]  # fmt: skip
    assert straddling
    some = dataset.log_objects[10].body.decode().splitlines()
    odd = "\n".join([some[0], "\x1b[2J an unparseable line", some[1]]).encode()
    deliver_and_move(s3, f"{web}/2024-03-05-12-30-00-ODDODDODDODD0001", odd)
    deliver_and_move(s3, f"{uploads}/2024-03-05-12-31-00-EMPTYEMPTY000001", b"")

    first = compact(s3)
    assert first.ok and first.count("compacted") == 2 * 5  # 4 raw days + the quiet day after
    totals = first.totals()
    assert totals["rejects"] == 1
    assert totals["records"] == sum(len(o.records) for o in dataset.log_objects) + 2
    assert compacted_rows(s3) == raw_rows(s3)  # full rows, each in its request day

    before = bucket_keys(s3)
    again = compact(s3)
    assert again.count("up_to_date") == 10 and bucket_keys(s3) == before

    # A late object (a straggler the checker moves days later) lands in a compacted day.
    late = next(o for o in dataset.log_objects if o.bucket == web and o.day == D)
    deliver_and_move(s3, f"{web}/2024-03-05-23-59-00-LATELATELATE0001", late.body)
    third = compact(s3)
    assert (third.count("recompacted"), third.count("up_to_date")) == (1, 9)
    assert compacted_rows(s3) == raw_rows(s3)

    # Another one, and the process dies between the outputs and the manifest.
    real_put_json = partition_module.put_json

    def crash(client: Any, bucket: str, key: str, document: Any) -> str:
        if key.endswith("manifest.json"):
            raise AwsError("PutObject", "InternalError", "killed")
        return real_put_json(client, bucket, key, document)

    deliver_and_move(s3, f"{uploads}/2024-03-06-23-59-00-LATELATELATE0002", late.body)
    monkeypatch.setattr(partition_module, "put_json", crash)
    crashed = compact(s3)
    assert [(p.bucket, p.status) for p in crashed.failed] == [(uploads, "failed")]
    monkeypatch.undo()
    repaired = compact(s3)
    assert repaired.ok and repaired.count("recompacted") == 1
    assert compacted_rows(s3) == raw_rows(s3)

    check = run_check(
        s3,
        CheckConfig(LOG_BUCKET, D, D + timedelta(days=4), now=datetime.now(UTC)),
    )
    assert check.compaction and check.counts()["uncompacted"] == 0
    assert check.counts()["compaction_mismatch"] == 0

    con = duckdb_over(s3, tmp_path)
    assert view_rows(con, read_coverage(s3, LOG_BUCKET, Layout())) == view_rows(con, Coverage())
