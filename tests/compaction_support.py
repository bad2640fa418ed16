"""Helpers for the compaction tests: generated logs moved into a moto bucket by the mover's
own code, and both sides read back as typed rows (the reference: the parser)."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from s3logs_athena.generator import GeneratedDataset, GeneratorConfig, generate, upload
from s3logs_athena.layout import Layout
from s3logs_athena.mover.backfill import find_stragglers, move_stragglers
from s3logs_athena.parser import ParseReport, iter_line_batches, parse_columns
from s3logs_athena.table.compaction import CompactedKeys
from s3logs_athena.table.schema import TYPED_COLUMN_NAMES, typed_record_batch

# The moto bucket and its fixture are the checker tests' (compaction's checks share them).
from .check_support import LOG_BUCKET as LOG_BUCKET
from .check_support import s3 as s3

LAYOUT = Layout()
KEYS = CompactedKeys()
#: Long after every generated day: everything is closed.
LATER = datetime(2024, 6, 1, tzinfo=UTC)
Row = tuple[Any, ...]


def moved_dataset(s3: Any, config: GeneratorConfig) -> GeneratedDataset:
    """Generate, deliver to ``LOG_BUCKET`` and move every object with the mover's backfill."""
    dataset = generate(config)
    upload(s3, LOG_BUCKET, dataset)
    stragglers = list(
        find_stragglers(
            s3,
            bucket=LOG_BUCKET,
            layout=LAYOUT,
            older_than=timedelta(0),
            now=datetime.now(UTC) + timedelta(hours=1),
        )
    )
    summary = move_stragglers(s3, stragglers, bucket=LOG_BUCKET, layout=LAYOUT)
    assert sum(summary.outcomes.values()) == len(dataset.log_objects)
    return dataset


def typed_rows(body: bytes) -> list[Row]:
    """The records of a raw object as the parser types them (rows in TYPED_COLUMN_NAMES
    order); unparseable lines are left out."""
    rows: list[Row] = []
    for lines in iter_line_batches(io.BytesIO(body)):
        columns = parse_columns(lines, lenient=True, report=ParseReport())
        batch = typed_record_batch(columns)
        rows.extend(
            zip(*(batch.column(name).to_pylist() for name in TYPED_COLUMN_NAMES), strict=True)
        )
    return rows


def raw_rows(s3: Any, days: list[date] | None = None) -> Counter[tuple[str, Row]]:
    """Every record of every raw partition (of ``days``), with its bucket."""
    rows: Counter[tuple[str, Row]] = Counter()
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=LOG_BUCKET, Prefix=LAYOUT.partition_root):
        for item in page.get("Contents", ()):
            target = LAYOUT.parse_target_key(item["Key"])
            if days is not None and target.day not in days:
                continue
            body = s3.get_object(Bucket=LOG_BUCKET, Key=item["Key"])["Body"].read()
            rows.update((target.bucket, row) for row in typed_rows(body))
    return rows


def compacted_objects(s3: Any) -> dict[str, tuple[str, bytes]]:
    """Every data object under the compacted root: key -> (ETag, bytes)."""
    found = {}
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=LOG_BUCKET, Prefix=KEYS.root):
        for item in page.get("Contents", ()):
            if KEYS.parse_output_key(item["Key"]) is not None:
                body = s3.get_object(Bucket=LOG_BUCKET, Key=item["Key"])["Body"].read()
                found[item["Key"]] = (item["ETag"], body)
    return found


def compacted_rows(s3: Any) -> Counter[tuple[str, Row]]:
    """Every row of the compacted table, with its bucket; each row's request day is checked
    against its partition's."""
    rows: Counter[tuple[str, Row]] = Counter()
    for key, (_, body) in compacted_objects(s3).items():
        parsed = KEYS.parse_output_key(key)
        assert parsed is not None
        table = pq.read_table(pa.BufferReader(body))
        assert table.schema.names == list(TYPED_COLUMN_NAMES)
        for row in zip(
            *(table.column(name).to_pylist() for name in TYPED_COLUMN_NAMES), strict=True
        ):
            time = row[TYPED_COLUMN_NAMES.index("request_time")]
            day = parsed.raw_day if time is None else time.date()
            assert day == parsed.request_day, f"{key}: a row of {day}"
            rows[(parsed.bucket, row)] += 1
    return rows


def bucket_keys(s3: Any, prefix: str = "") -> dict[str, str]:
    """Every key of the log bucket under ``prefix`` with its ETag."""
    keys = {}
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=LOG_BUCKET, Prefix=prefix):
        for item in page.get("Contents", ()):
            keys[item["Key"]] = item["ETag"]
    return keys
