"""Synthetic S3 server access logs with ground truth, for tests, demos and benchmarks.

``generate(GeneratorConfig(...))`` returns a :class:`GeneratedDataset`: log objects named and
keyed as S3 delivers them (both key formats), holding realistic records (a mix of operations,
principals, addresses, agents, errors, sizes, TLS and signature versions, a day/night curve)
plus planted incidents, and a :class:`GroundTruth` with the exact facts a correct pipeline
must report. ``upload(s3, bucket, dataset)`` puts the objects into a bucket concurrently.

Pure and deterministic (same config, same bytes); standard library only.

    from s3logs_athena.generator import GeneratorConfig, generate
    dataset = generate(GeneratorConfig(buckets=3, days=3, seed=7))
    dataset.objects              # {key: bytes}
    dataset.truth.bulk_download  # who pulled how many bytes, from where
"""

from __future__ import annotations

from .config import BucketSpec, GeneratorConfig, PartitionDateSource
from .dataset import GeneratedDataset, LogObject, generate, upload
from .lines import format_line, format_request_time
from .truth import (
    AccessDeniedBurst,
    BucketInfo,
    BulkDownload,
    ConfigChange,
    DayBucketStats,
    Deletion,
    GroundTruth,
    LegacyTlsClient,
    PrincipalStats,
    UnusualDeletions,
)

__all__ = [
    "AccessDeniedBurst",
    "BucketInfo",
    "BucketSpec",
    "BulkDownload",
    "ConfigChange",
    "DayBucketStats",
    "Deletion",
    "GeneratedDataset",
    "GeneratorConfig",
    "GroundTruth",
    "LegacyTlsClient",
    "LogObject",
    "PartitionDateSource",
    "PrincipalStats",
    "UnusualDeletions",
    "format_line",
    "format_request_time",
    "generate",
    "upload",
]
