"""The demo's compaction step: the closed days compacted, a late object delivered after its
day was compacted (through the mover's handler) and compacted again, the checker's view of
it, and what a one-day query reads before and after.

"What a query reads": on the raw table every byte of every text object in the day's two
partitions (the day and the next, for late deliveries); on the compacted table what DuckDB
reads of the Parquet objects in the same two partitions for one query (its profiler's
bytes read: the footers and the column chunks the query needs).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..generator import GeneratedDataset
    from ..table.compaction import CompactionSummary
    from .pipeline import Pipeline

__all__ = ["CompactionDemo", "QueryScan", "run_compaction_demo"]

#: The one-day query measured: requests and bytes sent per operation.
QUERY = """SELECT operation, count(*) AS requests, sum(bytes_sent) AS bytes_sent
FROM compacted
WHERE request_time >= TIMESTAMP '{start}' AND request_time < TIMESTAMP '{end}'
GROUP BY operation ORDER BY requests DESC"""


@dataclass(frozen=True)
class QueryScan:
    """What one one-day query opens and reads on each table."""

    day: date
    raw_objects: int
    raw_bytes: int
    compacted_objects: int
    compacted_bytes: int
    compacted_bytes_read: int
    requests: int


@dataclass(frozen=True)
class CompactionDemo:
    first: CompactionSummary
    late_key: str
    late_partition: str
    status_after_late: str
    second: CompactionSummary
    uncompacted_after: int
    mismatches_after: int
    scan: QueryScan


def _late_object(dataset: GeneratedDataset, day: date) -> tuple[str, bytes, int]:
    """A new log object of ``day``'s first bucket, delivered the day after the next (a
    straggler): its records are copies of an existing object's with new request ids."""
    from ..generator import format_line
    from ..layout import KeyFormat

    source = next(o for o in dataset.log_objects if o.day == day)
    spec = next(b for b in dataset.buckets if b.name == source.bucket)
    records = [r._replace(requestid=f"LATE{n:012X}") for n, r in enumerate(source.records)]
    body = "".join(format_line(r, source.field_count) + "\n" for r in records).encode()
    delivered = datetime(day.year, day.month, day.day, 23, 59, 30) + timedelta(days=1)
    name = f"{delivered:%Y-%m-%d-%H-%M-%S}-LATE0000DEMO0001"
    if spec.key_format is KeyFormat.PARTITIONED:
        key = f"{spec.account_id}/{spec.region}/{spec.name}/{delivered:%Y/%m/%d}/{name}"
    else:
        key = dataset.config.layout.source_prefix(spec.name) + name
    return key, body, len(records)


def _query_scan(pipeline: Pipeline, day: date, workdir: Path) -> QueryScan:
    """Objects and bytes a one-day query reads on each table (see the module docstring)."""
    import duckdb

    from ..table.compaction import CompactedKeys
    from ..table.compaction.s3io import list_objects

    s3, bucket, layout = pipeline.s3, pipeline.log_bucket, pipeline.layout
    keys = CompactedKeys(layout.compacted_root)
    days = (day, day + timedelta(days=1))
    raw = [o for d in days for o in list_objects(s3, bucket, layout.partition_prefix(d))]
    compacted = [o for d in days for o in list_objects(s3, bucket, keys.partition_prefix(d))]
    files = []
    for index, item in enumerate(o for o in compacted if keys.parse_output_key(o.key)):
        path = workdir / f"{index:04d}.parquet"
        path.write_bytes(s3.get_object(Bucket=bucket, Key=item.key)["Body"].read())
        files.append(str(path))
    if not files:
        return QueryScan(day, len(raw), sum(o.size for o in raw), 0, 0, 0, 0)
    profile = workdir / "profile.json"
    con = duckdb.connect()
    try:
        con.read_parquet(files).create_view("compacted")
        con.execute("PRAGMA enable_profiling='json'")
        con.execute(f"PRAGMA profiling_output='{profile}'")
        start = datetime(day.year, day.month, day.day)
        rows = con.execute(QUERY.format(start=start, end=start + timedelta(days=1))).fetchall()
        con.execute("PRAGMA disable_profiling")
    finally:
        con.close()
    document: dict[str, Any] = json.loads(profile.read_text(encoding="utf-8"))
    read = int(document.get("io", {}).get("total_bytes_read", 0))
    return QueryScan(
        day=day,
        raw_objects=len(raw),
        raw_bytes=sum(o.size for o in raw),
        compacted_objects=len(files),
        compacted_bytes=sum(o.size for o in compacted if keys.parse_output_key(o.key)),
        compacted_bytes_read=read,
        requests=sum(int(row[1]) for row in rows),
    )


def run_compaction_demo(
    pipeline: Pipeline, dataset: GeneratedDataset, environment: dict[str, str]
) -> CompactionDemo:
    """Compact, deliver a late object, compact again, check, measure one query."""
    from ..check import CheckConfig, run_check
    from ..table.compaction import (
        CompactionRequest,
        CompactionSettings,
        partition_state,
        run_compaction,
    )
    from .drain import FaultPlan, drain_queue

    truth = dataset.truth
    settings = CompactionSettings(layout=pipeline.layout, read_concurrency=16)
    request = CompactionRequest(
        pipeline.log_bucket, truth.start - timedelta(days=1), truth.end + timedelta(days=1)
    )
    first = run_compaction(pipeline.s3, request, settings)

    late_day = truth.start
    key, body, _ = _late_object(dataset, late_day)
    pipeline.s3.put_object(Bucket=pipeline.log_bucket, Key=key, Body=body)
    no_faults = FaultPlan(frozenset(), 0, frozenset(), 0, slowdown_rate=0.0)
    drain_queue(pipeline, no_faults, environment=environment)
    target = pipeline.layout.parse_target_key(pipeline.layout.target_key(key))
    state = partition_state(pipeline.s3, pipeline.log_bucket, target.day, target.bucket, settings)
    second = run_compaction(pipeline.s3, request, settings)

    check = run_check(
        pipeline.s3,
        CheckConfig(
            pipeline.log_bucket,
            truth.start,
            truth.end,
            layout=pipeline.layout,
            older_than=timedelta(0),
        ),
    )
    with tempfile.TemporaryDirectory(prefix="s3logs-demo-scan-") as work:
        scan = _query_scan(pipeline, late_day, Path(work))
    return CompactionDemo(
        first=first,
        late_key=key,
        late_partition=f"{target.day} {target.bucket}",
        status_after_late=state.status,
        second=second,
        uncompacted_after=check.counts()["uncompacted"],
        mismatches_after=check.counts()["compaction_mismatch"],
        scan=scan,
    )
