"""Compaction: closed raw partitions -> a typed, sorted Parquet table, with manifests.

``keys``       where everything goes (data, manifests, rejects): pure functions of the raw
               partition it came from
``manifest``   what one compaction read and wrote; the digest that tells a stale partition
``partition``  compact one raw partition (stream, parse, type, sort, write; manifest last)
``sorting``    sorted Parquet in memory bounded by the row-group size
``runner``     a date range: closed days, which partitions, concurrency, the summary
``s3io``       the S3 calls

The Lambda path (:mod:`.lambda_handler`) imports only the standard library, boto3, pyarrow
and the package modules it needs; nothing here imports pyarrow before it writes.
"""

from __future__ import annotations

from .keys import CompactedKeys, OutputKey
from .manifest import (
    MANIFEST_VERSION,
    Listing,
    Manifest,
    ManifestError,
    ObjectDigest,
    OutputFile,
)
from .partition import (
    DEFAULT_ROW_GROUP_ROWS,
    CompactionSettings,
    PartitionResult,
    PartitionState,
    compact_partition,
    partition_state,
    read_manifest,
)
from .runner import (
    DEFAULT_GRACE,
    CompactionProgress,
    CompactionRequest,
    CompactionSummary,
    compact_one,
    last_closed_day,
    run_compaction,
)

__all__ = [
    "DEFAULT_GRACE",
    "DEFAULT_ROW_GROUP_ROWS",
    "MANIFEST_VERSION",
    "CompactedKeys",
    "CompactionProgress",
    "CompactionRequest",
    "CompactionSettings",
    "CompactionSummary",
    "Listing",
    "Manifest",
    "ManifestError",
    "ObjectDigest",
    "OutputFile",
    "OutputKey",
    "PartitionResult",
    "PartitionState",
    "compact_one",
    "compact_partition",
    "last_closed_day",
    "partition_state",
    "read_manifest",
    "run_compaction",
]
